export {
  type AuditModules,
  type AuditOutcome,
  Auditor,
  type AuditorModules,
  type AuditorOpts,
  type AuditPoolOptions,
  type AuditReport,
  auditPool,
  encodeRootEvidence,
  MAX_AUDIT_TARGETS,
  MAX_AUDITED_POOLS,
  type OpenedChallenge,
  type RecomputeWeights,
} from "./auditor.js";
export {
  DEFAULT_WITHDRAW_MIN_WEI,
  EpochPoster,
  type EpochPosterModules,
  type EpochPosterOpts,
  MAX_POOLS_PER_TICK,
  type PostedRoot,
  type PostTickResult,
} from "./epochPoster.js";
export { SettleError, SettleErrorCode, type SettleErrorType } from "./errors.js";
export { createSettleMetrics } from "./metrics.js";
export {
  type CoveredEntry,
  computePoolAttribution,
  type DatasetAmount,
  getDatasetAmounts,
  type PoolAttribution,
  type RedemptionWithRecords,
} from "./poolAttribution.js";
export {
  DEFAULT_LOG_CHUNK_BLOCKS,
  DEFAULT_MAX_POOL_RECORDS,
  type GatheredPool,
  gatherPool,
  type OnChainPool,
  type PoolReadModules,
  type PoolReadOptions,
  PoolStatus,
  readPool,
} from "./poolRedemptions.js";
export { type PostedPool, PostedRoots, PostedState } from "./postedRoots.js";
export {
  DEFAULT_MAX_LANES_PER_TX,
  DEFAULT_RETRY_AFTER_MS,
  type LaneRedeemed,
  MAX_FAILED_LANES,
  Redeemer,
  type RedeemerModules,
  type RedeemerOpts,
  type RedeemTickResult,
} from "./redeemer.js";
export {
  DEFAULT_TICK_INTERVAL_MS,
  SettleService,
  type SettleServiceModules,
  type SettleServiceOpts,
  type SettleTickResult,
} from "./service.js";
export { CheckedShares, MAX_CACHED_SHARES } from "./shares.js";
export type {
  SettleContracts,
  SettleCounter,
  SettleLogger,
  SettleMetrics,
  SettleReader,
  TrainingSharesSource,
  TxRequest,
  TxResult,
  TxSender,
} from "./types.js";
