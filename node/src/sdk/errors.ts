import type { Address, Hex } from "viem";
import type { Lane } from "./types.js";

/** A lane as people read it: `payer/node/versionId/lane`. */
export function formatLane(lane: Lane): string {
  return `${lane.payer}/${lane.node}/${lane.versionId}/${lane.lane}`;
}

/**
 * The base of every error the SDK throws, in Lodestar's shape: the code travels with its context in `type`, so the
 * compiler checks both. `code` is `type.code`; `cause` holds the lower-level error when there is one.
 */
export abstract class SdkError<T extends { code: string }> extends Error {
  /** The code and its context. */
  readonly type: T;

  /**
   * @param type the code and its context
   * @param message what was expected and what was found
   * @param options `cause`: the lower-level error
   */
  constructor(type: T, message: string, options?: ErrorOptions) {
    super(message, options);
    this.type = type;
  }

  /** The error's code. */
  get code(): T["code"] {
    return this.type.code;
  }
}

/** Why a lane store refused an operation. */
export enum LaneStoreErrorCode {
  /** The store is closed (or closing): nothing is read or written any more. */
  CLOSED = "LANE_STORE_ERROR_CLOSED",
  /** The database could not be opened (another process holds it, or the path is not a database). */
  OPEN_FAILED = "LANE_STORE_ERROR_OPEN_FAILED",
  /** The database holds data but no lane store schema: it is something else. */
  NOT_A_LANE_STORE = "LANE_STORE_ERROR_NOT_A_LANE_STORE",
  /** The database was written with another schema version. */
  SCHEMA_MISMATCH = "LANE_STORE_ERROR_SCHEMA_MISMATCH",
  /** The database keeps the lanes of another Settlement deployment (chain id or address). */
  DOMAIN_MISMATCH = "LANE_STORE_ERROR_DOMAIN_MISMATCH",
  /** A lane's entry does not decode, or contradicts itself or its key. */
  CORRUPT_ENTRY = "LANE_STORE_ERROR_CORRUPT_ENTRY",
  /** A write would move a lane back, rewrite its seq, or put another lane's state under its key. */
  STALE_WRITE = "LANE_STORE_ERROR_STALE_WRITE",
}

/** The code of a {@link LaneStoreError} with its context. */
export type LaneStoreErrorType =
  | { code: LaneStoreErrorCode.CLOSED }
  | { code: LaneStoreErrorCode.OPEN_FAILED; location: string }
  | { code: LaneStoreErrorCode.NOT_A_LANE_STORE; location: string }
  | { code: LaneStoreErrorCode.SCHEMA_MISMATCH; expected: number; found: string }
  | { code: LaneStoreErrorCode.DOMAIN_MISMATCH; expected: string; found: string }
  | { code: LaneStoreErrorCode.CORRUPT_ENTRY; lane: Lane; key: string; reason: string }
  | { code: LaneStoreErrorCode.STALE_WRITE; lane: Lane; seq: bigint; current: bigint };

/** A lane store that cannot do what was asked. Every entry problem names its lane. */
export class LaneStoreError extends SdkError<LaneStoreErrorType> {
  /** @param type the code and its context */
  constructor(type: LaneStoreErrorType, options?: ErrorOptions) {
    super(type, describeLaneStoreError(type), options);
    this.name = "LaneStoreError";
  }
}

function describeLaneStoreError(type: LaneStoreErrorType): string {
  switch (type.code) {
    case LaneStoreErrorCode.CLOSED:
      return "expected an open lane store, found it closed";
    case LaneStoreErrorCode.OPEN_FAILED:
      return `expected to open the lane store at ${type.location}, found it locked or unreadable`;
    case LaneStoreErrorCode.NOT_A_LANE_STORE:
      return `expected an empty database or a lane store at ${type.location}, found other data`;
    case LaneStoreErrorCode.SCHEMA_MISMATCH:
      return `expected lane store schema ${type.expected}, found ${type.found}`;
    case LaneStoreErrorCode.DOMAIN_MISMATCH:
      return `expected the lanes of Settlement ${type.expected}, found a store of ${type.found}`;
    case LaneStoreErrorCode.CORRUPT_ENTRY:
      return `expected a valid entry for lane ${formatLane(type.lane)} at key ${type.key}, found ${type.reason}`;
    case LaneStoreErrorCode.STALE_WRITE:
      return `expected a state of lane ${formatLane(type.lane)} beyond seq ${type.current}, found seq ${type.seq}`;
  }
}

/** Why the SDK refused to sign in a lane or to resume it. */
export enum LaneErrorCode {
  /** A lane field is out of its Solidity type, or an address is malformed. */
  INVALID_LANE = "LANE_ERROR_INVALID_LANE",
  /** A receipt value must be above 0 and fit uint128. */
  INVALID_VALUE = "LANE_ERROR_INVALID_VALUE",
  /** The lane's seq reached 2^64 − 1: open another lane. */
  SEQ_EXHAUSTED = "LANE_ERROR_SEQ_EXHAUSTED",
  /** The lane's cumulative would pass 2^128 − 1: open another lane. */
  CUMULATIVE_OVERFLOW = "LANE_ERROR_CUMULATIVE_OVERFLOW",
  /** The wallet's signature is not 65 bytes low-s with v ∈ {27, 28} (the cause says which rule it breaks). */
  NON_STRICT_SIGNATURE = "LANE_ERROR_NON_STRICT_SIGNATURE",
  /** The wallet's signature does not recover to the account that was asked to sign. */
  SIGNER_MISMATCH = "LANE_ERROR_SIGNER_MISMATCH",
  /** A node's view is malformed, or its proof is not a receipt of this lane signed by the payer or our signer. */
  INVALID_VIEW = "LANE_ERROR_INVALID_VIEW",
  /** The node claims receipts beyond ours without showing the last one signed: adopting it could make us overpay. */
  UNPROVEN_VIEW = "LANE_ERROR_UNPROVEN_VIEW",
  /** The node's view contradicts ours: two receipts of one lane disagree (equivocation evidence). */
  CONFLICT = "LANE_ERROR_CONFLICT",
}

/** A lane position: seq and cumulative. */
export type LanePosition = { seq: bigint; cumulative: bigint };

/** The code of a {@link LaneError} with its context. */
export type LaneErrorType =
  | { code: LaneErrorCode.INVALID_LANE; lane: Lane; reason: string }
  | { code: LaneErrorCode.INVALID_VALUE; lane: Lane; value: bigint }
  | { code: LaneErrorCode.SEQ_EXHAUSTED; lane: Lane; seq: bigint }
  | { code: LaneErrorCode.CUMULATIVE_OVERFLOW; lane: Lane; cumulative: bigint; value: bigint }
  | { code: LaneErrorCode.NON_STRICT_SIGNATURE; lane: Lane; signature: Hex }
  | { code: LaneErrorCode.SIGNER_MISMATCH; lane: Lane; expected: Address; recovered: Address }
  | { code: LaneErrorCode.INVALID_VIEW; lane: Lane; reason: string }
  | { code: LaneErrorCode.UNPROVEN_VIEW; lane: Lane; ours: LanePosition | undefined; theirs: LanePosition }
  | {
      code: LaneErrorCode.CONFLICT;
      lane: Lane;
      ours: LanePosition;
      theirs: LanePosition;
      /** Whether the node showed a receipt we signed: then the conflict is proven equivocation of our own keys. */
      proven: boolean;
      /** The digest of our last receipt and of the node's, when both are known. */
      digests?: { ours: Hex; theirs: Hex };
    };

/** The SDK refused to sign a receipt in a lane, or to resume a lane from a node's view. Names the lane. */
export class LaneError extends SdkError<LaneErrorType> {
  /** @param type the code and its context */
  constructor(type: LaneErrorType, options?: ErrorOptions) {
    super(type, describeLaneError(type, options?.cause), options);
    this.name = "LaneError";
  }
}

const position = (p: LanePosition | undefined) => (p ? `seq ${p.seq}, cumulative ${p.cumulative}` : "no receipt");

function describeLaneError(type: LaneErrorType, cause: unknown): string {
  const lane = formatLane(type.lane);
  const because = cause instanceof Error ? `: ${cause.message}` : "";
  switch (type.code) {
    case LaneErrorCode.INVALID_LANE:
      return `expected a valid lane, found ${lane}: ${type.reason}`;
    case LaneErrorCode.INVALID_VALUE:
      return `expected a receipt value in [1, 2^128) in lane ${lane}, found ${type.value}`;
    case LaneErrorCode.SEQ_EXHAUSTED:
      return `expected a seq below 2^64 - 1 in lane ${lane}, found ${type.seq}: open another lane`;
    case LaneErrorCode.CUMULATIVE_OVERFLOW:
      return `expected cumulative ${type.cumulative} + value ${type.value} below 2^128 in lane ${lane}: open another lane`;
    case LaneErrorCode.NON_STRICT_SIGNATURE:
      return `expected a 65-byte low-s receipt signature from the wallet in lane ${lane}${because}`;
    case LaneErrorCode.SIGNER_MISMATCH:
      return `expected a receipt signature by ${type.expected} in lane ${lane}, found one by ${type.recovered}`;
    case LaneErrorCode.INVALID_VIEW:
      return `expected a well-formed node view of lane ${lane}, found ${type.reason}`;
    case LaneErrorCode.UNPROVEN_VIEW:
      return `expected the node's last receipt of lane ${lane} with its signature to adopt ${position(type.theirs)} (ours: ${position(type.ours)}), found none`;
    case LaneErrorCode.CONFLICT:
      return `expected the node's view of lane ${lane} (${position(type.theirs)}) to agree with ours (${position(type.ours)}), found a conflict${type.proven ? " proven by our own signature" : ""}`;
  }
}

/** Why an `OLP-Receipt` header value (or a receipt about to become one) was refused. */
export enum ReceiptHeaderErrorCode {
  /** Not base64url without padding: a character outside `A–Z a–z 0–9 - _`. */
  ALPHABET = "RECEIPT_HEADER_ERROR_ALPHABET",
  /** Not exactly 428 characters (321 bytes). */
  LENGTH = "RECEIPT_HEADER_ERROR_LENGTH",
  /** The receipt words are not the canonical `abi.encode` of a receipt (dirty padding). */
  NON_CANONICAL = "RECEIPT_HEADER_ERROR_NON_CANONICAL",
  /** The receipt breaks a rule of DESIGN §4 (the cause says which). */
  INVALID_RECEIPT = "RECEIPT_HEADER_ERROR_INVALID_RECEIPT",
  /** The signature is not 65 bytes low-s with v ∈ {27, 28} (the cause says which). */
  INVALID_SIGNATURE = "RECEIPT_HEADER_ERROR_INVALID_SIGNATURE",
}

/** The code of a {@link ReceiptHeaderError} with its context. */
export type ReceiptHeaderErrorType =
  | { code: ReceiptHeaderErrorCode.ALPHABET; index: number }
  | { code: ReceiptHeaderErrorCode.LENGTH; length: number; expected: number }
  | { code: ReceiptHeaderErrorCode.NON_CANONICAL }
  | { code: ReceiptHeaderErrorCode.INVALID_RECEIPT }
  | { code: ReceiptHeaderErrorCode.INVALID_SIGNATURE };

/** An `OLP-Receipt` header that breaks its format (docs/protocol.md, "Receipt header"). */
export class ReceiptHeaderError extends SdkError<ReceiptHeaderErrorType> {
  /** @param type the code and its context */
  constructor(type: ReceiptHeaderErrorType, options?: ErrorOptions) {
    super(type, describeReceiptHeaderError(type, options?.cause), options);
    this.name = "ReceiptHeaderError";
  }
}

function describeReceiptHeaderError(type: ReceiptHeaderErrorType, cause: unknown): string {
  const because = cause instanceof Error ? `: ${cause.message}` : "";
  switch (type.code) {
    case ReceiptHeaderErrorCode.ALPHABET:
      return `expected base64url without padding, found another character at index ${type.index}`;
    case ReceiptHeaderErrorCode.LENGTH:
      return `expected ${type.expected} base64url characters, found ${type.length}`;
    case ReceiptHeaderErrorCode.NON_CANONICAL:
      return "expected the canonical abi.encode of a receipt, found dirty padding";
    case ReceiptHeaderErrorCode.INVALID_RECEIPT:
      return `expected a valid receipt${because}`;
    case ReceiptHeaderErrorCode.INVALID_SIGNATURE:
      return `expected a 65-byte low-s signature${because}`;
  }
}

/** Why the SDK refused an escrow call before sending it. */
export enum EscrowErrorCode {
  /** An amount must be above 0. */
  ZERO_AMOUNT = "ESCROW_ERROR_ZERO_AMOUNT",
  /** The signer authorization names another payer than the account sending it. */
  PAYER_MISMATCH = "ESCROW_ERROR_PAYER_MISMATCH",
  /** The wallet's signature is not 65 bytes low-s by the account that was asked to sign. */
  BAD_SIGNATURE = "ESCROW_ERROR_BAD_SIGNATURE",
}

/** The code of an {@link EscrowError} with its context. */
export type EscrowErrorType =
  | { code: EscrowErrorCode.ZERO_AMOUNT }
  | { code: EscrowErrorCode.PAYER_MISMATCH; payer: Address; sender: Address }
  | { code: EscrowErrorCode.BAD_SIGNATURE; expected: Address; recovered: Address | undefined };

/** A deposit or signer authorization the escrow would refuse, caught before it costs gas. */
export class EscrowError extends SdkError<EscrowErrorType> {
  /** @param type the code and its context */
  constructor(type: EscrowErrorType, options?: ErrorOptions) {
    super(type, describeEscrowError(type), options);
    this.name = "EscrowError";
  }
}

function describeEscrowError(type: EscrowErrorType): string {
  switch (type.code) {
    case EscrowErrorCode.ZERO_AMOUNT:
      return "expected an amount above 0, found 0";
    case EscrowErrorCode.PAYER_MISMATCH:
      return `expected a signer authorization for the sender ${type.sender}, found one for ${type.payer}`;
    case EscrowErrorCode.BAD_SIGNATURE:
      return `expected a 65-byte low-s signature by ${type.expected}, found ${type.recovered ? `one by ${type.recovered}` : "a malformed one"}`;
  }
}

/** Why {@link callInference}'s answer was refused. */
export enum InferenceCallErrorCode {
  /** The node answered with an error status; `body` says why (a 402 names the receipt rule). */
  HTTP_STATUS = "INFERENCE_CALL_ERROR_HTTP_STATUS",
  /** A 200 without a decodable `OLP-Record` header. */
  NO_RECORD = "INFERENCE_CALL_ERROR_NO_RECORD",
  /** The record does not answer our receipt, or its output hash is not the text we got. */
  RECORD_MISMATCH = "INFERENCE_CALL_ERROR_RECORD_MISMATCH",
  /** The record is not signed by the operator we expected. */
  WRONG_SIGNER = "INFERENCE_CALL_ERROR_WRONG_SIGNER",
}

/** The code of an {@link InferenceCallError} with its context. */
export type InferenceCallErrorType =
  | { code: InferenceCallErrorCode.HTTP_STATUS; status: number; body: string }
  | { code: InferenceCallErrorCode.NO_RECORD }
  | { code: InferenceCallErrorCode.RECORD_MISMATCH; field: "receiptDigest" | "outputHash" }
  | { code: InferenceCallErrorCode.WRONG_SIGNER; expected: Address; recovered: Address };

/** A paid call whose answer cannot be accepted as what was paid for. The receipt was spent either way. */
export class InferenceCallError extends SdkError<InferenceCallErrorType> {
  /** @param type the code and its context */
  constructor(type: InferenceCallErrorType, options?: ErrorOptions) {
    super(type, describeInferenceCallError(type), options);
    this.name = "InferenceCallError";
  }
}

function describeInferenceCallError(type: InferenceCallErrorType): string {
  switch (type.code) {
    case InferenceCallErrorCode.HTTP_STATUS:
      return `the node answered HTTP ${type.status}: ${type.body.slice(0, 300)}`;
    case InferenceCallErrorCode.NO_RECORD:
      return "expected a signed OLP-Record header with the answer, found none";
    case InferenceCallErrorCode.RECORD_MISMATCH:
      return `the signed record's ${type.field} does not match ${type.field === "outputHash" ? "the text received" : "the receipt paid"}`;
    case InferenceCallErrorCode.WRONG_SIGNER:
      return `expected the record signed by operator ${type.expected}, found ${type.recovered}`;
  }
}
