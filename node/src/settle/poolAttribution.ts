import { type Hex, zeroHash } from "viem";
import {
  type AttributionLeaf,
  type AttributionTree,
  attributePool,
  buildAttributionTree,
  type ContributorShare,
  type CoveredRecord,
  checkInferenceRecord,
  getRecordsRoot,
  type PoolRedemption,
  RECORD_WEIGHT_TOTAL,
  redemptionWeights,
} from "../protocol/index.js";

/** A stored record a redemption covered, as attribution reads it. */
export type CoveredEntry = {
  /** The record's id (its EIP-712 digest). */
  recordId: Hex;
  seq: bigint;
  /** The receipt's value. */
  value: bigint;
  datasetIds: readonly bigint[];
  weightsPpm: readonly number[];
  /** Private mode (no output text): weighed by the training shares (DESIGN §4). */
  isPrivate: boolean;
};

/** One `Redeemed` event of a pool with what we hold of the records it first covered (`fromSeq < seq ≤ toSeq`). */
export type RedemptionWithRecords = {
  laneId: Hex;
  fromSeq: bigint;
  toSeq: bigint;
  /** The dataset part of this redemption (the pool's `datasetsBps` of its `collected`). */
  datasetsPart: bigint;
  /** `cumulative(toSeq) − cumulative(fromSeq)`: the value of every covered seq, with a record or not. */
  coveredValue: bigint;
  /** The records held for covered seqs, ascending by seq, each seq once. */
  records: readonly CoveredEntry[];
};

/** A dataset's part of a pool. */
export type DatasetAmount = {
  datasetId: bigint;
  amount: bigint;
  /** Its share of the pool in ppm, rounded down. */
  share: number;
};

/** A pool's attribution as DESIGN §6 defines it. */
export type PoolAttribution = {
  tree: AttributionTree;
  /** The ids of the records counted, ascending, each once. */
  recordIds: Hex[];
  /** `recordsRoot`: the standard tree over `recordIds` (zero when no record was counted). */
  recordsRoot: Hex;
  perDataset: DatasetAmount[];
  /** Covered seqs without a valid record we hold: weighed by the training shares. */
  missingSeqs: bigint;
  /** Counted records in private mode: weighed by the training shares. */
  privateRecords: number;
};

/**
 * Divides a pool over its datasets exactly as DESIGN §6 says, with the protocol's own maths (`redemptionWeights`,
 * `attributePool`, `buildAttributionTree`, `getRecordsRoot`): each redemption's dataset part by largest remainder over
 * `Σ value × weightPpm` of the valid records it first covered; covered seqs without a record, and private records,
 * weigh their value by the training shares; a redemption that covered nothing is weighed by the training shares
 * alone. Pure: the poster and the auditor run the same function on what they hold.
 */
export function computePoolAttribution(
  redemptions: readonly RedemptionWithRecords[],
  trainingShares: readonly ContributorShare[],
): PoolAttribution {
  const shares = new Map(trainingShares.map((share) => [share.datasetId, BigInt(share.weightPpm)]));
  const recordIds = new Set<Hex>();
  const pool: PoolRedemption[] = [];
  let missingSeqs = 0n;
  let privateRecords = 0;
  for (const redemption of redemptions) {
    const covered: CoveredRecord[] = [];
    let counted = 0n;
    let seen = 0n;
    for (const record of redemption.records) {
      if (record.seq <= redemption.fromSeq || record.seq > redemption.toSeq) continue;
      // [DESIGN §6] only valid records count; a seq whose record is not valid weighs by the training shares.
      if (!record.isPrivate && !isValidWeights(record)) continue;
      seen += 1n;
      recordIds.add(record.recordId.toLowerCase() as Hex);
      if (record.isPrivate) {
        privateRecords += 1;
        continue;
      }
      covered.push({ value: record.value, datasetIds: record.datasetIds, weightsPpm: record.weightsPpm });
      counted += record.value;
    }
    missingSeqs += redemption.toSeq - redemption.fromSeq - seen;
    // Private records and covered seqs without a record weigh by the training shares (DESIGN §6).
    const uncovered = redemption.coveredValue > counted ? redemption.coveredValue - counted : 0n;
    pool.push({ datasetsPart: redemption.datasetsPart, weights: redemptionWeights(covered, uncovered, shares) });
  }
  const leaves = attributePool(pool.filter((redemption) => redemption.datasetsPart > 0n));
  const tree = buildAttributionTree(leaves);
  const ids = [...recordIds].sort();
  return {
    tree,
    recordIds: ids,
    recordsRoot: ids.length === 0 ? zeroHash : getRecordsRoot(ids),
    perDataset: getDatasetAmounts(tree.leaves),
    missingSeqs,
    privateRecords,
  };
}

/** Each leaf with its share of the total in ppm (rounded down). */
export function getDatasetAmounts(leaves: readonly AttributionLeaf[]): DatasetAmount[] {
  const total = leaves.reduce((sum, leaf) => sum + leaf.amount, 0n);
  return leaves.map(({ datasetId, amount }) => ({
    datasetId,
    amount,
    share: total === 0n ? 0 : Number((amount * BigInt(RECORD_WEIGHT_TOTAL)) / total),
  }));
}

/** The record's weights follow DESIGN §4 (ids ascending, weights > 0 summing to 1e6); the store's were validated. */
function isValidWeights(record: CoveredEntry): boolean {
  try {
    checkInferenceRecord({
      receiptDigest: zeroHash,
      outputHash: zeroHash,
      promptTokens: 0,
      outputTokens: 0,
      datasetIds: record.datasetIds,
      weightsPpm: record.weightsPpm,
    });
    return true;
  } catch {
    return false;
  }
}
