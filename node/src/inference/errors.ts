/** Why a completion failed. */
export enum InferenceErrorCode {
  /** The request itself is wrong (bad messages, maxTokens out of range): the client's fault. */
  BAD_REQUEST = "INFERENCE_ERROR_BAD_REQUEST",
  /** The backend does not serve this model name. */
  UNKNOWN_MODEL = "INFERENCE_ERROR_UNKNOWN_MODEL",
  /** Too many requests are waiting for this backend (bounded queue). */
  QUEUE_FULL = "INFERENCE_ERROR_QUEUE_FULL",
  /** The request took longer than the backend's timeout. */
  TIMEOUT = "INFERENCE_ERROR_TIMEOUT",
  /** The generator process exited (crashed) while the request was pending; it is restarted for the next request. */
  PROCESS_EXITED = "INFERENCE_ERROR_PROCESS_EXITED",
  /** The generator process did not become ready. */
  START_FAILED = "INFERENCE_ERROR_START_FAILED",
  /** The generator or the upstream server failed to answer this request. */
  BACKEND_FAILED = "INFERENCE_ERROR_BACKEND_FAILED",
  /** The upstream answered something that is not a completion. */
  UPSTREAM_INVALID = "INFERENCE_ERROR_UPSTREAM_INVALID",
  /** The request was aborted by its caller. */
  ABORTED = "INFERENCE_ERROR_ABORTED",
  /** The backend was closed. */
  CLOSED = "INFERENCE_ERROR_CLOSED",
}

export type InferenceErrorType =
  | { code: InferenceErrorCode.BAD_REQUEST; model: string; reason: string }
  | { code: InferenceErrorCode.UNKNOWN_MODEL; model: string; served: string[] }
  | { code: InferenceErrorCode.QUEUE_FULL; model: string; maxQueue: number }
  | { code: InferenceErrorCode.TIMEOUT; model: string; timeoutMs: number }
  | { code: InferenceErrorCode.PROCESS_EXITED; model: string; exitCode: number | null; signal: string | null }
  | { code: InferenceErrorCode.START_FAILED; model: string; reason: string }
  | { code: InferenceErrorCode.BACKEND_FAILED; model: string; reason: string; status?: number }
  | { code: InferenceErrorCode.UPSTREAM_INVALID; model: string; reason: string }
  | { code: InferenceErrorCode.ABORTED; model: string }
  | { code: InferenceErrorCode.CLOSED };

/** A failed completion: `type.code` says why, with its context; the message says what was expected and found. */
export class InferenceError extends Error {
  readonly type: InferenceErrorType;

  constructor(type: InferenceErrorType, options?: { cause?: unknown }) {
    super(messageOf(type), options);
    this.name = "InferenceError";
    this.type = type;
  }

  get code(): InferenceErrorCode {
    return this.type.code;
  }
}

function messageOf(type: InferenceErrorType): string {
  switch (type.code) {
    case InferenceErrorCode.BAD_REQUEST:
      return `bad request for model ${type.model}: ${type.reason}`;
    case InferenceErrorCode.UNKNOWN_MODEL:
      return `expected one of the served models (${type.served.join(", ") || "none"}), found ${type.model}`;
    case InferenceErrorCode.QUEUE_FULL:
      return `model ${type.model} has ${type.maxQueue} requests waiting already: try again later`;
    case InferenceErrorCode.TIMEOUT:
      return `model ${type.model} did not answer within ${type.timeoutMs} ms`;
    case InferenceErrorCode.PROCESS_EXITED:
      return `the generator of model ${type.model} exited (code ${type.exitCode}, signal ${type.signal}) while the request was pending; it restarts on the next request`;
    case InferenceErrorCode.START_FAILED:
      return `the generator of model ${type.model} did not start: ${type.reason}`;
    case InferenceErrorCode.BACKEND_FAILED:
      return `model ${type.model} failed${type.status === undefined ? "" : ` (upstream status ${type.status})`}: ${type.reason}`;
    case InferenceErrorCode.UPSTREAM_INVALID:
      return `model ${type.model}: expected an OpenAI completion from the upstream, found ${type.reason}`;
    case InferenceErrorCode.ABORTED:
      return `the request for model ${type.model} was aborted`;
    case InferenceErrorCode.CLOSED:
      return "the inference backend is closed";
  }
}
