import { type Address, concat, domainSeparator, type Hex, keccak256 } from "viem";
import {
  type Entry,
  getLaneId,
  hashInferenceRecord,
  hashReceipt,
  type Receipt,
  type SettlementDomain,
} from "../protocol/index.js";
import type { BatchOp, Database } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import { getLaneAfterReceipt, getLaneAfterRedemption, maxBigint, newLaneState } from "./laneState.js";
import { getOwedOps, type LaneChange } from "./owed.js";
import type { EquivocationRepository } from "./repositories/equivocation.js";
import type { LaneRepository } from "./repositories/lane.js";
import type { LaneSeqIndexRepository } from "./repositories/laneSeqIndex.js";
import type { OwedRepository } from "./repositories/owed.js";
import type { ReceiptRepository } from "./repositories/receipt.js";
import type { RecordRepository } from "./repositories/record.js";
import {
  EquivocationKind,
  type LaneKey,
  type LaneState,
  type LatestReceipt,
  type StoreLogger,
  type StoreMetrics,
} from "./types.js";

/** What {@link Store.acceptEntries} did: ids newly stored, and ids that were stored already (replays). */
export type AcceptResult = { accepted: Hex[]; duplicates: Hex[] };

/**
 * The Settlement's `Lane` as the chain shows it: redeemed up to `seq`, `collected` in total. Merged by maximum unless
 * `set`: then it replaces the lane's redeemed seq and collected amount, which may go down (a lane re-read after a
 * reorg orphaned a redemption).
 */
export type LaneRedemption = { lane: LaneKey; seq: bigint; collected: bigint; set?: boolean };

/**
 * An entry with its digests under the store's domain: `recordId` its record's EIP-712 digest, `receiptDigest` its
 * receipt's. The validator computes both to recover the signers; passing them spares computing them twice.
 * `receiptSigner`, the address the validator recovered from the receipt's signature, is kept with the lane's latest
 * receipt when given, so reads of it need not recover it again.
 */
export type DigestedEntry = { entry: Entry; recordId: Hex; receiptDigest: Hex; receiptSigner?: Address };

/** A digested entry with its lane id. */
export type PreparedEntry = DigestedEntry & { laneId: Hex };

/** The repositories lane writes touch. */
export type LaneRepositories = {
  records: RecordRepository;
  receipts: ReceiptRepository;
  lanes: LaneRepository;
  laneSeqIndex: LaneSeqIndexRepository;
  equivocations: EquivocationRepository;
  owed: OwedRepository;
};

/**
 * The lane rules of the store: turns entries and redemptions into batch writes after checking them against the
 * stored lane. Callers hold the lane's lock (see `KeyedMutex`) around each call, so the lane read here is the lane the
 * batch is written over.
 */
export class LaneWriter {
  private readonly domainSeparator: Hex;

  constructor(
    private readonly db: Database,
    private readonly repos: LaneRepositories,
    domain: SettlementDomain,
    private readonly now: () => number,
    private readonly logger?: StoreLogger,
    private readonly metrics?: StoreMetrics,
  ) {
    this.domainSeparator = domainSeparator({ domain });
  }

  /**
   * `entry` with its record id and receipt digest under the store's domain: EIP-712's `keccak256(0x1901 ‖
   * domainSeparator ‖ hashStruct)` over the protocol's own `hashInferenceRecord` and `hashReceipt`, with the domain
   * separator hashed once (viem's `hashTypedData` re-validates and re-hashes the domain on every call, about half the
   * cost). Tests pin it to the protocol's `getInferenceRecordDigest` and `getReceiptDigest`.
   */
  digest(entry: Entry): DigestedEntry {
    return {
      entry,
      recordId: keccak256(concat(["0x1901", this.domainSeparator, hashInferenceRecord(entry.record)])),
      receiptDigest: keccak256(concat(["0x1901", this.domainSeparator, hashReceipt(entry.receipt)])),
    };
  }

  /** `receipt`'s EIP-712 digest under the store's domain (the domain separator hashed once), lower-case. */
  digestReceipt(receipt: Receipt): Hex {
    return keccak256(concat(["0x1901", this.domainSeparator, hashReceipt(receipt)]));
  }

  /** A digested entry with its lane id, digests lower-cased as the store keys them. */
  prepare(item: DigestedEntry): PreparedEntry {
    const prepared: PreparedEntry = {
      entry: item.entry,
      recordId: item.recordId.toLowerCase() as Hex,
      receiptDigest: item.receiptDigest.toLowerCase() as Hex,
      laneId: getLaneIdOfEntry(item.entry),
    };
    if (item.receiptSigner !== undefined) prepared.receiptSigner = item.receiptSigner;
    return prepared;
  }

  /**
   * Checks `prepared` against their lanes and writes the new ones as one atomic batch (see `Store.acceptEntries`),
   * the owed totals of their (payer, node) moved in the same batch (callers hold those totals' lock keys too).
   */
  async writeEntries(prepared: readonly PreparedEntry[]): Promise<AcceptResult> {
    const { records, receipts, lanes: laneRepo, laneSeqIndex } = this.repos;
    const now = this.now();
    const laneIds = [...new Set(prepared.map((p) => p.laneId))];
    const stored = await laneRepo.getMany(laneIds);
    const lanes = new Map<Hex, LaneState>();
    laneIds.forEach((laneId, index) => {
      const state = stored[index];
      if (state !== undefined) lanes.set(laneId, state);
    });
    const before = new Map(lanes);
    const inBatch = new Map<string, PreparedEntry>();
    const latest = new Map<Hex, PreparedEntry>();
    const ops: BatchOp[] = [];
    const result: AcceptResult = { accepted: [], duplicates: [] };

    for (const p of prepared) {
      const { receipt, record } = p.entry;
      // [store] DESIGN §4: the record answers this receipt (its receiptDigest is the receipt's full EIP-712 digest).
      if (record.receiptDigest.toLowerCase() !== p.receiptDigest) {
        throw new StoreError({
          code: StoreErrorCode.RECEIPT_MISMATCH,
          laneId: p.laneId,
          seq: receipt.seq,
          expected: p.receiptDigest,
          found: record.receiptDigest,
        });
      }
      const lane = lanes.get(p.laneId) ?? newLaneState(receipt);
      if (receipt.seq <= lane.lastSeq) {
        const existing = await this.findStored(p.laneId, receipt.seq, inBatch);
        if (existing.recordId === p.recordId) {
          result.duplicates.push(p.recordId);
          continue;
        }
        // [store] DESIGN §4: a different receipt for a (lane, seq) already seen is equivocation: refuse, keep both.
        await this.keepEvidence(existing, p);
        throw new StoreError({
          code: StoreErrorCode.EQUIVOCATION,
          laneId: p.laneId,
          seq: receipt.seq,
          kind: EquivocationKind[getEquivocationKind(existing, p)],
        });
      }
      // [store] DESIGN §4: in a lane seq rises by one per request.
      if (receipt.seq !== lane.lastSeq + 1n) {
        throw new StoreError({
          code: StoreErrorCode.SEQ_GAP,
          laneId: p.laneId,
          expected: lane.lastSeq + 1n,
          found: receipt.seq,
        });
      }
      // [store] DESIGN §4: cumulative starts at the first value and rises by each value.
      if (receipt.cumulative !== lane.cumulative + receipt.value) {
        throw new StoreError({
          code: StoreErrorCode.CUMULATIVE_MISMATCH,
          laneId: p.laneId,
          seq: receipt.seq,
          expected: lane.cumulative + receipt.value,
          found: receipt.cumulative,
        });
      }
      lanes.set(p.laneId, getLaneAfterReceipt(lane, receipt, now));
      inBatch.set(`${p.laneId}:${receipt.seq}`, p);
      latest.set(p.laneId, p);
      ops.push(records.putOp(p.recordId, { entry: p.entry, receivedAt: now }));
      ops.push(laneSeqIndex.putOp({ laneId: p.laneId, seq: receipt.seq }, p.recordId));
      result.accepted.push(p.recordId);
    }

    const changes: LaneChange[] = [];
    for (const [laneId, p] of latest) {
      const { receipt, receiptSig } = p.entry;
      const after = lanes.get(laneId) ?? newLaneState(receipt);
      changes.push({ before: before.get(laneId), after });
      ops.push(laneRepo.putOp(laneId, after));
      const value: LatestReceipt = { receipt, receiptSig, recordId: p.recordId, receiptDigest: p.receiptDigest };
      if (p.receiptSigner !== undefined) value.signer = p.receiptSigner;
      ops.push(receipts.putOp(laneId, value));
    }
    ops.push(...(await getOwedOps(this.repos.owed, changes)));
    await this.db.write(ops);
    if (result.accepted.length > 0) this.metrics?.entriesAccepted.inc(result.accepted.length);
    if (result.duplicates.length > 0) this.metrics?.entriesDuplicate.inc(result.duplicates.length);
    return result;
  }

  /** Writes evidence of `first` and `second` unless this (lane, seq, kind) has some; whether it wrote. */
  async keepEvidence(first: PreparedEntry, second: PreparedEntry): Promise<boolean> {
    const kind = getEquivocationKind(first, second);
    const id = { laneId: first.laneId, seq: first.entry.receipt.seq, kind };
    if (await this.repos.equivocations.has(id)) return false;
    const evidence = { ...id, first: first.entry, second: second.entry, detectedAt: this.now() };
    await this.db.write([this.repos.equivocations.putOp(id, evidence)]);
    this.metrics?.equivocationsRecorded.inc();
    this.logger?.warn("Equivocation kept as evidence", {
      laneId: id.laneId,
      seq: id.seq,
      kind: EquivocationKind[kind],
    });
    return true;
  }

  /** The lane after `redemption`, from `current` (earlier in the same batch) or the stored state, or a new lane. */
  async getRedeemedLane(redemption: LaneRedemption, current?: LaneState): Promise<LaneState> {
    const { lane, seq, collected } = redemption;
    const set = redemption.set === true;
    const laneId = getLaneId(lane.payer, lane.node, lane.versionId, lane.lane);
    const state = current ?? (await this.repos.lanes.get(laneId)) ?? newLaneState(lane);
    // The age of what is still owed runs from the arrival of the first receipt after the last redeemed one.
    const nextSeq = (set ? seq : maxBigint(seq, state.lastRedeemedSeq)) + 1n;
    const recordId = nextSeq <= state.lastSeq ? await this.repos.laneSeqIndex.get({ laneId, seq: nextSeq }) : undefined;
    const firstOwed = recordId === undefined ? undefined : await this.repos.records.get(recordId);
    return getLaneAfterRedemption(state, seq, collected, this.now(), firstOwed?.receivedAt, set);
  }

  /**
   * The lane writes of `redemptions`, applied in order (a later one of a lane sees the earlier one's state), and the
   * owed-total writes that go with them in the same batch. Callers hold the lanes' and the totals' lock keys.
   */
  async getRedemptionOps(redemptions: readonly LaneRedemption[]): Promise<{ ops: BatchOp[]; states: LaneState[] }> {
    const changes = new Map<Hex, LaneChange>();
    for (const redemption of redemptions) {
      const { payer, node, versionId, lane } = redemption.lane;
      const laneId = getLaneId(payer, node, versionId, lane);
      const change = changes.get(laneId);
      if (change === undefined) {
        const before = await this.repos.lanes.get(laneId);
        changes.set(laneId, { before, after: await this.getRedeemedLane(redemption, before) });
      } else {
        change.after = await this.getRedeemedLane(redemption, change.after);
      }
    }
    const ops = [...changes].map(([laneId, { after }]) => this.repos.lanes.putOp(laneId, after));
    ops.push(...(await getOwedOps(this.repos.owed, changes.values())));
    return { ops, states: [...changes.values()].map((change) => change.after) };
  }

  /** The entry stored (or earlier in this batch) at (laneId, seq); DANGLING_INDEX when it is missing. */
  private async findStored(laneId: Hex, seq: bigint, inBatch: Map<string, PreparedEntry>): Promise<PreparedEntry> {
    const pending = inBatch.get(`${laneId}:${seq}`);
    if (pending !== undefined) return pending;
    const { laneSeqIndex, records } = this.repos;
    const recordId = await laneSeqIndex.get({ laneId, seq });
    const value = recordId === undefined ? undefined : await records.get(recordId);
    if (recordId === undefined || value === undefined) {
      throw new StoreError({
        code: StoreErrorCode.DANGLING_INDEX,
        bucket: recordId === undefined ? "lanes" : "laneSeqIndex",
        key: laneSeqIndex.getDbKeyHex({ laneId, seq }),
        recordId: recordId ?? "0x",
      });
    }
    const receiptDigest = value.entry.record.receiptDigest.toLowerCase() as Hex;
    return { entry: value.entry, laneId, recordId, receiptDigest };
  }
}

/** The lane id of an entry's receipt. */
export function getLaneIdOfEntry(entry: Entry): Hex {
  const { payer, node, versionId, lane } = entry.receipt;
  return getLaneId(payer, node, versionId, lane);
}

/** RECORD when both entries answer one receipt, else RECEIPT (two receipts for one lane and seq). */
function getEquivocationKind(a: PreparedEntry, b: PreparedEntry): EquivocationKind {
  return a.receiptDigest === b.receiptDigest ? EquivocationKind.RECORD : EquivocationKind.RECEIPT;
}
