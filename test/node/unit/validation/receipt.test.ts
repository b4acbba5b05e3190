import { expect } from "chai";
import {
  getLaneId,
  getReceiptDigest,
  getReceiptKey,
  hashRequestBody,
  type Receipt,
} from "../../../../node/src/protocol/index.js";
import {
  GossipAction,
  httpStatusOf,
  type ValidateReceiptOptions,
  ValidationErrorCode,
  validateReceipt,
} from "../../../../node/src/validation/index.js";
import { shouldBehaveLikeReceiptValidator } from "./shouldBehaveLikeReceiptValidator.js";
import {
  ACTORS,
  bodyOf,
  expectValidationError,
  httpSubject,
  newWorld,
  PRICE,
  receiptOf,
  signReceipt,
  VERSION,
  type World,
} from "./world.js";

const { payer, node, otherNode, unregistered } = ACTORS;
const { REJECT } = GossipAction;

shouldBehaveLikeReceiptValidator(httpSubject);

describe("validateReceipt (HTTP path)", () => {
  let w: World;
  beforeEach(() => {
    w = newWorld();
  });

  /** What node A's HTTP layer passes for a request whose body is that of `receipt`'s seq. */
  const optsFor = (receipt: Receipt, overrides: Partial<ValidateReceiptOptions> = {}): ValidateReceiptOptions => ({
    node: node.address,
    versionId: VERSION,
    requestHash: hashRequestBody(bodyOf(receipt.seq, receipt.lane)),
    ...overrides,
  });

  it("returns the receipt, its digest, signer, dedupe key and the lane update to persist", async () => {
    const receipt = receiptOf();
    const signature = await signReceipt(payer, receipt);
    const accepted = await validateReceipt(receipt, signature, w.ctx, optsFor(receipt));
    const digest = getReceiptDigest(w.domain, receipt);
    expect(accepted).to.deep.equal({
      receipt,
      signature,
      digest,
      signer: payer.address,
      receiptKey: getReceiptKey(digest, payer.address),
      lane: {
        laneKey: getLaneId(payer.address, node.address, VERSION, 0),
        payer: payer.address,
        node: node.address,
        versionId: VERSION,
        lane: 0,
        previous: undefined,
        next: { seq: 1n, cumulative: PRICE, receiptDigest: digest },
      },
    });
  });

  it("rejects a receipt for node B sent to node A with 402 (THREATS #2)", async () => {
    const receipt = receiptOf({ node: otherNode.address });
    const error = await expectValidationError(
      validateReceipt(receipt, await signReceipt(payer, receipt), w.ctx, optsFor(receipt)),
      REJECT,
      ValidationErrorCode.WRONG_NODE,
      { expected: node.address, found: otherNode.address },
    );
    expect(httpStatusOf(error)).to.equal(402);
  });

  it("rejects a receipt naming an address the payer controls as node (THREATS #1)", async () => {
    const receipt = receiptOf({ node: unregistered.address });
    await expectValidationError(
      validateReceipt(receipt, await signReceipt(payer, receipt), w.ctx, optsFor(receipt)),
      REJECT,
      ValidationErrorCode.WRONG_NODE,
      { found: unregistered.address },
    );
  });

  it("rejects a receipt for another version than the request's model", async () => {
    const receipt = receiptOf();
    await expectValidationError(
      validateReceipt(receipt, await signReceipt(payer, receipt), w.ctx, optsFor(receipt, { versionId: VERSION + 1n })),
      REJECT,
      ValidationErrorCode.WRONG_VERSION,
      { expected: VERSION + 1n, found: VERSION },
    );
  });

  it("rejects a receipt whose requestHash is not the hash of the body received", async () => {
    const receipt = receiptOf();
    const received = hashRequestBody(new TextEncoder().encode("another body"));
    await expectValidationError(
      validateReceipt(receipt, await signReceipt(payer, receipt), w.ctx, optsFor(receipt, { requestHash: received })),
      REJECT,
      ValidationErrorCode.REQUEST_HASH_MISMATCH,
      { expected: received, found: receipt.requestHash },
    );
  });

  it("accepts a requestHash in any letter case", async () => {
    const receipt = receiptOf();
    const opts = optsFor(receipt, {
      requestHash: receipt.requestHash.toUpperCase().replace("0X", "0x") as `0x${string}`,
    });
    await validateReceipt(receipt, await signReceipt(payer, receipt), w.ctx, opts);
  });

  it("judges two concurrent receipts of one lane against the same previous state, for the store's compare-and-set", async () => {
    const a = receiptOf();
    const b = receiptOf({ requestHash: `0x${"ee".repeat(32)}` });
    const [sigA, sigB] = [await signReceipt(payer, a), await signReceipt(payer, b)];
    const [first, second] = await Promise.all([
      validateReceipt(a, sigA, w.ctx, optsFor(a)),
      validateReceipt(b, sigB, w.ctx, optsFor(b, { requestHash: b.requestHash })),
    ]);
    expect(first.lane.previous).to.equal(undefined);
    expect(second.lane.previous).to.equal(undefined);
    // The first lands; the store's compare-and-set refuses the second, which, judged again, is equivocation.
    w.lanes.apply([first.lane], [first]);
    await expectValidationError(
      validateReceipt(b, sigB, w.ctx, optsFor(b, { requestHash: b.requestHash })),
      REJECT,
      ValidationErrorCode.EQUIVOCATION,
    );
  });
});
