import type { Hex } from "viem";

/** Why a store operation failed. */
export enum StoreErrorCode {
  /** The store is closed (or closing); nothing is read or written. */
  CLOSED = "STORE_ERROR_CLOSED",
  /** A stored value does not decode as its bucket's encoding. */
  CORRUPT_VALUE = "STORE_ERROR_CORRUPT_VALUE",
  /** An index entry names a record that is not stored. */
  DANGLING_INDEX = "STORE_ERROR_DANGLING_INDEX",
  /** The database was written by a newer schema than this code knows. */
  SCHEMA_TOO_NEW = "STORE_ERROR_SCHEMA_TOO_NEW",
  /** The database is at a schema version no migration starts from. */
  MIGRATION_MISSING = "STORE_ERROR_MIGRATION_MISSING",
  /** The database belongs to another chain or Settlement contract. */
  DOMAIN_MISMATCH = "STORE_ERROR_DOMAIN_MISMATCH",
  /** The thing asked for is not stored. */
  NOT_FOUND = "STORE_ERROR_NOT_FOUND",
  /** An entry's seq is not the next of its lane. */
  SEQ_GAP = "STORE_ERROR_SEQ_GAP",
  /** An entry's cumulative is not its lane's cumulative plus its value. */
  CUMULATIVE_MISMATCH = "STORE_ERROR_CUMULATIVE_MISMATCH",
  /** An entry's record does not name the digest of its receipt. */
  RECEIPT_MISMATCH = "STORE_ERROR_RECEIPT_MISMATCH",
  /** An entry conflicts with a stored one for the same (lane, seq); the evidence was kept. */
  EQUIVOCATION = "STORE_ERROR_EQUIVOCATION",
  /** Too many writes are waiting; the caller should shed load. */
  QUEUE_FULL = "STORE_ERROR_QUEUE_FULL",
  /** An argument is outside what the operation accepts. */
  INVALID_ARGUMENT = "STORE_ERROR_INVALID_ARGUMENT",
}

/** The code of a {@link StoreError} with its context. */
export type StoreErrorType =
  | { code: StoreErrorCode.CLOSED }
  | { code: StoreErrorCode.CORRUPT_VALUE; bucket: string; key: Hex }
  | { code: StoreErrorCode.DANGLING_INDEX; bucket: string; key: Hex; recordId: Hex }
  | { code: StoreErrorCode.SCHEMA_TOO_NEW; found: number; supported: number }
  | { code: StoreErrorCode.MIGRATION_MISSING; from: number; to: number }
  | { code: StoreErrorCode.DOMAIN_MISMATCH; expected: string; found: string }
  | { code: StoreErrorCode.NOT_FOUND; what: string; key: Hex }
  | { code: StoreErrorCode.SEQ_GAP; laneId: Hex; expected: bigint; found: bigint }
  | { code: StoreErrorCode.CUMULATIVE_MISMATCH; laneId: Hex; seq: bigint; expected: bigint; found: bigint }
  | { code: StoreErrorCode.RECEIPT_MISMATCH; laneId: Hex; seq: bigint; expected: Hex; found: Hex }
  | { code: StoreErrorCode.EQUIVOCATION; laneId: Hex; seq: bigint; kind: string }
  | { code: StoreErrorCode.QUEUE_FULL; pending: number; max: number }
  | { code: StoreErrorCode.INVALID_ARGUMENT; name: string; reason: string };

/**
 * A failure of the store, in Lodestar's shape: the code travels with its context (`err.type`). Our own failures
 * (CLOSED, CORRUPT_VALUE, QUEUE_FULL…) say nothing about a peer, so a gossip validator maps them to IGNORE; the lane
 * rules (SEQ_GAP, CUMULATIVE_MISMATCH, RECEIPT_MISMATCH, EQUIVOCATION) are the sender's.
 *
 * @example
 * throw new StoreError({ code: StoreErrorCode.CORRUPT_VALUE, bucket: "lanes", key });
 */
export class StoreError extends Error {
  /** The code and its context. */
  readonly type: StoreErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one (the decoder's, LevelDB's)
   */
  constructor(type: StoreErrorType, options?: ErrorOptions) {
    super(describeStoreError(type), options);
    this.name = "StoreError";
    this.type = type;
  }
}

/** The message of a {@link StoreError}: what was expected and what was found. */
function describeStoreError(type: StoreErrorType): string {
  switch (type.code) {
    case StoreErrorCode.CLOSED:
      return "expected an open store, found it closed";
    case StoreErrorCode.CORRUPT_VALUE:
      return `expected a value of bucket ${type.bucket} at key ${type.key}, found bytes that do not decode`;
    case StoreErrorCode.DANGLING_INDEX:
      return `expected record ${type.recordId} named by bucket ${type.bucket} at key ${type.key}, found none`;
    case StoreErrorCode.SCHEMA_TOO_NEW:
      return `expected a database at schema version ${type.supported} or older, found version ${type.found}`;
    case StoreErrorCode.MIGRATION_MISSING:
      return `expected a migration from schema version ${type.from} towards ${type.to}, found none`;
    case StoreErrorCode.DOMAIN_MISMATCH:
      return `expected a database of domain ${type.expected}, found one of ${type.found}`;
    case StoreErrorCode.NOT_FOUND:
      return `expected a stored ${type.what} at ${type.key}, found none`;
    case StoreErrorCode.SEQ_GAP:
      return `expected seq ${type.expected} next in lane ${type.laneId}, found ${type.found}`;
    case StoreErrorCode.CUMULATIVE_MISMATCH:
      return `expected cumulative ${type.expected} at seq ${type.seq} of lane ${type.laneId}, found ${type.found}`;
    case StoreErrorCode.RECEIPT_MISMATCH:
      return `expected a record naming receipt digest ${type.expected} at seq ${type.seq} of lane ${type.laneId}, found ${type.found}`;
    case StoreErrorCode.EQUIVOCATION:
      return `expected one ${type.kind} at seq ${type.seq} of lane ${type.laneId}, found two (evidence kept)`;
    case StoreErrorCode.QUEUE_FULL:
      return `expected at most ${type.max} writes waiting, found ${type.pending}`;
    case StoreErrorCode.INVALID_ARGUMENT:
      return `expected ${type.name} ${type.reason}`;
  }
}
