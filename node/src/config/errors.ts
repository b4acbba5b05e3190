/** Where a config value came from, in precedence order (a later source wins). */
export type ConfigSource = "default" | "derived" | "file" | "env" | "flag";

/** Why a configuration was refused. */
export enum ConfigErrorCode {
  /** The config file is not JSON, or not an object of sections. */
  INVALID_FILE = "CONFIG_ERROR_INVALID_FILE",
  /** The config file names a section or key the schema does not have. */
  UNKNOWN_KEY = "CONFIG_ERROR_UNKNOWN_KEY",
  /** An `OLNODE_*` environment variable the schema does not have. */
  UNKNOWN_ENV = "CONFIG_ERROR_UNKNOWN_ENV",
  /** A flag the schema (or the command) does not have. */
  UNKNOWN_FLAG = "CONFIG_ERROR_UNKNOWN_FLAG",
  /** A secret (a key file, an RPC URL) given as a flag. */
  SECRET_FLAG = "CONFIG_ERROR_SECRET_FLAG",
  /** A flag given twice (a list flag may repeat). */
  DUPLICATE_FLAG = "CONFIG_ERROR_DUPLICATE_FLAG",
  /** A flag that needs a value came last, without one. */
  MISSING_FLAG_VALUE = "CONFIG_ERROR_MISSING_FLAG_VALUE",
  /** An argument that is not a flag. */
  UNEXPECTED_ARGUMENT = "CONFIG_ERROR_UNEXPECTED_ARGUMENT",
  /** A value not of its key's type. */
  INVALID_VALUE = "CONFIG_ERROR_INVALID_VALUE",
  /** Keys that must be set (to start a node, or because of another key's value) are not. */
  MISSING_KEYS = "CONFIG_ERROR_MISSING_KEYS",
}

/** The code of a {@link ConfigError} with its context. */
export type ConfigErrorType =
  | { code: ConfigErrorCode.INVALID_FILE; path: string; problem: string }
  | { code: ConfigErrorCode.UNKNOWN_KEY; path: string; key: string; suggestion: string | undefined }
  | { code: ConfigErrorCode.UNKNOWN_ENV; name: string; suggestion: string | undefined }
  | { code: ConfigErrorCode.UNKNOWN_FLAG; flag: string; suggestion: string | undefined }
  | { code: ConfigErrorCode.SECRET_FLAG; flag: string; key: string; env: string }
  | { code: ConfigErrorCode.DUPLICATE_FLAG; flag: string }
  | { code: ConfigErrorCode.MISSING_FLAG_VALUE; flag: string; expected: string }
  | { code: ConfigErrorCode.UNEXPECTED_ARGUMENT; argument: string }
  | {
      code: ConfigErrorCode.INVALID_VALUE;
      key: string;
      source: "file" | "env" | "flag";
      /** The file's path, the variable's name or the flag. */
      origin: string;
      expected: string;
      found: string;
      reason: string | undefined;
    }
  | { code: ConfigErrorCode.MISSING_KEYS; keys: string[]; envs: string[]; because: string };

/** Codes of mistakes in how a command was called (its flags), as opposed to what a file or variable holds. */
const USAGE_CODES: ReadonlySet<ConfigErrorCode> = new Set([
  ConfigErrorCode.UNKNOWN_FLAG,
  ConfigErrorCode.SECRET_FLAG,
  ConfigErrorCode.DUPLICATE_FLAG,
  ConfigErrorCode.MISSING_FLAG_VALUE,
  ConfigErrorCode.UNEXPECTED_ARGUMENT,
]);

/**
 * A configuration the node refuses, in Lodestar's shape: the code travels with its context (`err.type`), and the
 * message names the key, what was expected and what was found. Secret values never appear in it.
 *
 * @example
 * throw new ConfigError({ code: ConfigErrorCode.UNKNOWN_FLAG, flag: "--p2p.listn", suggestion: "--p2p.listen" });
 */
export class ConfigError extends Error {
  /** The code and its context. */
  readonly type: ConfigErrorType;

  /** @param type the code and its context */
  constructor(type: ConfigErrorType) {
    super(describeConfigError(type));
    this.name = "ConfigError";
    this.type = type;
  }

  /** Did the mistake come from the command line (a usage error) rather than from a file or the environment? */
  get isUsageError(): boolean {
    return (
      USAGE_CODES.has(this.type.code) ||
      (this.type.code === ConfigErrorCode.INVALID_VALUE && this.type.source === "flag")
    );
  }
}

/** `a`, `a and b`, `a, b and c`. */
function listWords(words: readonly string[], conjunction: string): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} ${conjunction} ${words.at(-1)}`;
}

function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? "" : `; did you mean ${suggestion}?`;
}

function describeConfigError(type: ConfigErrorType): string {
  switch (type.code) {
    case ConfigErrorCode.INVALID_FILE:
      return `config file ${type.path}: ${type.problem}`;
    case ConfigErrorCode.UNKNOWN_KEY:
      return `unknown key ${type.key} in config file ${type.path}${didYouMean(type.suggestion)}`;
    case ConfigErrorCode.UNKNOWN_ENV:
      return `unknown environment variable ${type.name}${didYouMean(type.suggestion)}`;
    case ConfigErrorCode.UNKNOWN_FLAG:
      return `unknown flag ${type.flag}${didYouMean(type.suggestion)}`;
    case ConfigErrorCode.SECRET_FLAG:
      return `${type.key} cannot be a flag: it is a secret, and flags show in process lists and shell history; set it in the config file or ${type.env}`;
    case ConfigErrorCode.DUPLICATE_FLAG:
      return `flag ${type.flag} given twice; give it once`;
    case ConfigErrorCode.MISSING_FLAG_VALUE:
      return `flag ${type.flag} needs a value: ${type.expected}`;
    case ConfigErrorCode.UNEXPECTED_ARGUMENT:
      return `unexpected argument ${JSON.stringify(type.argument)}: config values are flags, --section.key value`;
    case ConfigErrorCode.INVALID_VALUE: {
      const from = type.source === "file" ? `config file ${type.origin}` : type.origin;
      const reason = type.reason === undefined ? "" : ` (${type.reason})`;
      return `${type.key} (from ${from}): expected ${type.expected}, found ${type.found}${reason}`;
    }
    case ConfigErrorCode.MISSING_KEYS: {
      const [them, is] = type.keys.length === 1 ? ["it", "is"] : ["them", "are"];
      return `${listWords(type.keys, "and")} ${is} required ${type.because}: set ${them} in the config file or ${listWords(type.envs, "and")}`;
    }
  }
}
