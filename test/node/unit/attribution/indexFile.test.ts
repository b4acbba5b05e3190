import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  AttributionErrorCode,
  attribute,
  decodeIndex,
  encodeIndex,
  INDEX_FORMAT_VERSION,
  INDEX_HEADER_BYTES,
  loadIndex,
  saveIndex,
} from "../../../../node/src/attribution/index.js";
import { buildIndex, expectAttributionError, expectRejectedWithCode, sample, shares } from "./helpers.js";

const corpus = [
  sample(1n, "the early bird catches the worm, said the farmer to his son"),
  sample(2n, "a stitch in time saves nine, the tailor told the apprentice"),
  sample(2n, "the early bird catches the worm but the second mouse gets the cheese"),
];
const trainingShares = shares([1n, 300_000], [2n, 700_000]);
const output =
  "As they say, the early bird catches the worm but the second mouse gets the cheese, and a stitch in time saves nine.";

/** Rewrites the trailing checksum, so a test reaches the checks behind it. */
function reseal(bytes: Uint8Array): Uint8Array {
  const at = bytes.length - 32;
  bytes.set(createHash("sha256").update(bytes.subarray(0, at)).digest(), at);
  return bytes;
}

describe("attribution index file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "olp-attribution-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads back to the same bytes and the same attributions", async () => {
    const index = buildIndex(corpus, trainingShares, 4, 9n);
    const path = join(dir, "9.olpidx");
    await saveIndex(index, path);
    const loaded = await loadIndex(path, 9n);
    expect(Buffer.from(encodeIndex(loaded)).equals(Buffer.from(encodeIndex(index)))).to.equal(true);
    expect(loaded.minSpan).to.equal(4);
    expect(loaded.trainingShares).to.deep.equal(trainingShares);
    expect(loaded.inputDigest).to.equal(index.inputDigest);
    const a = attribute(index, output);
    expect(a.spans.length).to.equal(2);
    expect(attribute(loaded, output)).to.deep.equal(a);
  });

  it("refuses a flipped byte anywhere in the body (checksum)", () => {
    const bytes = encodeIndex(buildIndex(corpus, trainingShares));
    for (const at of [INDEX_HEADER_BYTES + 3, Math.floor(bytes.length / 2), bytes.length - 40, bytes.length - 1]) {
      const copy = Uint8Array.from(bytes);
      copy[at] = (copy[at] as number) ^ 0x01;
      expectAttributionError(() => decodeIndex(copy, { path: "x.olpidx" }), AttributionErrorCode.INDEX_CORRUPT, {
        path: "x.olpidx",
      });
    }
  });

  it("refuses a truncated file, a longer file and a file that is not an index", () => {
    const bytes = encodeIndex(buildIndex(corpus, trainingShares));
    expectAttributionError(() => decodeIndex(bytes.subarray(0, bytes.length - 8)), AttributionErrorCode.INDEX_CORRUPT);
    expectAttributionError(() => decodeIndex(bytes.subarray(0, 100)), AttributionErrorCode.INDEX_CORRUPT, {
      reason: "100 bytes, shorter than the header",
    });
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expectAttributionError(() => decodeIndex(longer), AttributionErrorCode.INDEX_CORRUPT);
    const other = Uint8Array.from(bytes);
    other.set(new TextEncoder().encode("NOTANIDX"), 0);
    expectAttributionError(() => decodeIndex(other), AttributionErrorCode.INDEX_CORRUPT, {
      reason: "not an attribution index (bad magic)",
    });
  });

  it("refuses another format version and another adapter version", () => {
    const bytes = Uint8Array.from(encodeIndex(buildIndex(corpus, trainingShares, 8, 5n)));
    expectAttributionError(() => decodeIndex(bytes, { versionId: 6n }), AttributionErrorCode.INDEX_MISMATCH, {
      field: "version id",
      expected: "6",
      found: "5",
    });
    Buffer.from(bytes.buffer).writeUInt32LE(INDEX_FORMAT_VERSION + 1, 8);
    expectAttributionError(() => decodeIndex(reseal(bytes)), AttributionErrorCode.INDEX_MISMATCH, {
      field: "format version",
    });
  });

  it("refuses a resealed file whose sections do not hold together", () => {
    const bytes = encodeIndex(buildIndex(corpus, trainingShares));
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const positions = view.readUInt32LE(80);
    // The text section starts 8-aligned, so the suffix array ends exactly at the checksum.
    const suffixArrayAt = bytes.length - 32 - 4 * positions;
    // A suffix array row pointing outside the text would read garbage: refused before use.
    const outside = Uint8Array.from(bytes);
    Buffer.from(outside.buffer).writeInt32LE(positions + 7, suffixArrayAt);
    expectAttributionError(() => decodeIndex(reseal(outside)), AttributionErrorCode.INDEX_CORRUPT, {
      reason: `suffix array row 0 holds ${positions + 7}`,
    });
    // Training shares must still sum to 1,000,000.
    const share = Uint8Array.from(bytes);
    Buffer.from(share.buffer).writeUInt32LE(1, INDEX_HEADER_BYTES + 36);
    expectAttributionError(() => decodeIndex(reseal(share)), AttributionErrorCode.INDEX_CORRUPT, {
      reason: "training shares sum to 700001",
    });
  });

  it("refuses a corrupt file on disk with the path in the error", async () => {
    const path = join(dir, "1.olpidx");
    await saveIndex(buildIndex(corpus, trainingShares), path);
    const bytes = await readFile(path);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
    await writeFile(path, bytes);
    await expectRejectedWithCode(loadIndex(path, 1n), AttributionErrorCode.INDEX_CORRUPT, {
      path,
      reason: "checksum mismatch",
    });
  });
});
