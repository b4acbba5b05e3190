export {
  type AttributeOptions,
  type AttributionResult,
  type AttributionSpan,
  attribute,
} from "./attribute.js";
export {
  AttributionIndex,
  type AttributionIndexParts,
  type AttributionSample,
  type BuildAttributionIndexParameters,
  type CorpusMatch,
  type CorpusOccurrences,
  DEFAULT_MIN_SPAN,
  MAX_POSITIONS,
} from "./corpusIndex.js";
export { AttributionError, AttributionErrorCode, type AttributionErrorType } from "./errors.js";
export {
  type DecodeIndexOptions,
  decodeIndex,
  decodeIndexHeader,
  encodeIndex,
  INDEX_FORMAT_VERSION,
  INDEX_HEADER_BYTES,
  INDEX_MAGIC,
  type IndexHeader,
  loadIndex,
  readIndexHeader,
  saveIndex,
} from "./indexFile.js";
export { type AttributionMetrics, type AttributionOutcome, createAttributionMetrics } from "./metrics.js";
export {
  AttributionService,
  type AttributionServiceModules,
  type AttributionServiceOptions,
  type Attributor,
  DEFAULT_MAX_INDEXES,
  type EnsureIndexOptions,
} from "./service.js";
export { buildSuffixArray } from "./suffixArray.js";
export { type TokenAt, tokenize, tokenizeWithOffsets } from "./tokenize.js";
