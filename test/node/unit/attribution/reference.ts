import { type ContributorShare, normalize } from "../../../../node/src/protocol/index.js";

/**
 * A brute-force DESIGN §8, written from the text of the design with no suffix array: every output position is compared
 * with every corpus position. Slow and obviously right; the suffix-array attribution must agree with it exactly.
 */
export interface ReferenceResult {
  spans: {
    startToken: number;
    endToken: number;
    occurrences: number;
    datasets: { datasetId: bigint; count: number }[];
  }[];
  credits: { datasetId: bigint; credit: bigint }[];
  datasetIds: bigint[];
  weightsPpm: number[];
}

const TOKEN = /[\p{L}\p{M}\p{N}]+|[^ ]/gu;

function tokens(text: string): string[] {
  return normalize(text).match(TOKEN) ?? [];
}

export function referenceAttribute(
  corpus: readonly { datasetId: bigint; text: string }[],
  shares: readonly ContributorShare[],
  output: string,
  minSpan: number,
): ReferenceResult {
  const docs = corpus.map((s) => ({ datasetId: s.datasetId, tokens: tokens(s.text) }));
  const out = tokens(output);
  const matchAt = (doc: string[], p: number, i: number): number => {
    let k = 0;
    while (i + k < out.length && p + k < doc.length && doc[p + k] === out[i + k]) k++;
    return k;
  };
  const spans: ReferenceResult["spans"] = [];
  const credits = new Map<bigint, bigint>();
  let i = 0;
  while (i < out.length) {
    let best = 0;
    for (const doc of docs)
      for (let p = 0; p < doc.tokens.length; p++) best = Math.max(best, matchAt(doc.tokens, p, i));
    if (best < minSpan) {
      i++;
      continue;
    }
    const counts = new Map<bigint, number>();
    let c = 0;
    for (const doc of docs) {
      for (let p = 0; p < doc.tokens.length; p++) {
        if (matchAt(doc.tokens, p, i) >= best) {
          c++;
          counts.set(doc.datasetId, (counts.get(doc.datasetId) ?? 0) + 1);
        }
      }
    }
    const datasets = [...counts]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([datasetId, count]) => ({ datasetId, count }));
    for (const { datasetId, count } of datasets) {
      const credit = BigInt(best) * BigInt(Math.floor(1_000_000 / c)) * BigInt(count);
      credits.set(datasetId, (credits.get(datasetId) ?? 0n) + credit);
    }
    spans.push({ startToken: i, endToken: i + best, occurrences: c, datasets });
    i += best;
  }
  const creditRows = [...credits]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([datasetId, credit]) => ({ datasetId, credit }));
  const C = creditRows.reduce((s, r) => s + r.credit, 0n);
  const positive = shares.filter((s) => s.weightPpm > 0).sort((a, b) => (a.datasetId < b.datasetId ? -1 : 1));
  if (C === 0n) {
    return {
      spans,
      credits: creditRows,
      datasetIds: positive.map((s) => s.datasetId),
      weightsPpm: positive.map((s) => s.weightPpm),
    };
  }
  // ppm_d = (9·credit_d·1e6 + t_d·C) · 1e6 / (10·C·1e6), floored, then largest remainder, ties to the lower id.
  const ids = [...new Set([...positive.map((s) => s.datasetId), ...creditRows.map((r) => r.datasetId)])].sort((a, b) =>
    a < b ? -1 : 1,
  );
  const den = 10n * C * 1_000_000n;
  const rows = ids.map((datasetId) => {
    const t = BigInt(positive.find((s) => s.datasetId === datasetId)?.weightPpm ?? 0);
    const credit = credits.get(datasetId) ?? 0n;
    const num = (9n * credit * 1_000_000n + t * C) * 1_000_000n;
    return { datasetId, ppm: num / den, rem: num % den };
  });
  let left = 1_000_000n - rows.reduce((s, r) => s + r.ppm, 0n);
  const order = [...rows].sort((a, b) => (a.rem > b.rem ? -1 : a.rem < b.rem ? 1 : a.datasetId < b.datasetId ? -1 : 1));
  for (const row of order) {
    if (left === 0n) break;
    row.ppm += 1n;
    left--;
  }
  const kept = rows.filter((r) => r.ppm > 0n);
  return {
    spans,
    credits: creditRows,
    datasetIds: kept.map((r) => r.datasetId),
    weightsPpm: kept.map((r) => Number(r.ppm)),
  };
}
