export {
  type Attribution,
  type AttributionSpan,
  type Attributor,
  checkAttribution,
  TrainingSharesAttributor,
  type TrainingSharesLookup,
} from "./attributor.js";
export { StoreLaneView } from "./laneView.js";
export { type ApiMetrics, createApiMetrics } from "./metrics.js";
export {
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_MAX_PENDING_ENTRIES,
  RecordBatcher,
  type RecordBatcherModules,
  type RecordBatcherOptions,
  type RecordDropReason,
} from "./recordBatcher.js";
export { DEFAULT_MAX_TOKENS, MAX_MAX_TOKENS } from "./request.js";
export {
  ApiServer,
  type ApiServerModules,
  type ApiServerOptions,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_INFERENCE_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_LANES_IN_FLIGHT,
  DEFAULT_MAX_WAITING_PER_LANE,
  type RecordPublisher,
  type ServedModel,
  type StatusGetters,
} from "./server.js";
export type { ApiLogger } from "./types.js";
