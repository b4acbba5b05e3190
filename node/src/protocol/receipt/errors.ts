import type { Hex } from "viem";

/** Why a receipt, record, signature, gossip message or attribution breaks DESIGN §4 or §6. */
export enum ReceiptErrorCode {
  /** A signature is not 65 bytes (64-byte EIP-2098 forms included). */
  SIGNATURE_LENGTH = "RECEIPT_ERROR_SIGNATURE_LENGTH",
  /** A signature's `v` is not 27 or 28. */
  SIGNATURE_V = "RECEIPT_ERROR_SIGNATURE_V",
  /** A signature's `s` is above n/2 (the malleable twin), or `r`/`s` is 0 or not below n. */
  SIGNATURE_S = "RECEIPT_ERROR_SIGNATURE_S",
  /** An integer field is outside its Solidity type. */
  OUT_OF_RANGE = "RECEIPT_ERROR_OUT_OF_RANGE",
  /** A receipt's seq is 0: lanes start at 1. */
  ZERO_SEQ = "RECEIPT_ERROR_ZERO_SEQ",
  /** A receipt's value is 0: prices are > 0. */
  ZERO_VALUE = "RECEIPT_ERROR_ZERO_VALUE",
  /** A receipt's cumulative is below its own value. */
  CUMULATIVE_BELOW_VALUE = "RECEIPT_ERROR_CUMULATIVE_BELOW_VALUE",
  /** A record's dataset ids and weights differ in length, or are empty. */
  RECORD_SHAPE = "RECEIPT_ERROR_RECORD_SHAPE",
  /** A record's dataset ids are not strictly ascending. */
  RECORD_NOT_ASCENDING = "RECEIPT_ERROR_RECORD_NOT_ASCENDING",
  /** A record gives a dataset a weight of 0. */
  RECORD_ZERO_WEIGHT = "RECEIPT_ERROR_RECORD_ZERO_WEIGHT",
  /** A record's weights do not sum to 1,000,000. */
  RECORD_WEIGHT_SUM = "RECEIPT_ERROR_RECORD_WEIGHT_SUM",
  /** A records message holds no entry, or more than 256. */
  BATCH_SIZE = "RECEIPT_ERROR_BATCH_SIZE",
  /** A message is larger than its topic allows. */
  MESSAGE_TOO_LARGE = "RECEIPT_ERROR_MESSAGE_TOO_LARGE",
  /** A message does not decode as its topic's type. */
  MALFORMED_MESSAGE = "RECEIPT_ERROR_MALFORMED_MESSAGE",
  /** A message decodes but is not the canonical `abi.encode` of what it holds (so its id would differ). */
  NON_CANONICAL_MESSAGE = "RECEIPT_ERROR_NON_CANONICAL_MESSAGE",
  /** A records message mixes the entries of two nodes. */
  MIXED_NODES = "RECEIPT_ERROR_MIXED_NODES",
  /** Attribution leaves are not strictly ascending by dataset id, or record ids not strictly ascending. */
  ATTRIBUTION_NOT_ASCENDING = "RECEIPT_ERROR_ATTRIBUTION_NOT_ASCENDING",
  /** An attribution leaf has a zero amount, or a dataset id of 0. */
  ATTRIBUTION_ZERO = "RECEIPT_ERROR_ATTRIBUTION_ZERO",
  /** A division over weights that are empty, sum to 0, or hold a negative. */
  BAD_WEIGHTS = "RECEIPT_ERROR_BAD_WEIGHTS",
  /** A proof was asked for a dataset the tree does not hold. */
  NOT_IN_TREE = "RECEIPT_ERROR_NOT_IN_TREE",
}

/** The code of a {@link ReceiptError} with its context. */
export type ReceiptErrorType =
  | { code: ReceiptErrorCode.SIGNATURE_LENGTH; length: number }
  | { code: ReceiptErrorCode.SIGNATURE_V; v: number }
  | { code: ReceiptErrorCode.SIGNATURE_S; s: Hex }
  | { code: ReceiptErrorCode.OUT_OF_RANGE; field: string; value: bigint; bits: number }
  | { code: ReceiptErrorCode.ZERO_SEQ }
  | { code: ReceiptErrorCode.ZERO_VALUE }
  | { code: ReceiptErrorCode.CUMULATIVE_BELOW_VALUE; value: bigint; cumulative: bigint }
  | { code: ReceiptErrorCode.RECORD_SHAPE; datasetIds: number; weights: number }
  | { code: ReceiptErrorCode.RECORD_NOT_ASCENDING; index: number; datasetId: bigint }
  | { code: ReceiptErrorCode.RECORD_ZERO_WEIGHT; datasetId: bigint }
  | { code: ReceiptErrorCode.RECORD_WEIGHT_SUM; sum: number }
  | { code: ReceiptErrorCode.BATCH_SIZE; count: number; max: number }
  | { code: ReceiptErrorCode.MESSAGE_TOO_LARGE; bytes: number; max: number }
  | { code: ReceiptErrorCode.MALFORMED_MESSAGE; topic: string }
  | { code: ReceiptErrorCode.NON_CANONICAL_MESSAGE; topic: string }
  | { code: ReceiptErrorCode.MIXED_NODES; index: number; expected: Hex; found: Hex }
  | { code: ReceiptErrorCode.ATTRIBUTION_NOT_ASCENDING; field: "leaves" | "recordIds"; index: number }
  | { code: ReceiptErrorCode.ATTRIBUTION_ZERO; index: number }
  | { code: ReceiptErrorCode.BAD_WEIGHTS; reason: string }
  | { code: ReceiptErrorCode.NOT_IN_TREE; datasetId: bigint };

/**
 * A receipt, record, signature, message or attribution that breaks DESIGN §4 or §6, in Lodestar's shape: the code
 * travels with its context (`err.type`). Every code is a broken protocol rule, so a gossip validator maps each one to
 * REJECT; failures of our own (store, chain) are never a `ReceiptError`.
 *
 * @example
 * throw new ReceiptError({ code: ReceiptErrorCode.SIGNATURE_LENGTH, length: 64 });
 */
export class ReceiptError extends Error {
  /** The code and its context. */
  readonly type: ReceiptErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one (the ABI decoder's)
   */
  constructor(type: ReceiptErrorType, options?: ErrorOptions) {
    super(describeReceiptError(type), options);
    this.name = "ReceiptError";
    this.type = type;
  }
}

/** The message of a {@link ReceiptError}: what was expected and what was found. */
function describeReceiptError(type: ReceiptErrorType): string {
  switch (type.code) {
    case ReceiptErrorCode.SIGNATURE_LENGTH:
      return `expected a 65-byte r||s||v signature, found ${type.length} bytes`;
    case ReceiptErrorCode.SIGNATURE_V:
      return `expected a signature v of 27 or 28, found ${type.v}`;
    case ReceiptErrorCode.SIGNATURE_S:
      return `expected a signature with 0 < r, s and s <= n/2, found s = ${type.s}`;
    case ReceiptErrorCode.OUT_OF_RANGE:
      return `expected ${type.field} to fit uint${type.bits}, found ${type.value}`;
    case ReceiptErrorCode.ZERO_SEQ:
      return "expected a receipt seq of at least 1, found 0";
    case ReceiptErrorCode.ZERO_VALUE:
      return "expected a receipt value above 0, found 0";
    case ReceiptErrorCode.CUMULATIVE_BELOW_VALUE:
      return `expected cumulative >= value ${type.value}, found ${type.cumulative}`;
    case ReceiptErrorCode.RECORD_SHAPE:
      return `expected as many weights as dataset ids (at least one), found ${type.datasetIds} ids and ${type.weights} weights`;
    case ReceiptErrorCode.RECORD_NOT_ASCENDING:
      return `expected strictly ascending dataset ids, found ${type.datasetId} at index ${type.index}`;
    case ReceiptErrorCode.RECORD_ZERO_WEIGHT:
      return `expected every weight above 0, found 0 for dataset ${type.datasetId}`;
    case ReceiptErrorCode.RECORD_WEIGHT_SUM:
      return `expected weights summing to 1000000 ppm, found ${type.sum}`;
    case ReceiptErrorCode.BATCH_SIZE:
      return `expected 1 to ${type.max} entries, found ${type.count}`;
    case ReceiptErrorCode.MESSAGE_TOO_LARGE:
      return `expected at most ${type.max} bytes, found ${type.bytes}`;
    case ReceiptErrorCode.MALFORMED_MESSAGE:
      return `expected the abi.encode of a ${type.topic} message, found bytes that do not decode`;
    case ReceiptErrorCode.NON_CANONICAL_MESSAGE:
      return `expected the canonical abi.encode of a ${type.topic} message, found another encoding`;
    case ReceiptErrorCode.MIXED_NODES:
      return `expected every entry for node ${type.expected}, found ${type.found} at index ${type.index}`;
    case ReceiptErrorCode.ATTRIBUTION_NOT_ASCENDING:
      return `expected strictly ascending ${type.field}, found a step down or a repeat at index ${type.index}`;
    case ReceiptErrorCode.ATTRIBUTION_ZERO:
      return `expected a dataset id and an amount above 0, found a zero at leaf ${type.index}`;
    case ReceiptErrorCode.BAD_WEIGHTS:
      return `expected non-negative weights with a positive sum, found ${type.reason}`;
    case ReceiptErrorCode.NOT_IN_TREE:
      return `expected a dataset of the tree, found ${type.datasetId}, which has no leaf`;
  }
}
