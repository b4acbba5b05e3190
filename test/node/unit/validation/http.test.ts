import { expect } from "chai";
import { getLaneId } from "../../../../node/src/protocol/index.js";
import {
  GossipAction,
  httpErrorBodyOf,
  httpStatusOf,
  ValidationError,
  ValidationErrorCode,
  validateReceipt,
} from "../../../../node/src/validation/index.js";
import { ACTORS, httpSubject, newWorld, PRICE, receiptOf, signReceipt, VERSION, type World } from "./world.js";

const { payer, node } = ACTORS;

/** The error validateReceipt throws at node A for a receipt of `payer` with `overrides`. */
async function errorOf(w: World, overrides = {}): Promise<ValidationError> {
  const receipt = receiptOf(overrides);
  const signature = await signReceipt(payer, receipt);
  const opts = { node: node.address, versionId: receipt.versionId, requestHash: receipt.requestHash };
  try {
    await validateReceipt(receipt, signature, w.ctx, opts);
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("expected a ValidationError");
}

describe("HTTP errors of validation", () => {
  let w: World;
  beforeEach(() => {
    w = newWorld();
  });

  const lane = {
    id: getLaneId(payer.address, node.address, VERSION, 0),
    payer: payer.address,
    node: node.address,
    versionId: `${VERSION}`,
    lane: 0,
  };

  it("a wrong price is 402 with the price expected and the value found, as decimal strings", async () => {
    const error = await errorOf(w, { value: PRICE - 10n });
    expect(httpStatusOf(error)).to.equal(402);
    expect(httpErrorBodyOf(error)).to.deep.equal({
      error: {
        code: ValidationErrorCode.WRONG_PRICE,
        message: `expected value ${PRICE} (node ${node.address}'s price for version ${VERSION}), found ${PRICE - 10n}`,
        expected: `${PRICE}`,
        found: `${PRICE - 10n}`,
      },
    });
  });

  it("a gap is 409 with the lane and the seq the node expects next, so a client can resume", async () => {
    const error = await errorOf(w, { seq: 3n });
    expect(httpStatusOf(error)).to.equal(409);
    expect(httpErrorBodyOf(error).error).to.deep.include({ lane, expected: "1", found: "3" });
  });

  it("a replay is 409 with the seq expected next", async () => {
    const receipt = receiptOf();
    await httpSubject.submit(w, receipt, await signReceipt(payer, receipt));
    const error = await errorOf(w);
    expect(httpStatusOf(error)).to.equal(409);
    expect(httpErrorBodyOf(error).error).to.deep.include({ lane, expected: "2", found: "1" });
  });

  it("a cumulative mismatch is 409 with the cumulative expected", async () => {
    const error = await errorOf(w, { cumulative: 2n * PRICE });
    expect(httpErrorBodyOf(error).error).to.deep.include({ lane, expected: `${PRICE}`, found: `${2n * PRICE}` });
  });

  it("over escrow is 402 with the most value the cover still takes", async () => {
    w.chain.setCoverage(payer.address, node.address, PRICE + 30n);
    const receipt = receiptOf();
    await httpSubject.submit(w, receipt, await signReceipt(payer, receipt));
    const error = await errorOf(w, { seq: 2n });
    expect(httpStatusOf(error)).to.equal(402);
    expect(httpErrorBodyOf(error).error).to.deep.include({ expected: "30", found: `${PRICE}` });
  });

  it("over escrow names 0 as the room when the cover fell below what is unredeemed", async () => {
    const receipt = receiptOf();
    await httpSubject.submit(w, receipt, await signReceipt(payer, receipt));
    w.chain.setCoverage(payer.address, node.address, PRICE / 2n);
    const error = await errorOf(w, { seq: 2n });
    expect(httpErrorBodyOf(error).error).to.deep.include({ expected: "0" });
  });

  it("an unauthorized signer is 402 naming the payer expected and the signer found", async () => {
    const receipt = receiptOf();
    const signature = await signReceipt(ACTORS.stranger, receipt);
    const opts = { node: node.address, versionId: VERSION, requestHash: receipt.requestHash };
    const error = await validateReceipt(receipt, signature, w.ctx, opts).catch((err: ValidationError) => err);
    expect(httpStatusOf(error)).to.equal(402);
    expect(httpErrorBodyOf(error).error).to.deep.include({ expected: payer.address, found: ACTORS.stranger.address });
  });

  it("our chain view behind is 503", async () => {
    w.chain.synced = false;
    expect(httpStatusOf(await errorOf(w))).to.equal(503);
  });

  it("a missing receipt header is 402 with no lane or values", () => {
    const error = new ValidationError(GossipAction.REJECT, { code: ValidationErrorCode.RECEIPT_MISSING });
    expect(httpStatusOf(error)).to.equal(402);
    expect(httpErrorBodyOf(error)).to.deep.equal({
      error: {
        code: ValidationErrorCode.RECEIPT_MISSING,
        message: "expected a signed receipt with the request, found none",
      },
    });
  });

  it("anything else is 500 and keeps its details out of the body", () => {
    const error = new Error("database password is hunter2");
    expect(httpStatusOf(error)).to.equal(500);
    expect(httpErrorBodyOf(error)).to.deep.equal({
      error: { code: ValidationErrorCode.INTERNAL_ERROR, message: "internal error" },
    });
  });
});
