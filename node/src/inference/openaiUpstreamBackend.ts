import { InferenceError, InferenceErrorCode } from "./errors.js";
import type { Completion, CompletionRequest, InferenceBackend, InferenceLogger } from "./types.js";

/** Default time for one upstream request. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 120_000;
/** Default most requests in flight to the upstream; more fail with QUEUE_FULL. */
export const DEFAULT_UPSTREAM_MAX_IN_FLIGHT = 64;
/** Largest upstream response body read (a completion of a few thousand tokens is far below). */
const MAX_RESPONSE_BYTES = 8 << 20;

export type OpenAIUpstreamBackendOptions = {
  /** The server's base URL up to and without `/v1`, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when given (from a key file or the environment, never a flag). */
  apiKey?: string;
  /** The upstream's model names this node serves (for vLLM: the LoRA adapters' names); default: what it lists. */
  models?: readonly string[];
  timeoutMs?: number;
  maxInFlight?: number;
};

export type OpenAIUpstreamBackendModules = { logger?: InferenceLogger; fetch?: typeof fetch };

/**
 * Inference on an OpenAI-compatible server (vLLM with LoRA adapters, or any other): `model` is the adapter's name
 * there. Chat requests go to `/v1/chat/completions`, prompts to `/v1/completions`, with `max_tokens`, `temperature`
 * and `seed`. Timeouts, refused connections and upstream errors become {@link InferenceError}s: a 4xx of the upstream
 * is BAD_REQUEST (the upstream's message kept), anything else BACKEND_FAILED; a body that is not a completion is
 * UPSTREAM_INVALID.
 */
export class OpenAIUpstreamBackend implements InferenceBackend {
  private readonly controller = new AbortController();
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly opts: OpenAIUpstreamBackendOptions,
    private readonly modules: OpenAIUpstreamBackendModules = {},
  ) {
    const url = new URL(opts.baseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`expected an http(s) base URL for the upstream, found ${url.protocol}`);
    }
  }

  async listModels(): Promise<string[]> {
    if (this.opts.models !== undefined) return [...this.opts.models];
    const body = await this.call("GET", "/v1/models", undefined, "(list)");
    const data = (body as { data?: unknown }).data;
    if (!Array.isArray(data)) {
      throw new InferenceError({ code: InferenceErrorCode.UPSTREAM_INVALID, model: "(list)", reason: "no data array" });
    }
    return data.flatMap((m) => (typeof m?.id === "string" ? [m.id as string] : []));
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    if (this.closed) throw new InferenceError({ code: InferenceErrorCode.CLOSED });
    const model = request.model;
    if (this.opts.models !== undefined && !this.opts.models.includes(model)) {
      throw new InferenceError({ code: InferenceErrorCode.UNKNOWN_MODEL, model, served: [...this.opts.models] });
    }
    const maxInFlight = this.opts.maxInFlight ?? DEFAULT_UPSTREAM_MAX_IN_FLIGHT;
    if (this.inFlight >= maxInFlight) {
      throw new InferenceError({ code: InferenceErrorCode.QUEUE_FULL, model, maxQueue: maxInFlight });
    }
    const chat = request.messages !== undefined;
    const payload = {
      model,
      ...(chat ? { messages: request.messages } : { prompt: request.prompt ?? "" }),
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      seed: request.seed,
      n: 1,
      stream: false,
    };
    this.inFlight++;
    try {
      const body = await this.call("POST", chat ? "/v1/chat/completions" : "/v1/completions", payload, model, request);
      return toCompletion(body, chat, model);
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.controller.abort();
  }

  private async call(
    method: "GET" | "POST",
    path: string,
    payload: unknown,
    model: string,
    request?: CompletionRequest,
  ): Promise<unknown> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signals = [this.controller.signal, timeout];
    if (request?.signal !== undefined) signals.push(request.signal);
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) headers["content-type"] = "application/json";
    if (this.opts.apiKey !== undefined) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let response: Response;
    let text: string;
    try {
      response = await (this.modules.fetch ?? fetch)(new URL(path, this.opts.baseUrl), {
        method,
        headers,
        ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
        signal: AbortSignal.any(signals),
      });
      text = await readBounded(response);
    } catch (cause) {
      if (timeout.aborted) throw new InferenceError({ code: InferenceErrorCode.TIMEOUT, model, timeoutMs }, { cause });
      if (this.controller.signal.aborted) throw new InferenceError({ code: InferenceErrorCode.CLOSED }, { cause });
      if (request?.signal?.aborted) throw new InferenceError({ code: InferenceErrorCode.ABORTED, model }, { cause });
      const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : "";
      throw new InferenceError(
        { code: InferenceErrorCode.BACKEND_FAILED, model, reason: `upstream unreachable: ${reason}` },
        { cause },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const upstream = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
      const reason = typeof upstream === "string" ? upstream : text.slice(0, 200) || response.statusText;
      if (response.status === 404 && /model/i.test(reason)) {
        throw new InferenceError({ code: InferenceErrorCode.UNKNOWN_MODEL, model, served: [] });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw new InferenceError({ code: InferenceErrorCode.BAD_REQUEST, model, reason });
      }
      this.modules.logger?.warn("Upstream failed", { model, status: response.status });
      throw new InferenceError({ code: InferenceErrorCode.BACKEND_FAILED, model, reason, status: response.status });
    }
    if (typeof body !== "object" || body === null) {
      throw new InferenceError({ code: InferenceErrorCode.UPSTREAM_INVALID, model, reason: "a body that is not JSON" });
    }
    return body;
  }
}

async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > MAX_RESPONSE_BYTES) throw new Error(`upstream response of ${length} bytes is over the limit`);
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error(`upstream response over ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function toCompletion(body: unknown, chat: boolean, model: string): Completion {
  const invalid = (reason: string): InferenceError =>
    new InferenceError({ code: InferenceErrorCode.UPSTREAM_INVALID, model, reason });
  const b = body as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
  const choice = Array.isArray(b.choices) ? (b.choices[0] as Record<string, unknown> | undefined) : undefined;
  if (choice === undefined) throw invalid("no choices");
  const text = chat ? (choice.message as { content?: unknown } | undefined)?.content : choice.text;
  if (typeof text !== "string") throw invalid(chat ? "no choices[0].message.content" : "no choices[0].text");
  const promptTokens = b.usage?.prompt_tokens;
  const outputTokens = b.usage?.completion_tokens;
  if (!isCount(promptTokens) || !isCount(outputTokens)) throw invalid("no usage token counts");
  const finish = choice.finish_reason;
  return { text, promptTokens, outputTokens, finishReason: finish === "length" ? "length" : "stop" };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
