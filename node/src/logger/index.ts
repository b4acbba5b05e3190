export { formatPrettyLine } from "./format.js";
export {
  createLogger,
  getEmptyLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogData,
  type LogDestination,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogHandler,
  type LogLevel,
} from "./logger.js";
export {
  createScrubber,
  type LogValue,
  MIN_SECRET_LENGTH,
  REDACTED,
  SECRET_KEY_NAME,
  sanitizeContext,
  serializeError,
} from "./serialize.js";
