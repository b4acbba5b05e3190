import { isAddressEqual } from "viem";
import { signTypedData } from "viem/actions";
import {
  checkReceipt,
  hashRequestBody,
  parseStrictSignature,
  type Receipt,
  ReceiptError,
  receiptTypes,
  recoverReceiptSigner,
} from "../protocol/index.js";
import { checkLane } from "./checkLane.js";
import { encodeReceiptHeader } from "./encodeReceiptHeader.js";
import { LaneError, LaneErrorCode } from "./errors.js";
import type { LaneStore } from "./laneStore.js";
import type { AccountClient, Lane, SignedReceipt } from "./types.js";

const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_UINT128 = 2n ** 128n - 1n;

/** The parameters of {@link nextReceipt}. */
export type NextReceiptParameters = {
  /** Where the lane's state lives; its domain is the Settlement the receipt is signed for. */
  store: LaneStore;
  /** The lane to pay in; `lane.payer` is the payer (the client's account or the payer that authorized it). */
  lane: Lane;
  /** The HTTP request body, byte for byte as it will be sent (before any content encoding). */
  requestBody: Uint8Array;
  /** The node's price for the version (wei, > 0): what this request adds to the lane's cumulative. */
  value: bigint;
};

/** A receipt, its signature, and the `OLP-Receipt` header value that carries both. */
export type NextReceiptReturnType = SignedReceipt & {
  /** The value of the `OLP-Receipt` request header. */
  header: string;
};

/**
 * Signs the next receipt of a lane (DESIGN §4, pay before): `seq` = last + 1, `cumulative` = last + `value`,
 * `requestHash` = keccak256 of the body as sent, signed with EIP-712 by the client's account under the store's
 * Settlement domain. The lane's new state is written (synced) before the receipt is returned, and calls on one lane
 * run one at a time, so no seq is ever signed twice: a crash before the write loses a receipt nobody saw; after it,
 * the restarted SDK continues at the next seq. Send the request even if it may fail: a failed request still
 * consumes its seq.
 *
 * The signature is checked with the protocol's strict parser (65 bytes, low-s, v ∈ {27, 28}) and must recover to the
 * account, so a wallet that signs something else is caught here, not by the node.
 *
 * Throws a {@link LaneError}, a `LaneStoreError`, or the wallet's error; nothing is written then.
 *
 * @example
 * const body = new TextEncoder().encode(JSON.stringify({ model, messages }));
 * const { header } = await nextReceipt(client, { store, lane, requestBody: body, value: price });
 * await fetch(`${endpoint}/v1/chat/completions`, { method: "POST", body, headers: { [RECEIPT_HEADER]: header } });
 */
export async function nextReceipt(
  client: AccountClient,
  { store, lane: laneParameter, requestBody, value }: NextReceiptParameters,
): Promise<NextReceiptReturnType> {
  const lane = checkLane(laneParameter);
  // [REJECT at the node] DESIGN §4: value is the price, and prices are > 0; it is a uint128.
  if (value < 1n || value > MAX_UINT128) throw new LaneError({ code: LaneErrorCode.INVALID_VALUE, lane, value });
  const requestHash = hashRequestBody(requestBody);
  const { account } = client;
  const state = await store.updateLane(lane, async (current) => {
    const last = current ?? { seq: 0n, cumulative: 0n };
    if (last.seq >= MAX_UINT64) throw new LaneError({ code: LaneErrorCode.SEQ_EXHAUSTED, lane, seq: last.seq });
    if (last.cumulative + value > MAX_UINT128) {
      throw new LaneError({ code: LaneErrorCode.CUMULATIVE_OVERFLOW, lane, cumulative: last.cumulative, value });
    }
    // DESIGN §4: in a lane seq starts at 1 and rises by one; cumulative starts at the first value and rises by each.
    const receipt: Receipt = { ...lane, seq: last.seq + 1n, requestHash, value, cumulative: last.cumulative + value };
    checkReceipt(receipt);
    const signature = await signTypedData(client, {
      account,
      domain: store.domain,
      types: receiptTypes,
      primaryType: "Receipt",
      message: receipt,
    });
    try {
      parseStrictSignature(signature);
    } catch (cause) {
      if (cause instanceof ReceiptError) {
        throw new LaneError({ code: LaneErrorCode.NON_STRICT_SIGNATURE, lane, signature }, { cause });
      }
      throw cause;
    }
    const recovered = await recoverReceiptSigner(store.domain, receipt, signature);
    if (!isAddressEqual(recovered, account.address)) {
      throw new LaneError({ code: LaneErrorCode.SIGNER_MISMATCH, lane, expected: account.address, recovered });
    }
    return { lane, seq: receipt.seq, cumulative: receipt.cumulative, last: { receipt, signature } };
  });
  const { receipt, signature } = state.last;
  return { receipt, signature, header: encodeReceiptHeader({ receipt, signature }) };
}
