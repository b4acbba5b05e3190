import { TrainerError, TrainerErrorCode } from "./errors.js";

const LF = 0x0a;
const CR = 0x0d;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a byte stream into LF-terminated lines, holding at most `maxLineBytes` of a line that has not ended yet: a
 * process writing without LF cannot make the node buffer without bound. A CR before the LF is dropped.
 */
export class LineDecoder {
  private parts: Buffer[] = [];
  private pending = 0;

  /** @param maxLineBytes the longest line accepted, in bytes, LF excluded */
  constructor(private readonly maxLineBytes: number) {}

  /**
   * The lines completed by `chunk`, decoded as UTF-8.
   *
   * @throws {TrainerError} `LINE_TOO_LONG` as soon as an unfinished line passes the bound; `MALFORMED_MESSAGE` for a
   * line that is not UTF-8
   */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
      this.append(chunk.subarray(start, lf));
      lines.push(this.take());
      start = lf + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return lines;
  }

  /** What is left after the stream ended: a last line without LF, or `undefined`. */
  end(): string | undefined {
    return this.pending === 0 ? undefined : this.take();
  }

  private append(bytes: Uint8Array): void {
    if (this.pending + bytes.length > this.maxLineBytes) {
      this.parts = [];
      this.pending = 0;
      throw new TrainerError({ code: TrainerErrorCode.LINE_TOO_LONG, maxLineBytes: this.maxLineBytes });
    }
    this.parts.push(Buffer.from(bytes));
    this.pending += bytes.length;
  }

  private take(): string {
    let bytes = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    try {
      return UTF8.decode(bytes);
    } catch (cause) {
      throw new TrainerError(
        { code: TrainerErrorCode.MALFORMED_MESSAGE, reason: "not UTF-8", line: bytes.toString("latin1") },
        { cause },
      );
    }
  }
}
