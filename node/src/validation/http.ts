import { ValidationError, ValidationErrorCode, type ValidationErrorType } from "./errors.js";

/**
 * The HTTP status of every code, in one place (docs/validation.md has the table). 402: the receipt does not pay for
 * the request; 409: it conflicts with its lane; 503: our own state cannot judge it now; 400: a records-message rule,
 * never met on the HTTP path; 500: a bug of ours.
 */
const HTTP_STATUS: Record<ValidationErrorCode, number> = {
  [ValidationErrorCode.RECEIPT_MISSING]: 402,
  [ValidationErrorCode.RECEIPT_MALFORMED]: 402,
  [ValidationErrorCode.RECEIPT_INVALID]: 402,
  [ValidationErrorCode.SIGNATURE_INVALID]: 402,
  [ValidationErrorCode.SIGNER_NOT_AUTHORIZED]: 402,
  [ValidationErrorCode.WRONG_NODE]: 402,
  [ValidationErrorCode.WRONG_VERSION]: 402,
  [ValidationErrorCode.REQUEST_HASH_MISMATCH]: 402,
  [ValidationErrorCode.WRONG_PRICE]: 402,
  [ValidationErrorCode.OVER_ESCROW]: 402,
  [ValidationErrorCode.VERSION_REJECTED]: 402,
  [ValidationErrorCode.VERSION_UNKNOWN]: 503,
  [ValidationErrorCode.VERSION_PENDING]: 503,
  [ValidationErrorCode.DUPLICATE]: 409,
  [ValidationErrorCode.SEQ_GAP]: 409,
  [ValidationErrorCode.SEQ_STALE]: 409,
  [ValidationErrorCode.CUMULATIVE_MISMATCH]: 409,
  [ValidationErrorCode.EQUIVOCATION]: 409,
  [ValidationErrorCode.MESSAGE_INVALID]: 400,
  [ValidationErrorCode.NODE_NOT_REGISTERED]: 400,
  [ValidationErrorCode.RECORD_INVALID]: 400,
  [ValidationErrorCode.RECORD_SIGNATURE_INVALID]: 400,
  [ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR]: 400,
  [ValidationErrorCode.RECORD_RECEIPT_MISMATCH]: 400,
  [ValidationErrorCode.OUTPUT_HASH_MISMATCH]: 400,
  [ValidationErrorCode.DATASET_NOT_IN_VERSION]: 400,
  [ValidationErrorCode.RECORD_EQUIVOCATION]: 409,
  [ValidationErrorCode.CHAIN_NOT_SYNCED]: 503,
  [ValidationErrorCode.CHAIN_UNAVAILABLE]: 503,
  [ValidationErrorCode.STORE_UNAVAILABLE]: 503,
  [ValidationErrorCode.INTERNAL_ERROR]: 500,
};

/** A lane in an HTTP error body; integers as decimal strings. */
export type HttpErrorLane = { id: string; payer: string; node: string; versionId: string; lane: number };

/** The JSON body of an HTTP error: `{error: {code, message, lane?, expected?, found?}}`, amounts as decimal strings. */
export type HttpErrorBody = {
  error: { code: ValidationErrorCode; message: string; lane?: HttpErrorLane; expected?: string; found?: string };
};

/** The HTTP status for `error`: its code's status for a {@link ValidationError}, 500 for anything else. */
export function httpStatusOf(error: unknown): number {
  return error instanceof ValidationError ? HTTP_STATUS[error.type.code] : 500;
}

/**
 * The JSON body for `error` (docs/validation.md): the code, the message (what was expected and found), and for the
 * codes that have them the lane and the expected and found values, so a client can fix its receipt or resume its lane.
 * Anything but a {@link ValidationError} is an internal error whose details stay in our logs.
 */
export function httpErrorBodyOf(error: unknown): HttpErrorBody {
  if (!(error instanceof ValidationError)) {
    return { error: { code: ValidationErrorCode.INTERNAL_ERROR, message: "internal error" } };
  }
  return { error: { code: error.type.code, message: error.message, ...detailsOf(error.type) } };
}

type Details = { lane?: HttpErrorLane; expected?: string; found?: string };

function detailsOf(type: ValidationErrorType): Details {
  switch (type.code) {
    case ValidationErrorCode.SIGNER_NOT_AUTHORIZED:
      return { expected: type.payer, found: type.signer };
    case ValidationErrorCode.WRONG_NODE:
    case ValidationErrorCode.REQUEST_HASH_MISMATCH:
    case ValidationErrorCode.RECORD_RECEIPT_MISMATCH:
    case ValidationErrorCode.OUTPUT_HASH_MISMATCH:
      return { expected: type.expected, found: type.found };
    case ValidationErrorCode.WRONG_VERSION:
    case ValidationErrorCode.WRONG_PRICE:
      return { expected: `${type.expected}`, found: `${type.found}` };
    case ValidationErrorCode.OVER_ESCROW: {
      const room = type.coverage > type.unredeemed ? type.coverage - type.unredeemed : 0n;
      return { expected: `${room}`, found: `${type.value}` };
    }
    case ValidationErrorCode.SEQ_GAP:
    case ValidationErrorCode.SEQ_STALE:
      return { lane: laneOf(type.lane), expected: `${type.expected}`, found: `${type.found}` };
    case ValidationErrorCode.CUMULATIVE_MISMATCH:
      return { lane: laneOf(type.lane), expected: `${type.expected}`, found: `${type.found}` };
    case ValidationErrorCode.DUPLICATE:
      return { lane: laneOf(type.lane), expected: `${type.last + 1n}`, found: `${type.seq}` };
    case ValidationErrorCode.EQUIVOCATION:
      return { lane: laneOf(type.lane), expected: `${type.last + 1n}`, found: `${type.evidence.seq}` };
    case ValidationErrorCode.RECORD_EQUIVOCATION:
      return { lane: laneOf(type.lane), expected: type.evidence.firstRecordId, found: type.evidence.second.recordId };
    default:
      return {};
  }
}

function laneOf(lane: { id: string; payer: string; node: string; versionId: bigint; lane: number }): HttpErrorLane {
  return { id: lane.id, payer: lane.payer, node: lane.node, versionId: `${lane.versionId}`, lane: lane.lane };
}
