import { type Address, type Hex, isAddress, isAddressEqual, isHex } from "viem";
import { checkReceipt, parseStrictSignature, type Receipt } from "../protocol/index.js";
import { LaneStoreError, LaneStoreErrorCode } from "./errors.js";
import type { Lane, LaneState } from "./types.js";

/** The store key of a lane: `lane/<payer>/<node>/<versionId>/<lane>`, addresses in lower case, numbers in decimal. */
export function laneKey(lane: Lane): string {
  return `lane/${lane.payer.toLowerCase()}/${lane.node.toLowerCase()}/${lane.versionId}/${lane.lane}`;
}

/** A lane's state as stored: JSON, integers above 2^53 as decimal strings (STYLE: JSON carries amounts as strings). */
type StoredLaneState = {
  seq: string;
  cumulative: string;
  receipt: {
    payer: string;
    node: string;
    versionId: string;
    lane: number;
    seq: string;
    requestHash: string;
    value: string;
    cumulative: string;
  };
  signature: string;
};

/** The stored JSON of a lane state. */
export function encodeLaneState(state: LaneState): string {
  const { receipt, signature } = state.last;
  const stored: StoredLaneState = {
    seq: state.seq.toString(),
    cumulative: state.cumulative.toString(),
    receipt: {
      payer: receipt.payer,
      node: receipt.node,
      versionId: receipt.versionId.toString(),
      lane: receipt.lane,
      seq: receipt.seq.toString(),
      requestHash: receipt.requestHash,
      value: receipt.value.toString(),
      cumulative: receipt.cumulative.toString(),
    },
    signature,
  };
  return JSON.stringify(stored);
}

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/**
 * Decodes the stored JSON of `lane`'s state, and refuses (with a {@link LaneStoreError} naming the lane) an entry that
 * does not decode or contradicts itself or its key: a receipt of another lane, a seq or cumulative other than the
 * receipt's, a receipt or signature the protocol refuses. A lane is never continued from a state it cannot trust.
 */
export function decodeLaneState(lane: Lane, key: string, text: string): LaneState {
  const corrupt = (reason: string, cause?: unknown) =>
    new LaneStoreError({ code: LaneStoreErrorCode.CORRUPT_ENTRY, lane, key, reason }, { cause });
  let stored: StoredLaneState;
  try {
    stored = JSON.parse(text) as StoredLaneState;
  } catch (cause) {
    throw corrupt("bytes that are not JSON", cause);
  }
  if (typeof stored !== "object" || stored === null || typeof stored.receipt !== "object" || stored.receipt === null) {
    throw corrupt("JSON without a receipt");
  }
  const integer = (field: string, value: unknown): bigint => {
    if (typeof value !== "string" || !DECIMAL.test(value)) throw corrupt(`${field} that is not a decimal string`);
    return BigInt(value);
  };
  const address = (field: string, value: unknown): Address => {
    if (typeof value !== "string" || !isAddress(value, { strict: false }))
      throw corrupt(`${field} that is not an address`);
    return value;
  };
  const hex = (field: string, value: unknown): Hex => {
    if (typeof value !== "string" || !isHex(value, { strict: true })) throw corrupt(`${field} that is not hex`);
    return value;
  };
  const r = stored.receipt;
  if (typeof r.lane !== "number") throw corrupt("receipt.lane that is not a number");
  const receipt: Receipt = {
    payer: address("receipt.payer", r.payer),
    node: address("receipt.node", r.node),
    versionId: integer("receipt.versionId", r.versionId),
    lane: r.lane,
    seq: integer("receipt.seq", r.seq),
    requestHash: hex("receipt.requestHash", r.requestHash),
    value: integer("receipt.value", r.value),
    cumulative: integer("receipt.cumulative", r.cumulative),
  };
  const signature = hex("signature", stored.signature);
  const seq = integer("seq", stored.seq);
  const cumulative = integer("cumulative", stored.cumulative);
  if (
    !isAddressEqual(receipt.payer, lane.payer) ||
    !isAddressEqual(receipt.node, lane.node) ||
    receipt.versionId !== lane.versionId ||
    receipt.lane !== lane.lane
  ) {
    throw corrupt("a receipt of another lane");
  }
  if (receipt.seq !== seq || receipt.cumulative !== cumulative) {
    throw corrupt(
      `seq ${seq} and cumulative ${cumulative} beside a receipt of ${receipt.seq} and ${receipt.cumulative}`,
    );
  }
  try {
    checkReceipt(receipt);
    parseStrictSignature(signature);
  } catch (cause) {
    throw corrupt(`a receipt or signature the protocol refuses (${(cause as Error).message})`, cause);
  }
  return { lane, seq, cumulative, last: { receipt, signature } };
}
