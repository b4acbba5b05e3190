import { concat, encodeAbiParameters, hexToBytes } from "viem";
import { receiptAbiComponents } from "../protocol/index.js";
import { encodeBase64url } from "./base64url.js";
import { checkSignedReceipt } from "./checkSignedReceipt.js";
import type { SignedReceipt } from "./types.js";

/** The request header that carries a receipt and its signature (docs/protocol.md, "Receipt header"). */
export const RECEIPT_HEADER = "OLP-Receipt";

/** Bytes under the base64url: `abi.encode(Receipt)` (8 words) then the 65-byte signature. */
export const RECEIPT_HEADER_BYTES = 8 * 32 + 65;

/** Characters of the header value: 321 bytes are exactly 428 base64url characters, no padding. */
export const RECEIPT_HEADER_LENGTH = (RECEIPT_HEADER_BYTES / 3) * 4;

/** The receipt as one ABI parameter: a static tuple, so `abi.encode` is its 8 words and nothing else. */
export const receiptHeaderParameters = [{ type: "tuple", components: receiptAbiComponents }] as const;

/** The parameters of {@link encodeReceiptHeader}: a receipt and its signature. */
export type EncodeReceiptHeaderParameters = SignedReceipt;

/** The `OLP-Receipt` header value. */
export type EncodeReceiptHeaderReturnType = string;

/**
 * Encodes the `OLP-Receipt` header value: `base64url(abi.encode(receipt) ‖ r ‖ s ‖ v)`, 428 characters. Refuses (with
 * a `ReceiptHeaderError`) a receipt or signature the node would refuse, so a bad header never leaves the dapp.
 *
 * @example
 * fetch(url, { method: "POST", body, headers: { [RECEIPT_HEADER]: encodeReceiptHeader({ receipt, signature }) } });
 */
export function encodeReceiptHeader(parameters: EncodeReceiptHeaderParameters): EncodeReceiptHeaderReturnType {
  checkSignedReceipt(parameters);
  const { receipt, signature } = parameters;
  return encodeBase64url(hexToBytes(concat([encodeAbiParameters(receiptHeaderParameters, [receipt]), signature])));
}
