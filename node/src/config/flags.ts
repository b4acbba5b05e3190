import { parseArgs } from "node:util";
import { ConfigError, ConfigErrorCode } from "./errors.js";
import { CONFIG_KEYS, type ConfigKey, getConfigOption, isConfigKey } from "./schema.js";
import { closestMatch } from "./suggest.js";

/** One config flag as the command line gave it. */
export interface ConfigFlag {
  readonly key: ConfigKey;
  /** `--api.port`, `--no-p2p.dht`, as typed. */
  readonly flag: string;
  /** The value's text; a boolean flag without `=value` reads `true`, its `--no-` form `false`. */
  readonly text: string;
}

/** A `node:util` parseArgs option, as commands declare theirs. */
export interface FlagOption {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
}

/**
 * The parseArgs options of every config key, secrets included (so that a secret's value is consumed and the flag
 * refused by name rather than misread as a positional argument).
 */
export function getConfigFlagOptions(): Record<ConfigKey, FlagOption> {
  const options = {} as Record<ConfigKey, FlagOption>;
  for (const key of CONFIG_KEYS) {
    options[key] = getConfigOption(key).type.name === "boolean" ? { type: "boolean" } : { type: "string" };
  }
  return options;
}

/** Is `key`'s value a list (its flag may repeat)? */
export function isListKey(key: ConfigKey): boolean {
  return getConfigOption(key).type.name.endsWith("[]");
}

/**
 * Reads config flags (`--section.key value`, `--section.key=value`, `--no-section.key` for booleans) from argv.
 * Everything in argv must be a config flag.
 *
 * @throws {ConfigError} `UNKNOWN_FLAG` (with the closest flag), `SECRET_FLAG`, `DUPLICATE_FLAG`,
 * `MISSING_FLAG_VALUE` or `UNEXPECTED_ARGUMENT`
 */
export function readConfigFlags(argv: readonly string[]): ConfigFlag[] {
  const { tokens } = parseArgs({
    args: [...argv],
    options: getConfigFlagOptions(),
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  const flags: ConfigFlag[] = [];
  const seen = new Set<ConfigKey>();
  for (const token of tokens) {
    if (token.kind === "positional") {
      throw new ConfigError({ code: ConfigErrorCode.UNEXPECTED_ARGUMENT, argument: token.value });
    }
    if (token.kind !== "option") continue;
    const name = token.name;
    if (!isConfigKey(name)) {
      throw new ConfigError({
        code: ConfigErrorCode.UNKNOWN_FLAG,
        flag: token.rawName,
        suggestion: suggestFlag(token.rawName),
      });
    }
    const option = getConfigOption(name);
    if (option.flag === null) {
      throw new ConfigError({ code: ConfigErrorCode.SECRET_FLAG, flag: token.rawName, key: name, env: option.env });
    }
    if (seen.has(name) && !isListKey(name))
      throw new ConfigError({ code: ConfigErrorCode.DUPLICATE_FLAG, flag: option.flag });
    seen.add(name);
    flags.push({ key: name, flag: token.rawName, text: flagText(name, token.rawName, token.value) });
  }
  return flags;
}

function flagText(key: ConfigKey, rawName: string, value: string | undefined): string {
  const option = getConfigOption(key);
  if (option.type.name === "boolean") {
    if (rawName.startsWith("--no-")) {
      if (value !== undefined)
        throw new ConfigError({ code: ConfigErrorCode.UNEXPECTED_ARGUMENT, argument: `${rawName}=${value}` });
      return "false";
    }
    return value ?? "true";
  }
  if (rawName.startsWith("--no-")) {
    // --no- negates booleans only: "--no-api.port" is no flag at all.
    throw new ConfigError({ code: ConfigErrorCode.UNKNOWN_FLAG, flag: rawName, suggestion: option.flag ?? undefined });
  }
  if (value === undefined) {
    throw new ConfigError({ code: ConfigErrorCode.MISSING_FLAG_VALUE, flag: rawName, expected: option.type.expected });
  }
  return value;
}

/** The config flag closest to a mistyped one (`--p2p.listn` → `--p2p.listen`), or `undefined`. */
export function suggestFlag(rawName: string, extra: readonly string[] = []): string | undefined {
  const candidates = [
    ...CONFIG_KEYS.filter((key) => getConfigOption(key).flag !== null).map((k) => `--${k}`),
    ...extra,
  ];
  return closestMatch(rawName.replace(/^--no-/, "--"), candidates);
}
