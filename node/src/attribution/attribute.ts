import { type ContributorShare, divideLargestRemainder, normalize } from "../protocol/index.js";
import { type AttributionIndex, checkMinSpan } from "./corpusIndex.js";
import { checkTrainingShares, PPM } from "./shares.js";
import { tokenizeWithOffsets } from "./tokenize.js";

const BIG_PPM = BigInt(PPM);

/** Options of {@link attribute}. */
export interface AttributeOptions {
  /** Shortest span in tokens; default the index's (the training config's `minSpan`). */
  readonly minSpan?: number;
  /** The version's training shares; default the index's. */
  readonly trainingSharesPpm?: readonly ContributorShare[];
  /** A private record (DESIGN §4): its weights are the training shares, and no span is computed. */
  readonly private?: boolean;
}

/** One span of DESIGN §8: output tokens [startToken, endToken) found in the corpus. */
export interface AttributionSpan {
  readonly startToken: number;
  /** Exclusive. */
  readonly endToken: number;
  /** The normalized output text the span covers, from its first token's start to its last token's end. */
  readonly text: string;
  /** c: corpus positions where the span's token sequence starts. */
  readonly occurrences: number;
  /** n_d of each dataset holding some of them, ascending by id. */
  readonly datasets: readonly { datasetId: bigint; count: number }[];
}

/** What {@link attribute} finds: the record's `datasetIds`/`weightsPpm` and how they came about. */
export interface AttributionResult {
  /** Strictly ascending. */
  readonly datasetIds: bigint[];
  /** Each > 0, summing to exactly 1,000,000. */
  readonly weightsPpm: number[];
  readonly spans: AttributionSpan[];
  /** credit_d of each dataset with a span, ascending by id (C is their sum). */
  readonly credits: { datasetId: bigint; credit: bigint }[];
  /** Tokens of the normalized output. */
  readonly outputTokens: number;
}

/**
 * DESIGN §8 attribution of one output against a version's index: the output is normalized and tokenized like the
 * samples; spans are taken greedily from the left (the longest corpus match at each position, kept when it has at
 * least `minSpan` tokens, the scan then going on after it, else one token on); a span found at c corpus positions
 * credits each dataset holding n_d of them `length × floor(1e6 / c) × n_d`; the weights are
 * `(9 × credit_d × 1e6 + t_d × C) / (10 × C × 1e6)` in ppm by largest remainder (ties to the lower id, zero weights
 * left out). With no span (C = 0), or for a private record, the weights are the training shares. Pure.
 *
 * @throws {AttributionError} `INVALID_MIN_SPAN`, `INVALID_SHARES`
 */
export function attribute(
  index: AttributionIndex,
  outputText: string,
  options: AttributeOptions = {},
): AttributionResult {
  const minSpan = options.minSpan ?? index.minSpan;
  checkMinSpan(minSpan);
  const shares =
    options.trainingSharesPpm === undefined
      ? index.trainingShares
      : checkTrainingShares(options.trainingSharesPpm, new Set(index.datasetIds));
  if (options.private === true) return { ...fromShares(shares), spans: [], credits: [], outputTokens: 0 };

  const normalized = normalize(outputText);
  const tokens = tokenizeWithOffsets(normalized);
  const ids = index.toTokenIds(tokens.map((t) => t.token));
  const spans: AttributionSpan[] = [];
  const credits = new Map<bigint, bigint>();
  let i = 0;
  while (i < ids.length) {
    const match = index.findLongestMatch(ids, i);
    if (match.length < minSpan) {
      i++;
      continue;
    }
    const occurrences = match.hi - match.lo;
    const datasets = index.countDatasets(match.lo, match.hi);
    const perOccurrence = BigInt(match.length) * BigInt(Math.floor(PPM / occurrences));
    for (const { datasetId, count } of datasets) {
      credits.set(datasetId, (credits.get(datasetId) ?? 0n) + perOccurrence * BigInt(count));
    }
    const first = tokens[i] as { start: number };
    const last = tokens[i + match.length - 1] as { end: number };
    spans.push({
      startToken: i,
      endToken: i + match.length,
      text: normalized.slice(first.start, last.end),
      occurrences,
      datasets,
    });
    i += match.length;
  }

  const creditRows = [...credits]
    .filter(([, credit]) => credit > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([datasetId, credit]) => ({ datasetId, credit }));
  const total = creditRows.reduce((sum, row) => sum + row.credit, 0n);
  // [DESIGN §8] with no span (C = 0) the weights are the training shares.
  if (total === 0n) return { ...fromShares(shares), spans, credits: creditRows, outputTokens: tokens.length };

  const numerators = new Map<bigint, bigint>();
  for (const { datasetId, weightPpm } of shares) numerators.set(datasetId, BigInt(weightPpm) * total);
  for (const { datasetId, credit } of creditRows) {
    numerators.set(datasetId, (numerators.get(datasetId) ?? 0n) + 9n * credit * BIG_PPM);
  }
  // Σ numerators = 9·C·1e6 + 1e6·C = 10·C·1e6, the design's denominator: dividing 1e6 ppm over them by largest
  // remainder is exactly "rounded to ppm by largest remainder".
  const leaves = divideLargestRemainder(BIG_PPM, numerators);
  return {
    datasetIds: leaves.map((l) => l.datasetId),
    weightsPpm: leaves.map((l) => Number(l.amount)),
    spans,
    credits: creditRows,
    outputTokens: tokens.length,
  };
}

function fromShares(shares: readonly ContributorShare[]): { datasetIds: bigint[]; weightsPpm: number[] } {
  const kept = shares.filter((s) => s.weightPpm > 0);
  return { datasetIds: kept.map((s) => s.datasetId), weightsPpm: kept.map((s) => s.weightPpm) };
}
