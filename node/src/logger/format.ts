/** Level names as pretty lines show them, padded to one width so messages line up. */
const LEVEL_LABELS: Readonly<Record<string, string>> = {
  error: "ERROR",
  warn: "WARN ",
  info: "INFO ",
  debug: "DEBUG",
};

/** Levels whose error entries print the stack (below them the message says enough). */
const STACK_LEVELS = new Set(["error", "debug"]);

/** A bare word prints as is; anything else (spaces, quotes, `=`, commas, empty) as a JSON string. */
const BARE = /^[\w.:/@+-]+$/;

/**
 * Turns one of pino's JSON lines into a readable one:
 * `2025-06-01 12:00:00.123 INFO  [p2p] peer connected peer=12D3KooW…, count=3`, then the error (and, at error and
 * debug levels, its stack) indented below.
 */
export function formatPrettyLine(line: string): string {
  const entry = JSON.parse(line) as {
    time?: string;
    level?: string;
    module?: string;
    msg?: string;
    context?: Record<string, unknown>;
    err?: { name?: string; message?: string; stack?: string; type?: unknown; causes?: string[] };
  };
  const time = (entry.time ?? "").replace("T", " ").replace("Z", "");
  const level = LEVEL_LABELS[entry.level ?? ""] ?? (entry.level ?? "").toUpperCase();
  const parts = [time, level];
  if (entry.module !== undefined) parts.push(`[${entry.module}]`);
  parts.push(entry.msg ?? "");
  let out = parts.join(" ");
  if (entry.context !== undefined && Object.keys(entry.context).length > 0) {
    out += ` ${Object.entries(entry.context)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(", ")}`;
  }
  const err = entry.err;
  if (err !== undefined) {
    const showStack = STACK_LEVELS.has(entry.level ?? "") && err.stack !== undefined;
    out += showStack ? `\n${indent(err.stack ?? "")}` : ` - ${err.name ?? "Error"}: ${err.message ?? ""}`;
    for (const cause of err.causes ?? []) out += `\n  caused by: ${cause}`;
  }
  return `${out}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return BARE.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line.trimStart()}`)
    .join("\n");
}
