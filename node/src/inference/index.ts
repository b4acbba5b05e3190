export { InferenceError, InferenceErrorCode, type InferenceErrorType } from "./errors.js";
export {
  DEFAULT_UPSTREAM_MAX_IN_FLIGHT,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  OpenAIUpstreamBackend,
  type OpenAIUpstreamBackendModules,
  type OpenAIUpstreamBackendOptions,
} from "./openaiUpstreamBackend.js";
export {
  DEFAULT_TRAINER_MAX_QUEUE,
  DEFAULT_TRAINER_REQUEST_TIMEOUT_MS,
  DEFAULT_TRAINER_START_TIMEOUT_MS,
  TrainerBackend,
  type TrainerBackendModules,
  type TrainerBackendOptions,
  type TrainerModel,
} from "./trainerBackend.js";
export {
  type ChatMessage,
  type Completion,
  type CompletionRequest,
  type FinishReason,
  type InferenceBackend,
  type InferenceLogger,
  MAX_TOKEN_COUNT,
} from "./types.js";
