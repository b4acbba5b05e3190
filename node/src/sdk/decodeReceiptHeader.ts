import { bytesToHex, decodeAbiParameters, encodeAbiParameters, type Hex } from "viem";
import type { Receipt } from "../protocol/index.js";
import { decodeBase64url } from "./base64url.js";
import { checkSignedReceipt } from "./checkSignedReceipt.js";
import { RECEIPT_HEADER_LENGTH, receiptHeaderParameters } from "./encodeReceiptHeader.js";
import { ReceiptHeaderError, ReceiptHeaderErrorCode } from "./errors.js";
import type { SignedReceipt } from "./types.js";

/** The decoded `OLP-Receipt` header: a receipt that passes DESIGN §4's context-free checks, and a strict signature. */
export type DecodeReceiptHeaderReturnType = SignedReceipt;

/**
 * Decodes an `OLP-Receipt` header value, strictly: base64url without padding, exactly 428 characters, the receipt's
 * words canonical (re-encoding gives the same bytes), the receipt valid without context (`checkReceipt`), the signature
 * 65 bytes low-s with v ∈ {27, 28}. Whether the signer may sign for the payer, and whether the lane continues, are the
 * node's questions. Throws a {@link ReceiptHeaderError}.
 */
export function decodeReceiptHeader(value: string): DecodeReceiptHeaderReturnType {
  const decoded = decodeBase64url(value);
  if (!(decoded instanceof Uint8Array) && decoded.badIndex < value.length) {
    throw new ReceiptHeaderError({ code: ReceiptHeaderErrorCode.ALPHABET, index: decoded.badIndex });
  }
  if (value.length !== RECEIPT_HEADER_LENGTH || !(decoded instanceof Uint8Array)) {
    throw new ReceiptHeaderError({
      code: ReceiptHeaderErrorCode.LENGTH,
      length: value.length,
      expected: RECEIPT_HEADER_LENGTH,
    });
  }
  const words: Hex = bytesToHex(decoded.subarray(0, 256));
  const receipt = decodeCanonicalReceipt(words);
  const signed = { receipt, signature: bytesToHex(decoded.subarray(256)) };
  checkSignedReceipt(signed);
  return signed;
}

/**
 * The receipt in 8 ABI words, refused unless re-encoding it gives the same words: a decoder ignores the padding of
 * addresses and reads small integers whole, so without this one receipt would have many headers.
 */
function decodeCanonicalReceipt(words: Hex): Receipt {
  try {
    const [receipt] = decodeAbiParameters(receiptHeaderParameters, words);
    if (encodeAbiParameters(receiptHeaderParameters, [receipt]) === words) return { ...receipt };
  } catch {
    // An integer wider than its type fails to re-encode: the same non-canonical form.
  }
  throw new ReceiptHeaderError({ code: ReceiptHeaderErrorCode.NON_CANONICAL });
}
