import { type Address, type Hex, isAddressEqual } from "viem";
import { type Entry, getLaneId, MAX_ENTRIES, type SettlementDomain } from "../protocol/index.js";
import {
  type ChainUpdate,
  checkChainUpdateSize,
  DEFAULT_CURSOR_NAME,
  getChainUpdateDeleteOps,
  getChainUpdateOps,
} from "./chainUpdate.js";
import { Database } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import { isDueForRedemption, type RedeemThresholds } from "./laneState.js";
import { type AcceptResult, type DigestedEntry, getLaneIdOfEntry, LaneWriter } from "./laneWriter.js";
import { MIGRATIONS, type Migration, migrate, SCHEMA_VERSION } from "./migrations.js";
import { KeyedMutex } from "./mutex.js";
import { getOwedLockKey } from "./owed.js";
import { AdapterRepository } from "./repositories/adapter.js";
import { ChainCursorRepository } from "./repositories/chainCursor.js";
import { ChallengeBySubjectRepository, ChallengeRepository } from "./repositories/challenge.js";
import { EpochPoolRepository, type PoolKey } from "./repositories/epochPool.js";
import { EpochRedemptionRepository, type RedemptionKey } from "./repositories/epochRedemption.js";
import { EquivocationRepository } from "./repositories/equivocation.js";
import { LaneRepository } from "./repositories/lane.js";
import { LaneSeqIndexRepository } from "./repositories/laneSeqIndex.js";
import { MetaRepository, type StoreDomain } from "./repositories/meta.js";
import { OwedRepository } from "./repositories/owed.js";
import { ReceiptRepository } from "./repositories/receipt.js";
import { RecordRepository } from "./repositories/record.js";
import { getLaneIdOfReceipt, type PendingReceipt, type ServedReceipt, ServedReceiptWriter } from "./servedReceipts.js";
import type {
  AdapterVersion,
  ChainCursor,
  Challenge,
  EpochPool,
  EpochRedemption,
  Equivocation,
  LaneKey,
  LaneState,
  LatestReceipt,
  StoredRecord,
  StoreLogger,
  StoreMetrics,
} from "./types.js";

/** Most records one {@link Store.getRecordsBySeqRange} returns: one `/olp/records/1` message's worth. */
export const MAX_RECORDS_PAGE = MAX_ENTRIES;
/** Most lanes, evidence or chain rows one listing returns. */
export const MAX_LIST_PAGE = 1_000;
/** Default most writes waiting at once before QUEUE_FULL. */
export const DEFAULT_MAX_PENDING_WRITES = 4_096;

/** Where and for which chain the store runs. */
export type StoreOpts = {
  /** The database directory (created when missing). */
  dir: string;
  /** The Settlement domain: record ids are digests under it, and the database belongs to it alone. */
  domain: SettlementDomain;
  /** Most writes waiting at once; more are refused with QUEUE_FULL (default {@link DEFAULT_MAX_PENDING_WRITES}). */
  maxPendingWrites?: number;
  /** The schema steps (default {@link MIGRATIONS}); tests pass their own. */
  migrations?: readonly Migration[];
};

/** What the store uses but does not own. */
export type StoreModules = {
  logger?: StoreLogger;
  metrics?: StoreMetrics;
  /** Milliseconds since the Unix epoch (default `Date.now`); lane times are by it. */
  clock?: () => number;
};

/**
 * The node's store (DESIGN §5): one LevelDB database, one repository per record type, and every multi-record write as
 * one atomic batch with `sync: true`, so what a caller saw acknowledged survives `kill -9` and power loss, and no
 * crash leaves half a write behind. Lane continuity (seq rises by one, cumulative by each value) is checked here,
 * under a per-lane lock, because only here is the lane's previous receipt known for sure.
 *
 * @example
 * const store = await Store.open({ dir, domain }, { logger, metrics });
 * const { accepted } = await store.acceptEntries(entries);
 * await store.close();
 */
export class Store {
  /** Accepted entries by record id. */
  readonly records: RecordRepository;
  /** Latest receipt per lane. */
  readonly receipts: ReceiptRepository;
  /** Lane states. */
  readonly lanes: LaneRepository;
  /** lane ‖ seq → record id. */
  readonly laneSeqIndex: LaneSeqIndexRepository;
  /** Equivocation evidence. */
  readonly equivocations: EquivocationRepository;
  /** Adapter versions. */
  readonly adapters: AdapterRepository;
  /** Pools by (node, version, epoch). */
  readonly epochPools: EpochPoolRepository;
  /** Redemptions by pool. */
  readonly epochRedemptions: EpochRedemptionRepository;
  /** Challenges by id. */
  readonly challenges: ChallengeRepository;
  /** Challenges by subject. */
  readonly challengesBySubject: ChallengeBySubjectRepository;
  /** Indexer cursors. */
  readonly chainCursors: ChainCursorRepository;
  /** What each (payer, node) still owes over its stored lanes. */
  readonly owed: OwedRepository;

  private readonly writer: LaneWriter;
  private readonly served: ServedReceiptWriter;
  private readonly mutex: KeyedMutex;
  private readonly inflight = new Set<Promise<unknown>>();
  private closing = false;

  private constructor(
    private readonly db: Database,
    domain: SettlementDomain,
    private readonly modules: StoreModules,
    maxPendingWrites: number,
  ) {
    this.records = new RecordRepository(db);
    this.receipts = new ReceiptRepository(db);
    this.lanes = new LaneRepository(db);
    this.laneSeqIndex = new LaneSeqIndexRepository(db);
    this.equivocations = new EquivocationRepository(db);
    this.adapters = new AdapterRepository(db);
    this.epochPools = new EpochPoolRepository(db);
    this.epochRedemptions = new EpochRedemptionRepository(db);
    this.challenges = new ChallengeRepository(db);
    this.challengesBySubject = new ChallengeBySubjectRepository(db);
    this.chainCursors = new ChainCursorRepository(db);
    this.owed = new OwedRepository(db);
    this.mutex = new KeyedMutex(maxPendingWrites, () => modules.metrics?.writesDropped.inc());
    this.writer = new LaneWriter(db, this, domain, () => this.now(), modules.logger, modules.metrics);
    this.served = new ServedReceiptWriter(
      db,
      this,
      () => this.now(),
      (receipt) => this.writer.digestReceipt(receipt),
      modules.metrics,
    );
  }

  /**
   * Opens the database in `opts.dir`, runs the schema migrations, and checks it belongs to `opts.domain`. Refuses a
   * database of a newer schema (SCHEMA_TOO_NEW) or of another chain or Settlement (DOMAIN_MISMATCH); LevelDB replays
   * its log after a crash, and no repair is ever run.
   */
  static async open(opts: StoreOpts, modules: StoreModules = {}): Promise<Store> {
    const db = await Database.open(opts.dir, modules.metrics);
    try {
      const migrated = await migrate(db, opts.migrations ?? MIGRATIONS, SCHEMA_VERSION, modules.logger);
      const meta = new MetaRepository(db);
      const stored = await meta.getDomain();
      if (stored === undefined) {
        await db.write([meta.domainOp(opts.domain)]);
      } else if (!isSameDomain(stored, opts.domain)) {
        throw new StoreError({
          code: StoreErrorCode.DOMAIN_MISMATCH,
          expected: describeDomain(opts.domain),
          found: describeDomain(stored),
        });
      }
      modules.logger?.info("Store opened", { dir: opts.dir, schemaVersion: migrated.to, migrations: migrated.steps });
      return new Store(db, opts.domain, modules, opts.maxPendingWrites ?? DEFAULT_MAX_PENDING_WRITES);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Waits for the writes in flight, then closes the database. Later calls throw CLOSED. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.inflight]);
    await this.db.close();
    this.modules.logger?.info("Store closed");
  }

  /** Stores one entry; see {@link acceptEntries}. */
  async acceptEntry(entry: Entry): Promise<AcceptResult> {
    return this.acceptEntries([entry]);
  }

  /**
   * Stores entries (one gossip message's, 1 to 256) as ONE atomic batch with `sync: true`: each new record, its
   * lane ‖ seq index entry, and each touched lane's new state and latest receipt. When it resolves, all of it is
   * durable; when it throws, none of it was written. An entry already stored (same record id at its lane and seq) is a
   * duplicate and skipped. The rest must continue their lanes, in order: seq = lastSeq + 1 (else SEQ_GAP) and
   * cumulative = lane cumulative + value (else CUMULATIVE_MISMATCH); the record must name its receipt's digest (else
   * RECEIPT_MISMATCH). A different receipt for a stored (lane, seq), or a different record for a stored receipt, is
   * equivocation: the evidence is kept (its own batch) and EQUIVOCATION thrown, refusing the whole message.
   *
   * Signatures, signer authorization and escrow coverage are the validator's checks, done before this.
   */
  async acceptEntries(entries: readonly Entry[]): Promise<AcceptResult> {
    this.assertOpen();
    checkMessageSize(entries.length);
    return this.acceptDigestedEntries(entries.map((entry) => this.writer.digest(entry)));
  }

  /**
   * {@link acceptEntries} for entries whose digests the caller computed under the same domain (the validator does, to
   * recover signers): hashing EIP-712 costs most of a write's CPU, so it is done once. The store trusts the digests
   * given; it still checks each record names its receipt digest.
   */
  async acceptDigestedEntries(items: readonly DigestedEntry[]): Promise<AcceptResult> {
    this.assertOpen();
    checkMessageSize(items.length);
    const prepared = items.map((item) => this.writer.prepare(item));
    const keys = prepared.flatMap((p) => [p.laneId, getOwedLockKey(p.entry.receipt.payer, p.entry.receipt.node)]);
    return this.track(this.mutex.runExclusive(keys, () => this.writer.writeEntries(prepared)));
  }

  /**
   * Pay before (DESIGN §4), step 1, for a receipt this node accepted over HTTP: advances its lane and stores it as the
   * lane's latest receipt, pending (no record yet), in one atomic batch, under the lane's lock. Refuses a receipt that
   * does not continue the lane (SEQ_GAP, CUMULATIVE_MISMATCH) or that follows a still-pending one (INVALID_ARGUMENT).
   * Validation (signatures, price, escrow) comes before; {@link completeServedReceipt} follows.
   */
  async acceptServedReceipt(served: ServedReceipt): Promise<LaneState> {
    this.assertOpen();
    const laneId = getLaneIdOfReceipt(served.receipt);
    const keys = [laneId, getOwedLockKey(served.receipt.payer, served.receipt.node)];
    return this.track(this.mutex.runExclusive(keys, () => this.served.acceptReceipt(laneId, served)));
  }

  /**
   * Pay before, step 2: stores the entry answering the lane's pending receipt (its record, the lane ‖ seq index entry,
   * the record id on the latest receipt) in one atomic batch. Returns false when that entry is stored already;
   * RECEIPT_MISMATCH when the lane's pending receipt is another. `digests`, when the caller has them, spare hashing.
   */
  async completeServedReceipt(entry: Entry, digests?: { recordId: Hex; receiptDigest: Hex }): Promise<boolean> {
    this.assertOpen();
    const prepared = this.writer.prepare(digests === undefined ? this.writer.digest(entry) : { entry, ...digests });
    return this.track(this.mutex.runExclusive([prepared.laneId], () => this.served.completeReceipt(prepared)));
  }

  /** Up to `limit` (≤ {@link MAX_LIST_PAGE}) lanes of `node` whose latest receipt is pending (a crash mid-request). */
  async listPendingReceipts(node: Address, limit = MAX_LIST_PAGE): Promise<PendingReceipt[]> {
    this.assertOpen();
    return this.served.listPending(node, Math.min(limit, MAX_LIST_PAGE), MAX_LIST_PAGE);
  }

  /** The stored record `recordId`, or undefined. */
  async getRecord(recordId: Hex): Promise<StoredRecord | undefined> {
    this.assertOpen();
    const value = await this.records.get(recordId);
    if (value === undefined) return undefined;
    return { recordId: recordId.toLowerCase() as Hex, laneId: getLaneIdOfEntry(value.entry), ...value };
  }

  /** The state of lane `laneId`, or undefined when nothing of it is stored. */
  async getLane(laneId: Hex): Promise<LaneState | undefined> {
    this.assertOpen();
    return this.lanes.get(laneId);
  }

  /**
   * What `payer`'s stored lanes with `node` still owe: Σ of `cumulative − collected` over them, one read (the `owed`
   * bucket, moved in the batch of every lane write). 0 when none owes anything.
   */
  async getOwed(payer: Address, node: Address): Promise<bigint> {
    this.assertOpen();
    return this.owed.getOwed({ payer, node });
  }

  /** The latest receipt of lane `laneId` with its signature, or undefined. */
  async getLatestReceipt(laneId: Hex): Promise<LatestReceipt | undefined> {
    this.assertOpen();
    return this.receipts.get(laneId);
  }

  /**
   * The records of lane `laneId` with `fromSeq ≤ seq ≤ toSeq`, ascending by seq, at most `limit` and never more than
   * {@link MAX_RECORDS_PAGE} (ask again from the last seq + 1 for more). Throws NOT_FOUND for a lane never stored, and
   * DANGLING_INDEX if an index entry names a missing record.
   */
  async getRecordsBySeqRange(laneId: Hex, fromSeq: bigint, toSeq: bigint, limit: number): Promise<StoredRecord[]> {
    this.assertOpen();
    if (!(await this.lanes.has(laneId)))
      throw new StoreError({ code: StoreErrorCode.NOT_FOUND, what: "lane", key: laneId });
    const rows = await this.laneSeqIndex.getRange(laneId, fromSeq, toSeq, Math.min(limit, MAX_RECORDS_PAGE));
    const values = await this.records.getMany(rows.map((row) => row.recordId));
    const lane = laneId.toLowerCase() as Hex;
    return rows.map((row, index) => {
      const value = values[index];
      if (value === undefined) {
        throw new StoreError({
          code: StoreErrorCode.DANGLING_INDEX,
          bucket: "laneSeqIndex",
          key: this.laneSeqIndex.getDbKeyHex({ laneId, seq: row.seq }),
          recordId: row.recordId,
        });
      }
      return { recordId: row.recordId, laneId: lane, ...value };
    });
  }

  /**
   * Lanes of `thresholds.node` worth redeeming: owing at least `minValue`, or owing anything for `maxAgeMs`. At most
   * `limit` (≤ {@link MAX_LIST_PAGE}) in lane id order from `after` (exclusive); it scans every lane, a page at a time.
   */
  async listLanesToRedeem(thresholds: RedeemThresholds, limit = MAX_LIST_PAGE, after?: Hex): Promise<LaneState[]> {
    this.assertOpen();
    const bounded = Math.min(limit, MAX_LIST_PAGE);
    const now = this.now();
    const due: LaneState[] = [];
    let cursor = after;
    while (due.length < bounded) {
      const page = await this.lanes.list(MAX_LIST_PAGE, cursor);
      for (const lane of page) {
        if (isDueForRedemption(lane, thresholds, now)) due.push(lane);
        if (due.length === bounded) break;
      }
      if (page.length < MAX_LIST_PAGE) break;
      cursor = page[page.length - 1]?.laneId;
    }
    return due;
  }

  /**
   * Records that the chain redeemed `lane` up to `seq` with `collected` in total (the Settlement's `Lane.collected`,
   * not one redemption's amount), atomically. Both only rise: an older redemption applied again changes nothing.
   */
  async markRedeemed(lane: LaneKey, seq: bigint, collected: bigint): Promise<LaneState> {
    this.assertOpen();
    const laneId = getLaneId(lane.payer, lane.node, lane.versionId, lane.lane);
    return this.track(
      this.mutex.runExclusive([laneId, getOwedLockKey(lane.payer, lane.node)], async () => {
        const { ops, states } = await this.writer.getRedemptionOps([{ lane, seq, collected }]);
        await this.db.write(ops);
        return states[0] as LaneState;
      }),
    );
  }

  /**
   * Keeps evidence that `first` and `second` equivocate: two different receipts for one (lane, seq), or two different
   * records for one receipt. One piece is kept per (lane, seq, kind), the first; returns whether this one was new.
   */
  async recordEquivocation(first: Entry, second: Entry): Promise<boolean> {
    this.assertOpen();
    const a = this.writer.prepare(this.writer.digest(first));
    const b = this.writer.prepare(this.writer.digest(second));
    if (a.laneId !== b.laneId || first.receipt.seq !== second.receipt.seq || a.recordId === b.recordId) {
      throw new StoreError({
        code: StoreErrorCode.INVALID_ARGUMENT,
        name: "entries",
        reason: "to be two different entries for one lane and seq",
      });
    }
    return this.track(this.mutex.runExclusive([a.laneId], () => this.writer.keepEvidence(a, b)));
  }

  /** Up to `limit` (≤ {@link MAX_LIST_PAGE}) pieces of evidence, of one lane when `laneId` is given. */
  async listEquivocations(limit = MAX_LIST_PAGE, laneId?: Hex): Promise<Equivocation[]> {
    this.assertOpen();
    const bounded = Math.min(limit, MAX_LIST_PAGE);
    return laneId === undefined ? this.equivocations.list(bounded) : this.equivocations.listByLane(laneId, bounded);
  }

  /** Where indexer `name` stopped, or undefined when it never ran. */
  async getChainCursor(name: string = DEFAULT_CURSOR_NAME): Promise<ChainCursor | undefined> {
    this.assertOpen();
    return this.chainCursors.get(name);
  }

  /** Sets where indexer `name` stopped (durable when it resolves). */
  async setChainCursor(cursor: ChainCursor, name: string = DEFAULT_CURSOR_NAME): Promise<void> {
    this.assertOpen();
    await this.track(this.db.write([this.chainCursors.putOp(name, cursor)]));
  }

  /**
   * Writes what the indexer found up to `update.cursor` and the cursor itself as ONE atomic batch, so after a crash
   * the indexer resumes exactly where its data ends. Lane redemptions merge as in {@link markRedeemed}; the rest
   * overwrite by key, so applying the same update twice leaves the same state.
   */
  async applyChainUpdate(update: ChainUpdate): Promise<void> {
    this.assertOpen();
    checkChainUpdateSize(update);
    const lanes = update.lanes ?? [];
    await this.track(
      this.mutex.runExclusive(
        lanes.flatMap(({ lane }) => [
          getLaneId(lane.payer, lane.node, lane.versionId, lane.lane),
          getOwedLockKey(lane.payer, lane.node),
        ]),
        async () => {
          const { ops: laneOps } = await this.writer.getRedemptionOps(lanes);
          const gone = await this.challenges.getMany(update.deleteChallenges ?? []);
          await this.db.write([
            ...getChainUpdateDeleteOps(update, this, gone),
            ...getChainUpdateOps(update, this),
            ...laneOps,
          ]);
        },
      ),
    );
  }

  /** Adapter version `versionId` as last indexed, or undefined. */
  async getAdapterVersion(versionId: bigint): Promise<AdapterVersion | undefined> {
    this.assertOpen();
    return this.adapters.get(versionId);
  }

  /** The pool of (node, versionId, epoch) as last indexed, or undefined. */
  async getEpochPool(pool: PoolKey): Promise<EpochPool | undefined> {
    this.assertOpen();
    return this.epochPools.get(pool);
  }

  /** Up to `limit` (≤ {@link MAX_LIST_PAGE}) redemptions of `pool` in chain order, from `after` (exclusive). */
  async listEpochRedemptions(pool: PoolKey, limit = MAX_LIST_PAGE, after?: RedemptionKey): Promise<EpochRedemption[]> {
    this.assertOpen();
    return this.epochRedemptions.listByPool(pool, Math.min(limit, MAX_LIST_PAGE), after);
  }

  /** Challenge `challengeId` as last indexed, or undefined. */
  async getChallenge(challengeId: bigint): Promise<Challenge | undefined> {
    this.assertOpen();
    return this.challenges.get(challengeId);
  }

  /** Up to `limit` (≤ {@link MAX_LIST_PAGE}) challenges against (`subject`, `subjectId`), ascending by id. */
  async listChallenges(subject: Address, subjectId: bigint, limit = MAX_LIST_PAGE): Promise<Challenge[]> {
    this.assertOpen();
    const ids = await this.challengesBySubject.listIds(subject, subjectId, Math.min(limit, MAX_LIST_PAGE));
    const challenges = await this.challenges.getMany(ids);
    return challenges.map((challenge, index) => {
      if (challenge === undefined) {
        throw new StoreError({
          code: StoreErrorCode.NOT_FOUND,
          what: "challenge",
          key: `0x${(ids[index] ?? 0n).toString(16)}`,
        });
      }
      return challenge;
    });
  }

  private now(): number {
    return (this.modules.clock ?? Date.now)();
  }

  private assertOpen(): void {
    if (this.closing || !this.db.isOpen) throw new StoreError({ code: StoreErrorCode.CLOSED });
  }

  /** Tracks a write so {@link close} waits for it. */
  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const untrack = (): void => {
      this.inflight.delete(promise);
    };
    promise.then(untrack, untrack);
    return promise;
  }
}

/** [store] DESIGN §4: a records message holds 1 to 256 entries. */
function checkMessageSize(count: number): void {
  if (count === 0 || count > MAX_ENTRIES) {
    throw new StoreError({
      code: StoreErrorCode.INVALID_ARGUMENT,
      name: "entries",
      reason: `to hold 1 to ${MAX_ENTRIES} entries, found ${count}`,
    });
  }
}

function isSameDomain(stored: StoreDomain, domain: StoreDomain): boolean {
  return stored.chainId === domain.chainId && isAddressEqual(stored.verifyingContract, domain.verifyingContract);
}

function describeDomain(domain: StoreDomain): string {
  return `chain ${domain.chainId} Settlement ${domain.verifyingContract}`;
}
