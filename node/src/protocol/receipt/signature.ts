import { type Address, type Hex, hexToBigInt, recoverAddress, size, slice } from "viem";
import { ReceiptError, ReceiptErrorCode } from "./errors.js";
import { getInferenceRecordDigest, getReceiptDigest } from "./hash.js";
import type { InferenceRecord, Receipt, SettlementDomain } from "./types.js";

/** The order n of secp256k1. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The largest `s` a canonical (low-s) signature may have: n/2, rounded down. */
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** A signature's parts, as {@link parseStrictSignature} accepts them. */
export type StrictSignature = { r: Hex; s: Hex; v: 27 | 28 };

/**
 * Parses the only signature form of the protocol (DESIGN §4): 65 bytes `r‖s‖v`, `v` ∈ {27, 28}, `0 < r < n`,
 * `0 < s ≤ n/2`. The 64-byte EIP-2098 form and the high-s twin of a valid signature are refused, as the contracts
 * refuse them (THREATS #22). Throws a {@link ReceiptError}.
 */
export function parseStrictSignature(signature: Hex): StrictSignature {
  const length = size(signature);
  if (length !== 65) throw new ReceiptError({ code: ReceiptErrorCode.SIGNATURE_LENGTH, length });
  const r = slice(signature, 0, 32);
  const s = slice(signature, 32, 64);
  const v = Number(hexToBigInt(slice(signature, 64, 65)));
  if (v !== 27 && v !== 28) throw new ReceiptError({ code: ReceiptErrorCode.SIGNATURE_V, v });
  const rValue = hexToBigInt(r);
  const sValue = hexToBigInt(s);
  if (rValue === 0n || rValue >= SECP256K1_N || sValue === 0n || sValue > SECP256K1_HALF_N) {
    throw new ReceiptError({ code: ReceiptErrorCode.SIGNATURE_S, s });
  }
  return { r, s, v };
}

/** The address that signed `digest`, after {@link parseStrictSignature}'s checks. */
export async function recoverStrictSigner(digest: Hex, signature: Hex): Promise<Address> {
  parseStrictSignature(signature);
  return recoverAddress({ hash: digest, signature });
}

/**
 * Who signed a receipt: the payer or a signer it must have authorized in the escrow. Whether that signer is
 * authorized now is a chain question, answered elsewhere. Throws a {@link ReceiptError} for a malformed signature.
 */
export async function recoverReceiptSigner(
  domain: SettlementDomain,
  receipt: Receipt,
  signature: Hex,
): Promise<Address> {
  return recoverStrictSigner(getReceiptDigest(domain, receipt), signature);
}

/** Who signed an inference record: it must be the operator of the receipt's node. */
export async function recoverInferenceRecordSigner(
  domain: SettlementDomain,
  record: InferenceRecord,
  signature: Hex,
): Promise<Address> {
  return recoverStrictSigner(getInferenceRecordDigest(domain, record), signature);
}
