import { pino } from "pino";
import { formatPrettyLine } from "./format.js";
import { createScrubber, sanitizeContext, serializeError } from "./serialize.js";

/** Log levels, most severe first (the config's `log.level`). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `pretty`: one readable line per entry, for people; `json`: one JSON object per line, for log collectors. */
export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a log entry carries besides its message: a flat object of facts (`{peer, topic, seq}`). */
export type LogData = object;

/** Logs one entry: what happened, the facts, and the error if there is one (Lodestar's shape). */
export type LogHandler = (message: string, context?: LogData, error?: unknown) => void;

/**
 * The node's logger, in Lodestar's shape: `logger.warn("redeem failed", { lane, seq }, err)`. Modules receive one
 * (`child(module)`) and never use `console`.
 */
export interface Logger {
  error: LogHandler;
  warn: LogHandler;
  info: LogHandler;
  debug: LogHandler;
  /** A logger whose entries name `module` (nested children join with "/": `p2p/gossip`). */
  child(module: string): Logger;
}

/** Where log lines go: anything with a synchronous `write` (a file descriptor stream, a test's array). */
export interface LogDestination {
  write(line: string): unknown;
}

/** How to build a {@link Logger}. */
export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** The module of the root logger's entries; absent: none. */
  readonly module?: string;
  /**
   * Secret values (the config's `getSecretValues`) scrubbed from every line, whatever key or error message carries
   * them.
   */
  readonly secrets?: readonly string[];
  /** Default: standard output, written synchronously so no line is lost when the process exits. */
  readonly destination?: LogDestination;
  /** The clock, in ms since the epoch; default `Date.now` (tests pin it). */
  readonly now?: () => number;
}

/**
 * Builds the node's logger over pino. Every entry's context goes through `sanitizeContext` (secret key names
 * redacted, bigints as strings, bounded), errors through `serializeError`, and every written line through a scrubber
 * of the configured secret values.
 */
export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  const scrub = createScrubber(options.secrets ?? []);
  const format = options.format === "pretty" ? formatPrettyLine : (line: string) => line;
  const now = options.now;
  const root = pino(
    {
      level: options.level,
      // No pid or hostname on every line: one process, one host.
      base: null,
      messageKey: "msg",
      timestamp: now === undefined ? pino.stdTimeFunctions.isoTime : () => `,"time":"${new Date(now()).toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      // Errors arrive already serialized (serializeError); pino's own serializer would overwrite their `type`.
      serializers: { err: (value: unknown) => value },
    },
    { write: (line: string) => out.write(scrub(format(line))) },
  );
  return wrap(root, options.module);
}

function wrap(instance: pino.Logger, module: string | undefined): Logger {
  const target = module === undefined ? instance : instance.child({ module });
  const handler =
    (level: LogLevel): LogHandler =>
    (message, context, error) => {
      if (!target.isLevelEnabled(level)) return;
      const entry: Record<string, unknown> = {};
      if (context !== undefined) entry.context = sanitizeContext(context);
      if (error !== undefined) entry.err = serializeError(error);
      target[level](entry, message);
    };
  return {
    error: handler("error"),
    warn: handler("warn"),
    info: handler("info"),
    debug: handler("debug"),
    child: (child) => wrap(instance, module === undefined ? child : `${module}/${child}`),
  };
}

/** A logger that drops everything: the default where a logger is optional, and for tests that do not read logs. */
export function getEmptyLogger(): Logger {
  const drop: LogHandler = () => {};
  const logger: Logger = { error: drop, warn: drop, info: drop, debug: drop, child: () => logger };
  return logger;
}
