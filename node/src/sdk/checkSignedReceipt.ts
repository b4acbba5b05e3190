import { checkReceipt, parseStrictSignature, ReceiptError } from "../protocol/index.js";
import { ReceiptHeaderError, ReceiptHeaderErrorCode } from "./errors.js";
import type { SignedReceipt } from "./types.js";

/**
 * The checks a header's content passes in both directions: the receipt's context-free rules (DESIGN §4) and the
 * strict signature form. Throws a {@link ReceiptHeaderError} whose cause is the protocol's `ReceiptError`.
 */
export function checkSignedReceipt({ receipt, signature }: SignedReceipt): void {
  rethrowAs(ReceiptHeaderErrorCode.INVALID_RECEIPT, () => checkReceipt(receipt));
  rethrowAs(ReceiptHeaderErrorCode.INVALID_SIGNATURE, () => parseStrictSignature(signature));
}

function rethrowAs(
  code: ReceiptHeaderErrorCode.INVALID_RECEIPT | ReceiptHeaderErrorCode.INVALID_SIGNATURE,
  check: () => unknown,
): void {
  try {
    check();
  } catch (cause) {
    if (cause instanceof ReceiptError) throw new ReceiptHeaderError({ code }, { cause });
    throw cause;
  }
}
