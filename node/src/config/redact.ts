import { getValue } from "./parse.js";
import { CONFIG_KEYS, type ConfigKey, getConfigOption, isDerivedDefault, type OlnodeConfig } from "./schema.js";
import type { JsonValue } from "./types.js";

/** What a secret's value prints as. */
export const REDACTED = "[redacted]";

/** A configuration as JSON, one object per section. */
export type ConfigJson = { readonly [section: string]: { readonly [field: string]: JsonValue } };

/**
 * The configuration as JSON for printing: secrets that are set read {@link REDACTED}, unset keys `null`, bigints
 * decimal strings. The only view of a configuration that may be printed or logged.
 */
export function redactConfig(config: OlnodeConfig): ConfigJson {
  const json: Record<string, Record<string, JsonValue>> = {};
  for (const key of CONFIG_KEYS) {
    const [section, field] = key.split(".") as [string, string];
    json[section] ??= {};
    json[section][field] = redactValue(key, getValue(config, key));
  }
  return json;
}

/** One key's value as {@link redactConfig} prints it. */
export function redactValue(key: ConfigKey, value: unknown): JsonValue {
  if (value === undefined) return null;
  const option = getConfigOption(key);
  return option.secret ? REDACTED : option.type.toJson(value);
}

/**
 * The values of the secrets that are set (RPC URLs, API keys, key file paths), for the logger to scrub from
 * anything it writes.
 */
export function getSecretValues(config: OlnodeConfig): string[] {
  return CONFIG_KEYS.filter((key) => getConfigOption(key).secret)
    .map((key) => getValue(config, key))
    .filter((value): value is string => typeof value === "string");
}

/** One row of the config table, as docs and `olnode config keys` print it. */
export interface ConfigKeyDescription {
  readonly key: ConfigKey;
  readonly type: string;
  /** The default as JSON text, the derivation rule, or `undefined` when unset by default. */
  readonly default: string | undefined;
  readonly why: string;
  readonly description: string;
  readonly env: string;
  readonly flag: string | null;
  readonly secret: boolean;
  readonly requiredToStart: boolean;
}

/** Every key of the schema, described for people (pure data; the CLI formats it). */
export function describeConfigKeys(): ConfigKeyDescription[] {
  return CONFIG_KEYS.map((key) => {
    const option = getConfigOption(key);
    const fallback = option.default;
    const shown = isDerivedDefault(fallback)
      ? fallback.rule
      : fallback === undefined
        ? undefined
        : JSON.stringify(option.type.toJson(fallback));
    return {
      key,
      type: option.type.name,
      default: shown,
      why: option.why,
      description: option.description,
      env: option.env,
      flag: option.flag,
      secret: option.secret,
      requiredToStart: option.requiredToStart === true,
    };
  });
}
