import type { Hex } from "viem";
import {
  checkReceipt,
  parseStrictSignature,
  type Receipt,
  ReceiptError,
  recoverStrictSigner,
} from "../protocol/index.js";
import type { DomainDigests } from "./digests.js";
import { type At, GossipAction, ValidationError, ValidationErrorCode, type ValidationErrorType } from "./errors.js";
import type { ChainReader, LaneReader } from "./reads.js";
import { type SignedReceipt, VersionStatus } from "./types.js";

/** `{index}` for an entry of a records message, `{}` for the HTTP path. */
export function at(index: number | undefined): At {
  return index === undefined ? {} : { index };
}

/** Whether two hex strings are the same bytes, whatever their letter case. */
export function sameHex(a: Hex, b: Hex): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Runs a protocol check and turns its {@link ReceiptError} into a REJECT with `code`. */
export function rejectOnReceiptError<T>(
  code:
    | ValidationErrorCode.RECEIPT_INVALID
    | ValidationErrorCode.SIGNATURE_INVALID
    | ValidationErrorCode.RECORD_INVALID
    | ValidationErrorCode.RECORD_SIGNATURE_INVALID,
  where: At,
  check: () => T,
): T {
  try {
    return check();
  } catch (cause) {
    if (!(cause instanceof ReceiptError)) throw cause;
    // The four codes share one context shape; TypeScript does not distribute an object literal over a union of codes.
    const type = { code, reason: cause.type.code, detail: cause.message, ...where } as ValidationErrorType;
    throw new ValidationError(GossipAction.REJECT, type, { cause });
  }
}

/**
 * The context-free rules of a receipt and its signature; returns the receipt's EIP-712 digest under our domain.
 */
export function checkSignedReceipt(digests: DomainDigests, receipt: Receipt, signature: Hex, where: At): Hex {
  // [REJECT] DESIGN §4: integers fit their types, seq ≥ 1, value > 0, cumulative ≥ value.
  rejectOnReceiptError(ValidationErrorCode.RECEIPT_INVALID, where, () => checkReceipt(receipt));
  // [REJECT] DESIGN §4: 65 bytes r‖s‖v, v ∈ {27, 28}, s ≤ n/2; 64-byte and high-s forms are refused (THREATS #22).
  rejectOnReceiptError(ValidationErrorCode.SIGNATURE_INVALID, where, () => parseStrictSignature(signature));
  return digests.receipt(receipt);
}

/**
 * {@link checkSignedReceipt}, then who signed the receipt. The signature is recovered from the digest under our
 * domain, so a receipt of another chain or contract (THREATS #8) or with any field changed (THREATS #6) recovers to a
 * stranger, whom {@link checkSigner} refuses.
 */
export async function recoverSignedReceipt(
  digests: DomainDigests,
  receipt: Receipt,
  signature: Hex,
  where: At,
): Promise<SignedReceipt> {
  const digest = checkSignedReceipt(digests, receipt, signature, where);
  return { receipt, signature, digest, signer: await recoverStrictSigner(digest, signature) };
}

/** Throws IGNORE unless our chain view has caught up: we judge nothing against a stale chain. */
export async function requireSynced(chain: ChainReader): Promise<void> {
  // [IGNORE] DESIGN §4: chain behind, we cannot judge yet.
  if (!(await chain.isSynced())) {
    throw new ValidationError(GossipAction.IGNORE, { code: ValidationErrorCode.CHAIN_NOT_SYNCED });
  }
}

/** Throws REJECT unless the receipt's signer is its payer or a signer the payer authorized and did not revoke. */
export async function checkSigner(chain: ChainReader, signed: SignedReceipt, where: At): Promise<void> {
  const { payer } = signed.receipt;
  // [REJECT] DESIGN §4: signed by the payer or its authorized signer (THREATS #5, #18).
  if (!(await chain.isAuthorizedSigner(payer, signed.signer))) {
    throw new ValidationError(GossipAction.REJECT, {
      code: ValidationErrorCode.SIGNER_NOT_AUTHORIZED,
      payer,
      signer: signed.signer,
      ...where,
    });
  }
}

/**
 * Throws REJECT for a rejected version; returns the IGNORE error for a version we cannot judge yet (unknown to our
 * chain view, or pending), so a batch can still look for a REJECT in its other entries; undefined when active.
 */
export async function checkVersion(
  chain: ChainReader,
  versionId: bigint,
  where: At,
): Promise<ValidationError | undefined> {
  const status = await chain.versionStatus(versionId);
  switch (status) {
    case VersionStatus.ACTIVE:
      return undefined;
    case VersionStatus.UNKNOWN:
      // [IGNORE] DESIGN §4: an unknown version is one we cannot judge yet.
      return new ValidationError(GossipAction.IGNORE, {
        code: ValidationErrorCode.VERSION_UNKNOWN,
        versionId,
        ...where,
      });
    case VersionStatus.PENDING:
      // [IGNORE] DESIGN §3: a pending version may still become active.
      return new ValidationError(GossipAction.IGNORE, {
        code: ValidationErrorCode.VERSION_PENDING,
        versionId,
        ...where,
      });
    case VersionStatus.REJECTED:
      // [REJECT] DESIGN §3: only Active versions can be paid for; a rejected one never again.
      throw new ValidationError(GossipAction.REJECT, {
        code: ValidationErrorCode.VERSION_REJECTED,
        versionId,
        ...where,
      });
  }
}

/** Throws REJECT unless the receipt's value is the node's price for the version at our latest indexed block. */
export async function checkPrice(chain: ChainReader, receipt: Receipt, where: At): Promise<void> {
  const price = await chain.priceOf(receipt.node, receipt.versionId);
  // [REJECT] DESIGN §4: value equals the node's on-chain price for the version at the latest indexed block.
  if (receipt.value !== price) {
    throw new ValidationError(GossipAction.REJECT, {
      code: ValidationErrorCode.WRONG_PRICE,
      node: receipt.node,
      versionId: receipt.versionId,
      expected: price,
      found: receipt.value,
      ...where,
    });
  }
}

/**
 * The node-side escrow guard (THREATS #23): a payer's unredeemed receipts for a node, plus the receipt at hand, must
 * stay within what the payer cannot take back (`escrowCoverage`). Within one message it adds up the entries it has
 * let through, so 256 entries of one payer are judged together.
 */
export class EscrowGuard {
  private readonly owed = new Map<string, { coverage: bigint; unredeemed: bigint }>();

  constructor(
    private readonly chain: ChainReader,
    private readonly lanes: LaneReader,
  ) {}

  /** Throws REJECT when `receipt.value` does not fit; else counts it as owed. */
  async charge(receipt: Receipt, where: At): Promise<void> {
    const { payer, node, value } = receipt;
    const key = `${payer}:${node}`.toLowerCase();
    let account = this.owed.get(key);
    if (account === undefined) {
      const [coverage, unredeemed] = await Promise.all([
        this.chain.escrowCoverage(payer, node),
        this.lanes.unredeemed(payer, node),
      ]);
      account = { coverage, unredeemed };
      this.owed.set(key, account);
    }
    // [REJECT] THREATS #23: unredeemed receipts plus this value stay within escrow balance − thawing.
    if (account.unredeemed + value > account.coverage) {
      throw new ValidationError(GossipAction.REJECT, {
        code: ValidationErrorCode.OVER_ESCROW,
        payer,
        node,
        coverage: account.coverage,
        unredeemed: account.unredeemed,
        value,
        ...where,
      });
    }
    account.unredeemed += value;
  }
}
