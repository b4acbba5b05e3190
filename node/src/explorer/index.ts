export { createExplorerHandler, type ExplorerHandler, type ExplorerHandlerOpts, encodeJson } from "./handler.js";
export { ExplorerServer, type ExplorerServerOpts } from "./server.js";
export {
  EXPLORER_DEFAULTS,
  ExplorerSource,
  type ExplorerSourceModules,
  type ExplorerSourceOpts,
  MAX_RECORDS_PAGE,
} from "./source.js";
export { type RecordStoreLike, type SpansOf, storeRecordSource } from "./storeRecords.js";
export type {
  AdapterView,
  AttributionRootView,
  AttributionView,
  ChainSnapshot,
  ChallengeSubjectKind,
  ChallengeView,
  ClaimView,
  DatanetView,
  DatasetAttributionView,
  DatasetView,
  DuplicateProofView,
  EpochView,
  ExplorerRecord,
  ExplorerRecordPage,
  ExplorerRecordSource,
  ExplorerSpan,
  PoolView,
  RedemptionView,
  SplitView,
  VersionView,
} from "./types.js";
export { POOL_STATUS, RULING, VERSION_STATUS } from "./types.js";
