import { createHash } from "node:crypto";
import { open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { endianness } from "node:os";
import type { Hex } from "viem";
import type { ContributorShare } from "../protocol/index.js";
import { AttributionIndex, checkMinSpan, uint256 } from "./corpusIndex.js";
import { AttributionError, AttributionErrorCode } from "./errors.js";
import { PPM } from "./shares.js";

/** The first bytes of every index file. */
export const INDEX_MAGIC = "OLPATIDX";
/** The file format this code writes and reads; another one is refused (`INDEX_MISMATCH`), never guessed at. */
export const INDEX_FORMAT_VERSION = 1;
/** Bytes of the fixed header (docs/attribution.md "Index file"). */
export const INDEX_HEADER_BYTES = 128;
const DATASET_ENTRY_BYTES = 48;
const CHECKSUM_BYTES = 32;

// Typed arrays are read in place from the file's bytes, which are little-endian.
if (endianness() !== "LE") throw new Error("attribution index files need a little-endian machine");

/** What the header of an index file says. */
export interface IndexHeader {
  readonly formatVersion: number;
  readonly minSpan: number;
  readonly versionId: bigint;
  readonly inputDigest: Hex;
  readonly positions: number;
  readonly sampleCount: number;
  readonly datasetCount: number;
  readonly vocabularyCount: number;
  readonly vocabularyBytes: number;
}

/** Where to report a bad file, and what it must hold. */
export interface DecodeIndexOptions {
  /** The file, for error messages. */
  readonly path?: string;
  /** The adapter version the file must be of. */
  readonly versionId?: bigint;
}

/**
 * The index file's bytes: a 128-byte header, the datasets (id, first position, training share), the vocabulary
 * (offsets then UTF-8), the token ids, the suffix array, every section 8-byte aligned and little-endian, then the
 * sha256 of everything before it. Equal indexes give equal bytes.
 */
export function encodeIndex(index: AttributionIndex): Uint8Array {
  const p = index.parts;
  const vocabulary = p.vocabulary.map((t) => Buffer.from(t, "utf8"));
  const vocabularyBytes = vocabulary.reduce((sum, b) => sum + b.length, 0);
  const layout = getLayout({
    positions: p.text.length,
    datasetCount: p.datasetIds.length,
    vocabularyCount: vocabulary.length,
    vocabularyBytes,
  });
  const out = Buffer.alloc(layout.total);
  out.write(INDEX_MAGIC, 0, "latin1");
  out.writeUInt32LE(INDEX_FORMAT_VERSION, 8);
  out.writeUInt32LE(p.minSpan, 12);
  uint256(p.versionId).copy(out, 16);
  Buffer.from(p.inputDigest.slice(2), "hex").copy(out, 48);
  out.writeUInt32LE(p.text.length, 80);
  out.writeUInt32LE(p.sampleCount, 84);
  out.writeUInt32LE(p.datasetIds.length, 88);
  out.writeUInt32LE(vocabulary.length, 92);
  out.writeUInt32LE(vocabularyBytes, 96);
  const shares = new Map(p.trainingShares.map((s) => [s.datasetId, s.weightPpm]));
  p.datasetIds.forEach((datasetId, k) => {
    const at = layout.datasets + k * DATASET_ENTRY_BYTES;
    uint256(datasetId).copy(out, at);
    out.writeUInt32LE(p.datasetStarts[k] as number, at + 32);
    out.writeUInt32LE(shares.get(datasetId) ?? 0, at + 36);
  });
  let offset = 0;
  vocabulary.forEach((bytes, i) => {
    out.writeUInt32LE(offset, layout.vocabularyOffsets + 4 * i);
    bytes.copy(out, layout.vocabularyText + offset);
    offset += bytes.length;
  });
  out.writeUInt32LE(offset, layout.vocabularyOffsets + 4 * vocabulary.length);
  out.set(new Uint8Array(p.text.buffer, p.text.byteOffset, p.text.byteLength), layout.text);
  out.set(new Uint8Array(p.suffixArray.buffer, p.suffixArray.byteOffset, p.suffixArray.byteLength), layout.suffixArray);
  createHash("sha256").update(out.subarray(0, layout.checksum)).digest().copy(out, layout.checksum);
  return out;
}

/** Reads the header of an index file, checking its magic and format version (not yet its checksum). */
export function decodeIndexHeader(bytes: Uint8Array, { path, versionId }: DecodeIndexOptions = {}): IndexHeader {
  if (bytes.length < INDEX_HEADER_BYTES) corrupt(path, `${bytes.length} bytes, shorter than the header`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString("latin1", 0, 8) !== INDEX_MAGIC) corrupt(path, "not an attribution index (bad magic)");
  const formatVersion = buf.readUInt32LE(8);
  if (formatVersion !== INDEX_FORMAT_VERSION) {
    mismatch(path, "format version", String(INDEX_FORMAT_VERSION), String(formatVersion));
  }
  const header: IndexHeader = {
    formatVersion,
    minSpan: buf.readUInt32LE(12),
    versionId: BigInt(`0x${buf.toString("hex", 16, 48)}`),
    inputDigest: `0x${buf.toString("hex", 48, 80)}`,
    positions: buf.readUInt32LE(80),
    sampleCount: buf.readUInt32LE(84),
    datasetCount: buf.readUInt32LE(88),
    vocabularyCount: buf.readUInt32LE(92),
    vocabularyBytes: buf.readUInt32LE(96),
  };
  if (versionId !== undefined && header.versionId !== versionId) {
    mismatch(path, "version id", String(versionId), String(header.versionId));
  }
  return header;
}

/**
 * An index from its file's bytes, refusing a file that is truncated, fails its checksum or does not hold together
 * (`INDEX_CORRUPT`), or is of another format or version (`INDEX_MISMATCH`). The typed arrays are views of `bytes`.
 *
 * @throws {AttributionError} `INDEX_CORRUPT`, `INDEX_MISMATCH`
 */
export function decodeIndex(bytes: Uint8Array, options: DecodeIndexOptions = {}): AttributionIndex {
  const { path } = options;
  const header = decodeIndexHeader(bytes, options);
  const layout = getLayout(header);
  if (bytes.length !== layout.total)
    corrupt(path, `expected ${layout.total} bytes from the header, found ${bytes.length}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const checksum = createHash("sha256").update(buf.subarray(0, layout.checksum)).digest();
  if (!checksum.equals(buf.subarray(layout.checksum))) corrupt(path, "checksum mismatch");
  // Views need 4-byte alignment; a copy is the price of an odd buffer.
  const aligned = bytes.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  try {
    checkMinSpan(header.minSpan);
  } catch {
    corrupt(path, `minSpan ${header.minSpan}`);
  }
  const n = header.positions;
  if (header.datasetCount === 0 || header.sampleCount === 0) corrupt(path, "no dataset or no sample");

  const datasetIds: bigint[] = [];
  const datasetStarts = new Int32Array(header.datasetCount + 1);
  const trainingShares: ContributorShare[] = [];
  let shareTotal = 0;
  for (let k = 0; k < header.datasetCount; k++) {
    const at = layout.datasets + k * DATASET_ENTRY_BYTES;
    const datasetId = BigInt(`0x${buf.toString("hex", at, at + 32)}`);
    const start = buf.readUInt32LE(at + 32);
    const weightPpm = buf.readUInt32LE(at + 36);
    if (k > 0 && datasetId <= (datasetIds[k - 1] as bigint)) corrupt(path, "dataset ids not ascending");
    if (start >= n || (k > 0 && start <= (datasetStarts[k - 1] as number)) || (k === 0 && start !== 0)) {
      corrupt(path, `dataset ${datasetId} starts at ${start}`);
    }
    datasetIds.push(datasetId);
    datasetStarts[k] = start;
    shareTotal += weightPpm;
    if (weightPpm > 0) trainingShares.push({ datasetId, weightPpm });
  }
  datasetStarts[header.datasetCount] = n;
  if (shareTotal !== PPM) corrupt(path, `training shares sum to ${shareTotal}`);

  const vocabulary: string[] = [];
  for (let i = 0; i < header.vocabularyCount; i++) {
    const from = buf.readUInt32LE(layout.vocabularyOffsets + 4 * i);
    const to = buf.readUInt32LE(layout.vocabularyOffsets + 4 * (i + 1));
    if (from > to || to > header.vocabularyBytes) corrupt(path, `vocabulary entry ${i} out of range`);
    vocabulary.push(buf.toString("utf8", layout.vocabularyText + from, layout.vocabularyText + to));
  }
  const text = new Int32Array(aligned.buffer, aligned.byteOffset + layout.text, n);
  const suffixArray = new Int32Array(aligned.buffer, aligned.byteOffset + layout.suffixArray, n);
  const seen = new Uint8Array(n);
  let separators = 0;
  for (let i = 0; i < n; i++) {
    const t = text[i] as number;
    if (t < 0 || t > header.vocabularyCount) corrupt(path, `token id ${t} at position ${i}`);
    if (t === 0) separators++;
    const r = suffixArray[i] as number;
    if (r < 0 || r >= n || seen[r] === 1) corrupt(path, `suffix array row ${i} holds ${r}`);
    seen[r] = 1;
  }
  if (separators !== header.sampleCount || (n > 0 && text[n - 1] !== 0))
    corrupt(path, "samples do not end in separators");

  return new AttributionIndex({
    versionId: header.versionId,
    minSpan: header.minSpan,
    inputDigest: header.inputDigest,
    sampleCount: header.sampleCount,
    datasetIds,
    datasetStarts,
    trainingShares,
    vocabulary,
    text,
    suffixArray,
  });
}

/** Writes an index file atomically: a temporary file beside it, then a rename, so a crash leaves no half file. */
export async function saveIndex(index: AttributionIndex, path: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, encodeIndex(index), { flush: true });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Reads and checks an index file (see {@link decodeIndex}). A missing file is Node's `ENOENT` error. */
export async function loadIndex(path: string, versionId?: bigint): Promise<AttributionIndex> {
  const bytes = await readFile(path);
  return decodeIndex(bytes, versionId === undefined ? { path } : { path, versionId });
}

/** The header of an index file, read without the rest; `undefined` when the file does not exist. */
export async function readIndexHeader(path: string, versionId?: bigint): Promise<IndexHeader | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const bytes = Buffer.alloc(INDEX_HEADER_BYTES);
    const { bytesRead } = await handle.read(bytes, 0, INDEX_HEADER_BYTES, 0);
    return decodeIndexHeader(bytes.subarray(0, bytesRead), versionId === undefined ? { path } : { path, versionId });
  } finally {
    await handle.close();
  }
}

interface Layout {
  datasets: number;
  vocabularyOffsets: number;
  vocabularyText: number;
  text: number;
  suffixArray: number;
  checksum: number;
  total: number;
}

function getLayout(h: {
  positions: number;
  datasetCount: number;
  vocabularyCount: number;
  vocabularyBytes: number;
}): Layout {
  const datasets = INDEX_HEADER_BYTES;
  const vocabularyOffsets = datasets + h.datasetCount * DATASET_ENTRY_BYTES;
  const vocabularyText = align8(vocabularyOffsets + 4 * (h.vocabularyCount + 1));
  const text = align8(vocabularyText + h.vocabularyBytes);
  const suffixArray = text + 4 * h.positions;
  const checksum = align8(suffixArray + 4 * h.positions);
  return { datasets, vocabularyOffsets, vocabularyText, text, suffixArray, checksum, total: checksum + CHECKSUM_BYTES };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function corrupt(path: string | undefined, reason: string): never {
  throw new AttributionError(
    path === undefined
      ? { code: AttributionErrorCode.INDEX_CORRUPT, reason }
      : { code: AttributionErrorCode.INDEX_CORRUPT, path, reason },
  );
}

function mismatch(path: string | undefined, field: string, expected: string, found: string): never {
  throw new AttributionError(
    path === undefined
      ? { code: AttributionErrorCode.INDEX_MISMATCH, field, expected, found }
      : { code: AttributionErrorCode.INDEX_MISMATCH, path, field, expected, found },
  );
}
