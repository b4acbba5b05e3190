import type { Address, Hex } from "viem";
import { getLaneId, type Receipt } from "../protocol/index.js";
import type { BatchOp, Database } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import { getLaneAfterReceipt, newLaneState } from "./laneState.js";
import type { LaneRepositories, PreparedEntry } from "./laneWriter.js";
import { getOwedOps } from "./owed.js";
import type { LaneState, LatestReceipt, StoreMetrics } from "./types.js";

/**
 * The record id a lane's latest receipt carries while its request is being served: accepted and paid (DESIGN §4, pay
 * before), not yet answered by a record.
 */
export const PENDING_RECORD_ID: Hex = `0x${"00".repeat(32)}`;

/**
 * A receipt the node accepted on its HTTP path, before serving: the receipt and its signature, and when the caller
 * has them (the validator computed them), its EIP-712 digest under the store's domain and its recovered signer. The
 * store computes a digest not given, trusts one given, and keeps both with the lane's latest receipt.
 */
export type ServedReceipt = { receipt: Receipt; receiptSig: Hex; receiptDigest?: Hex; signer?: Address };

/** A lane whose latest receipt was accepted and never answered by a record (a crash mid-request). */
export type PendingReceipt = { laneId: Hex; receipt: Receipt; receiptSig: Hex };

/**
 * The node's own lanes, served over HTTP in two steps (DESIGN §4, "pay before"): {@link acceptReceipt} persists the
 * receipt and advances the lane before inference, {@link completeReceipt} adds the record that answers it. Between
 * the two the lane's latest receipt carries {@link PENDING_RECORD_ID}, and its seq has no index entry yet. At most one
 * receipt per lane is pending: a lane's next receipt is refused until the previous one is answered (the HTTP layer
 * serves one request per lane at a time, and answers what a crash left pending on start).
 */
export class ServedReceiptWriter {
  constructor(
    private readonly db: Database,
    private readonly repos: LaneRepositories,
    private readonly now: () => number,
    private readonly digestReceipt: (receipt: Receipt) => Hex,
    private readonly metrics?: StoreMetrics,
  ) {}

  /**
   * Advances the lane to `served.receipt` and stores it as the lane's latest, pending, in one atomic batch with the
   * owed total of its (payer, node) (the caller holds that total's lock key too).
   */
  async acceptReceipt(laneId: Hex, served: ServedReceipt): Promise<LaneState> {
    const { receipt, receiptSig } = served;
    const [lane, latest] = await Promise.all([this.repos.lanes.get(laneId), this.repos.receipts.get(laneId)]);
    const state = lane ?? newLaneState(receipt);
    // [store] DESIGN §4: in a lane seq rises by one per request.
    if (receipt.seq !== state.lastSeq + 1n) {
      throw new StoreError({ code: StoreErrorCode.SEQ_GAP, laneId, expected: state.lastSeq + 1n, found: receipt.seq });
    }
    // [store] DESIGN §4: cumulative starts at the first value and rises by each value.
    if (receipt.cumulative !== state.cumulative + receipt.value) {
      throw new StoreError({
        code: StoreErrorCode.CUMULATIVE_MISMATCH,
        laneId,
        seq: receipt.seq,
        expected: state.cumulative + receipt.value,
        found: receipt.cumulative,
      });
    }
    if (latest !== undefined && latest.recordId === PENDING_RECORD_ID && latest.receipt.seq === state.lastSeq) {
      throw new StoreError({
        code: StoreErrorCode.INVALID_ARGUMENT,
        name: "receipt",
        reason: `to follow an answered receipt, found seq ${state.lastSeq} of lane ${laneId} still pending`,
      });
    }
    const next = getLaneAfterReceipt(state, receipt, this.now());
    const value: LatestReceipt = {
      receipt,
      receiptSig,
      recordId: PENDING_RECORD_ID,
      receiptDigest: (served.receiptDigest ?? this.digestReceipt(receipt)).toLowerCase() as Hex,
    };
    if (served.signer !== undefined) value.signer = served.signer;
    const ops: BatchOp[] = [
      this.repos.lanes.putOp(laneId, next),
      this.repos.receipts.putOp(laneId, value),
      ...(await getOwedOps(this.repos.owed, [{ before: lane, after: next }])),
    ];
    await this.db.write(ops);
    return next;
  }

  /**
   * Stores the record answering the lane's pending receipt, its index entry, and the record id on the latest receipt,
   * in one atomic batch. The same record again is a duplicate (returns false); another receipt or another record is
   * RECEIPT_MISMATCH.
   */
  async completeReceipt(p: PreparedEntry): Promise<boolean> {
    const { receipt } = p.entry;
    const latest = await this.repos.receipts.get(p.laneId);
    if (latest !== undefined && latest.recordId === p.recordId && sameReceipt(latest.receipt, receipt)) return false;
    if (latest === undefined || latest.recordId !== PENDING_RECORD_ID || !sameReceipt(latest.receipt, receipt)) {
      throw new StoreError({
        code: StoreErrorCode.RECEIPT_MISMATCH,
        laneId: p.laneId,
        seq: receipt.seq,
        expected: latest === undefined ? "0x" : latest.recordId,
        found: p.recordId,
      });
    }
    // [store] DESIGN §4: the record answers this receipt (its receiptDigest is the receipt's full EIP-712 digest).
    if (p.entry.record.receiptDigest.toLowerCase() !== p.receiptDigest) {
      throw new StoreError({
        code: StoreErrorCode.RECEIPT_MISMATCH,
        laneId: p.laneId,
        seq: receipt.seq,
        expected: p.receiptDigest,
        found: p.entry.record.receiptDigest,
      });
    }
    const latestAnswered: LatestReceipt = { ...latest, recordId: p.recordId };
    await this.db.write([
      this.repos.records.putOp(p.recordId, { entry: p.entry, receivedAt: this.now() }),
      this.repos.laneSeqIndex.putOp({ laneId: p.laneId, seq: receipt.seq }, p.recordId),
      this.repos.receipts.putOp(p.laneId, latestAnswered),
    ]);
    this.metrics?.entriesAccepted.inc();
    return true;
  }

  /** Up to `limit` lanes of `node` whose latest receipt is pending, scanning every lane a page at a time. */
  async listPending(node: Address, limit: number, pageSize: number): Promise<PendingReceipt[]> {
    const found: PendingReceipt[] = [];
    let after: Hex | undefined;
    while (found.length < limit) {
      const page = await this.repos.lanes.list(pageSize, after);
      const mine = page.filter((lane) => lane.node.toLowerCase() === node.toLowerCase() && lane.lastSeq > 0n);
      const latest = await this.repos.receipts.getMany(mine.map((lane) => lane.laneId));
      mine.forEach((lane, index) => {
        const receipt = latest[index];
        if (receipt?.recordId === PENDING_RECORD_ID && found.length < limit) {
          found.push({ laneId: lane.laneId, receipt: receipt.receipt, receiptSig: receipt.receiptSig });
        }
      });
      if (page.length < pageSize) break;
      after = page[page.length - 1]?.laneId;
    }
    return found;
  }
}

/** The lane id of a receipt. */
export function getLaneIdOfReceipt(receipt: Receipt): Hex {
  return getLaneId(receipt.payer, receipt.node, receipt.versionId, receipt.lane);
}

function sameReceipt(a: Receipt, b: Receipt): boolean {
  return (
    a.payer.toLowerCase() === b.payer.toLowerCase() &&
    a.node.toLowerCase() === b.node.toLowerCase() &&
    a.versionId === b.versionId &&
    a.lane === b.lane &&
    a.seq === b.seq &&
    a.requestHash.toLowerCase() === b.requestHash.toLowerCase() &&
    a.value === b.value &&
    a.cumulative === b.cumulative
  );
}
