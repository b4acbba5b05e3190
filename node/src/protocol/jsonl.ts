import { DatasetError, DatasetErrorCode } from "./errors.js";

/** One line of a JSONL file, decoded. */
export interface JsonlLine {
  /** 1-based line number. */
  readonly line: number;
  /** The line's text, without its LF and without the CR before it. */
  readonly text: string;
}

const LF = 0x0a;
const CR = 0x0d;

/** Fatal: invalid UTF-8 (encoded surrogates included) throws instead of becoming U+FFFD. Keeps a BOM as text. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** JSON's whitespace but LF (space, tab, a CR left inside the line): a line of nothing else is blank. */
const BLANK = /^[ \t\r]*$/;

/**
 * Reads a dataset file line by line (DESIGN §4): lines end with LF, a CR before the LF is dropped, the last LF is
 * optional; no line may start with a byte order mark, be invalid UTF-8, or be blank. Lazy, so the caller meets
 * the first bad line first, whatever its kind.
 *
 * @throws {DatasetError} `EMPTY_FILE`, `BOM`, `INVALID_UTF8` or `BLANK_LINE`, with the 1-based line number
 */
export function* readJsonlLines(file: Uint8Array): Generator<JsonlLine, void, undefined> {
  // [REJECT] DESIGN §4: an empty file
  if (file.length === 0) throw new DatasetError({ code: DatasetErrorCode.EMPTY_FILE, line: 1 });
  let line = 0;
  let start = 0;
  // The last LF is optional: a file ending with LF has no empty line after it.
  while (start < file.length) {
    line += 1;
    const lf = file.indexOf(LF, start);
    const end = lf === -1 ? file.length : lf;
    // DESIGN §4: a CR before the LF is dropped (one CR; a CR not followed by LF stays in the line).
    const contentEnd = lf !== -1 && end > start && file[end - 1] === CR ? end - 1 : end;
    yield { line, text: decodeLine(file.subarray(start, contentEnd), line) };
    start = end + 1;
  }
}

function decodeLine(bytes: Uint8Array, line: number): string {
  // [REJECT] DESIGN §4: no BOM (checked on every line, so a concatenation of BOM-headed files fails where it joins)
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new DatasetError({ code: DatasetErrorCode.BOM, line });
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (cause) {
    // [REJECT] DESIGN §4: invalid UTF-8
    throw new DatasetError({ code: DatasetErrorCode.INVALID_UTF8, line }, { cause });
  }
  // [REJECT] DESIGN §4: a blank line
  if (BLANK.test(text)) throw new DatasetError({ code: DatasetErrorCode.BLANK_LINE, line });
  return text;
}
