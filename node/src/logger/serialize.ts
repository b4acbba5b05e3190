/** What a redacted value reads in logs. */
export const REDACTED = "[redacted]";

/**
 * Context keys whose values are never logged, at any depth, whatever the value: private keys, passwords, API keys,
 * RPC and upstream URLs (providers put API keys in them) and key file paths.
 */
export const SECRET_KEY_NAME =
  /private.?key|secret|password|passphrase|mnemonic|api.?key|authorization|rpc.?url|upstream.?url|key.?file/i;

/** Bounds, so that logging a large or cyclic value costs little and prints a readable line. */
const MAX_DEPTH = 5;
const MAX_ITEMS = 50;
const MAX_STRING = 2000;
const MAX_BYTES = 256;
const MAX_CAUSES = 3;

/** A value as logs carry it: JSON only. */
export type LogValue = string | number | boolean | null | LogValue[] | { [key: string]: LogValue };

/**
 * Turns a log context into JSON that is safe to write: secrets by key name redacted, bigints as decimal strings
 * (money is bigint), bytes as 0x hex, class instances by their `toJSON` or `toString` (peer ids, multiaddrs),
 * errors serialized, and everything bounded (depth, items, string length).
 */
export function sanitizeContext(context: object): { [key: string]: LogValue } {
  return sanitizeObject(context as Record<string, unknown>, 0);
}

function sanitize(value: unknown, depth: number): LogValue {
  switch (typeof value) {
    case "string":
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…(${value.length} chars)` : value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "undefined":
      return null;
    case "symbol":
    case "function":
      return `[${typeof value}]`;
  }
  if (value === null) return null;
  if (value instanceof Error) return serializeError(value, depth);
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (depth >= MAX_DEPTH) return "[…]";
  if (Array.isArray(value)) return sanitizeArray(value, depth);
  if (value instanceof Map) return sanitizeArray([...value.entries()], depth);
  if (value instanceof Set) return sanitizeArray([...value], depth);
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return sanitizeObject(value as Record<string, unknown>, depth);
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") return sanitize(withJson.toJSON(), depth + 1);
  return sanitize(String(value), depth);
}

function sanitizeObject(object: Record<string, unknown>, depth: number): { [key: string]: LogValue } {
  const out: { [key: string]: LogValue } = {};
  let count = 0;
  for (const [key, value] of Object.entries(object)) {
    if (count++ === MAX_ITEMS) {
      out["…"] = `${Object.keys(object).length - MAX_ITEMS} more keys`;
      break;
    }
    out[key] =
      SECRET_KEY_NAME.test(key) && value !== undefined && value !== null ? REDACTED : sanitize(value, depth + 1);
  }
  return out;
}

function sanitizeArray(array: readonly unknown[], depth: number): LogValue[] {
  const out = array.slice(0, MAX_ITEMS).map((item) => sanitize(item, depth + 1));
  if (array.length > MAX_ITEMS) out.push(`…${array.length - MAX_ITEMS} more`);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.subarray(0, MAX_BYTES)).toString("hex");
  return bytes.length > MAX_BYTES ? `0x${hex}…(${bytes.length} bytes)` : `0x${hex}`;
}

/**
 * An error as logs carry it: name, message, stack, the Lodestar-shaped `type` (code and context) when it has one,
 * and up to three causes.
 */
export function serializeError(error: unknown, depth = 0): { [key: string]: LogValue } {
  if (!(error instanceof Error)) return { name: typeof error, message: sanitizeText(error) };
  const out: { [key: string]: LogValue } = { name: error.name, message: error.message };
  if (error.stack !== undefined) out.stack = error.stack;
  const { type } = error as { type?: unknown };
  if (typeof type === "object" && type !== null) out.type = sanitize(type, depth + 1);
  let cause: unknown = error.cause;
  const causes: LogValue[] = [];
  while (cause !== undefined && causes.length < MAX_CAUSES) {
    causes.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : sanitizeText(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (causes.length > 0) out.causes = causes;
  return out;
}

function sanitizeText(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(sanitize(value, MAX_DEPTH - 1));
  return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}…` : text;
}

/** Secrets shorter than this are not scrubbed: too short to be a real secret, they would mangle unrelated text. */
export const MIN_SECRET_LENGTH = 6;

/**
 * A function that replaces every occurrence of the given secret values in a written line (raw, and as JSON escapes
 * them) by {@link REDACTED}: the last guard, for a secret logged under an innocent key or inside an error message.
 */
export function createScrubber(secrets: readonly string[]): (line: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const form of ordered) out = out.split(form).join(REDACTED);
    return out;
  };
}
