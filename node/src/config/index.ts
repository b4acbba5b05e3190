export { ConfigError, ConfigErrorCode, type ConfigErrorType, type ConfigSource } from "./errors.js";
export { type ConfigFlag, type FlagOption, getConfigFlagOptions, readConfigFlags, suggestFlag } from "./flags.js";
export {
  generateOperatorKey,
  generatePeerKey,
  isKeyFileModeOpen,
  type KeyFile,
  KeyFileError,
  KeyFileErrorCode,
  type KeyFileErrorType,
  type OperatorKey,
  type PeerKey,
  readOperatorKeyFile,
  readPeerKeyFile,
  writeOperatorKeyFile,
  writePeerKeyFile,
} from "./keyFiles.js";
export {
  type ConfigInput,
  getValue,
  parseConfig,
  type ResolvedConfig,
  requireStartKeys,
  resolveConfig,
  type StartConfig,
} from "./parse.js";
export {
  type ConfigJson,
  type ConfigKeyDescription,
  describeConfigKeys,
  getSecretValues,
  REDACTED,
  redactConfig,
  redactValue,
} from "./redact.js";
export {
  CONFIG_KEYS,
  CONFIG_PATH_ENV,
  CONFIG_SCHEMA,
  CONFIG_SECTIONS,
  type ConfigKey,
  type ConfigOption,
  type ConfigSection,
  type ConfigValue,
  type DerivedDefault,
  ENV_PREFIX,
  INFERENCE_BACKENDS,
  type InferenceBackend,
  isConfigKey,
  type OlnodeConfig,
  REQUIRED_TO_START_KEYS,
  toEnvName,
} from "./schema.js";
export { closestMatch } from "./suggest.js";
export type { JsonValue, ValueType } from "./types.js";
