import { createHash } from "node:crypto";
import type { Hex } from "viem";
import { type ContributorShare, hashNormalizedText, normalize } from "../protocol/index.js";
import { AttributionError, AttributionErrorCode } from "./errors.js";
import { checkTrainingShares } from "./shares.js";
import { buildSuffixArray } from "./suffixArray.js";
import { tokenize } from "./tokenize.js";

/** DESIGN §8 default `minSpan` (the training config may name another). */
export const DEFAULT_MIN_SPAN = 8;

/** Most positions (tokens plus one separator per sample) one index holds: `Int32Array` offsets. */
export const MAX_POSITIONS = 0x7fff_ffff;

/** The token id after each sample: below every real token, and in no output, so no match crosses two samples. */
const SEPARATOR = 0;

const SAMPLE_HASH = /^0x[0-9a-fA-F]{64}$/;

/**
 * One sample of the DESIGN §7 training corpus. The trainer's `CorpusLine` fits as it is: `text` is the sample's
 * canonical text (DESIGN §4) before `normalize`.
 */
export interface AttributionSample {
  readonly datasetId: bigint;
  readonly sampleHash: Hex;
  readonly text: string;
}

/** Inputs of {@link AttributionIndex.build}. */
export interface BuildAttributionIndexParameters {
  readonly versionId: bigint;
  /** The version's training corpus (DESIGN §7), each sample once, in any order. */
  readonly samples: readonly AttributionSample[];
  /** The version's training shares in ppm (the contributors root). */
  readonly trainingShares: readonly ContributorShare[];
  /** The training config's `minSpan`; default {@link DEFAULT_MIN_SPAN}. */
  readonly minSpan?: number;
  /**
   * Recompute every sample hash from its text (default true): the index then provably holds the corpus the hashes
   * name. Off only where the caller has just checked them (a corpus fresh from `buildTrainingCorpus`).
   */
  readonly checkSampleHashes?: boolean;
}

/** The rows of the suffix array whose suffixes start with the longest match found, and its length in tokens. */
export interface CorpusMatch {
  readonly length: number;
  /** First row (inclusive). */
  readonly lo: number;
  /** Last row (exclusive): `hi − lo` is the number c of corpus positions where the match starts. */
  readonly hi: number;
}

/** How often a token sequence starts in the corpus, in all (c) and per dataset (n_d, ascending by id, no zeros). */
export interface CorpusOccurrences {
  readonly occurrences: number;
  readonly datasets: { datasetId: bigint; count: number }[];
}

/** The parts an index is made of, as built or as read from its file. */
export interface AttributionIndexParts {
  readonly versionId: bigint;
  readonly minSpan: number;
  /** sha256 of what built the index (see {@link getInputDigest}): equal inputs, equal digest. */
  readonly inputDigest: Hex;
  readonly sampleCount: number;
  /** Ascending. */
  readonly datasetIds: readonly bigint[];
  /** First position of each dataset's samples, then the number of positions: samples lie in dataset order. */
  readonly datasetStarts: Int32Array;
  /** Ascending by id, zero shares left out. */
  readonly trainingShares: readonly ContributorShare[];
  /** Token strings; the token with id i is `vocabulary[i − 1]` (id 0 is the separator). */
  readonly vocabulary: readonly string[];
  /** Token ids of the samples, each followed by the separator. */
  readonly text: Int32Array;
  /** The suffix array of `text`. */
  readonly suffixArray: Int32Array;
}

/**
 * The DESIGN §8 attribution index of one adapter version: its training corpus as token ids, one sample per document,
 * and their suffix array, so that for any token sequence the number c of corpus positions where it starts and each
 * dataset's share n_d of them come from two binary searches and one pass over c rows. Built once per version
 * (`build`), saved and loaded by `encodeIndex` / `decodeIndex` (indexFile.ts); the same inputs always give the same
 * bytes. Immutable.
 */
export class AttributionIndex {
  readonly versionId: bigint;
  readonly minSpan: number;
  readonly inputDigest: Hex;
  readonly sampleCount: number;
  readonly datasetIds: readonly bigint[];
  readonly trainingShares: readonly ContributorShare[];
  /** @internal the parts, for the file encoder */
  readonly parts: AttributionIndexParts;
  private readonly vocabularyIds: Map<string, number>;
  private readonly text: Int32Array;
  private readonly sa: Int32Array;
  /** The dataset (its place in `datasetIds`) of each suffix-array row: counting n_d reads c entries of it. */
  private readonly rowDataset: Uint16Array | Uint32Array;

  /** Use {@link AttributionIndex.build} or `decodeIndex`; the parts are trusted as they are. */
  constructor(parts: AttributionIndexParts) {
    this.parts = parts;
    this.versionId = parts.versionId;
    this.minSpan = parts.minSpan;
    this.inputDigest = parts.inputDigest;
    this.sampleCount = parts.sampleCount;
    this.datasetIds = parts.datasetIds;
    this.trainingShares = parts.trainingShares;
    this.text = parts.text;
    this.sa = parts.suffixArray;
    this.vocabularyIds = new Map();
    parts.vocabulary.forEach((token, i) => {
      this.vocabularyIds.set(token, i + 1);
    });
    const n = this.text.length;
    const d = parts.datasetIds.length;
    const positionDataset = d <= 0xffff ? new Uint16Array(n) : new Uint32Array(n);
    for (let k = 0; k < d; k++) positionDataset.fill(k, parts.datasetStarts[k], parts.datasetStarts[k + 1]);
    const rowDataset = d <= 0xffff ? new Uint16Array(n) : new Uint32Array(n);
    for (let r = 0; r < n; r++) rowDataset[r] = positionDataset[this.sa[r] as number] as number;
    this.rowDataset = rowDataset;
  }

  /**
   * Builds the index of a version's training corpus (DESIGN §8 "Corpus"): each sample's normalized canonical text,
   * tokenized, on its own. Samples are laid out by (datasetId, sampleHash), the §7 index order, and token ids are
   * given in order of first appearance there, so any order of the same samples builds the same index.
   *
   * @throws {AttributionError} `INVALID_CORPUS`, `SAMPLE_HASH_MISMATCH`, `INVALID_SHARES`, `INVALID_MIN_SPAN`,
   * `CORPUS_TOO_LARGE`
   */
  static build({
    versionId,
    samples,
    trainingShares,
    minSpan = DEFAULT_MIN_SPAN,
    checkSampleHashes = true,
  }: BuildAttributionIndexParameters): AttributionIndex {
    checkMinSpan(minSpan);
    if (versionId < 0n || versionId >= 1n << 256n) invalidCorpus(`version id ${versionId} is not a uint256`);
    if (samples.length === 0) invalidCorpus("no sample");
    const sorted = sortSamples(samples);
    const datasetIds: bigint[] = [];
    for (const s of sorted) if (datasetIds.at(-1) !== s.datasetId) datasetIds.push(s.datasetId);
    const shares = checkTrainingShares(trainingShares, new Set(datasetIds));

    const vocabularyIds = new Map<string, number>();
    const vocabulary: string[] = [];
    let text = new Int32Array(Math.max(1024, sorted.length * 16));
    let n = 0;
    const datasetStarts = new Int32Array(datasetIds.length + 1);
    let datasetIndex = -1;
    for (const sample of sorted) {
      if (datasetIds[datasetIndex] !== sample.datasetId) datasetStarts[++datasetIndex] = n;
      const normalized = normalize(sample.text);
      if (normalized === "") invalidCorpus(`sample ${sample.sampleHash} of dataset ${sample.datasetId} is empty`);
      if (checkSampleHashes) {
        const found = hashNormalizedText(normalized);
        if (found !== sample.sampleHash) {
          throw new AttributionError({
            code: AttributionErrorCode.SAMPLE_HASH_MISMATCH,
            datasetId: sample.datasetId,
            expected: sample.sampleHash,
            found,
          });
        }
      }
      const tokens = tokenize(normalized);
      if (n + tokens.length + 1 > MAX_POSITIONS) {
        throw new AttributionError({
          code: AttributionErrorCode.CORPUS_TOO_LARGE,
          positions: n + tokens.length + 1,
          max: MAX_POSITIONS,
        });
      }
      if (n + tokens.length + 1 > text.length) {
        const grown = new Int32Array(Math.min(MAX_POSITIONS, Math.max(text.length * 2, n + tokens.length + 1)));
        grown.set(text.subarray(0, n));
        text = grown;
      }
      for (const token of tokens) {
        let id = vocabularyIds.get(token);
        if (id === undefined) {
          // A copy: the match is a slice that would otherwise keep its whole sample text alive.
          const own = Buffer.from(token, "utf8").toString("utf8");
          vocabulary.push(own);
          id = vocabulary.length;
          vocabularyIds.set(own, id);
        }
        text[n++] = id;
      }
      text[n++] = SEPARATOR;
    }
    datasetStarts[datasetIds.length] = n;
    text = text.slice(0, n);
    const suffixArray = buildSuffixArray(text, vocabulary.length);
    return new AttributionIndex({
      versionId,
      minSpan,
      inputDigest: getInputDigest(minSpan, sorted, shares),
      sampleCount: sorted.length,
      datasetIds,
      datasetStarts,
      trainingShares: shares,
      vocabulary,
      text,
      suffixArray,
    });
  }

  /** Corpus positions: tokens plus one separator per sample. */
  get positions(): number {
    return this.text.length;
  }

  /** Distinct tokens of the corpus. */
  get vocabularySize(): number {
    return this.vocabularyIds.size;
  }

  /** Bytes of the typed arrays this index keeps (the vocabulary's strings not counted). */
  get arrayBytes(): number {
    return this.text.byteLength + this.sa.byteLength + this.rowDataset.byteLength;
  }

  /** Token ids of output tokens; a token the corpus never holds is −1 and matches nothing. */
  toTokenIds(tokens: readonly string[]): Int32Array {
    const ids = new Int32Array(tokens.length);
    tokens.forEach((token, i) => {
      ids[i] = this.vocabularyIds.get(token) ?? -1;
    });
    return ids;
  }

  /**
   * The longest prefix of `ids[start…]` that occurs in the corpus, and the suffix-array rows where it starts: each
   * further token narrows the rows by two binary searches, so the cost is O(length × log positions).
   */
  findLongestMatch(ids: Int32Array, start: number): CorpusMatch {
    const { text, sa } = this;
    let lo = 0;
    let hi = sa.length;
    let length = 0;
    while (start + length < ids.length) {
      const t = ids[start + length] as number;
      if (t <= SEPARATOR) break;
      // Rows [lo, hi) share their first `length` tokens, all real tokens, so position sa[r] + length is inside text
      // (at worst the separator ending the sample).
      let a = lo;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if ((text[(sa[mid] as number) + length] as number) < t) a = mid + 1;
        else b = mid;
      }
      const first = a;
      b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if ((text[(sa[mid] as number) + length] as number) <= t) a = mid + 1;
        else b = mid;
      }
      if (a === first) break;
      lo = first;
      hi = a;
      length++;
    }
    return length === 0 ? { length, lo: 0, hi: 0 } : { length, lo, hi };
  }

  /** n_d of suffix-array rows [lo, hi): how many of them lie in each dataset, ascending by id, no zeros. */
  countDatasets(lo: number, hi: number): { datasetId: bigint; count: number }[] {
    const counts = new Map<number, number>();
    const { rowDataset } = this;
    for (let r = lo; r < hi; r++) {
      const d = rowDataset[r] as number;
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    return [...counts]
      .sort(([a], [b]) => a - b)
      .map(([d, count]) => ({ datasetId: this.datasetIds[d] as bigint, count }));
  }

  /** The number c of corpus positions where `tokens` starts, and per dataset n_d (none when it does not occur). */
  getOccurrences(tokens: readonly string[]): CorpusOccurrences {
    if (tokens.length === 0) return { occurrences: 0, datasets: [] };
    const ids = this.toTokenIds(tokens);
    const match = this.findLongestMatch(ids, 0);
    if (match.length < tokens.length) return { occurrences: 0, datasets: [] };
    return { occurrences: match.hi - match.lo, datasets: this.countDatasets(match.lo, match.hi) };
  }
}

/** @throws {AttributionError} `INVALID_MIN_SPAN` */
export function checkMinSpan(minSpan: number): void {
  if (!Number.isInteger(minSpan) || minSpan < 1 || minSpan > 0xffff) {
    throw new AttributionError({ code: AttributionErrorCode.INVALID_MIN_SPAN, minSpan });
  }
}

/**
 * sha256 over what shapes an index, besides its version id: `minSpan`, the samples' (datasetId, sampleHash) in index
 * order (a sample hash binds its text) and the training shares. Lets a stored index be recognised without rebuilding.
 */
export function getInputDigest(
  minSpan: number,
  sortedSamples: readonly { datasetId: bigint; sampleHash: Hex }[],
  shares: readonly ContributorShare[],
): Hex {
  const hash = createHash("sha256");
  hash.update("olp-attribution-input-v1");
  const u32 = Buffer.alloc(4);
  u32.writeUInt32LE(minSpan);
  hash.update(u32);
  u32.writeUInt32LE(sortedSamples.length);
  hash.update(u32);
  for (const s of sortedSamples) {
    hash.update(uint256(s.datasetId));
    hash.update(Buffer.from(s.sampleHash.slice(2), "hex"));
  }
  u32.writeUInt32LE(shares.length);
  hash.update(u32);
  for (const s of shares) {
    hash.update(uint256(s.datasetId));
    u32.writeUInt32LE(s.weightPpm);
    hash.update(u32);
  }
  return `0x${hash.digest("hex")}`;
}

/** The samples in the DESIGN §7 index order, checked: ids ≥ 1, well-formed hashes (lowercased), each hash once. */
export function sortSamples(samples: readonly AttributionSample[]): AttributionSample[] {
  const seen = new Set<string>();
  const sorted = samples.map((s) => {
    if (s.datasetId < 1n || s.datasetId >= 1n << 256n)
      invalidCorpus(`dataset id ${s.datasetId} is not from 1 to 2^256 − 1`);
    if (!SAMPLE_HASH.test(s.sampleHash)) invalidCorpus(`sample hash ${JSON.stringify(s.sampleHash)} is not 32 bytes`);
    const sampleHash = s.sampleHash.toLowerCase() as Hex;
    // [DESIGN §7] each sample hash once in the corpus, owned by its earliest dataset.
    if (seen.has(sampleHash)) invalidCorpus(`sample ${sampleHash} appears twice`);
    seen.add(sampleHash);
    return { datasetId: s.datasetId, sampleHash, text: s.text };
  });
  return sorted.sort((a, b) =>
    a.datasetId !== b.datasetId
      ? a.datasetId < b.datasetId
        ? -1
        : 1
      : a.sampleHash < b.sampleHash
        ? -1
        : a.sampleHash > b.sampleHash
          ? 1
          : 0,
  );
}

/** 32 bytes, big-endian. */
export function uint256(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex");
}

function invalidCorpus(reason: string): never {
  throw new AttributionError({ code: AttributionErrorCode.INVALID_CORPUS, reason });
}
