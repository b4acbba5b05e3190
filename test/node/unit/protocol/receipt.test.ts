import { readFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { type Address, concat, type Hex, keccak256, size, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  attributePool,
  buildAttributionTree,
  checkInferenceRecord,
  checkReceipt,
  decodeAttributionMessage,
  decodeRecordsMessage,
  divideLargestRemainder,
  type Entry,
  encodeAttributionMessage,
  encodeRecordsMessage,
  getAttributionProof,
  getAttributionProofs,
  getFallbackAmount,
  getInferenceRecordDigest,
  getLaneId,
  getMessageId,
  getPoolId,
  getReceiptDigest,
  getReceiptKey,
  getRecordsRoot,
  hashInferenceRecord,
  hashOutputText,
  hashReceipt,
  hashRequestBody,
  INFERENCE_RECORD_TYPE,
  type InferenceRecord,
  inferenceRecordTypes,
  MAX_ENTRIES,
  MAX_RECORDS_MESSAGE_BYTES,
  parseStrictSignature,
  RECEIPT_TYPE,
  type Receipt,
  ReceiptError,
  ReceiptErrorCode,
  receiptTypes,
  recoverInferenceRecordSigner,
  recoverReceiptSigner,
  redemptionWeights,
  SECP256K1_N,
  type SettlementDomain,
  settlementDomain,
  splitCollected,
} from "../../../../node/src/protocol/index.js";
import {
  ATTRIBUTION_PATH,
  type AttributionVector,
  attributionPayload,
  buildAttributionVectors,
  buildReceiptVectors,
  type JsonDomain,
  type JsonEntry,
  type JsonReceipt,
  type JsonRecord,
  RECEIPTS_PATH,
  type ReceiptVector,
  serializeVectors,
} from "./receiptVectors.js";

const RECEIPTS: ReceiptVector[] = JSON.parse(readFileSync(RECEIPTS_PATH, "utf8"));
const ATTRIBUTION: AttributionVector[] = JSON.parse(readFileSync(ATTRIBUTION_PATH, "utf8"));

function ofKind<V extends { name: string }, T extends V>(all: V[], kind: string): T[] {
  const found = all.filter((v) => v.name.startsWith(`${kind}: `)) as T[];
  expect(found, kind).to.not.be.empty;
  return found;
}

const toDomain = (d: JsonDomain): SettlementDomain =>
  settlementDomain(BigInt(d.chainId), d.verifyingContract as Address);
const toReceipt = (r: JsonReceipt): Receipt => ({
  payer: r.payer as Address,
  node: r.node as Address,
  versionId: BigInt(r.versionId),
  lane: r.lane,
  seq: BigInt(r.seq),
  requestHash: r.requestHash as Hex,
  value: BigInt(r.value),
  cumulative: BigInt(r.cumulative),
});
const toRecord = (r: JsonRecord): InferenceRecord => ({
  receiptDigest: r.receiptDigest as Hex,
  outputHash: r.outputHash as Hex,
  promptTokens: r.promptTokens,
  outputTokens: r.outputTokens,
  datasetIds: r.datasetIds.map(BigInt),
  weightsPpm: r.weightsPpm,
});
const toEntry = (e: JsonEntry): Entry => ({
  receipt: toReceipt(e.receipt),
  receiptSig: e.receiptSig as Hex,
  record: toRecord(e.record),
  recordSig: e.recordSig as Hex,
  outputText: e.outputText,
});

/** Runs `fn` (sync or async), expects a {@link ReceiptError} with `code` and the given context, and returns it. */
async function expectReceiptError(
  fn: () => unknown,
  code: ReceiptErrorCode,
  context: Record<string, unknown> = {},
): Promise<ReceiptError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a ReceiptError to be thrown").to.be.instanceOf(ReceiptError);
  const error = thrown as ReceiptError;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}

type ReceiptCase = Extract<ReceiptVector, { inputs: { receipt: JsonReceipt } }>;
type RecordCase = Extract<ReceiptVector, { inputs: { record: JsonRecord } }>;
type EntriesCase = Extract<ReceiptVector, { inputs: { entries: JsonEntry[] } }>;

const firstCase = ofKind<ReceiptVector, ReceiptCase>(RECEIPTS, "receipt")[0];
if (!firstCase) throw new Error("no receipt vector");
const DOMAIN = toDomain(firstCase.inputs.domain);
const RECEIPT = toReceipt(firstCase.inputs.receipt);
const RECORD: InferenceRecord = {
  receiptDigest: getReceiptDigest(DOMAIN, RECEIPT),
  outputHash: hashOutputText("Bonjour"),
  promptTokens: 3,
  outputTokens: 2,
  datasetIds: [1n, 4n],
  weightsPpm: [700_000, 300_000],
};

describe("protocol/receipt: receipts, records, gossip entries and attribution (DESIGN §4, §6)", () => {
  describe("golden vectors", () => {
    it("test/vectors/receipts.json is what receiptVectors.ts builds, byte for byte", () => {
      expect(serializeVectors(buildReceiptVectors())).to.equal(readFileSync(RECEIPTS_PATH, "utf8"));
    });

    it("test/vectors/attribution.json is what receiptVectors.ts builds, byte for byte", () => {
      expect(serializeVectors(buildAttributionVectors())).to.equal(readFileSync(ATTRIBUTION_PATH, "utf8"));
    });

    it("are pure ASCII with unique names", () => {
      for (const path of [RECEIPTS_PATH, ATTRIBUTION_PATH]) {
        expect(/^[\n\u0020-\u007e]*$/.test(readFileSync(path, "utf8"))).to.equal(true, path);
      }
      const names = [...RECEIPTS, ...ATTRIBUTION].map((v) => v.name);
      expect(new Set(names).size).to.equal(names.length);
    });

    type TypehashCase = Extract<ReceiptVector, { outputs: { typehash: string } }>;
    it("the canonical type strings hash to the pinned type hashes (THREATS #7)", () => {
      const [receipt, record] = ofKind<ReceiptVector, TypehashCase>(RECEIPTS, "typehash");
      expect(receipt?.inputs.type).to.equal(RECEIPT_TYPE);
      expect(record?.inputs.type).to.equal(INFERENCE_RECORD_TYPE);
      expect(keccak256(toHex(RECEIPT_TYPE))).to.equal(receipt?.outputs.typehash);
      expect(keccak256(toHex(INFERENCE_RECORD_TYPE))).to.equal(record?.outputs.typehash);
    });

    for (const v of ofKind<ReceiptVector, ReceiptCase>(RECEIPTS, "receipt")) {
      it(`${v.name}: struct hash, digest, lane id, signer, and viem signs the same bytes`, async () => {
        const domain = toDomain(v.inputs.domain);
        const receipt = toReceipt(v.inputs.receipt);
        expect(hashReceipt(receipt)).to.equal(v.outputs.structHash);
        expect(getReceiptDigest(domain, receipt)).to.equal(v.outputs.digest);
        expect(getLaneId(receipt.payer, receipt.node, receipt.versionId, receipt.lane)).to.equal(v.outputs.laneId);
        expect(await recoverReceiptSigner(domain, receipt, v.outputs.signature as Hex)).to.equal(v.outputs.signer);
        const account = privateKeyToAccount(v.inputs.privateKey as Hex);
        const signature = await account.signTypedData({
          domain,
          types: receiptTypes,
          primaryType: "Receipt",
          message: receipt,
        });
        expect(signature).to.equal(v.outputs.signature);
      });
    }

    for (const v of ofKind<ReceiptVector, RecordCase>(RECEIPTS, "record")) {
      it(`${v.name}: struct hash, record id, signer, and viem signs the same bytes`, async () => {
        const domain = toDomain(v.inputs.domain);
        const record = toRecord(v.inputs.record);
        checkInferenceRecord(record);
        expect(hashInferenceRecord(record)).to.equal(v.outputs.structHash);
        expect(getInferenceRecordDigest(domain, record)).to.equal(v.outputs.digest);
        expect(await recoverInferenceRecordSigner(domain, record, v.outputs.signature as Hex)).to.equal(
          v.outputs.signer,
        );
        const signature = await privateKeyToAccount(v.inputs.privateKey as Hex).signTypedData({
          domain,
          types: inferenceRecordTypes,
          primaryType: "InferenceRecord",
          message: record,
        });
        expect(signature).to.equal(v.outputs.signature);
      });
    }

    type SignatureCase = Extract<ReceiptVector, { outputs: { error: string } }>;
    for (const v of ofKind<ReceiptVector, SignatureCase>(RECEIPTS, "signature")) {
      it(v.name, async () => {
        await expectReceiptError(
          () => parseStrictSignature(v.inputs.signature as Hex),
          v.outputs.error as ReceiptErrorCode,
        );
        await expectReceiptError(
          () => recoverReceiptSigner(DOMAIN, RECEIPT, v.inputs.signature as Hex),
          v.outputs.error as ReceiptErrorCode,
        );
      });
    }

    for (const v of ofKind<ReceiptVector, EntriesCase>(RECEIPTS, "entries")) {
      it(`${v.name}: encodes to the pinned payload and message id, and decodes back`, () => {
        const entries = v.inputs.entries.map(toEntry);
        const payload = encodeRecordsMessage(entries);
        expect(payload).to.equal(v.outputs.payload);
        expect(getMessageId(payload)).to.equal(v.outputs.messageId);
        expect(decodeRecordsMessage(v.outputs.payload as Hex)).to.deep.equal(entries);
      });
    }

    type SplitCase = Extract<AttributionVector, { outputs: { protocol: string } }>;
    for (const v of ofKind<AttributionVector, SplitCase>(ATTRIBUTION, "split")) {
      it(v.name, () => {
        const parts = splitCollected(BigInt(v.inputs.collected), {
          nodeBps: BigInt(v.inputs.nodeBps),
          ownerBps: BigInt(v.inputs.ownerBps),
          datasetsBps: BigInt(v.inputs.datasetsBps),
        });
        expect(parts).to.deep.equal({
          node: BigInt(v.outputs.node),
          owner: BigInt(v.outputs.owner),
          datasets: BigInt(v.outputs.datasets),
          protocol: BigInt(v.outputs.protocol),
        });
        expect(parts.node + parts.owner + parts.datasets + parts.protocol).to.equal(BigInt(v.inputs.collected));
      });
    }

    type DivideCase = Extract<AttributionVector, { outputs: { amounts: unknown } }>;
    for (const v of ofKind<AttributionVector, DivideCase>(ATTRIBUTION, "divide")) {
      it(v.name, () => {
        const weights = new Map(v.inputs.weights.map((w) => [BigInt(w.datasetId), BigInt(w.weight)]));
        expect(divideLargestRemainder(BigInt(v.inputs.total), weights)).to.deep.equal(
          v.outputs.amounts.map((a) => ({ datasetId: BigInt(a.datasetId), amount: BigInt(a.amount) })),
        );
      });
    }

    type PoolCase = Extract<AttributionVector, { outputs: { datasetsParts: string[] } }>;
    for (const v of ofKind<AttributionVector, PoolCase>(ATTRIBUTION, "pool")) {
      it(`${v.name}: parts, leaves, total, root and proofs`, () => {
        const shares = new Map(v.inputs.trainingShares.map((s) => [BigInt(s.datasetId), BigInt(s.weightPpm)]));
        const split = { nodeBps: 0n, ownerBps: 0n, datasetsBps: BigInt(v.inputs.datasetsBps) };
        const redemptions = v.inputs.redemptions.map((r) => ({
          datasetsPart: splitCollected(BigInt(r.collected), split).datasets,
          weights: redemptionWeights(
            r.records.map((c) => ({
              value: BigInt(c.value),
              datasetIds: c.datasetIds.map(BigInt),
              weightsPpm: c.weightsPpm,
            })),
            BigInt(r.uncoveredValue),
            shares,
          ),
        }));
        expect(redemptions.map((r) => r.datasetsPart.toString())).to.deep.equal(v.outputs.datasetsParts);
        const leaves = attributePool(redemptions);
        const expected = v.outputs.leaves.map((l) => ({ datasetId: BigInt(l.datasetId), amount: BigInt(l.amount) }));
        expect(leaves).to.deep.equal(expected);
        const tree = buildAttributionTree(leaves);
        expect(tree.root).to.equal(v.outputs.root);
        expect(tree.total).to.equal(BigInt(v.outputs.total));
        const proofs = getAttributionProofs(leaves);
        for (const p of v.outputs.proofs) {
          expect(proofs.get(BigInt(p.datasetId))).to.deep.equal(p.proof);
          expect(getAttributionProof(leaves, BigInt(p.datasetId))).to.deep.equal(p.proof);
        }
      });
    }

    type FallbackCase = Extract<AttributionVector, { inputs: { weightPpm: number } }>;
    for (const v of ofKind<AttributionVector, FallbackCase>(ATTRIBUTION, "fallback")) {
      it(v.name, () => {
        expect(getFallbackAmount(BigInt(v.inputs.pool), v.inputs.weightPpm)).to.equal(BigInt(v.outputs.amount));
      });
    }

    type RecordsRootCase = Extract<AttributionVector, { inputs: { recordIds: string[] } }>;
    for (const v of ofKind<AttributionVector, RecordsRootCase>(ATTRIBUTION, "recordsRoot")) {
      it(v.name, () => {
        expect(getRecordsRoot(v.inputs.recordIds as Hex[])).to.equal(v.outputs.root);
      });
    }
  });

  describe("EIP-712 digests", () => {
    it("change when any one field of the receipt changes (THREATS #6)", () => {
      const flips: Partial<Receipt>[] = [
        { payer: RECEIPT.node },
        { node: RECEIPT.payer },
        { versionId: RECEIPT.versionId + 1n },
        { lane: RECEIPT.lane + 1 },
        { seq: RECEIPT.seq + 1n },
        { requestHash: keccak256(RECEIPT.requestHash) },
        { value: RECEIPT.value + 1n },
        { cumulative: RECEIPT.cumulative + 1n },
      ];
      expect(flips.length).to.equal(receiptTypes.Receipt.length);
      const digests = new Set([getReceiptDigest(DOMAIN, RECEIPT)]);
      for (const flip of flips) digests.add(getReceiptDigest(DOMAIN, { ...RECEIPT, ...flip }));
      expect(digests.size).to.equal(flips.length + 1);
    });

    it("change when any one field of the record changes (THREATS #6)", () => {
      const flips: Partial<InferenceRecord>[] = [
        { receiptDigest: keccak256(RECORD.receiptDigest) },
        { outputHash: keccak256(RECORD.outputHash) },
        { promptTokens: RECORD.promptTokens + 1 },
        { outputTokens: RECORD.outputTokens + 1 },
        { datasetIds: [1n, 5n] },
        { weightsPpm: [699_999, 300_001] },
      ];
      expect(flips.length).to.equal(inferenceRecordTypes.InferenceRecord.length);
      const digests = new Set([getInferenceRecordDigest(DOMAIN, RECORD)]);
      for (const flip of flips) digests.add(getInferenceRecordDigest(DOMAIN, { ...RECORD, ...flip }));
      expect(digests.size).to.equal(flips.length + 1);
    });

    it("change with the chain id and the verifying contract (THREATS #8)", () => {
      const digest = getReceiptDigest(DOMAIN, RECEIPT);
      expect(getReceiptDigest({ ...DOMAIN, chainId: DOMAIN.chainId + 1n }, RECEIPT)).to.not.equal(digest);
      expect(getReceiptDigest({ ...DOMAIN, verifyingContract: RECEIPT.node }, RECEIPT)).to.not.equal(digest);
    });

    it("keys a receipt by (digest, signer), the same for both encodings of one signature (THREATS #22)", async () => {
      const account = privateKeyToAccount(firstCase.inputs.privateKey as Hex);
      const digest = getReceiptDigest(DOMAIN, RECEIPT);
      expect(getReceiptKey(digest, account.address)).to.equal(getReceiptKey(digest, account.address));
      expect(getReceiptKey(digest, account.address)).to.not.equal(getReceiptKey(digest, RECEIPT.node));
    });

    it("hashes the request body and the output text as keccak256 of their bytes", () => {
      const body = new TextEncoder().encode('{"prompt":"é"}');
      expect(hashRequestBody(body)).to.equal(keccak256(body));
      expect(hashOutputText("é")).to.equal(keccak256("0xc3a9"));
    });

    it("names lanes and pools as the Settlement does", () => {
      expect(getLaneId(RECEIPT.payer, RECEIPT.node, 1n, 0)).to.not.equal(getLaneId(RECEIPT.payer, RECEIPT.node, 1n, 1));
      expect(getPoolId(RECEIPT.node, 1n, 0n)).to.not.equal(getPoolId(RECEIPT.node, 1n, 1n));
    });
  });

  describe("signatures", () => {
    const signature = firstCase.outputs.signature as Hex;

    it("accepts the low-s 65-byte form and returns its parts", () => {
      const parts = parseStrictSignature(signature);
      expect(concat([parts.r, parts.s, toHex(parts.v, { size: 1 })])).to.equal(signature);
    });

    it("refuses r or s of 0, and r not below n", async () => {
      const zeros = `0x${"00".repeat(64)}1b` as Hex;
      await expectReceiptError(() => parseStrictSignature(zeros), ReceiptErrorCode.SIGNATURE_S);
      const bigR = concat([toHex(SECP256K1_N, { size: 32 }), `0x${signature.slice(66)}` as Hex]);
      await expectReceiptError(() => parseStrictSignature(bigR), ReceiptErrorCode.SIGNATURE_S);
    });

    it("refuses 66 bytes and names the length", async () => {
      await expectReceiptError(
        () => parseStrictSignature(concat([signature, "0x00"])),
        ReceiptErrorCode.SIGNATURE_LENGTH,
        {
          length: 66,
        },
      );
    });
  });

  describe("receipt and record rules", () => {
    it("accepts a well-formed receipt and record", () => {
      checkReceipt(RECEIPT);
      checkInferenceRecord(RECORD);
    });

    const receiptCases: [string, Partial<Receipt>, ReceiptErrorCode][] = [
      ["seq 0", { seq: 0n }, ReceiptErrorCode.ZERO_SEQ],
      ["value 0", { value: 0n }, ReceiptErrorCode.ZERO_VALUE],
      ["cumulative below value", { cumulative: RECEIPT.value - 1n }, ReceiptErrorCode.CUMULATIVE_BELOW_VALUE],
      ["seq beyond uint64", { seq: 1n << 64n }, ReceiptErrorCode.OUT_OF_RANGE],
      ["value beyond uint128", { value: 1n << 128n }, ReceiptErrorCode.OUT_OF_RANGE],
      ["lane beyond uint32", { lane: 2 ** 32 }, ReceiptErrorCode.OUT_OF_RANGE],
      ["a fractional lane", { lane: 1.5 }, ReceiptErrorCode.OUT_OF_RANGE],
      ["a negative version", { versionId: -1n }, ReceiptErrorCode.OUT_OF_RANGE],
    ];
    for (const [name, flip, code] of receiptCases) {
      it(`rejects a receipt with ${name}`, async () => {
        await expectReceiptError(() => checkReceipt({ ...RECEIPT, ...flip }), code);
      });
    }

    const recordCases: [string, Partial<InferenceRecord>, ReceiptErrorCode][] = [
      ["no dataset", { datasetIds: [], weightsPpm: [] }, ReceiptErrorCode.RECORD_SHAPE],
      ["more weights than ids", { weightsPpm: [500_000, 250_000, 250_000] }, ReceiptErrorCode.RECORD_SHAPE],
      ["ids out of order", { datasetIds: [4n, 1n] }, ReceiptErrorCode.RECORD_NOT_ASCENDING],
      ["an id twice", { datasetIds: [4n, 4n] }, ReceiptErrorCode.RECORD_NOT_ASCENDING],
      ["dataset id 0", { datasetIds: [0n, 4n] }, ReceiptErrorCode.RECORD_NOT_ASCENDING],
      [
        "a zero weight",
        { datasetIds: [1n, 4n, 5n], weightsPpm: [700_000, 300_000, 0] },
        ReceiptErrorCode.RECORD_ZERO_WEIGHT,
      ],
      ["weights summing to 999,999", { weightsPpm: [700_000, 299_999] }, ReceiptErrorCode.RECORD_WEIGHT_SUM],
      ["token counts beyond uint32", { outputTokens: 2 ** 32 }, ReceiptErrorCode.OUT_OF_RANGE],
    ];
    for (const [name, flip, code] of recordCases) {
      it(`rejects a record with ${name}`, async () => {
        await expectReceiptError(() => checkInferenceRecord({ ...RECORD, ...flip }), code);
      });
    }
  });

  describe("/olp/records/1 messages", () => {
    const entry: Entry = {
      receipt: RECEIPT,
      receiptSig: firstCase.outputs.signature as Hex,
      record: RECORD,
      recordSig: firstCase.outputs.signature as Hex,
      outputText: "Bonjour",
    };

    it("holds 1 to 256 entries", async () => {
      await expectReceiptError(() => encodeRecordsMessage([]), ReceiptErrorCode.BATCH_SIZE, { count: 0 });
      const full = Array.from({ length: MAX_ENTRIES }, () => entry);
      expect(decodeRecordsMessage(encodeRecordsMessage(full))).to.have.length(MAX_ENTRIES);
      await expectReceiptError(() => encodeRecordsMessage([...full, entry]), ReceiptErrorCode.BATCH_SIZE, {
        count: MAX_ENTRIES + 1,
      });
    });

    it("holds the entries of one node only", async () => {
      const other = { ...entry, receipt: { ...RECEIPT, node: RECEIPT.payer } };
      await expectReceiptError(() => encodeRecordsMessage([entry, other]), ReceiptErrorCode.MIXED_NODES, { index: 1 });
    });

    it("is at most 1 MiB, encoded or received", async () => {
      const big = { ...entry, outputText: "x".repeat(MAX_RECORDS_MESSAGE_BYTES) };
      await expectReceiptError(() => encodeRecordsMessage([big]), ReceiptErrorCode.MESSAGE_TOO_LARGE);
      const payload = `0x${"00".repeat(MAX_RECORDS_MESSAGE_BYTES + 1)}` as Hex;
      await expectReceiptError(() => decodeRecordsMessage(payload), ReceiptErrorCode.MESSAGE_TOO_LARGE, {
        bytes: MAX_RECORDS_MESSAGE_BYTES + 1,
      });
    });

    it("rejects bytes that do not decode", async () => {
      const payload = encodeRecordsMessage([entry]);
      await expectReceiptError(
        () => decodeRecordsMessage(payload.slice(0, -64) as Hex),
        ReceiptErrorCode.MALFORMED_MESSAGE,
      );
    });

    it("rejects a non-canonical encoding of valid entries, which would carry another message id", async () => {
      const payload = encodeRecordsMessage([entry]);
      const padded = concat([payload, `0x${"00".repeat(32)}`]);
      await expectReceiptError(() => decodeRecordsMessage(padded), ReceiptErrorCode.NON_CANONICAL_MESSAGE);
      expect(getMessageId(padded)).to.not.equal(getMessageId(payload));
    });
  });

  describe("/olp/attribution/1 messages", () => {
    const node = RECEIPT.node;
    const recordIds = [keccak256("0x01"), keccak256("0x02")].sort() as Hex[];
    const message = {
      node,
      versionId: 3n,
      epoch: 12n,
      root: keccak256("0x03"),
      leaves: [
        { datasetId: 1n, amount: 57n },
        { datasetId: 2n, amount: 225n },
      ],
      recordsRoot: getRecordsRoot(recordIds),
      recordIds,
    };

    it("encodes as ethers encodes the tuple, and decodes back", () => {
      const payload = encodeAttributionMessage(message);
      const expected = attributionPayload(
        node,
        3n,
        12n,
        message.root,
        [
          [1n, 57n],
          [2n, 225n],
        ],
        message.recordsRoot,
        recordIds,
      );
      expect(payload).to.equal(expected);
      expect(decodeAttributionMessage(payload)).to.deep.equal(message);
    });

    it("rejects leaves out of order, a zero amount, record ids out of order, bad bytes", async () => {
      const swapped = { ...message, leaves: [...message.leaves].reverse() };
      await expectReceiptError(() => encodeAttributionMessage(swapped), ReceiptErrorCode.ATTRIBUTION_NOT_ASCENDING, {
        field: "leaves",
      });
      const zero = { ...message, leaves: [{ datasetId: 1n, amount: 0n }] };
      await expectReceiptError(() => encodeAttributionMessage(zero), ReceiptErrorCode.ATTRIBUTION_ZERO);
      const ids = { ...message, recordIds: [...recordIds].reverse() };
      await expectReceiptError(() => encodeAttributionMessage(ids), ReceiptErrorCode.ATTRIBUTION_NOT_ASCENDING, {
        field: "recordIds",
      });
      await expectReceiptError(() => decodeAttributionMessage("0x1234"), ReceiptErrorCode.MALFORMED_MESSAGE);
      const payload = concat([encodeAttributionMessage(message), `0x${"00".repeat(32)}`]);
      await expectReceiptError(() => decodeAttributionMessage(payload), ReceiptErrorCode.NON_CANONICAL_MESSAGE);
    });
  });

  describe("attribution", () => {
    it("divides any total exactly, each part within one unit of its exact share (seeded property test)", () => {
      let state = 0x2545f491n;
      const next = (bound: bigint) => {
        state = (state * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
        return state % bound;
      };
      for (let run = 0; run < 300; run++) {
        const weights = new Map<bigint, bigint>();
        const count = Number(next(8n)) + 1;
        for (let i = 0; i < count; i++) weights.set(next(50n) + 1n, next(1_000_000n));
        if ([...weights.values()].every((w) => w === 0n)) weights.set(99n, 1n);
        const total = next(1n << BigInt(Number(next(128n)) + 1));
        const sum = [...weights.values()].reduce((a, b) => a + b, 0n);
        const parts = divideLargestRemainder(total, weights);
        expect(parts.reduce((a, p) => a + p.amount, 0n)).to.equal(total);
        for (const { datasetId, amount } of parts) {
          const exactFloor = (total * (weights.get(datasetId) ?? 0n)) / sum;
          expect(amount - exactFloor).to.be.oneOf([0n, 1n]);
        }
        expect(parts.map((p) => p.datasetId)).to.deep.equal(
          [...parts.map((p) => p.datasetId)].sort((a, b) => (a < b ? -1 : 1)),
        );
      }
    });

    it("refuses weights that sum to 0 or hold a negative, and a negative total", async () => {
      await expectReceiptError(() => divideLargestRemainder(1n, new Map([[1n, 0n]])), ReceiptErrorCode.BAD_WEIGHTS);
      await expectReceiptError(
        () =>
          divideLargestRemainder(
            1n,
            new Map([
              [1n, 2n],
              [2n, -1n],
            ]),
          ),
        ReceiptErrorCode.BAD_WEIGHTS,
      );
      await expectReceiptError(() => divideLargestRemainder(-1n, new Map([[1n, 1n]])), ReceiptErrorCode.BAD_WEIGHTS);
    });

    it("weighs a redemption that covered nothing by the training shares", () => {
      const shares = new Map([
        [1n, 600_000n],
        [2n, 400_000n],
      ]);
      expect(redemptionWeights([], 0n, shares)).to.deep.equal(shares);
    });

    it("builds the standard tree OZ builds, and refuses duplicates, empty trees and unknown datasets (THREATS #39)", async () => {
      const leaves = [
        { datasetId: 9n, amount: 5n },
        { datasetId: 2n, amount: 7n },
        { datasetId: 4n, amount: 0n },
      ];
      const tree = buildAttributionTree(leaves);
      expect(tree.leaves.map((l) => l.datasetId)).to.deep.equal([2n, 9n]);
      expect(tree.total).to.equal(12n);
      const oz = StandardMerkleTree.of(
        [
          [2n, 7n],
          [9n, 5n],
        ],
        ["uint256", "uint256"],
      );
      expect(tree.root).to.equal(oz.root);
      expect(StandardMerkleTree.verify(tree.root, ["uint256", "uint256"], [9n, 5n], getAttributionProof(leaves, 9n))).to
        .be.true;
      await expectReceiptError(() => getAttributionProof(leaves, 4n), ReceiptErrorCode.NOT_IN_TREE, { datasetId: 4n });
      await expectReceiptError(
        () => buildAttributionTree([...leaves, { datasetId: 2n, amount: 1n }]),
        ReceiptErrorCode.BAD_WEIGHTS,
      );
      await expectReceiptError(
        () => buildAttributionTree([{ datasetId: 4n, amount: 0n }]),
        ReceiptErrorCode.BAD_WEIGHTS,
      );
    });

    it("pays fallback claims whose sum never exceeds the pool", () => {
      const shares = [123_457, 543_210, 333_333];
      const pool = 10n ** 18n + 7n;
      const paid = shares.map((w) => getFallbackAmount(pool, w)).reduce((a, b) => a + b, 0n);
      expect(paid <= pool).to.be.true;
      expect(pool - paid < BigInt(shares.length)).to.be.true;
    });
  });

  it("digests match a size-65 signature from viem for the record of a receipt", async () => {
    const account = privateKeyToAccount(firstCase.inputs.privateKey as Hex);
    const signature = await account.signTypedData({
      domain: DOMAIN,
      types: inferenceRecordTypes,
      primaryType: "InferenceRecord",
      message: RECORD,
    });
    expect(size(signature)).to.equal(65);
    expect(await recoverInferenceRecordSigner(DOMAIN, RECORD, signature)).to.equal(account.address);
  });
});
