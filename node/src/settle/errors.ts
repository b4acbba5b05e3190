import type { Address, Hex } from "viem";

/** Why a settle operation failed. */
export enum SettleErrorCode {
  /** A transaction was mined but reverted. */
  TX_REVERTED = "SETTLE_ERROR_TX_REVERTED",
  /** A transaction that should emit an event did not. */
  EVENT_MISSING = "SETTLE_ERROR_EVENT_MISSING",
  /** The training shares handed to settle do not hash to the version's on-chain contributors root. */
  SHARES_MISMATCH = "SETTLE_ERROR_SHARES_MISMATCH",
  /** The redemptions found for a pool do not add up to its on-chain amount. */
  POOL_INCOMPLETE = "SETTLE_ERROR_POOL_INCOMPLETE",
  /** A pool covers more records than settle holds in memory at once. */
  POOL_TOO_LARGE = "SETTLE_ERROR_POOL_TOO_LARGE",
  /** A covered seq's cumulative could not be found (record and chain both silent). */
  CUMULATIVE_UNKNOWN = "SETTLE_ERROR_CUMULATIVE_UNKNOWN",
  /** A stored posted root does not decode or does not match the chain. */
  POSTED_CORRUPT = "SETTLE_ERROR_POSTED_CORRUPT",
  /** An option is outside what settle accepts. */
  INVALID_OPTION = "SETTLE_ERROR_INVALID_OPTION",
  /** The service is closed. */
  CLOSED = "SETTLE_ERROR_CLOSED",
}

/** The code of a {@link SettleError} with its context. */
export type SettleErrorType =
  | { code: SettleErrorCode.TX_REVERTED; label: string; hash: Hex }
  | { code: SettleErrorCode.EVENT_MISSING; label: string; hash: Hex; event: string }
  | { code: SettleErrorCode.SHARES_MISMATCH; versionId: bigint; expected: Hex; found: Hex }
  | {
      code: SettleErrorCode.POOL_INCOMPLETE;
      node: Address;
      versionId: bigint;
      epoch: bigint;
      expected: bigint;
      found: bigint;
    }
  | { code: SettleErrorCode.POOL_TOO_LARGE; node: Address; versionId: bigint; epoch: bigint; max: number }
  | { code: SettleErrorCode.CUMULATIVE_UNKNOWN; laneId: Hex; seq: bigint }
  | { code: SettleErrorCode.POSTED_CORRUPT; file: string; reason: string }
  | { code: SettleErrorCode.INVALID_OPTION; name: string; reason: string }
  | { code: SettleErrorCode.CLOSED };

/**
 * A failure of settle, in Lodestar's shape: the code travels with its context (`err.type`).
 *
 * @example
 * throw new SettleError({ code: SettleErrorCode.TX_REVERTED, label: "redeemMany", hash });
 */
export class SettleError extends Error {
  /** The code and its context. */
  readonly type: SettleErrorType;

  constructor(type: SettleErrorType, options?: ErrorOptions) {
    super(describeSettleError(type), options);
    this.name = "SettleError";
    this.type = type;
  }
}

function describeSettleError(type: SettleErrorType): string {
  switch (type.code) {
    case SettleErrorCode.TX_REVERTED:
      return `expected transaction ${type.label} (${type.hash}) to succeed, found it reverted`;
    case SettleErrorCode.EVENT_MISSING:
      return `expected transaction ${type.label} (${type.hash}) to emit ${type.event}, found none`;
    case SettleErrorCode.SHARES_MISMATCH:
      return `expected training shares of version ${type.versionId} to hash to its contributors root ${type.expected}, found ${type.found}`;
    case SettleErrorCode.POOL_INCOMPLETE:
      return `expected the redemptions of pool (${type.node}, ${type.versionId}, ${type.epoch}) to add up to ${type.expected}, found ${type.found}`;
    case SettleErrorCode.POOL_TOO_LARGE:
      return `expected pool (${type.node}, ${type.versionId}, ${type.epoch}) to cover at most ${type.max} records, found more`;
    case SettleErrorCode.CUMULATIVE_UNKNOWN:
      return `expected the cumulative of lane ${type.laneId} at seq ${type.seq} from a record or a Redeemed event, found neither`;
    case SettleErrorCode.POSTED_CORRUPT:
      return `expected a posted root in ${type.file}, found ${type.reason}`;
    case SettleErrorCode.INVALID_OPTION:
      return `expected option ${type.name} ${type.reason}`;
    case SettleErrorCode.CLOSED:
      return "expected an open settle service, found it closed";
  }
}
