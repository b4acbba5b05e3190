import { ConfigError, ConfigErrorCode, type ConfigSource } from "./errors.js";
import { readConfigFlags } from "./flags.js";
import {
  CONFIG_KEYS,
  CONFIG_PATH_ENV,
  CONFIG_SECTIONS,
  type ConfigKey,
  type ConfigValue,
  ENV_PREFIX,
  getConfigOption,
  isConfigKey,
  isDerivedDefault,
  type OlnodeConfig,
  REQUIRED_TO_START_KEYS,
} from "./schema.js";
import { closestMatch } from "./suggest.js";
import { describeJsonKind, InvalidValue } from "./types.js";

/** What a configuration is read from. Pure data: the caller reads the file and the environment. */
export interface ConfigInput {
  /** The config file: its path (for messages) and its text; absent when there is none. */
  readonly file?: { readonly path: string; readonly text: string } | undefined;
  /** Environment variables; only `OLNODE_*` ones are read, and every one must be known. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Config flags only (`--api.port 8080`): the command's own flags are taken out before. */
  readonly argv?: readonly string[] | undefined;
}

/** A configuration with where each value came from. */
export interface ResolvedConfig {
  readonly config: OlnodeConfig;
  readonly sources: Readonly<Record<ConfigKey, ConfigSource>>;
}

/** A configuration a node can start with: the keys in {@link REQUIRED_TO_START_KEYS} are set. */
export type StartConfig = OlnodeConfig & {
  readonly chain: OlnodeConfig["chain"] & { readonly rpcUrl: string; readonly deploymentFile: string };
};

/**
 * Reads the node's configuration from defaults, the config file, `OLNODE_*` environment variables and flags, each
 * overriding the one before, all through {@link CONFIG_SCHEMA}. Pure: no I/O.
 *
 * @throws {ConfigError} naming the key for unknown keys, variables and flags (with the closest valid one), values
 * of the wrong type, secrets given as flags, and keys another key's value requires
 */
export function parseConfig(input: ConfigInput): OlnodeConfig {
  return resolveConfig(input).config;
}

/** {@link parseConfig}, also telling where each value came from (for `olnode config check`). */
export function resolveConfig(input: ConfigInput): ResolvedConfig {
  const values = new Map<ConfigKey, unknown>();
  const sources = {} as Record<ConfigKey, ConfigSource>;
  const set = (key: ConfigKey, value: unknown, source: ConfigSource) => {
    values.set(key, value);
    sources[key] = source;
  };

  if (input.file !== undefined) {
    for (const [key, value] of readFile(input.file.path, input.file.text)) set(key, value, "file");
  }
  for (const [key, value] of readEnv(input.env ?? {})) set(key, value, "env");
  for (const { key, flag, text } of readConfigFlags(input.argv ?? [])) {
    const option = getConfigOption(key);
    const value = parseValue(key, "flag", flag, () => option.type.fromString(text), text);
    // A list flag may repeat: its values add up (and replace the file's and the environment's).
    const previous = sources[key] === "flag" ? (values.get(key) as unknown[]) : undefined;
    set(key, previous === undefined ? value : [...previous, ...(value as unknown[])], "flag");
  }
  for (const key of CONFIG_KEYS) {
    if (sources[key] !== undefined) continue;
    const fallback = getConfigOption(key).default;
    if (!isDerivedDefault(fallback)) set(key, fallback, "default");
  }
  // Derived defaults read only keys with plain defaults, all set by now.
  const get = <K extends ConfigKey>(key: K) => values.get(key) as ConfigValue<K>;
  for (const key of CONFIG_KEYS) {
    if (sources[key] !== undefined) continue;
    const fallback = getConfigOption(key).default;
    if (isDerivedDefault(fallback)) set(key, fallback.derive(get), "derived");
  }

  const config = toNested(values);
  checkDependentKeys(config);
  return { config, sources };
}

/**
 * Checks that a node can start with this configuration.
 *
 * @throws {ConfigError} `MISSING_KEYS` naming every unset key in {@link REQUIRED_TO_START_KEYS}
 */
export function requireStartKeys(config: OlnodeConfig): StartConfig {
  const missing = REQUIRED_TO_START_KEYS.filter((key) => getValue(config, key) === undefined);
  if (missing.length > 0) {
    throw new ConfigError({
      code: ConfigErrorCode.MISSING_KEYS,
      keys: missing,
      envs: missing.map((key) => getConfigOption(key).env),
      because: "to start a node",
    });
  }
  return config as StartConfig;
}

/** The value of one key, by its dotted name. */
export function getValue<K extends ConfigKey>(config: OlnodeConfig, key: K): ConfigValue<K> {
  const [section, field] = key.split(".") as [keyof OlnodeConfig, string];
  return (config[section] as Record<string, unknown>)[field] as ConfigValue<K>;
}

function readFile(path: string, text: string): Map<ConfigKey, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError({ code: ConfigErrorCode.INVALID_FILE, path, problem: describeJsonSyntaxError(err as Error) });
  }
  if (!isPlainObject(json)) {
    throw new ConfigError({
      code: ConfigErrorCode.INVALID_FILE,
      path,
      problem: `expected an object of sections (${CONFIG_SECTIONS.join(", ")}), found ${describeJsonKind(json)}`,
    });
  }
  const values = new Map<ConfigKey, unknown>();
  for (const [section, fields] of Object.entries(json)) {
    if (!(CONFIG_SECTIONS as string[]).includes(section)) {
      throw new ConfigError({
        code: ConfigErrorCode.UNKNOWN_KEY,
        path,
        key: section,
        suggestion: closestMatch(section, CONFIG_SECTIONS),
      });
    }
    if (!isPlainObject(fields)) {
      throw new ConfigError({
        code: ConfigErrorCode.INVALID_FILE,
        path,
        problem: `expected section ${section} to be an object of keys, found ${describeJsonKind(fields)}`,
      });
    }
    for (const [field, value] of Object.entries(fields)) {
      const key = `${section}.${field}`;
      if (!isConfigKey(key)) {
        throw new ConfigError({
          code: ConfigErrorCode.UNKNOWN_KEY,
          path,
          key,
          suggestion: closestMatch(key, CONFIG_KEYS),
        });
      }
      const option = getConfigOption(key);
      values.set(
        key,
        parseValue(key, "file", path, () => option.type.fromJson(value), value),
      );
    }
  }
  return values;
}

function readEnv(env: Readonly<Record<string, string | undefined>>): Map<ConfigKey, unknown> {
  const byName = new Map(CONFIG_KEYS.map((key) => [getConfigOption(key).env as string, key]));
  const values = new Map<ConfigKey, unknown>();
  // Sorted, so that of two bad variables the same one is named on every machine.
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_PATH_ENV) continue;
    const text = env[name];
    // An empty variable is unset: `OLNODE_X=` in a compose file or a shell means "not given".
    if (text === undefined || text === "") continue;
    const key = byName.get(name);
    if (key === undefined) {
      throw new ConfigError({
        code: ConfigErrorCode.UNKNOWN_ENV,
        name,
        suggestion: closestMatch(name, [...byName.keys(), CONFIG_PATH_ENV]),
      });
    }
    const option = getConfigOption(key);
    values.set(
      key,
      parseValue(key, "env", name, () => option.type.fromString(text), text),
    );
  }
  return values;
}

/** Runs a value parser, turning its {@link InvalidValue} into a {@link ConfigError} that never shows a secret. */
function parseValue<T>(
  key: ConfigKey,
  source: "file" | "env" | "flag",
  origin: string,
  parse: () => T,
  raw: unknown,
): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof InvalidValue)) throw err;
    const option = getConfigOption(key);
    throw new ConfigError({
      code: ConfigErrorCode.INVALID_VALUE,
      key,
      source,
      origin,
      expected: option.type.expected,
      found: option.secret ? `${describeJsonKind(raw)} (not shown: ${key} is a secret)` : err.found,
      reason: option.secret ? undefined : err.reason,
    });
  }
}

/** Keys that another key's value makes necessary. */
function checkDependentKeys(config: OlnodeConfig): void {
  if (config.inference.backend === "openai-compatible" && config.inference.upstreamUrl === undefined) {
    throw new ConfigError({
      code: ConfigErrorCode.MISSING_KEYS,
      keys: ["inference.upstreamUrl"],
      envs: [getConfigOption("inference.upstreamUrl").env],
      because: "when inference.backend is openai-compatible",
    });
  }
}

function toNested(values: ReadonlyMap<ConfigKey, unknown>): OlnodeConfig {
  const nested: Record<string, Record<string, unknown>> = {};
  for (const key of CONFIG_KEYS) {
    const [section, field] = key.split(".") as [string, string];
    nested[section] ??= {};
    const value = values.get(key);
    nested[section][field] = Array.isArray(value) ? Object.freeze(value) : value;
  }
  for (const section of Object.values(nested)) Object.freeze(section);
  return Object.freeze(nested) as unknown as OlnodeConfig;
}

/**
 * Where the JSON breaks, without the parser's quote of the text around it: that quote could hold a secret.
 */
function describeJsonSyntaxError(err: Error): string {
  const where = /line (\d+) column (\d+)/.exec(err.message);
  return where === null ? "not valid JSON" : `not valid JSON at line ${where[1]}, column ${where[2]}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
