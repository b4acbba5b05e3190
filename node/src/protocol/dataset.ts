import type { Hex } from "viem";
import { type SampleShape, toCanonicalText } from "./canonicalText.js";
import { DatasetError, DatasetErrorCode } from "./errors.js";
import { readJsonlLines } from "./jsonl.js";
import { normalize } from "./normalize.js";
import { hashNormalizedText } from "./sampleHash.js";

/** One sample of a dataset file. */
export interface Sample {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly shape: SampleShape;
  /** The text DESIGN §4 builds from the sample's fields, before normalization. */
  readonly canonicalText: string;
  /** `normalize(canonicalText)`: what is hashed, trained on and attributed against. */
  readonly normalizedText: string;
  /** `keccak256(utf8(normalizedText))`. */
  readonly sampleHash: Hex;
}

/** A code point of General_Category Cn (unassigned, noncharacters included) in the running Node.js tables. */
const UNASSIGNED = /\p{Cn}/u;

/**
 * Parses a dataset file into its samples, in file order (DESIGN §4 "Samples and dataset roots"). Pure: the same
 * bytes give the same samples on every machine running the pinned Node.js (its Unicode tables are part of the
 * protocol).
 *
 * @param file the dataset file's bytes: UTF-8 JSONL, Alpaca or ShareGPT lines
 * @throws {DatasetError} at the first line that breaks a rule, with its 1-based number: `EMPTY_FILE`, `BOM`,
 * `INVALID_UTF8`, `BLANK_LINE`, `INVALID_JSON`, `NOT_AN_OBJECT`, `MISSING_FIELD`, `WRONG_FIELD_TYPE`,
 * `LONE_SURROGATE`, `UNASSIGNED_CODE_POINT`, `EMPTY_TEXT` or `DUPLICATE_SAMPLE`
 */
export function parseDataset(file: Uint8Array): Sample[] {
  const samples: Sample[] = [];
  const firstLineOf = new Map<Hex, number>();
  for (const { line, text } of readJsonlLines(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      // [REJECT] DESIGN §4: a line that is not a JSON object
      throw new DatasetError({ code: DatasetErrorCode.INVALID_JSON, line }, { cause });
    }
    const { shape, canonicalText } = toCanonicalText(value, line);
    // [REJECT] DESIGN §4: code points unassigned in the pinned Node.js Unicode tables
    const unassigned = UNASSIGNED.exec(canonicalText);
    if (unassigned !== null) {
      throw new DatasetError({
        code: DatasetErrorCode.UNASSIGNED_CODE_POINT,
        line,
        codePoint: formatCodePoint(unassigned[0]),
      });
    }
    const normalizedText = normalize(canonicalText);
    // [REJECT] DESIGN §4: a sample whose normalized text is empty
    if (normalizedText === "") throw new DatasetError({ code: DatasetErrorCode.EMPTY_TEXT, line });
    const sampleHash = hashNormalizedText(normalizedText);
    // [REJECT] DESIGN §4: a sample hash that occurs twice in one dataset
    const firstLine = firstLineOf.get(sampleHash);
    if (firstLine !== undefined) {
      throw new DatasetError({ code: DatasetErrorCode.DUPLICATE_SAMPLE, line, firstLine, sampleHash });
    }
    firstLineOf.set(sampleHash, line);
    samples.push({ line, shape, canonicalText, normalizedText, sampleHash });
  }
  return samples;
}

/** `U+XXXX` (at least four hex digits), as Unicode writes code points. */
function formatCodePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}
