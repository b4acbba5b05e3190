import type { Abi, Address, Hex, PublicClient, TransactionReceipt } from "viem";
import type { ContributorShare } from "../protocol/index.js";

/** What settle logs through, in Lodestar's `(msg, ctx, err)` shape; the node's `Logger` fits. */
export type SettleLogger = {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
};

/** One transaction to send: a contract call, with a short label for logs and metrics. */
export type TxRequest = {
  /** What the transaction does, for logs and metrics: `redeemMany`, `postAttributionRoot`, … */
  label: string;
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  value?: bigint;
};

/** A mined transaction. */
export type TxResult = { hash: Hex; receipt: TransactionReceipt };

/**
 * Sends transactions from one account (the node's operator key) and waits for them to be mined. The chain module
 * builds the real one (nonces, fee bumping, retries); settle codes against this shape only. It resolves with the
 * receipt of a mined transaction whatever its status: callers check `receipt.status`.
 */
export type TxSender = { send(request: TxRequest): Promise<TxResult> };

/** The protocol's contract addresses (as `Deployment.contracts` holds them). */
export type SettleContracts = {
  openToken: Address;
  nodeRegistry: Address;
  adapterRegistry: Address;
  arbiter: Address;
  paymentEscrow: Address;
  settlement: Address;
};

/**
 * Where a version's training shares come from (DESIGN §7: the leaves of its contributors root). The chain holds only
 * the root, so the node reads them from the version's proof artifacts; settle checks them against the on-chain
 * `contributorsRoot` before using them.
 */
export type TrainingSharesSource = {
  getTrainingShares(versionId: bigint): Promise<readonly ContributorShare[]>;
};

/** A counter as settle uses it; a prom-client or metrics-module `Counter` without labels fits. */
export type SettleCounter = { inc(value?: number): void };

/** Settle's counters (see `createSettleMetrics`); every one optional to pass. */
export type SettleMetrics = {
  /** Lanes redeemed on-chain by our transactions. */
  lanesRedeemed: SettleCounter;
  /** Lanes found already redeemed on-chain (after a crash) and marked without a transaction. */
  lanesAlreadyRedeemed: SettleCounter;
  /** Redemption transactions that failed. */
  redeemFailures: SettleCounter;
  /** Attribution roots posted. */
  rootsPosted: SettleCounter;
  /** Root bonds released. */
  bondsReleased: SettleCounter;
  /** Withdrawals of credits. */
  withdrawals: SettleCounter;
  /** Pools audited. */
  poolsAudited: SettleCounter;
  /** Audits that found a root other than the recomputed one. */
  auditMismatches: SettleCounter;
  /** Challenges opened by the auditor. */
  challengesOpened: SettleCounter;
};

/** The viem client settle reads the chain with. */
export type SettleReader = PublicClient;
