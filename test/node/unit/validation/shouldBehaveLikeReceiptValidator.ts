import { expect } from "chai";
import { type Address, getAddress, zeroAddress } from "viem";
import {
  getLaneId,
  getReceiptDigest,
  getReceiptKey,
  type Receipt,
  ReceiptErrorCode,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import { GossipAction, ValidationErrorCode } from "../../../../node/src/validation/index.js";
import {
  ACTORS,
  CHAIN_ID,
  COVERAGE,
  expectValidationError,
  newWorld,
  PENDING_VERSION,
  PRICE,
  REJECTED_VERSION,
  receiptOf,
  SETTLEMENT,
  type Subject,
  signReceipt,
  toCompact,
  toHighS,
  UNKNOWN_VERSION,
  type World,
  withV,
} from "./world.js";

const { payer, signer, secondSigner, stranger, otherPayer } = ACTORS;
const { IGNORE, REJECT } = GossipAction;

/**
 * The receipt rules both entry points share (DESIGN §4), run against each: the HTTP path with a single receipt and
 * the gossip path with a one-entry records message of the same receipt.
 */
export function shouldBehaveLikeReceiptValidator(subject: Subject): void {
  describe(`${subject.name} behaves like a receipt validator`, () => {
    let w: World;
    beforeEach(() => {
      w = newWorld();
    });

    /** Signs `receipt` with `account` and submits it. */
    const submit = async (receipt: Receipt, account = payer) =>
      subject.submit(w, receipt, await signReceipt(account, receipt));

    describe("accepts", () => {
      it("the first receipt of a lane (seq 1, cumulative = value), as a new lane state", async () => {
        const receipt = receiptOf();
        const accepted = await submit(receipt);
        const digest = getReceiptDigest(w.domain, receipt);
        expect(accepted.lanes).to.deep.equal([
          {
            laneKey: getLaneId(payer.address, receipt.node, receipt.versionId, receipt.lane),
            payer: receipt.payer,
            node: receipt.node,
            versionId: receipt.versionId,
            lane: receipt.lane,
            previous: undefined,
            next: { seq: 1n, cumulative: PRICE, receiptDigest: digest },
          },
        ]);
        expect(accepted.receipts[0]).to.deep.include({ digest, signer: payer.address });
      });

      it("the next receipt of a lane, judged against the state it returns as previous", async () => {
        await submit(receiptOf());
        const accepted = await submit(receiptOf({ seq: 2n }));
        expect(accepted.lanes[0]?.previous?.seq).to.equal(1n);
        expect(accepted.lanes[0]?.next).to.deep.include({ seq: 2n, cumulative: 2n * PRICE });
      });

      it("a receipt signed by a signer the payer authorized", async () => {
        const accepted = await submit(receiptOf(), signer);
        expect(accepted.receipts[0]?.signer).to.equal(signer.address);
      });

      it("a receipt while the escrow cover holds exactly the unredeemed total", async () => {
        w.chain.setCoverage(payer.address, ACTORS.node.address, 2n * PRICE);
        await submit(receiptOf());
        await submit(receiptOf({ seq: 2n }));
      });

      it("again once a redemption has lowered what is unredeemed", async () => {
        w.chain.setCoverage(payer.address, ACTORS.node.address, PRICE);
        const first = await submit(receiptOf());
        w.lanes.redeem(first.lanes[0]?.laneKey ?? "0x", PRICE);
        // The collection took PRICE from the escrow; the payer tops it up again.
        w.chain.setCoverage(payer.address, ACTORS.node.address, PRICE);
        await submit(receiptOf({ seq: 2n }));
      });
    });

    describe("rejects a malformed receipt or signature", () => {
      it("a 64-byte (EIP-2098) signature (THREATS #22)", async () => {
        const receipt = receiptOf();
        const compact = toCompact(await signReceipt(payer, receipt));
        await expectValidationError(
          subject.submit(w, receipt, compact),
          REJECT,
          ValidationErrorCode.SIGNATURE_INVALID,
          {
            reason: ReceiptErrorCode.SIGNATURE_LENGTH,
          },
        );
      });

      it("the high-s twin of a valid signature (THREATS #22)", async () => {
        const receipt = receiptOf();
        const high = toHighS(await signReceipt(payer, receipt));
        await expectValidationError(subject.submit(w, receipt, high), REJECT, ValidationErrorCode.SIGNATURE_INVALID, {
          reason: ReceiptErrorCode.SIGNATURE_S,
        });
      });

      it("a signature with v outside {27, 28}", async () => {
        const receipt = receiptOf();
        const bad = withV(await signReceipt(payer, receipt), 1);
        await expectValidationError(subject.submit(w, receipt, bad), REJECT, ValidationErrorCode.SIGNATURE_INVALID, {
          reason: ReceiptErrorCode.SIGNATURE_V,
        });
      });

      for (const [name, overrides, reason] of [
        ["seq 0", { seq: 0n, cumulative: PRICE }, ReceiptErrorCode.ZERO_SEQ],
        ["value 0", { value: 0n, cumulative: 0n }, ReceiptErrorCode.ZERO_VALUE],
        ["cumulative below value", { cumulative: PRICE - 1n }, ReceiptErrorCode.CUMULATIVE_BELOW_VALUE],
      ] as const) {
        it(`a receipt with ${name}`, async () => {
          await expectValidationError(submit(receiptOf(overrides)), REJECT, ValidationErrorCode.RECEIPT_INVALID, {
            reason,
          });
        });
      }

      it("even when our chain view is not synced (no chain needed to judge it)", async () => {
        w.chain.synced = false;
        const receipt = receiptOf();
        const compact = toCompact(await signReceipt(payer, receipt));
        await expectValidationError(subject.submit(w, receipt, compact), REJECT, ValidationErrorCode.SIGNATURE_INVALID);
      });
    });

    describe("rejects a receipt its payer did not authorize", () => {
      it("signed by a stranger", async () => {
        await expectValidationError(submit(receiptOf(), stranger), REJECT, ValidationErrorCode.SIGNER_NOT_AUTHORIZED, {
          payer: payer.address,
          signer: stranger.address,
        });
      });

      it("signed by a signer the payer revoked (THREATS #18)", async () => {
        w.chain.revoke(signer.address);
        await expectValidationError(submit(receiptOf(), signer), REJECT, ValidationErrorCode.SIGNER_NOT_AUTHORIZED, {
          signer: signer.address,
        });
      });

      it("signed by a signer of another payer, naming that other payer (THREATS #5)", async () => {
        const receipt = receiptOf({ payer: otherPayer.address });
        await expectValidationError(submit(receipt, signer), REJECT, ValidationErrorCode.SIGNER_NOT_AUTHORIZED, {
          payer: otherPayer.address,
          signer: signer.address,
        });
      });

      const flips: [keyof Receipt, Partial<Receipt>][] = [
        ["payer", { payer: otherPayer.address }],
        ["node", { node: ACTORS.otherNode.address }],
        ["versionId", { versionId: PENDING_VERSION }],
        ["lane", { lane: 1 }],
        ["seq", { seq: 2n }],
        ["requestHash", { requestHash: `0x${"ab".repeat(32)}` }],
        ["value", { value: PRICE - 1n }],
        ["cumulative", { cumulative: PRICE + 1n }],
      ];
      for (const [field, flip] of flips) {
        it(`a receipt whose ${field} was changed after signing (THREATS #6)`, async () => {
          const signature = await signReceipt(payer, receiptOf());
          const tampered = { ...receiptOf(), ...flip };
          const error = await expectValidationError(
            subject.submit(w, tampered, signature),
            REJECT,
            ValidationErrorCode.SIGNER_NOT_AUTHORIZED,
            { payer: tampered.payer },
          );
          expect(getAddress((error.type as { signer: Address }).signer)).to.not.equal(payer.address);
        });
      }

      for (const [name, domain] of [
        ["another chain id", settlementDomain(CHAIN_ID + 1n, SETTLEMENT)],
        ["another Settlement contract", settlementDomain(CHAIN_ID, ACTORS.stranger.address)],
      ] as const) {
        it(`a receipt signed under ${name} (THREATS #8)`, async () => {
          const receipt = receiptOf();
          const signature = await signReceipt(payer, receipt, domain);
          await expectValidationError(
            subject.submit(w, receipt, signature),
            REJECT,
            ValidationErrorCode.SIGNER_NOT_AUTHORIZED,
          );
        });
      }
    });

    describe("judges the receipt against the chain", () => {
      it("rejects a value other than the node's price", async () => {
        const receipt = receiptOf({ value: PRICE - 10n });
        await expectValidationError(submit(receipt), REJECT, ValidationErrorCode.WRONG_PRICE, {
          expected: PRICE,
          found: PRICE - 10n,
        });
      });

      it("rejects a receipt for a version the node has no price for", async () => {
        w.chain.setPrice(ACTORS.node.address, receiptOf().versionId, 0n);
        await expectValidationError(submit(receiptOf()), REJECT, ValidationErrorCode.WRONG_PRICE, { expected: 0n });
      });

      it("rejects a receipt for a rejected version", async () => {
        await expectValidationError(
          submit(receiptOf({ versionId: REJECTED_VERSION })),
          REJECT,
          ValidationErrorCode.VERSION_REJECTED,
          { versionId: REJECTED_VERSION },
        );
      });

      it("ignores a receipt for a version we have not indexed", async () => {
        await expectValidationError(
          submit(receiptOf({ versionId: UNKNOWN_VERSION })),
          IGNORE,
          ValidationErrorCode.VERSION_UNKNOWN,
        );
      });

      it("ignores a receipt for a pending version", async () => {
        await expectValidationError(
          submit(receiptOf({ versionId: PENDING_VERSION })),
          IGNORE,
          ValidationErrorCode.VERSION_PENDING,
        );
      });

      it("rejects a receipt past the escrow cover (THREATS #23)", async () => {
        w.chain.setCoverage(payer.address, ACTORS.node.address, PRICE + PRICE / 2n);
        await submit(receiptOf());
        await expectValidationError(submit(receiptOf({ seq: 2n })), REJECT, ValidationErrorCode.OVER_ESCROW, {
          coverage: PRICE + PRICE / 2n,
          unredeemed: PRICE,
          value: PRICE,
        });
      });

      it("counts the payer's other lanes with the node against the cover (THREATS #23)", async () => {
        w.chain.setCoverage(payer.address, ACTORS.node.address, PRICE);
        await submit(receiptOf({ lane: 1 }));
        await expectValidationError(submit(receiptOf({ lane: 2 })), REJECT, ValidationErrorCode.OVER_ESCROW, {
          unredeemed: PRICE,
        });
      });

      it("rejects a payer with no escrow account", async () => {
        w.chain.setCoverage(payer.address, ACTORS.node.address, 0n);
        await expectValidationError(submit(receiptOf()), REJECT, ValidationErrorCode.OVER_ESCROW, { coverage: 0n });
      });

      it(`accepts up to the cover of ${COVERAGE} and no further`, async () => {
        const fits = COVERAGE / PRICE;
        for (let seq = 1n; seq <= fits; seq++) await submit(receiptOf({ seq }));
        await expectValidationError(submit(receiptOf({ seq: fits + 1n })), REJECT, ValidationErrorCode.OVER_ESCROW);
      });
    });

    describe("keeps each lane continuous", () => {
      it("ignores the same receipt again as a duplicate (THREATS #3)", async () => {
        const receipt = receiptOf();
        const signature = await signReceipt(payer, receipt);
        await subject.submit(w, receipt, signature);
        await expectValidationError(subject.submit(w, receipt, signature), IGNORE, ValidationErrorCode.DUPLICATE, {
          seq: 1n,
          last: 1n,
        });
      });

      it("ignores an older receipt replayed after a newer one (THREATS #3, #4)", async () => {
        const first = receiptOf();
        const signature = await signReceipt(payer, first);
        await subject.submit(w, first, signature);
        await submit(receiptOf({ seq: 2n }));
        await expectValidationError(subject.submit(w, first, signature), IGNORE, ValidationErrorCode.DUPLICATE, {
          seq: 1n,
          last: 2n,
        });
      });

      it("dedupes by digest, not signature bytes: the same receipt from a second signer is a duplicate (THREATS #22)", async () => {
        const receipt = receiptOf();
        const [a, b] = [await signReceipt(signer, receipt), await signReceipt(secondSigner, receipt)];
        expect(a).to.not.equal(b);
        await subject.submit(w, receipt, a);
        await expectValidationError(subject.submit(w, receipt, b), IGNORE, ValidationErrorCode.DUPLICATE, {
          digest: getReceiptDigest(w.domain, receipt),
        });
      });

      it("gives the store a dedupe key of (digest, signer)", async () => {
        const receipt = receiptOf();
        const accepted = await submit(receipt);
        const digest = getReceiptDigest(w.domain, receipt);
        expect(accepted.receiptKeys).to.deep.equal([getReceiptKey(digest, payer.address)]);
      });

      it("ignores a receipt past a gap it cannot judge yet", async () => {
        await expectValidationError(submit(receiptOf({ seq: 3n })), IGNORE, ValidationErrorCode.SEQ_GAP, {
          expected: 1n,
          found: 3n,
        });
      });

      it("ignores a receipt two past the lane's last", async () => {
        await submit(receiptOf());
        await expectValidationError(submit(receiptOf({ seq: 3n })), IGNORE, ValidationErrorCode.SEQ_GAP, {
          expected: 2n,
          found: 3n,
        });
      });

      it("rejects the next seq with a cumulative that does not add its value (THREATS #4)", async () => {
        await submit(receiptOf());
        const older = receiptOf({ seq: 2n, cumulative: PRICE });
        await expectValidationError(submit(older), REJECT, ValidationErrorCode.CUMULATIVE_MISMATCH, {
          seq: 2n,
          expected: 2n * PRICE,
          found: PRICE,
        });
      });

      it("rejects a lane's first receipt whose cumulative is not its value", async () => {
        await expectValidationError(
          submit(receiptOf({ cumulative: 2n * PRICE })),
          REJECT,
          ValidationErrorCode.CUMULATIVE_MISMATCH,
          { expected: PRICE, found: 2n * PRICE },
        );
      });

      it("rejects a second, different receipt for a seen (lane, seq) and returns both as evidence", async () => {
        const first = receiptOf();
        const firstSig = await signReceipt(payer, first);
        await subject.submit(w, first, firstSig);
        const second = receiptOf({ requestHash: `0x${"cd".repeat(32)}` });
        const secondSig = await signReceipt(signer, second);
        const error = await expectValidationError(
          subject.submit(w, second, secondSig),
          REJECT,
          ValidationErrorCode.EQUIVOCATION,
        );
        const { evidence } = error.type as { evidence: { seq: bigint; first: unknown; second: unknown } };
        expect(evidence.seq).to.equal(1n);
        expect(evidence.first).to.deep.include({
          receipt: first,
          signature: firstSig,
          digest: getReceiptDigest(w.domain, first),
          signer: payer.address,
        });
        expect(evidence.second).to.deep.equal({
          receipt: second,
          signature: secondSig,
          digest: getReceiptDigest(w.domain, second),
          signer: signer.address,
        });
      });

      it("rejects an equivocation at an older seq of the lane", async () => {
        await submit(receiptOf());
        await submit(receiptOf({ seq: 2n }));
        await expectValidationError(
          submit(receiptOf({ requestHash: `0x${"cd".repeat(32)}` })),
          REJECT,
          ValidationErrorCode.EQUIVOCATION,
        );
      });

      it("does not take a forged second receipt as evidence: a stranger's is refused as unauthorized", async () => {
        await submit(receiptOf());
        await expectValidationError(
          submit(receiptOf({ requestHash: `0x${"cd".repeat(32)}` }), stranger),
          REJECT,
          ValidationErrorCode.SIGNER_NOT_AUTHORIZED,
        );
      });

      it("ignores an old seq whose receipt the store has pruned", async () => {
        const accepted = await submit(receiptOf());
        await submit(receiptOf({ seq: 2n }));
        await submit(receiptOf({ seq: 3n }));
        w.lanes.prune(accepted.lanes[0]?.laneKey ?? "0x");
        await expectValidationError(
          submit(receiptOf({ requestHash: `0x${"cd".repeat(32)}` })),
          IGNORE,
          ValidationErrorCode.SEQ_STALE,
          { expected: 4n, found: 1n },
        );
      });
    });

    describe("never penalises the sender for our own state", () => {
      it("ignores a valid receipt while our chain view is not synced", async () => {
        w.chain.synced = false;
        await expectValidationError(submit(receiptOf()), IGNORE, ValidationErrorCode.CHAIN_NOT_SYNCED);
      });

      for (const method of ["isSynced", "isAuthorizedSigner", "priceOf", "versionStatus", "escrowCoverage"] as const) {
        it(`ignores when the chain view's ${method} throws`, async () => {
          w.chain.fail.add(method);
          const error = await expectValidationError(
            submit(receiptOf()),
            IGNORE,
            ValidationErrorCode.CHAIN_UNAVAILABLE,
            {
              call: method,
            },
          );
          expect(error.cause).to.be.instanceOf(Error);
        });
      }

      for (const method of ["getLane", "unredeemed"] as const) {
        it(`ignores when the lane store's ${method} throws`, async () => {
          w.lanes.fail.add(method);
          await expectValidationError(submit(receiptOf()), IGNORE, ValidationErrorCode.STORE_UNAVAILABLE, {
            call: method,
          });
        });
      }

      it("ignores when the lane store's getReceiptAt throws on a seen seq", async () => {
        await submit(receiptOf());
        w.lanes.fail.add("getReceiptAt");
        await expectValidationError(submit(receiptOf()), IGNORE, ValidationErrorCode.STORE_UNAVAILABLE, {
          call: "getReceiptAt",
        });
      });

      it("ignores an unexpected exception (a store answering garbage)", async () => {
        w.lanes.getLane = async () => ({ seq: 1 as unknown as bigint, cumulative: 0n, receiptDigest: zeroAddress });
        await expectValidationError(submit(receiptOf()), IGNORE, ValidationErrorCode.INTERNAL_ERROR);
      });
    });
  });
}
