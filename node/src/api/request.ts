import type { ChatMessage } from "../inference/index.js";

/** Default `max_tokens` when a request gives none. */
export const DEFAULT_MAX_TOKENS = 128;
/** Most `max_tokens` a request may ask (the trainer's own bound). */
export const MAX_MAX_TOKENS = 2048;

/** A completion request as the API understood it, before any receipt is judged. */
export type ParsedRequest = {
  model: string;
  prompt?: string;
  messages?: ChatMessage[];
  maxTokens: number;
  temperature: number;
  seed: number;
};

/** A request the API refuses before payment: OpenAI's `invalid_request_error`, naming the parameter. */
export class InvalidRequestError extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
    this.name = "InvalidRequestError";
  }
}

const ROLES = new Set(["system", "user", "assistant"]);

/** Parses a `/v1/chat/completions` (`chat`) or `/v1/completions` body in OpenAI's shape; throws {@link InvalidRequestError}. */
export function parseCompletionRequest(body: Uint8Array, chat: boolean): ParsedRequest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    throw new InvalidRequestError(
      `expected a JSON body, found one that does not parse (${(err as Error).message})`,
      null,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidRequestError("expected a JSON object as the body", null);
  }
  const o = json as Record<string, unknown>;
  if (typeof o.model !== "string" || o.model === "")
    throw new InvalidRequestError("expected `model`, a string", "model");
  if (o.stream !== undefined && o.stream !== false) {
    throw new InvalidRequestError("streaming is not supported: expected `stream` false or absent", "stream");
  }
  if (o.n !== undefined && o.n !== 1)
    throw new InvalidRequestError("expected `n` 1 or absent (one choice per receipt)", "n");
  const maxTokens = o.max_completion_tokens ?? o.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_MAX_TOKENS) {
    throw new InvalidRequestError(
      `expected \`max_tokens\` an integer in 1..${MAX_MAX_TOKENS}, found ${String(maxTokens)}`,
      "max_tokens",
    );
  }
  const temperature = o.temperature ?? 0;
  if (typeof temperature !== "number" || !(temperature >= 0 && temperature <= 2)) {
    throw new InvalidRequestError(
      `expected \`temperature\` a number in [0, 2], found ${String(temperature)}`,
      "temperature",
    );
  }
  const seed = o.seed ?? 0;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidRequestError(`expected \`seed\` a non-negative integer, found ${String(seed)}`, "seed");
  }
  const base = { model: o.model, maxTokens, temperature, seed };
  if (chat) return { ...base, messages: parseMessages(o.messages) };
  const prompt = Array.isArray(o.prompt) && o.prompt.length === 1 ? o.prompt[0] : o.prompt;
  if (typeof prompt !== "string") throw new InvalidRequestError("expected `prompt`, a string", "prompt");
  return { ...base, prompt };
}

function parseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidRequestError("expected `messages`, a non-empty array", "messages");
  }
  return value.map((m, i) => {
    const role = (m as { role?: unknown } | null)?.role;
    const content = (m as { content?: unknown } | null)?.content;
    if (typeof role !== "string" || !ROLES.has(role)) {
      throw new InvalidRequestError(
        `expected messages[${i}].role system, user or assistant, found ${String(role)}`,
        "messages",
      );
    }
    if (typeof content !== "string") {
      throw new InvalidRequestError(`expected messages[${i}].content, a string`, "messages");
    }
    return { role: role as ChatMessage["role"], content };
  });
}
