/** One chat message, in OpenAI's shape (the roles the trainer's generator knows). */
export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

/** One completion to compute: a prompt or chat messages, for one served model (an adapter version's backend name). */
export type CompletionRequest = {
  /** The backend's name of the model: a TrainerBackend model name, or the upstream's LoRA adapter name. */
  model: string;
  /** A raw prompt (`/v1/completions`); exactly one of `prompt` and `messages`. */
  prompt?: string;
  /** Chat messages (`/v1/chat/completions`). */
  messages?: readonly ChatMessage[];
  /** Most tokens to generate, ≥ 1. */
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** Sampling seed (temperature > 0), ≥ 0. */
  seed: number;
  /** Aborts the request (the HTTP client went away, the node is closing). */
  signal?: AbortSignal;
};

/** Why generation stopped: an end-of-sequence token, or `maxTokens`. */
export type FinishReason = "stop" | "length";

/** What a backend answers: the first choice's text and the served model's token counts. */
export type Completion = {
  text: string;
  promptTokens: number;
  outputTokens: number;
  finishReason: FinishReason;
};

/**
 * A way to run inference (DESIGN §5 `inference/`): the trainer's own generator for small models, or any
 * OpenAI-compatible server. Two implementations share one behaviour suite (`shouldBehaveLikeInferenceBackend`).
 */
export interface InferenceBackend {
  /** The model names this backend serves. */
  listModels(): Promise<string[]>;
  /** Computes one completion; throws an `InferenceError`. */
  complete(request: CompletionRequest): Promise<Completion>;
  /** Stops serving: pending requests fail with CLOSED, processes and connections end. */
  close(): Promise<void>;
}

/** The minimal logger the module logs through (Lodestar's `(msg, ctx, err)` shape; the logger module's fits). */
export type InferenceLogger = {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
};

/** Largest token count a record carries (`uint32`). */
export const MAX_TOKEN_COUNT = 2 ** 32 - 1;
