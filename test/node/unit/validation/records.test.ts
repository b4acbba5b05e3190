import { expect } from "chai";
import { bytesToHex, encodeAbiParameters, type Hex, hexToBytes, zeroHash } from "viem";
import {
  type Entry,
  encodeRecordsMessage,
  getInferenceRecordDigest,
  getLaneId,
  getReceiptDigest,
  getReceiptKey,
  hashOutputText,
  MAX_ENTRIES,
  type Receipt,
  ReceiptErrorCode,
  recordsMessageParameters,
} from "../../../../node/src/protocol/index.js";
import { GossipAction, ValidationErrorCode, validateRecordsMessage } from "../../../../node/src/validation/index.js";
import { shouldBehaveLikeReceiptValidator } from "./shouldBehaveLikeReceiptValidator.js";
import {
  ACTORS,
  type EntryOptions,
  entryOf,
  expectValidationError,
  gossipSubject,
  messageOf,
  newWorld,
  outputOf,
  PRICE,
  receiptOf,
  signReceipt,
  toCompact,
  toHighS,
  UNKNOWN_VERSION,
  VERSION,
  type World,
} from "./world.js";

const { payer, signer, node, operator, otherNode, otherOperator, stranger, unregistered } = ACTORS;
const { IGNORE, REJECT } = GossipAction;

shouldBehaveLikeReceiptValidator(gossipSubject);

/** Signed entries for `receipts`, each with a record by node A's operator. */
async function entriesOf(receipts: Receipt[], options: EntryOptions = {}): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const receipt of receipts) entries.push(await entryOf(receipt, await signReceipt(payer, receipt), options));
  return entries;
}

/** Receipts 1…n of lane 0. */
const laneOf = (n: number): Receipt[] => Array.from({ length: n }, (_, i) => receiptOf({ seq: BigInt(i + 1) }));

describe("validateRecordsMessage (gossip path)", () => {
  let w: World;
  beforeEach(() => {
    w = newWorld();
  });

  const validate = (payload: Hex | Uint8Array) => validateRecordsMessage(payload, "peer-1", w.ctx);

  describe("accepts", () => {
    it("a batch of one lane's receipts in order, with one lane update from the store's state to the last", async () => {
      const receipts = laneOf(3);
      const entries = await entriesOf(receipts);
      const accepted = await validate(encodeRecordsMessage(entries));
      const digests = receipts.map((r) => getReceiptDigest(w.domain, r));
      expect(accepted.node).to.equal(node.address);
      expect(accepted.from).to.equal("peer-1");
      expect(accepted.duplicates).to.equal(0);
      expect(accepted.entries.map((e) => e.digest)).to.deep.equal(digests);
      expect(accepted.lanes).to.deep.equal([
        {
          laneKey: getLaneId(payer.address, node.address, VERSION, 0),
          payer: payer.address,
          node: node.address,
          versionId: VERSION,
          lane: 0,
          previous: undefined,
          next: { seq: 3n, cumulative: 3n * PRICE, receiptDigest: digests[2] },
        },
      ]);
    });

    it("the entries the p2p layer already decoded, judged as the payload they came from, without decoding again", async () => {
      const entries = await entriesOf(laneOf(2));
      const payload = encodeRecordsMessage(entries);
      const fromEntries = await validateRecordsMessage(hexToBytes(payload), "peer-1", w.ctx, entries);
      expect(fromEntries.entries.map((e) => e.digest)).to.deep.equal(
        entries.map((e) => getReceiptDigest(w.domain, e.receipt)),
      );
      expect(fromEntries.lanes[0]?.next.seq).to.equal(2n);
      // The payload is not read when the entries are given: bytes that do not decode change nothing.
      const again = await validateRecordsMessage("0x00", "peer-1", newWorld().ctx, entries);
      expect(again.entries).to.deep.equal(fromEntries.entries);
    });

    it("each entry with its receipt key, record id, record signer and text", async () => {
      const [entry] = await entriesOf([receiptOf()]);
      if (entry === undefined) throw new Error("no entry");
      const accepted = await validate(encodeRecordsMessage([entry]));
      const digest = getReceiptDigest(w.domain, entry.receipt);
      expect(accepted.entries[0]).to.deep.equal({
        receipt: entry.receipt,
        signature: entry.receiptSig,
        digest,
        signer: payer.address,
        receiptKey: getReceiptKey(digest, payer.address),
        laneKey: getLaneId(payer.address, node.address, VERSION, 0),
        record: {
          record: entry.record,
          recordSig: entry.recordSig,
          recordId: getInferenceRecordDigest(w.domain, entry.record),
          signer: operator.address,
        },
        outputText: entry.outputText,
        private: false,
      });
    });

    it("the payload as bytes, as gossipsub hands it over", async () => {
      const accepted = await validate(hexToBytes(await messageOf(receiptOf())));
      expect(accepted.entries).to.have.length(1);
    });

    it("a private record: no text, an outputHash it cannot recompute", async () => {
      const accepted = await validate(await messageOf(receiptOf(), { outputText: "" }));
      expect(accepted.entries[0]?.private).to.equal(true);
    });

    it("entries of several lanes and payers of one node, one update per lane", async () => {
      w.chain.authorize(ACTORS.otherPayer.address, stranger.address);
      const a = receiptOf({ lane: 1 });
      const b = receiptOf({ lane: 2 });
      const c = receiptOf({ payer: ACTORS.otherPayer.address });
      const entries = [
        await entryOf(a, await signReceipt(payer, a)),
        await entryOf(b, await signReceipt(signer, b)),
        await entryOf(c, await signReceipt(stranger, c)),
      ];
      const accepted = await validate(encodeRecordsMessage(entries));
      expect(accepted.lanes.map((l) => [l.payer, l.lane])).to.deep.equal([
        [payer.address, 1],
        [payer.address, 2],
        [ACTORS.otherPayer.address, 0],
      ]);
    });

    it("the new entries of a batch that repeats ones we hold, counting the rest as duplicates", async () => {
      const entries = await entriesOf(laneOf(2));
      await gossipSubject.submit(w, entries[0]?.receipt as Receipt, entries[0]?.receiptSig as Hex);
      const accepted = await validate(encodeRecordsMessage(entries));
      expect(accepted.duplicates).to.equal(1);
      expect(accepted.entries.map((e) => e.receipt.seq)).to.deep.equal([2n]);
      expect(accepted.lanes[0]?.previous?.seq).to.equal(1n);
    });

    it("with one question per node to the chain view, however many entries", async () => {
      await validate(encodeRecordsMessage(await entriesOf(laneOf(4))));
      expect(w.chain.calls.get("operatorOf")).to.equal(1);
      expect(w.chain.calls.get("priceOf")).to.equal(1);
      expect(w.chain.calls.get("isAuthorizedSigner")).to.equal(1);
      expect(w.chain.calls.get("escrowCoverage")).to.equal(1);
    });
  });

  describe("rejects a malformed message", () => {
    const invalid = (payload: Hex, reason: ReceiptErrorCode) =>
      expectValidationError(validate(payload), REJECT, ValidationErrorCode.MESSAGE_INVALID, { reason });

    it("bytes that do not decode", () => invalid("0x1234", ReceiptErrorCode.MALFORMED_MESSAGE));

    it("no entries", () => invalid(encodeAbiParameters(recordsMessageParameters, [[]]), ReceiptErrorCode.BATCH_SIZE));

    it(`more than ${MAX_ENTRIES} entries`, async () => {
      const [entry] = await entriesOf([receiptOf()]);
      const payload = encodeAbiParameters(recordsMessageParameters, [Array(MAX_ENTRIES + 1).fill(entry)]);
      await invalid(payload, ReceiptErrorCode.BATCH_SIZE);
    });

    it("entries of two nodes", async () => {
      const mine = receiptOf();
      const theirs = receiptOf({ node: otherNode.address });
      const entries = [
        await entryOf(mine, await signReceipt(payer, mine)),
        await entryOf(theirs, await signReceipt(payer, theirs), { recordSigner: otherOperator }),
      ];
      await invalid(encodeAbiParameters(recordsMessageParameters, [entries]), ReceiptErrorCode.MIXED_NODES);
    });

    it("a non-canonical encoding of valid entries", async () => {
      await invalid(`${await messageOf(receiptOf())}00`, ReceiptErrorCode.NON_CANONICAL_MESSAGE);
    });

    it("more than 1 MiB", async () => {
      const big = bytesToHex(new Uint8Array((1 << 20) + 1));
      await invalid(big, ReceiptErrorCode.MESSAGE_TOO_LARGE);
    });
  });

  describe("rejects a bad record", () => {
    it("for an unregistered node, even signed by that node itself (THREATS #1)", async () => {
      const receipt = receiptOf({ node: unregistered.address });
      await expectValidationError(
        validate(await messageOf(receipt, { recordSigner: unregistered })),
        REJECT,
        ValidationErrorCode.NODE_NOT_REGISTERED,
        { node: unregistered.address },
      );
    });

    it("signed by another node's operator (THREATS #2)", async () => {
      await expectValidationError(
        validate(await messageOf(receiptOf(), { recordSigner: otherOperator })),
        REJECT,
        ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR,
        { node: node.address, operator: operator.address, signer: otherOperator.address },
      );
    });

    it("signed by the node's own key rather than its operator", async () => {
      await expectValidationError(
        validate(await messageOf(receiptOf(), { recordSigner: node })),
        REJECT,
        ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR,
        { signer: node.address },
      );
    });

    for (const [name, mangle, reason] of [
      ["a 64-byte", toCompact, ReceiptErrorCode.SIGNATURE_LENGTH],
      ["a high-s", toHighS, ReceiptErrorCode.SIGNATURE_S],
    ] as const) {
      it(`with ${name} signature (THREATS #22)`, async () => {
        const receipt = receiptOf();
        const honest = await entryOf(receipt, await signReceipt(payer, receipt));
        const payload = encodeRecordsMessage([{ ...honest, recordSig: mangle(honest.recordSig) }]);
        await expectValidationError(validate(payload), REJECT, ValidationErrorCode.RECORD_SIGNATURE_INVALID, {
          reason,
        });
      });
    }

    it("whose receiptDigest is not its receipt's", async () => {
      const other = getReceiptDigest(w.domain, receiptOf({ seq: 2n }));
      await expectValidationError(
        validate(await messageOf(receiptOf(), { record: { receiptDigest: other } })),
        REJECT,
        ValidationErrorCode.RECORD_RECEIPT_MISMATCH,
        { expected: getReceiptDigest(w.domain, receiptOf()), found: other },
      );
    });

    it("whose outputHash is not keccak256 of the text that travels", async () => {
      const receipt = receiptOf();
      await expectValidationError(
        validate(
          await messageOf(receipt, {
            outputText: "a different answer",
            record: { outputHash: hashOutputText(outputOf(receipt)) },
          }),
        ),
        REJECT,
        ValidationErrorCode.OUTPUT_HASH_MISMATCH,
        { expected: hashOutputText("a different answer"), found: hashOutputText(outputOf(receipt)) },
      );
    });

    for (const [name, record, reason] of [
      ["weights not summing to 1,000,000", { weightsPpm: [700_000, 299_999] }, ReceiptErrorCode.RECORD_WEIGHT_SUM],
      ["dataset ids not ascending", { datasetIds: [3n, 1n] }, ReceiptErrorCode.RECORD_NOT_ASCENDING],
      ["a zero weight", { weightsPpm: [1_000_000, 0] }, ReceiptErrorCode.RECORD_ZERO_WEIGHT],
      ["no datasets", { datasetIds: [], weightsPpm: [] }, ReceiptErrorCode.RECORD_SHAPE],
    ] as const) {
      it(`with ${name}`, async () => {
        await expectValidationError(
          validate(await messageOf(receiptOf(), { record })),
          REJECT,
          ValidationErrorCode.RECORD_INVALID,
          { reason },
        );
      });
    }

    it("crediting a dataset the version was not trained on", async () => {
      await expectValidationError(
        validate(await messageOf(receiptOf(), { record: { datasetIds: [1n, 4n] } })),
        REJECT,
        ValidationErrorCode.DATASET_NOT_IN_VERSION,
        { versionId: VERSION, datasetId: 4n },
      );
    });

    it("a second, different record for a receipt we hold with a record, with both as evidence", async () => {
      const receipt = receiptOf();
      const receiptSig = await signReceipt(payer, receipt);
      const first = await entryOf(receipt, receiptSig);
      const held = await validate(encodeRecordsMessage([first]));
      w.lanes.apply(held.lanes, [
        { ...(held.entries[0] as (typeof held.entries)[0]), recordId: held.entries[0]?.record.recordId as Hex },
      ]);
      const second = await entryOf(receipt, receiptSig, { outputText: "another answer" });
      const error = await expectValidationError(
        validate(encodeRecordsMessage([second])),
        REJECT,
        ValidationErrorCode.RECORD_EQUIVOCATION,
      );
      expect(error.type).to.deep.include({
        evidence: {
          laneKey: getLaneId(payer.address, node.address, VERSION, 0),
          seq: 1n,
          receiptDigest: getReceiptDigest(w.domain, receipt),
          firstRecordId: getInferenceRecordDigest(w.domain, first.record),
          second: {
            record: second.record,
            recordSig: second.recordSig,
            recordId: getInferenceRecordDigest(w.domain, second.record),
            signer: operator.address,
          },
        },
      });
    });
  });

  describe("ignores, never rejects, when our chain view fails", () => {
    it("when operatorOf throws", async () => {
      w.chain.fail.add("operatorOf");
      await expectValidationError(
        validate(await messageOf(receiptOf())),
        IGNORE,
        ValidationErrorCode.CHAIN_UNAVAILABLE,
        {
          call: "operatorOf",
        },
      );
    });

    it("when trainingDatasets throws", async () => {
      w.chain.fail.add("trainingDatasets");
      await expectValidationError(
        validate(await messageOf(receiptOf())),
        IGNORE,
        ValidationErrorCode.CHAIN_UNAVAILABLE,
        {
          call: "trainingDatasets",
        },
      );
    });
  });

  describe("judges a batch whole", () => {
    it("rejects it all when one entry is bad, naming the entry", async () => {
      const entries = await entriesOf(laneOf(3));
      const bad = receiptOf({ seq: 3n, value: PRICE - 1n, cumulative: 3n * PRICE - 1n });
      entries[2] = await entryOf(bad, await signReceipt(payer, bad));
      const error = await expectValidationError(
        validate(encodeRecordsMessage(entries)),
        REJECT,
        ValidationErrorCode.WRONG_PRICE,
        { index: 2 },
      );
      expect(error.message).to.match(/^entry 2: /);
      expect(await w.lanes.getLane(getLaneId(payer.address, node.address, VERSION, 0))).to.equal(undefined);
    });

    it("rejects when a later entry breaks a rule, even after an entry it cannot judge (REJECT wins)", async () => {
      const gap = receiptOf({ lane: 1, seq: 5n });
      const good = receiptOf();
      const entries = [
        await entryOf(gap, await signReceipt(payer, gap)),
        await entryOf(good, await signReceipt(payer, good), { recordSigner: stranger }),
      ];
      await expectValidationError(
        validate(encodeRecordsMessage(entries)),
        REJECT,
        ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR,
        { index: 1 },
      );
    });

    it("rejects a malformed entry anywhere before asking the chain", async () => {
      w.chain.synced = false;
      const entries = await entriesOf(laneOf(2));
      entries[1] = { ...(entries[1] as Entry), record: { ...(entries[1] as Entry).record, weightsPpm: [1, 2] } };
      await expectValidationError(validate(encodeRecordsMessage(entries)), REJECT, ValidationErrorCode.RECORD_INVALID, {
        index: 1,
      });
    });

    it("ignores it when one entry is past a gap and no entry breaks a rule", async () => {
      const entries = await entriesOf([receiptOf({ lane: 1 }), receiptOf({ lane: 2, seq: 2n })]);
      await expectValidationError(validate(encodeRecordsMessage(entries)), IGNORE, ValidationErrorCode.SEQ_GAP, {
        index: 1,
        expected: 1n,
        found: 2n,
      });
    });

    it("ignores a batch whose lane starts past a gap, whatever follows in that lane", async () => {
      const entries = await entriesOf([receiptOf({ seq: 2n }), receiptOf({ seq: 3n })]);
      await expectValidationError(validate(encodeRecordsMessage(entries)), IGNORE, ValidationErrorCode.SEQ_GAP, {
        index: 0,
      });
    });

    it("ignores an entry for a version not indexed yet, without asking its price", async () => {
      const receipt = receiptOf({ versionId: UNKNOWN_VERSION });
      await expectValidationError(validate(await messageOf(receipt)), IGNORE, ValidationErrorCode.VERSION_UNKNOWN);
      expect(w.chain.calls.get("priceOf")).to.equal(undefined);
    });

    it("ignores a batch of nothing new as a duplicate", async () => {
      const payload = encodeRecordsMessage(await entriesOf(laneOf(2)));
      const accepted = await validate(payload);
      w.lanes.apply(
        accepted.lanes,
        accepted.entries.map((e) => ({ ...e, recordId: e.record.recordId })),
      );
      await expectValidationError(validate(payload), IGNORE, ValidationErrorCode.DUPLICATE, { index: 0 });
    });

    it("rejects two different receipts for one (lane, seq) in one batch, the first as evidence", async () => {
      const first = receiptOf();
      const second = receiptOf({ requestHash: zeroHash });
      const entries = await entriesOf([first, second]);
      const error = await expectValidationError(
        validate(encodeRecordsMessage(entries)),
        REJECT,
        ValidationErrorCode.EQUIVOCATION,
        { index: 1 },
      );
      const { evidence } = error.type as { evidence: { first: { digest: Hex }; second: { digest: Hex } } };
      expect(evidence.first.digest).to.equal(getReceiptDigest(w.domain, first));
      expect(evidence.second.digest).to.equal(getReceiptDigest(w.domain, second));
    });

    it("adds up the entries of one payer against its escrow cover (THREATS #23)", async () => {
      w.chain.setCoverage(payer.address, node.address, 2n * PRICE + PRICE / 2n);
      await expectValidationError(
        validate(encodeRecordsMessage(await entriesOf(laneOf(3)))),
        REJECT,
        ValidationErrorCode.OVER_ESCROW,
        { index: 2, unredeemed: 2n * PRICE },
      );
    });

    it("checks each entry's record and receipt signer: a record re-signed over a stranger's receipt is refused", async () => {
      const receipt = receiptOf();
      const entry = await entryOf(receipt, await signReceipt(stranger, receipt));
      await expectValidationError(
        validate(encodeRecordsMessage([entry])),
        REJECT,
        ValidationErrorCode.SIGNER_NOT_AUTHORIZED,
        { index: 0, signer: stranger.address },
      );
    });
  });
});
