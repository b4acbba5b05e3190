import type { Address, Hex } from "viem";

/** What went wrong in the chain module. */
export enum ChainErrorCode {
  /** The RPC serves another chain than the deployment file names. */
  CHAIN_ID_MISMATCH = "CHAIN_ERROR_CHAIN_ID_MISMATCH",
  /** A contract of the deployment has no code on the RPC's chain. */
  NO_CODE = "CHAIN_ERROR_NO_CODE",
  /** A transaction's simulation reverted: it was not sent. */
  TX_REVERTED = "CHAIN_ERROR_TX_REVERTED",
  /** A transaction was mined and reverted (its nonce is spent). */
  TX_FAILED = "CHAIN_ERROR_TX_FAILED",
  /** The RPC did not answer after every retry. */
  RPC_UNAVAILABLE = "CHAIN_ERROR_RPC_UNAVAILABLE",
  /** A transaction was not mined after every replacement. */
  TX_NOT_MINED = "CHAIN_ERROR_TX_NOT_MINED",
  /** The transaction's nonce was spent by a transaction that is not ours. */
  NONCE_TAKEN = "CHAIN_ERROR_NONCE_TAKEN",
  /** Too many requests wait to be sent. */
  QUEUE_FULL = "CHAIN_ERROR_QUEUE_FULL",
  /** The service is closed. */
  CLOSED = "CHAIN_ERROR_CLOSED",
  /** A reorg deeper than the indexer remembers and than `maxReorgDepth`. */
  REORG_TOO_DEEP = "CHAIN_ERROR_REORG_TOO_DEEP",
  /** A bad argument, named. */
  INVALID_ARGUMENT = "CHAIN_ERROR_INVALID_ARGUMENT",
}

/** The code of a {@link ChainError} with its context. */
export type ChainErrorType =
  | { code: ChainErrorCode.CHAIN_ID_MISMATCH; expected: number; found: number }
  | { code: ChainErrorCode.NO_CODE; contract: string; address: Address; chainId: number }
  | { code: ChainErrorCode.TX_REVERTED; label: string; errorName: string; args: readonly unknown[]; reason: string }
  | { code: ChainErrorCode.TX_FAILED; label: string; hash: Hex }
  | { code: ChainErrorCode.RPC_UNAVAILABLE; call: string; attempts: number }
  | { code: ChainErrorCode.TX_NOT_MINED; label: string; nonce: number; hashes: readonly Hex[] }
  | { code: ChainErrorCode.NONCE_TAKEN; label: string; nonce: number; hashes: readonly Hex[] }
  | { code: ChainErrorCode.QUEUE_FULL; pending: number; max: number }
  | { code: ChainErrorCode.CLOSED }
  | { code: ChainErrorCode.REORG_TOO_DEEP; blockNumber: bigint; depth: number }
  | { code: ChainErrorCode.INVALID_ARGUMENT; name: string; reason: string };

/**
 * A failure of the chain module, in Lodestar's shape: the code travels with its context (`err.type`), the message
 * says what was expected and what was found, and `cause` holds viem's error when there is one.
 */
export class ChainError extends Error {
  /** The code and its context. */
  readonly type: ChainErrorType;

  constructor(type: ChainErrorType, options?: ErrorOptions) {
    super(describeChainError(type), options);
    this.name = "ChainError";
    this.type = type;
  }
}

function describeChainError(type: ChainErrorType): string {
  switch (type.code) {
    case ChainErrorCode.CHAIN_ID_MISMATCH:
      return `expected an RPC of chain ${type.expected} (the deployment file's), found chain ${type.found}`;
    case ChainErrorCode.NO_CODE:
      return `expected contract ${type.contract} at ${type.address} on chain ${type.chainId}, found no code there`;
    case ChainErrorCode.TX_REVERTED:
      return `${type.label}: the simulation reverted with ${type.errorName}(${type.args.map(formatArg).join(", ")}); not sent${type.reason === "" ? "" : ` (${type.reason})`}`;
    case ChainErrorCode.TX_FAILED:
      return `${type.label}: expected transaction ${type.hash} to succeed, found it mined and reverted`;
    case ChainErrorCode.RPC_UNAVAILABLE:
      return `expected the RPC to answer ${type.call}, found it unreachable after ${type.attempts} attempts`;
    case ChainErrorCode.TX_NOT_MINED:
      return `${type.label}: expected nonce ${type.nonce} mined, found none of ${type.hashes.length} transactions mined`;
    case ChainErrorCode.NONCE_TAKEN:
      return `${type.label}: expected nonce ${type.nonce} spent by one of ours (${type.hashes.join(", ")}), found another transaction`;
    case ChainErrorCode.QUEUE_FULL:
      return `expected at most ${type.max} transactions waiting, found ${type.pending}`;
    case ChainErrorCode.CLOSED:
      return "expected an open service, found it closed";
    case ChainErrorCode.REORG_TOO_DEEP:
      return `expected a reorg at most ${type.depth} blocks deep, found block ${type.blockNumber}'s fork point beyond it`;
    case ChainErrorCode.INVALID_ARGUMENT:
      return `expected ${type.name} ${type.reason}`;
  }
}

function formatArg(arg: unknown): string {
  if (typeof arg === "bigint") return arg.toString();
  if (typeof arg === "string") return arg;
  try {
    return JSON.stringify(arg, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return String(arg);
  }
}
