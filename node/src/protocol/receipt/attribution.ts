import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import { ReceiptError, ReceiptErrorCode } from "./errors.js";
import type { AttributionLeaf } from "./types.js";
import { RECORD_WEIGHT_TOTAL } from "./validate.js";

/** Basis points in a whole. */
export const BPS = 10_000n;

/** Leaf encoding of an attribution tree: `(uint256 datasetId, uint256 amount)` (DESIGN §6). */
export const attributionLeafEncoding = ["uint256", "uint256"] as const;

/** Leaf encoding of a records tree: the record ids, `bytes32` (DESIGN §6). */
export const recordLeafEncoding = ["bytes32"] as const;

/** The split of DESIGN §6 in basis points; the protocol part is what is left. */
export type SplitBps = { nodeBps: bigint; ownerBps: bigint; datasetsBps: bigint };

/** The four parts of a collection, as `Split.parts` computes them on-chain. */
export type SplitParts = { node: bigint; owner: bigint; datasets: bigint; protocol: bigint };

/** A covered record as attribution reads it: the receipt's value and the record's weights (DESIGN §6). */
export type CoveredRecord = { value: bigint; datasetIds: readonly bigint[]; weightsPpm: readonly number[] };

/** One redemption of a pool: its dataset part and the weights that divide it. */
export type PoolRedemption = { datasetsPart: bigint; weights: ReadonlyMap<bigint, bigint> };

/** An attribution tree with its leaves (ascending by id, no zero amounts), root and total. */
export type AttributionTree = { leaves: AttributionLeaf[]; root: Hex; total: bigint };

/**
 * Splits `collected` as the Settlement does (DESIGN §6): each part `floor(collected × bps / 10000)`, and the protocol
 * part what is left, dust included, so the parts sum exactly to `collected`.
 */
export function splitCollected(collected: bigint, split: SplitBps): SplitParts {
  const node = (collected * split.nodeBps) / BPS;
  const owner = (collected * split.ownerBps) / BPS;
  const datasets = (collected * split.datasetsBps) / BPS;
  return { node, owner, datasets, protocol: collected - node - owner - datasets };
}

/**
 * Divides `total` over `weights` by largest remainder (DESIGN §6): floor each share, then give the units left one
 * each to the largest remainders, ties to the lower dataset id, so the parts sum exactly to `total`. Returns the
 * non-zero parts, ascending by dataset id. Throws `BAD_WEIGHTS` for a negative weight or weights summing to 0.
 */
export function divideLargestRemainder(total: bigint, weights: ReadonlyMap<bigint, bigint>): AttributionLeaf[] {
  let sum = 0n;
  for (const [datasetId, weight] of weights) {
    if (weight < 0n) {
      throw new ReceiptError({ code: ReceiptErrorCode.BAD_WEIGHTS, reason: `${weight} for dataset ${datasetId}` });
    }
    sum += weight;
  }
  if (sum === 0n) throw new ReceiptError({ code: ReceiptErrorCode.BAD_WEIGHTS, reason: "a sum of 0" });
  if (total < 0n) throw new ReceiptError({ code: ReceiptErrorCode.BAD_WEIGHTS, reason: `a total of ${total}` });
  const rows = [...weights]
    .filter(([, weight]) => weight > 0n)
    .sort(([a], [b]) => compare(a, b))
    .map(([datasetId, weight]) => ({ datasetId, amount: (total * weight) / sum, remainder: (total * weight) % sum }));
  let left = total - rows.reduce((acc, row) => acc + row.amount, 0n);
  // Stable sort of the id-ascending rows: equal remainders keep the lower id first.
  for (const row of [...rows].sort((a, b) => compare(b.remainder, a.remainder))) {
    if (left === 0n) break;
    row.amount += 1n;
    left -= 1n;
  }
  return rows.filter((row) => row.amount > 0n).map(({ datasetId, amount }) => ({ datasetId, amount }));
}

/**
 * The weights `W_r(d)` that divide one redemption's dataset part (DESIGN §6): Σ over the valid records it first
 * covered of `value × weightPpm(d)`, plus the value of covered seqs without a record (`uncoveredValue`, e.g. the
 * lane's cumulative step minus the values of its records) weighed by the version's training shares. A redemption
 * that covered nothing (a top-up of an already-covered receipt) is weighed by the training shares alone.
 */
export function redemptionWeights(
  records: readonly CoveredRecord[],
  uncoveredValue: bigint,
  trainingShares: ReadonlyMap<bigint, bigint>,
): Map<bigint, bigint> {
  if (records.length === 0 && uncoveredValue === 0n) return new Map(trainingShares);
  const weights = new Map<bigint, bigint>();
  const add = (datasetId: bigint, weight: bigint) => weights.set(datasetId, (weights.get(datasetId) ?? 0n) + weight);
  for (const record of records) {
    record.datasetIds.forEach((datasetId, i) => {
      add(datasetId, record.value * BigInt(record.weightsPpm[i] ?? 0));
    });
  }
  if (uncoveredValue > 0n) {
    for (const [datasetId, share] of trainingShares) add(datasetId, uncoveredValue * share);
  }
  return weights;
}

/**
 * The leaves of a pool's attribution tree (DESIGN §6): `amount(d)` = Σ over the pool's redemptions of their dataset
 * part divided by largest remainder over their weights; datasets with 0 are left out; ascending by id.
 */
export function attributePool(redemptions: readonly PoolRedemption[]): AttributionLeaf[] {
  const amounts = new Map<bigint, bigint>();
  for (const { datasetsPart, weights } of redemptions) {
    for (const { datasetId, amount } of divideLargestRemainder(datasetsPart, weights)) {
      amounts.set(datasetId, (amounts.get(datasetId) ?? 0n) + amount);
    }
  }
  return [...amounts]
    .filter(([, amount]) => amount > 0n)
    .sort(([a], [b]) => compare(a, b))
    .map(([datasetId, amount]) => ({ datasetId, amount }));
}

/**
 * The attribution tree of a pool: the standard tree over `(uint256 datasetId, uint256 amount)` (DESIGN §6), its root
 * and its total, which the Settlement requires to equal the pool. Leaves are sorted by id and zero amounts dropped.
 */
export function buildAttributionTree(leaves: readonly AttributionLeaf[]): AttributionTree {
  const sorted = normalizeLeaves(leaves);
  const tree = StandardMerkleTree.of(toValues(sorted), [...attributionLeafEncoding]);
  return { leaves: sorted, root: tree.root as Hex, total: sorted.reduce((acc, leaf) => acc + leaf.amount, 0n) };
}

/** The proofs of every leaf of an attribution tree, by dataset id (one tree build for all of them). */
export function getAttributionProofs(leaves: readonly AttributionLeaf[]): Map<bigint, Hex[]> {
  const sorted = normalizeLeaves(leaves);
  const tree = StandardMerkleTree.of(toValues(sorted), [...attributionLeafEncoding]);
  const proofs = new Map<bigint, Hex[]>();
  for (const [index, [datasetId]] of tree.entries()) proofs.set(datasetId, tree.getProof(index) as Hex[]);
  return proofs;
}

/** The proof of `datasetId`'s leaf; throws `NOT_IN_TREE` when it has none. */
export function getAttributionProof(leaves: readonly AttributionLeaf[], datasetId: bigint): Hex[] {
  const proof = getAttributionProofs(leaves).get(datasetId);
  if (!proof) throw new ReceiptError({ code: ReceiptErrorCode.NOT_IN_TREE, datasetId });
  return proof;
}

/** `recordsRoot` (DESIGN §6): the standard tree over the ids of the records the node counted, as `bytes32`. */
export function getRecordsRoot(recordIds: readonly Hex[]): Hex {
  return StandardMerkleTree.of(
    recordIds.map((id) => [id]),
    [...recordLeafEncoding],
  ).root as Hex;
}

/** What a fallback claim pays (DESIGN §6): `floor(pool × weightPpm / 1e6)`. */
export function getFallbackAmount(pool: bigint, weightPpm: number): bigint {
  return (pool * BigInt(weightPpm)) / BigInt(RECORD_WEIGHT_TOTAL);
}

function normalizeLeaves(leaves: readonly AttributionLeaf[]): AttributionLeaf[] {
  const seen = new Set<bigint>();
  for (const { datasetId } of leaves) {
    if (seen.has(datasetId)) {
      throw new ReceiptError({ code: ReceiptErrorCode.BAD_WEIGHTS, reason: `dataset ${datasetId} twice` });
    }
    seen.add(datasetId);
  }
  const sorted = leaves.filter((leaf) => leaf.amount > 0n).sort((a, b) => compare(a.datasetId, b.datasetId));
  if (sorted.length === 0) throw new ReceiptError({ code: ReceiptErrorCode.BAD_WEIGHTS, reason: "no leaf above 0" });
  return sorted;
}

function toValues(leaves: readonly AttributionLeaf[]): [bigint, bigint][] {
  return leaves.map((leaf) => [leaf.datasetId, leaf.amount]);
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
