export {
  GossipAction,
  GossipErrorCode,
  type GossipErrorType,
  GossipValidationError,
  P2pError,
  P2pErrorCode,
  type P2pErrorType,
  ReqRespError,
  ReqRespErrorCode,
  type ReqRespErrorType,
} from "./errors.js";
export {
  classifyGossipError,
  type GossipClassification,
  type GossipHandlers,
  type GossipValidatorFn,
  type GossipValidators,
  type PeerIdStr,
} from "./gossipValidation.js";
export { type P2pLogger, silentLogger } from "./logger.js";
export {
  createGossipsubMetricsRegister,
  createP2pMetrics,
  type GossipOutcome,
  type P2pMetrics,
  type ReqRespDirection,
  type ReqRespName,
} from "./metrics.js";
export {
  DHT_PROTOCOL,
  MAX_GOSSIP_RPC_BYTES,
  Network,
  type NetworkHandlers,
  type NetworkModules,
  type PeerScoreStats,
  type PublishResult,
} from "./network.js";
export { defaultNetworkOptions, type NetworkInitOptions, type NetworkOptions } from "./options.js";
export { loadOrCreatePeerKey } from "./peerKey.js";
export { type CheckpointBytes, MAX_ITEMS_PER_RESPONSE, type ReqRespHandlers, type ReqRespOptions } from "./reqResp.js";
export {
  type CheckpointChunk,
  type CheckpointRequest,
  decodeRequest,
  decodeResponseFrame,
  encodeErrorFrame,
  encodeRequest,
  encodeSuccessFrame,
  type Lane,
  MAX_CHECKPOINT_CHUNK_BYTES,
  MAX_CHECKPOINT_CHUNKS_PER_RESPONSE,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_RECORDS_PER_RESPONSE,
  MAX_REQUEST_FRAME_BYTES,
  MAX_RESPONSE_BYTES,
  MAX_RESPONSE_FRAME_BYTES,
  MAX_SAMPLES_PER_RESPONSE,
  REQ_RESP_PROTOCOLS,
  type RecordsRequest,
  type ReqRespItems,
  type ReqRespProtocolName,
  type ReqRespRequests,
  type ResponseFrame,
  ResponseStatus,
  type SampleItem,
  type SamplesRequest,
} from "./reqRespFrames.js";
export {
  GOSSIP_SCORE_THRESHOLDS,
  getGossipScoreParams,
  getTopicScoreParams,
  type PeerScoreTable,
  retainScoresOnReconnect,
  type ScoringOptions,
  TOPIC_SCORE_CAP,
} from "./scoring.js";
export {
  GOSSIP_TOPIC_NAMES,
  GOSSIP_TOPICS,
  type GossipTopic,
  type GossipTopicName,
  getGossipTopicName,
  MAX_GOSSIP_MESSAGE_BYTES,
  TRAINING_TOPIC,
} from "./topics.js";
