import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import { TrainingProofError } from "./errors.js";

/** Shares are parts per million and always sum to exactly this. */
export const PPM = 1_000_000;

/** Leaf encoding of the contributors tree: `(uint256 datasetId, uint32 weightPpm)`. */
export const contributorLeafEncoding = ["uint256", "uint32"] as const;

/** One dataset's training share (DESIGN §7), a leaf of the contributors tree. */
export type ContributorShare = {
  datasetId: bigint;
  weightPpm: number;
};

/**
 * Each dataset's share of the corpus tokens in ppm, by largest remainder (DESIGN §6–§7): floor each
 * share, then give the units left one each to the largest remainders, ties to the lower dataset id,
 * so the shares sum to exactly 1,000,000. Zero shares are left out; the result is ascending by id.
 * Throws `BAD_TOKEN_COUNTS` for a negative count, an id below 1, or no tokens at all.
 */
export function sharesPpm(tokenCounts: ReadonlyMap<bigint, bigint>): ContributorShare[] {
  let total = 0n;
  for (const [id, count] of tokenCounts) {
    if (id < 1n) throw new TrainingProofError("BAD_TOKEN_COUNTS", `dataset id must be ≥ 1, got ${id}`);
    if (count < 0n) throw new TrainingProofError("BAD_TOKEN_COUNTS", `negative token count for dataset ${id}`);
    total += count;
  }
  if (total === 0n) throw new TrainingProofError("BAD_TOKEN_COUNTS", "no tokens: shares are undefined");
  const rows = [...tokenCounts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([datasetId, count]) => {
      const scaled = count * BigInt(PPM);
      return { datasetId, share: scaled / total, remainder: scaled % total };
    });
  let left = BigInt(PPM) - rows.reduce((sum, r) => sum + r.share, 0n);
  // Stable sort on the id-ascending rows: equal remainders keep the lower id first.
  const byRemainder = [...rows].sort((a, b) => (a.remainder > b.remainder ? -1 : a.remainder < b.remainder ? 1 : 0));
  for (const row of byRemainder) {
    if (left === 0n) break;
    row.share += 1n;
    left -= 1n;
  }
  return rows.filter((r) => r.share > 0n).map((r) => ({ datasetId: r.datasetId, weightPpm: Number(r.share) }));
}

function contributorValues(shares: readonly ContributorShare[]): [bigint, number][] {
  const seen = new Set<bigint>();
  let total = 0;
  const values: [bigint, number][] = [];
  for (const { datasetId, weightPpm } of shares) {
    if (seen.has(datasetId)) throw new TrainingProofError("BAD_SHARES", `dataset ${datasetId} appears twice`);
    seen.add(datasetId);
    if (!Number.isInteger(weightPpm) || weightPpm < 0 || weightPpm > PPM) {
      throw new TrainingProofError("BAD_SHARES", `bad weight ${weightPpm} for dataset ${datasetId}`);
    }
    total += weightPpm;
    // [DESIGN §7] zero shares are left out of the contributors tree.
    if (weightPpm > 0) values.push([datasetId, weightPpm]);
  }
  if (total !== PPM) throw new TrainingProofError("BAD_SHARES", `shares sum to ${total}, not ${PPM}`);
  return values;
}

/**
 * `contributorsRoot` (DESIGN §7): the standard tree over `(uint256 datasetId, uint32 weightPpm)`,
 * zero shares left out. Throws `BAD_SHARES` unless the shares sum to exactly 1,000,000 with each id once.
 */
export function contributorsRoot(shares: readonly ContributorShare[]): Hex {
  return StandardMerkleTree.of(contributorValues(shares), [...contributorLeafEncoding]).root as Hex;
}

/** Proof of `datasetId`'s share under {@link contributorsRoot}; throws `BAD_SHARES` if it has none. */
export function contributorsProof(shares: readonly ContributorShare[], datasetId: bigint): Hex[] {
  const values = contributorValues(shares);
  const index = values.findIndex(([id]) => id === datasetId);
  if (index < 0) throw new TrainingProofError("BAD_SHARES", `dataset ${datasetId} has no share`);
  return StandardMerkleTree.of(values, [...contributorLeafEncoding]).getProof(index) as Hex[];
}
