import type { Hex } from "viem";
import { getUnredeemedValue } from "./laneState.js";
import { getLaneIdOfEntry } from "./laneWriter.js";
import { getOwedLockKey } from "./owed.js";
import { PENDING_RECORD_ID } from "./servedReceipts.js";
import type { Store } from "./store.js";
import type { LaneState } from "./types.js";

/** Most problems an integrity report lists; the rest are counted. */
export const MAX_INTEGRITY_PROBLEMS = 100;

/** Rows read per step of a scan, so a scan holds a bounded amount in memory whatever the store's size. */
const SCAN_PAGE = 256;

/** Largest uint64, the top of a lane's seq range. */
const MAX_SEQ = (1n << 64n) - 1n;

/** What {@link checkIntegrity} found. */
export type IntegrityReport = {
  lanes: number;
  records: number;
  indexEntries: number;
  /** Each broken rule, in words (at most {@link MAX_INTEGRITY_PROBLEMS}). */
  problems: string[];
  /** Problems found beyond those listed. */
  problemsOmitted: number;
};

/**
 * Scans the whole store for what a half-applied batch would leave: a lane whose seqs 1…lastSeq are not all indexed,
 * an index entry naming a missing record or a record of another (lane, seq), a lane whose cumulative or latest
 * receipt is not its last record's, cumulatives that do not rise by each value, a record no index names, an owed total
 * that is not Σ `cumulative − collected` over its (payer, node)'s lanes. Every lane write is one atomic batch, so on a
 * sound store the report is empty, after any crash. Reads a page at a time; holds one running total per (payer, node).
 */
export async function checkIntegrity(store: Store): Promise<IntegrityReport> {
  const report: IntegrityReport = { lanes: 0, records: 0, indexEntries: 0, problems: [], problemsOmitted: 0 };
  const problem = (text: string): void => {
    if (report.problems.length < MAX_INTEGRITY_PROBLEMS) report.problems.push(text);
    else report.problemsOmitted++;
  };

  let expectedIndexEntries = 0n;
  const owed = new Map<string, bigint>();
  let after: Hex | undefined;
  for (;;) {
    const lanes = await store.lanes.list(SCAN_PAGE, after);
    for (const lane of lanes) {
      report.lanes++;
      expectedIndexEntries += await checkLane(store, lane, problem);
      const pair = getOwedLockKey(lane.payer, lane.node);
      owed.set(pair, (owed.get(pair) ?? 0n) + getUnredeemedValue(lane));
    }
    if (lanes.length < SCAN_PAGE) break;
    after = lanes[lanes.length - 1]?.laneId;
  }

  let afterRecord: Hex | undefined;
  for (;;) {
    const rows = await store.records.list(SCAN_PAGE, afterRecord);
    const ids = rows.map(({ value }) => ({ laneId: getLaneIdOfEntry(value.entry), seq: value.entry.receipt.seq }));
    const indexed = await store.laneSeqIndex.getMany(ids);
    rows.forEach(({ id }, index) => {
      report.records++;
      if (indexed[index] !== id) problem(`record ${id} is not what its lane ‖ seq index names`);
    });
    if (rows.length < SCAN_PAGE) break;
    afterRecord = rows[rows.length - 1]?.id;
  }

  let afterIndex: { laneId: Hex; seq: bigint } | undefined;
  for (;;) {
    const rows = await store.laneSeqIndex.list(SCAN_PAGE, afterIndex);
    report.indexEntries += rows.length;
    if (rows.length < SCAN_PAGE) break;
    afterIndex = rows[rows.length - 1]?.id;
  }
  if (BigInt(report.indexEntries) !== expectedIndexEntries) {
    problem(`the lanes' last seqs sum to ${expectedIndexEntries} but the index holds ${report.indexEntries} entries`);
  }

  let afterOwed: { payer: Hex; node: Hex } | undefined;
  for (;;) {
    const rows = await store.owed.list(SCAN_PAGE, afterOwed);
    for (const { key, total } of rows) {
      const pair = getOwedLockKey(key.payer, key.node);
      const expected = owed.get(pair) ?? 0n;
      if (total !== expected) problem(`owed total of ${pair} is ${total} but its lanes owe ${expected}`);
      owed.delete(pair);
    }
    if (rows.length < SCAN_PAGE) break;
    afterOwed = rows[rows.length - 1]?.key;
  }
  for (const [pair, expected] of owed) {
    if (expected !== 0n) problem(`owed total of ${pair} is missing but its lanes owe ${expected}`);
  }
  return report;
}

/**
 * Checks one lane against its index, records and latest receipt; returns how many index entries the lane should have.
 * A latest receipt still pending (accepted over HTTP, not yet answered: `acceptServedReceipt`) has no index entry yet.
 */
async function checkLane(store: Store, lane: LaneState, problem: (text: string) => void): Promise<bigint> {
  const latest = await store.receipts.get(lane.laneId);
  const pending = lane.lastSeq > 0n && latest?.recordId === PENDING_RECORD_ID && latest.receipt.seq === lane.lastSeq;
  const indexedTo = pending ? lane.lastSeq - 1n : lane.lastSeq;
  let expectedSeq = 1n;
  let cumulative = 0n;
  let lastRecordId: Hex | undefined;
  while (expectedSeq <= indexedTo) {
    const rows = await store.laneSeqIndex.getRange(lane.laneId, expectedSeq, MAX_SEQ, SCAN_PAGE);
    if (rows.length === 0) break;
    const values = await store.records.getMany(rows.map((row) => row.recordId));
    for (const [index, row] of rows.entries()) {
      if (row.seq !== expectedSeq) {
        problem(`lane ${lane.laneId} has no index entry at seq ${expectedSeq}`);
        return indexedTo;
      }
      const value = values[index];
      if (value === undefined) {
        problem(`lane ${lane.laneId} seq ${row.seq} names missing record ${row.recordId}`);
        return indexedTo;
      }
      const { receipt } = value.entry;
      if (getLaneIdOfEntry(value.entry) !== lane.laneId || receipt.seq !== row.seq) {
        problem(`lane ${lane.laneId} seq ${row.seq} names record ${row.recordId} of another lane or seq`);
        return indexedTo;
      }
      if (receipt.cumulative !== cumulative + receipt.value) {
        problem(
          `lane ${lane.laneId} seq ${row.seq} has cumulative ${receipt.cumulative}, not ${cumulative + receipt.value}`,
        );
      }
      cumulative = receipt.cumulative;
      lastRecordId = row.recordId;
      expectedSeq++;
    }
  }
  if (expectedSeq <= indexedTo) {
    problem(`lane ${lane.laneId} has last seq ${lane.lastSeq} but its index stops at ${expectedSeq - 1n}`);
    return indexedTo;
  }
  if (pending && latest !== undefined) {
    if (latest.receipt.cumulative !== cumulative + latest.receipt.value) {
      problem(`lane ${lane.laneId} pending seq ${lane.lastSeq} does not continue its last record's cumulative`);
    }
    cumulative = latest.receipt.cumulative;
  }
  const beyond = await store.laneSeqIndex.getRange(lane.laneId, indexedTo + 1n, MAX_SEQ, 1);
  if (beyond.length > 0) problem(`lane ${lane.laneId} has an index entry at seq ${beyond[0]?.seq} beyond its last seq`);
  if (cumulative !== lane.cumulative) {
    problem(`lane ${lane.laneId} has cumulative ${lane.cumulative}, its last record ${cumulative}`);
  }
  if (lane.lastSeq === 0n) {
    if (latest !== undefined) problem(`lane ${lane.laneId} has no entry but a latest receipt`);
  } else if (
    !pending &&
    (latest === undefined || latest.recordId !== lastRecordId || latest.receipt.seq !== lane.lastSeq)
  ) {
    problem(`lane ${lane.laneId} latest receipt is not the one of its last seq ${lane.lastSeq}`);
  }
  return indexedTo;
}
