import type { Hex } from "viem";

/** What a JSON value was, for errors that say what was expected and what was found. */
export type JsonKind = "object" | "array" | "string" | "number" | "boolean" | "null";

/** Why a dataset file, or a set of sample hashes, breaks DESIGN §4 "Samples and dataset roots". */
export enum DatasetErrorCode {
  /** The file has no bytes. */
  EMPTY_FILE = "DATASET_ERROR_EMPTY_FILE",
  /** A line starts with a byte order mark (EF BB BF). */
  BOM = "DATASET_ERROR_BOM",
  /** A line is not valid UTF-8 (encoded surrogates included). */
  INVALID_UTF8 = "DATASET_ERROR_INVALID_UTF8",
  /** A line is empty, or holds only spaces and tabs. */
  BLANK_LINE = "DATASET_ERROR_BLANK_LINE",
  /** A line is not JSON. */
  INVALID_JSON = "DATASET_ERROR_INVALID_JSON",
  /** A line is JSON but not an object. */
  NOT_AN_OBJECT = "DATASET_ERROR_NOT_AN_OBJECT",
  /** A field the sample's shape needs is absent. */
  MISSING_FIELD = "DATASET_ERROR_MISSING_FIELD",
  /** A field the sample's shape reads has the wrong JSON type. */
  WRONG_FIELD_TYPE = "DATASET_ERROR_WRONG_FIELD_TYPE",
  /** A string field holds a lone UTF-16 surrogate (from a JSON `\uD800`-style escape). */
  LONE_SURROGATE = "DATASET_ERROR_LONE_SURROGATE",
  /** The canonical text holds a code point unassigned in the pinned Node.js Unicode tables. */
  UNASSIGNED_CODE_POINT = "DATASET_ERROR_UNASSIGNED_CODE_POINT",
  /** The sample's normalized text is empty. */
  EMPTY_TEXT = "DATASET_ERROR_EMPTY_TEXT",
  /** The sample's hash already occurred on an earlier line of the file. */
  DUPLICATE_SAMPLE = "DATASET_ERROR_DUPLICATE_SAMPLE",
  /** A dataset tree was asked for over no sample hashes. */
  EMPTY_DATASET = "DATASET_ERROR_EMPTY_DATASET",
  /** A dataset tree was asked for over a list that holds one sample hash twice. */
  DUPLICATE_SAMPLE_HASH = "DATASET_ERROR_DUPLICATE_SAMPLE_HASH",
  /** A proof was asked for a sample hash the dataset does not hold. */
  SAMPLE_NOT_IN_DATASET = "DATASET_ERROR_SAMPLE_NOT_IN_DATASET",
}

/** The code of a {@link DatasetError} with its context; `line` is 1-based. */
export type DatasetErrorType =
  | { code: DatasetErrorCode.EMPTY_FILE; line: number }
  | { code: DatasetErrorCode.BOM; line: number }
  | { code: DatasetErrorCode.INVALID_UTF8; line: number }
  | { code: DatasetErrorCode.BLANK_LINE; line: number }
  | { code: DatasetErrorCode.INVALID_JSON; line: number }
  | { code: DatasetErrorCode.NOT_AN_OBJECT; line: number; found: JsonKind }
  | { code: DatasetErrorCode.MISSING_FIELD; line: number; field: string }
  | { code: DatasetErrorCode.WRONG_FIELD_TYPE; line: number; field: string; expected: JsonKind; found: JsonKind }
  | { code: DatasetErrorCode.LONE_SURROGATE; line: number; field: string }
  | { code: DatasetErrorCode.UNASSIGNED_CODE_POINT; line: number; codePoint: string }
  | { code: DatasetErrorCode.EMPTY_TEXT; line: number }
  | { code: DatasetErrorCode.DUPLICATE_SAMPLE; line: number; firstLine: number; sampleHash: Hex }
  | { code: DatasetErrorCode.EMPTY_DATASET }
  | { code: DatasetErrorCode.DUPLICATE_SAMPLE_HASH; sampleHash: Hex }
  | { code: DatasetErrorCode.SAMPLE_NOT_IN_DATASET; sampleHash: Hex };

/**
 * A dataset file or sample set that breaks DESIGN §4, in Lodestar's shape: the code travels with its context
 * (`err.type`), so the compiler checks both, and the message says what was expected and what was found.
 *
 * @example
 * throw new DatasetError({ code: DatasetErrorCode.BLANK_LINE, line: 3 });
 */
export class DatasetError extends Error {
  /** The code and its context. */
  readonly type: DatasetErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one (the JSON parser's)
   */
  constructor(type: DatasetErrorType, options?: ErrorOptions) {
    super(describeDatasetError(type), options);
    this.name = "DatasetError";
    this.type = type;
  }
}

/** The message of a {@link DatasetError}: where, what was expected, and what was found. */
function describeDatasetError(type: DatasetErrorType): string {
  switch (type.code) {
    case DatasetErrorCode.EMPTY_FILE:
      return `line ${type.line}: expected at least one JSONL sample, found an empty file`;
    case DatasetErrorCode.BOM:
      return `line ${type.line}: expected UTF-8 without a byte order mark, found EF BB BF`;
    case DatasetErrorCode.INVALID_UTF8:
      return `line ${type.line}: expected valid UTF-8, found an invalid byte sequence`;
    case DatasetErrorCode.BLANK_LINE:
      return `line ${type.line}: expected a JSON object, found a blank line`;
    case DatasetErrorCode.INVALID_JSON:
      return `line ${type.line}: expected a JSON object, found text that is not JSON`;
    case DatasetErrorCode.NOT_AN_OBJECT:
      return `line ${type.line}: expected a JSON object, found ${article(type.found)}`;
    case DatasetErrorCode.MISSING_FIELD:
      return `line ${type.line}: expected a field "${type.field}", found none`;
    case DatasetErrorCode.WRONG_FIELD_TYPE:
      return `line ${type.line}: expected "${type.field}" to be ${article(type.expected)}, found ${article(type.found)}`;
    case DatasetErrorCode.LONE_SURROGATE:
      return `line ${type.line}: expected "${type.field}" to be well-formed Unicode, found a lone surrogate`;
    case DatasetErrorCode.UNASSIGNED_CODE_POINT:
      return `line ${type.line}: expected assigned Unicode code points only, found unassigned ${type.codePoint}`;
    case DatasetErrorCode.EMPTY_TEXT:
      return `line ${type.line}: expected a sample with text, found one whose normalized text is empty`;
    case DatasetErrorCode.DUPLICATE_SAMPLE:
      return `line ${type.line}: expected each sample once, found sample ${type.sampleHash} again (first on line ${type.firstLine})`;
    case DatasetErrorCode.EMPTY_DATASET:
      return "expected at least one sample hash, found none";
    case DatasetErrorCode.DUPLICATE_SAMPLE_HASH:
      return `expected each sample hash once, found ${type.sampleHash} twice`;
    case DatasetErrorCode.SAMPLE_NOT_IN_DATASET:
      return `expected a sample hash of the dataset, found ${type.sampleHash}, which it does not hold`;
  }
}

function article(kind: JsonKind): string {
  return kind === "null" ? "null" : kind === "array" || kind === "object" ? `an ${kind}` : `a ${kind}`;
}
