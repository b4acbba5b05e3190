/** Why attribution failed. */
export enum AttributionErrorCode {
  /** The corpus breaks a rule of DESIGN §7–§8: empty, a dataset id below 1, a malformed or repeated sample hash. */
  INVALID_CORPUS = "ATTRIBUTION_ERROR_INVALID_CORPUS",
  /** A sample's text does not hash to its sample hash (DESIGN §4 `sampleHash`). */
  SAMPLE_HASH_MISMATCH = "ATTRIBUTION_ERROR_SAMPLE_HASH_MISMATCH",
  /** The training shares do not sum to 1,000,000, repeat a dataset, or name one outside the corpus. */
  INVALID_SHARES = "ATTRIBUTION_ERROR_INVALID_SHARES",
  /** `minSpan` is not an integer from 1 to 65535. */
  INVALID_MIN_SPAN = "ATTRIBUTION_ERROR_INVALID_MIN_SPAN",
  /** The corpus has more tokens than one index holds (2^31 − 1 positions). */
  CORPUS_TOO_LARGE = "ATTRIBUTION_ERROR_CORPUS_TOO_LARGE",
  /** An index file is truncated, fails its checksum, or its sections do not fit together. */
  INDEX_CORRUPT = "ATTRIBUTION_ERROR_INDEX_CORRUPT",
  /** An index file is of another format version or another adapter version than the one asked for. */
  INDEX_MISMATCH = "ATTRIBUTION_ERROR_INDEX_MISMATCH",
  /** No index is built or stored for the version. */
  INDEX_NOT_FOUND = "ATTRIBUTION_ERROR_INDEX_NOT_FOUND",
  /** The service was closed. */
  CLOSED = "ATTRIBUTION_ERROR_CLOSED",
}

/** The code of an {@link AttributionError} with its context. */
export type AttributionErrorType =
  | { code: AttributionErrorCode.INVALID_CORPUS; reason: string }
  | { code: AttributionErrorCode.SAMPLE_HASH_MISMATCH; datasetId: bigint; expected: string; found: string }
  | { code: AttributionErrorCode.INVALID_SHARES; reason: string }
  | { code: AttributionErrorCode.INVALID_MIN_SPAN; minSpan: number }
  | { code: AttributionErrorCode.CORPUS_TOO_LARGE; positions: number; max: number }
  | { code: AttributionErrorCode.INDEX_CORRUPT; path?: string; reason: string }
  | { code: AttributionErrorCode.INDEX_MISMATCH; path?: string; field: string; expected: string; found: string }
  | { code: AttributionErrorCode.INDEX_NOT_FOUND; versionId: bigint }
  | { code: AttributionErrorCode.CLOSED };

/**
 * A failure of attribution, in Lodestar's shape: the code travels with its context (`err.type`).
 *
 * @example
 * throw new AttributionError({ code: AttributionErrorCode.INDEX_NOT_FOUND, versionId: 3n });
 */
export class AttributionError extends Error {
  /** The code and its context. */
  readonly type: AttributionErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one
   */
  constructor(type: AttributionErrorType, options?: ErrorOptions) {
    super(describe(type), options);
    this.name = "AttributionError";
    this.type = type;
  }
}

/** The message: what was expected and what was found. */
function describe(type: AttributionErrorType): string {
  const where = (path?: string) => (path === undefined ? "" : ` ${path}`);
  switch (type.code) {
    case AttributionErrorCode.INVALID_CORPUS:
      return `invalid attribution corpus: ${type.reason}`;
    case AttributionErrorCode.SAMPLE_HASH_MISMATCH:
      return `dataset ${type.datasetId}: expected a sample text hashing to ${type.expected}, found ${type.found}`;
    case AttributionErrorCode.INVALID_SHARES:
      return `invalid training shares: ${type.reason}`;
    case AttributionErrorCode.INVALID_MIN_SPAN:
      return `expected minSpan an integer from 1 to 65535, found ${type.minSpan}`;
    case AttributionErrorCode.CORPUS_TOO_LARGE:
      return `expected at most ${type.max} corpus positions in one index, found ${type.positions}`;
    case AttributionErrorCode.INDEX_CORRUPT:
      return `corrupt attribution index${where(type.path)}: ${type.reason}`;
    case AttributionErrorCode.INDEX_MISMATCH:
      return `attribution index${where(type.path)}: expected ${type.field} ${type.expected}, found ${type.found}`;
    case AttributionErrorCode.INDEX_NOT_FOUND:
      return `no attribution index for version ${type.versionId}`;
    case AttributionErrorCode.CLOSED:
      return "attribution service closed";
  }
}
