import { type Address, type Hex, isAddressEqual } from "viem";
import { getReceiptKey, type Receipt } from "../protocol/index.js";
import {
  checkPrice,
  checkSigner,
  checkVersion,
  EscrowGuard,
  recoverSignedReceipt,
  requireSynced,
  sameHex,
} from "./checks.js";
import { DomainDigests } from "./digests.js";
import { GossipAction, ValidationError, ValidationErrorCode } from "./errors.js";
import { LaneTracker } from "./lanes.js";
import { ChainReader, LaneReader } from "./reads.js";
import type { AcceptedReceipt, ValidationContext } from "./types.js";

/** What the HTTP layer knows of the request a receipt pays for. */
export type ValidateReceiptOptions = {
  /** Our node's address: a receipt must name it (THREATS #1, #2). */
  node: Address;
  /** The adapter version the request's `model` resolves to. */
  versionId: bigint;
  /** `hashRequestBody(body)` of the raw body we received, before any content decoding. */
  requestHash: Hex;
};

/**
 * Judges the receipt of a paid request (DESIGN §4) before the node serves it: authentic (strict 65-byte low-s
 * signature by the payer or a signer it authorized, under our chain and Settlement), for us, for the requested version
 * and body, at our price, the next of its lane, and within the payer's escrow cover. Returns what to persist;
 * throws a {@link ValidationError} (map it with `httpStatusOf`). The caller persists `lane` with compare-and-set on
 * `lane.previous`, or serializes requests per lane, so two concurrent requests cannot both take one seq.
 */
export async function validateReceipt(
  receipt: Receipt,
  signature: Hex,
  ctx: ValidationContext,
  opts: ValidateReceiptOptions,
): Promise<AcceptedReceipt> {
  return withInternalErrorsIgnored(async () => {
    const digests = DomainDigests.of(ctx.chain.chainId, ctx.chain.settlement);
    const signed = await recoverSignedReceipt(digests, receipt, signature, {});
    const chain = new ChainReader(ctx.chain);
    const lanesRead = new LaneReader(ctx.lanes);
    await requireSynced(chain);

    const lanes = new LaneTracker(lanesRead);
    const verdict = await lanes.judge(signed, undefined, {});
    // [IGNORE] DESIGN §4: a receipt we already hold is a replay: it pays for nothing new (THREATS #3).
    if (verdict.kind === "duplicate") throw verdict.error;

    await checkSigner(chain, signed, {});
    // [REJECT] DESIGN §3: only receipt.node redeems; a receipt for another node pays us nothing (THREATS #1, #2).
    if (!isAddressEqual(receipt.node, opts.node)) {
      throw new ValidationError(GossipAction.REJECT, {
        code: ValidationErrorCode.WRONG_NODE,
        expected: opts.node,
        found: receipt.node,
      });
    }
    // [REJECT] DESIGN §4: one adapter version per lane; the receipt pays for the version the request asks for.
    if (receipt.versionId !== opts.versionId) {
      throw new ValidationError(GossipAction.REJECT, {
        code: ValidationErrorCode.WRONG_VERSION,
        expected: opts.versionId,
        found: receipt.versionId,
      });
    }
    // [REJECT] DESIGN §4: requestHash = keccak256(raw HTTP request body bytes); the node hashes what it received.
    if (!sameHex(receipt.requestHash, opts.requestHash)) {
      throw new ValidationError(GossipAction.REJECT, {
        code: ValidationErrorCode.REQUEST_HASH_MISMATCH,
        expected: opts.requestHash,
        found: receipt.requestHash,
      });
    }
    if (verdict.kind === "broken") throw verdict.error;
    const notYet = await checkVersion(chain, receipt.versionId, {});
    if (notYet !== undefined) throw notYet;
    await checkPrice(chain, receipt, {});
    if (verdict.kind === "unjudgeable") throw verdict.error;

    await new EscrowGuard(chain, lanesRead).charge(receipt, {});
    lanes.accept(verdict, signed, undefined);
    const [lane] = lanes.updates();
    if (lane === undefined) throw new Error("an accepted receipt advanced no lane");
    return { ...signed, receiptKey: getReceiptKey(signed.digest, signed.signer), lane };
  });
}

/**
 * Runs a validation; an exception that is not a {@link ValidationError} is a failure of ours (THREATS #47:
 * unexpected exception → IGNORE), never the sender's fault.
 */
export async function withInternalErrorsIgnored<T>(validate: () => Promise<T>): Promise<T> {
  try {
    return await validate();
  } catch (cause) {
    if (cause instanceof ValidationError) throw cause;
    // [IGNORE] DESIGN §4: our own failure; honest peers are never penalised for our state.
    throw new ValidationError(GossipAction.IGNORE, { code: ValidationErrorCode.INTERNAL_ERROR }, { cause });
  }
}
