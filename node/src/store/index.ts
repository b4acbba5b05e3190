export { Bucket, getBucketName } from "./buckets.js";
export { type ChainUpdate, DEFAULT_CURSOR_NAME, MAX_CHAIN_UPDATE_ITEMS } from "./chainUpdate.js";
export { type BatchOp, Database, MAX_RANGE_READ } from "./database.js";
export { StoreError, StoreErrorCode, type StoreErrorType } from "./errors.js";
export { checkIntegrity, type IntegrityReport, MAX_INTEGRITY_PROBLEMS } from "./integrity.js";
export { getUnredeemedValue, type RedeemThresholds } from "./laneState.js";
export type { AcceptResult, DigestedEntry, LaneRedemption } from "./laneWriter.js";
export { createStoreMetrics } from "./metrics.js";
export {
  buildOwedTotals,
  MIGRATIONS,
  type MigrateResult,
  type Migration,
  migrate,
  SCHEMA_VERSION,
} from "./migrations.js";
export { AdapterRepository } from "./repositories/adapter.js";
export { ChainCursorRepository, MAX_CURSOR_NAME_BYTES } from "./repositories/chainCursor.js";
export {
  ChallengeBySubjectRepository,
  ChallengeRepository,
  type ChallengeSubjectKey,
} from "./repositories/challenge.js";
export { EpochPoolRepository, type PoolKey } from "./repositories/epochPool.js";
export { EpochRedemptionRepository, type RedemptionKey } from "./repositories/epochRedemption.js";
export { type EquivocationId, EquivocationRepository } from "./repositories/equivocation.js";
export { LaneRepository } from "./repositories/lane.js";
export { type LaneSeq, LaneSeqIndexRepository } from "./repositories/laneSeqIndex.js";
export { MetaKey, MetaRepository, type StoreDomain } from "./repositories/meta.js";
export { type OwedKey, OwedRepository } from "./repositories/owed.js";
export { ReceiptRepository } from "./repositories/receipt.js";
export { RecordRepository, type RecordValue } from "./repositories/record.js";
export { Repository } from "./repositories/repository.js";
export {
  PENDING_RECORD_ID,
  type PendingReceipt,
  type ServedReceipt,
} from "./servedReceipts.js";
export {
  DEFAULT_MAX_PENDING_WRITES,
  MAX_LIST_PAGE,
  MAX_RECORDS_PAGE,
  Store,
  type StoreModules,
  type StoreOpts,
} from "./store.js";
export {
  type AdapterVersion,
  type ChainCursor,
  type Challenge,
  type EpochPool,
  type EpochRedemption,
  type Equivocation,
  EquivocationKind,
  type LaneKey,
  type LaneState,
  type LatestReceipt,
  type StoreCounter,
  type StoredRecord,
  type StoreLogger,
  type StoreMetrics,
  type VersionProof,
} from "./types.js";
