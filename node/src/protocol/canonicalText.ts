import { DatasetError, DatasetErrorCode, type JsonKind } from "./errors.js";

/** The two sample shapes of DESIGN §4. */
export type SampleShape = "alpaca" | "sharegpt";

/** A sample's shape and its canonical text (before normalization). */
export interface CanonicalSample {
  readonly shape: SampleShape;
  readonly canonicalText: string;
}

/**
 * The canonical text of one parsed JSONL line (DESIGN §4). A line with `conversations` is ShareGPT: its turns as
 * `from + ": " + value`, joined by `"\n"`. Otherwise it is Alpaca and needs `instruction` and `output`: `system`
 * (when present and non-empty), `instruction`, `input` (`""` when missing) and `output`, joined by `"\n"`.
 * Other keys are ignored; every field read must be a well-formed string.
 *
 * @param value the line as `JSON.parse` returned it
 * @param line the 1-based line number, for errors
 * @throws {DatasetError} `NOT_AN_OBJECT`, `MISSING_FIELD`, `WRONG_FIELD_TYPE` or `LONE_SURROGATE`
 */
export function toCanonicalText(value: unknown, line: number): CanonicalSample {
  // [REJECT] DESIGN §4: one JSON object per line
  if (!isObject(value)) throw new DatasetError({ code: DatasetErrorCode.NOT_AN_OBJECT, line, found: kindOf(value) });
  if (Object.hasOwn(value, "conversations")) {
    const turns = value.conversations;
    if (!Array.isArray(turns)) {
      throw new DatasetError({
        code: DatasetErrorCode.WRONG_FIELD_TYPE,
        line,
        field: "conversations",
        expected: "array",
        found: kindOf(turns),
      });
    }
    const texts = turns.map((turn: unknown, i) => {
      const field = `conversations[${i}]`;
      if (!isObject(turn)) {
        throw new DatasetError({
          code: DatasetErrorCode.WRONG_FIELD_TYPE,
          line,
          field,
          expected: "object",
          found: kindOf(turn),
        });
      }
      return `${readString(turn, "from", line, field)}: ${readString(turn, "value", line, field)}`;
    });
    return { shape: "sharegpt", canonicalText: texts.join("\n") };
  }
  const system = readOptionalString(value, "system", line);
  const parts = [
    readString(value, "instruction", line),
    readOptionalString(value, "input", line) ?? "",
    readString(value, "output", line),
  ];
  if (system !== undefined && system !== "") parts.unshift(system);
  return { shape: "alpaca", canonicalText: parts.join("\n") };
}

function readString(record: Record<string, unknown>, key: string, line: number, parent?: string): string {
  const text = readOptionalString(record, key, line, parent);
  // [REJECT] DESIGN §4: the fields of the sample's shape are required
  if (text === undefined)
    throw new DatasetError({ code: DatasetErrorCode.MISSING_FIELD, line, field: path(key, parent) });
  return text;
}

function readOptionalString(
  record: Record<string, unknown>,
  key: string,
  line: number,
  parent?: string,
): string | undefined {
  // Own keys only: `"constructor" in {}` is true, and a sample must not read Object.prototype.
  if (!Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  const field = path(key, parent);
  // [REJECT] DESIGN §4: string fields
  if (typeof value !== "string") {
    throw new DatasetError({
      code: DatasetErrorCode.WRONG_FIELD_TYPE,
      line,
      field,
      expected: "string",
      found: kindOf(value),
    });
  }
  // [REJECT] DESIGN §4: invalid UTF-8, lone surrogates included (a JSON escape such as "\ud800" makes one)
  if (!isWellFormed(value)) throw new DatasetError({ code: DatasetErrorCode.LONE_SURROGATE, line, field });
  return value;
}

function path(key: string, parent: string | undefined): string {
  return parent === undefined ? key : `${parent}.${key}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): JsonKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  // JSON.parse yields only these: object, string, number, boolean.
  return typeof value as JsonKind;
}

/** `String.prototype.isWellFormed` (ES2024, in Node 22); the project's TypeScript lib is ES2023. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}
