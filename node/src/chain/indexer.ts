import { type Address, type Chain, getAbiItem, type Hex, type PublicClient, type Transport } from "viem";
import { getPoolId } from "../protocol/index.js";
import { type ChainUpdate, MAX_CHAIN_UPDATE_ITEMS, type PoolKey } from "../store/index.js";
import { settlementAbi } from "./abi/index.js";
import type { Deployment } from "./deployment.js";
import { ChainError, ChainErrorCode } from "./errors.js";
import {
  type ChainIndexStore,
  type ChainLogger,
  ChainStateReader,
  decodeEvents,
  emptyTouched,
  type IndexedEvent,
  type LogOf,
  mergeTouched,
  redemptionKeyOf,
  type Touched,
} from "./indexerState.js";
import type { IndexerMetrics } from "./metrics.js";
import { delay, isTransportError } from "./retry.js";

export type { ChainIndexStore, ChainLogger, IndexedEvent } from "./indexerState.js";

/** A range of blocks the indexer wrote, with its events in chain order: what `onUpdate` listeners get. */
export type IndexedRange = {
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
  readonly blockHash: Hex;
  readonly events: readonly IndexedEvent[];
  /** What was written to the store with the cursor, as one batch. */
  readonly update: ChainUpdate;
  /** Set when this range re-indexes after a reorg: the block the indexer rewound to. */
  readonly rewoundTo?: bigint;
};

/** Options of a {@link ChainIndexer}. */
export type ChainIndexerOpts = {
  readonly deployment: Deployment;
  /** `chain.confirmations`: only blocks at most head − confirmations are indexed. */
  readonly confirmations: number;
  /** `chain.pollIntervalMs`. */
  readonly pollIntervalMs: number;
  /** Most blocks one `eth_getLogs` and one store batch cover (default 1,000). */
  readonly maxBlockRange?: number;
  /** How many indexed ranges' hashes are remembered to find a fork point (default 128). */
  readonly maxRecentRanges?: number;
  /** Blocks to rewind when a fork point is older than what is remembered (after a restart), default 64. */
  readonly maxReorgDepth?: number;
  /** The store cursor's name (default the store's). */
  readonly cursorName?: string;
};

/** What a {@link ChainIndexer} uses. */
export type ChainIndexerModules = {
  readonly client: PublicClient<Transport, Chain | undefined>;
  readonly store: ChainIndexStore;
  readonly logger?: ChainLogger;
  readonly metrics?: IndexerMetrics;
};

/** A written range's last block and what it touched, kept to rewind on a reorg. */
type RecentRange = { blockNumber: bigint; blockHash: Hex | undefined; touched: Touched };

/** A reorg seen in the middle of a range: the loop checks the fork point again. */
class ReorgDuringRange extends Error {}

const MAX_POOL_KEYS = 10_000;
/** Events of one range before it is halved, so one store batch stays under its item limit. */
const MAX_EVENTS_PER_RANGE = MAX_CHAIN_UPDATE_ITEMS / 4;

/**
 * Follows the registries', escrow's, settlement's and arbiter's events from `deployment.deployBlock`, in bounded
 * block ranges and only up to head − confirmations. Events say what changed; the state of each thing touched is then
 * read from the contracts at the range's last block, so every write is an idempotent overwrite of the whole record.
 * Each range is written with its cursor as ONE `store.applyChainUpdate`: after a crash the indexer resumes exactly
 * where its data ends. Reorgs: the hash of every written range's last block is kept; before each range the last one is
 * checked against the chain, and on a mismatch the indexer rewinds to the newest range still on the chain, and
 * re-reads everything the orphaned ranges touched (so the store matches the new chain).
 */
export class ChainIndexer {
  private readonly deployment: Deployment;
  private readonly client: PublicClient<Transport, Chain | undefined>;
  private readonly store: ChainIndexStore;
  private readonly logger: ChainLogger | undefined;
  private readonly metrics: IndexerMetrics | undefined;
  private readonly confirmations: bigint;
  private readonly pollIntervalMs: number;
  private readonly maxBlockRange: bigint;
  private readonly maxRecentRanges: number;
  private readonly maxReorgDepth: bigint;
  private readonly cursorName: string | undefined;
  private readonly addresses: readonly Address[];
  private readonly state: ChainStateReader;

  private loaded = false;
  private cursor: RecentRange | undefined;
  private readonly recent: RecentRange[] = [];
  private retouch: Touched = emptyTouched();
  private rewoundTo: bigint | undefined;
  private head: bigint | undefined;
  private synced = false;
  private readonly poolKeys = new Map<bigint, PoolKey>();
  private readonly listeners = new Set<(range: IndexedRange) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private closed = false;

  constructor(opts: ChainIndexerOpts, modules: ChainIndexerModules) {
    for (const [name, value, min] of [
      ["confirmations", opts.confirmations, 0],
      ["pollIntervalMs", opts.pollIntervalMs, 1],
      ["maxBlockRange", opts.maxBlockRange ?? 1_000, 1],
      ["maxRecentRanges", opts.maxRecentRanges ?? 128, 1],
      ["maxReorgDepth", opts.maxReorgDepth ?? 64, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new ChainError({
          code: ChainErrorCode.INVALID_ARGUMENT,
          name,
          reason: `to be an integer ≥ ${min}, found ${value}`,
        });
      }
    }
    this.deployment = opts.deployment;
    this.client = modules.client;
    this.store = modules.store;
    this.logger = modules.logger;
    this.metrics = modules.metrics;
    this.confirmations = BigInt(opts.confirmations);
    this.pollIntervalMs = opts.pollIntervalMs;
    this.maxBlockRange = BigInt(opts.maxBlockRange ?? 1_000);
    this.maxRecentRanges = opts.maxRecentRanges ?? 128;
    this.maxReorgDepth = BigInt(opts.maxReorgDepth ?? 64);
    this.cursorName = opts.cursorName;
    const c = opts.deployment.contracts;
    this.state = new ChainStateReader(opts.deployment, modules.client, modules.store, opts.cursorName, modules.logger);
    this.addresses = [c.datanetRegistry, c.nodeRegistry, c.adapterRegistry, c.arbiter, c.paymentEscrow, c.settlement];
  }

  /** The last block written to the store; undefined before the first range (or before the cursor is loaded). */
  get indexedBlock(): bigint | undefined {
    const block = this.cursor?.blockNumber;
    return block === undefined || block < this.deployment.deployBlock ? undefined : block;
  }

  /** The hash of {@link indexedBlock}. */
  get indexedBlockHash(): Hex | undefined {
    return this.indexedBlock === undefined ? undefined : this.cursor?.blockHash;
  }

  /** The head as last polled. */
  get headBlock(): bigint | undefined {
    return this.head;
  }

  /** Whether the last poll succeeded and left the cursor within `confirmations` of the head. */
  isSynced(): boolean {
    return this.synced;
  }

  /** Calls `listener` after each range is written (in order; a throwing listener is logged, never stops indexing). */
  onUpdate(listener: (range: IndexedRange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Polls every `pollIntervalMs` until `signal` aborts or {@link close}; errors are logged and retried next poll. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.loop !== undefined) return this.loop;
    const stop = signal === undefined ? this.controller.signal : AbortSignal.any([signal, this.controller.signal]);
    this.loop = (async () => {
      while (!stop.aborted) {
        try {
          await this.syncOnce();
        } catch (err) {
          if (this.closed) break;
          this.synced = false;
          this.metrics?.pollErrors.inc();
          this.logger?.warn("chain index poll failed", { head: this.head, indexed: this.indexedBlock }, err);
        }
        try {
          await delay(this.pollIntervalMs, stop);
        } catch {
          break;
        }
      }
    })();
    return this.loop;
  }

  /** Stops the loop and waits for the range in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.controller.abort(new ChainError({ code: ChainErrorCode.CLOSED }));
    await this.loop;
    await this.queue.catch(() => undefined);
  }

  /** Indexes up to head − confirmations; returns the indexed block. */
  syncOnce(): Promise<bigint | undefined> {
    return this.exclusive(async () => {
      const head = await this.client.getBlockNumber({ cacheTime: 0 });
      this.setHead(head);
      const target = head - this.confirmations;
      await this.indexTo(target);
      this.synced = (this.cursor?.blockNumber ?? -1n) >= target;
      this.observeLag();
      return this.indexedBlock;
    });
  }

  /** Indexes up to `blockNumber`, never past head − confirmations; returns the indexed block (tests, tools). */
  syncTo(blockNumber: bigint): Promise<bigint | undefined> {
    return this.exclusive(async () => {
      const head = await this.client.getBlockNumber({ cacheTime: 0 });
      this.setHead(head);
      const safe = head - this.confirmations;
      await this.indexTo(blockNumber < safe ? blockNumber : safe);
      this.synced = (this.cursor?.blockNumber ?? -1n) >= safe;
      this.observeLag();
      return this.indexedBlock;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ChainError({ code: ChainErrorCode.CLOSED }));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private setHead(head: bigint): void {
    this.head = head;
    this.metrics?.headBlock.set(Number(head));
  }

  private observeLag(): void {
    const indexed = this.cursor?.blockNumber;
    if (indexed === undefined || this.head === undefined) return;
    this.metrics?.indexedBlock.set(Number(indexed));
    this.metrics?.lagBlocks.set(Number(this.head > indexed ? this.head - indexed : 0n));
  }

  private async loadCursor(): Promise<void> {
    if (this.loaded) return;
    const stored = await this.store.getChainCursor(this.cursorName);
    if (stored !== undefined) {
      this.cursor = { ...stored, touched: emptyTouched() };
      this.recent.push(this.cursor);
      this.logger?.info("chain index resumes", { blockNumber: stored.blockNumber });
    } else {
      // Nothing before the deployment is ours: start right before its first block, whose parent we never check.
      this.cursor = { blockNumber: this.deployment.deployBlock - 1n, blockHash: undefined, touched: emptyTouched() };
    }
    this.loaded = true;
  }

  private async indexTo(target: bigint): Promise<void> {
    await this.loadCursor();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.checkFork();
        if (this.rewoundTo !== undefined && (this.cursor as RecentRange).blockNumber >= target) {
          // The new chain is not past the fork point yet: re-read what the orphaned blocks touched, at the fork point.
          const at = (this.cursor as RecentRange).blockNumber;
          await this.indexRange(at + 1n, at);
        }
        while ((this.cursor as RecentRange).blockNumber < target) {
          const from = (this.cursor as RecentRange).blockNumber + 1n;
          const last = from + this.maxBlockRange - 1n;
          await this.indexRange(from, last < target ? last : target);
        }
        return;
      } catch (err) {
        if (!(err instanceof ReorgDuringRange) || attempt >= 8) throw err;
        this.logger?.info("chain reorg during a range; checking the fork point again", { attempt });
      }
    }
  }

  /** Compares the newest written range's block hash with the chain's, and rewinds on a mismatch. */
  private async checkFork(): Promise<void> {
    const top = this.recent.at(-1);
    if (top === undefined || top.blockHash === undefined) return;
    if ((await this.getBlockHash(top.blockNumber)) === top.blockHash) return;
    this.metrics?.reorgs.inc();
    const orphaned: RecentRange[] = [top];
    this.recent.pop();
    let fork: RecentRange | undefined;
    while (this.recent.length > 0) {
      const range = this.recent.at(-1) as RecentRange;
      if (range.blockHash === undefined || (await this.getBlockHash(range.blockNumber)) === range.blockHash) {
        fork = range;
        break;
      }
      orphaned.push(range);
      this.recent.pop();
    }
    if (fork === undefined) {
      // Older than anything remembered (after a restart only the cursor is): rewind a bounded depth. What only the
      // orphaned blocks touched, beyond what was remembered, is not re-read (docs/chain.md, gaps).
      const floor = this.deployment.deployBlock - 1n;
      const back = top.blockNumber - this.maxReorgDepth;
      const blockNumber = back > floor ? back : floor;
      const blockHash = blockNumber >= 0n && blockNumber > floor ? await this.getBlockHash(blockNumber) : undefined;
      fork = { blockNumber, blockHash, touched: emptyTouched() };
      this.recent.push(fork);
      this.logger?.warn("chain reorg beyond the remembered ranges; rewinding a fixed depth", {
        from: top.blockNumber,
        to: blockNumber,
      });
    }
    for (const range of orphaned) mergeTouched(this.retouch, range.touched);
    this.cursor = fork;
    this.rewoundTo = fork.blockNumber;
    this.logger?.warn("chain reorg: rewinding to the fork point", { from: top.blockNumber, to: fork.blockNumber });
  }

  private async getBlockHash(blockNumber: bigint): Promise<Hex | undefined> {
    try {
      return (await this.client.getBlock({ blockNumber })).hash ?? undefined;
    } catch (err) {
      if (isTransportError(err)) throw err;
      // A block the chain no longer has (it got shorter): not ours any more.
      return undefined;
    }
  }

  /** Indexes `[from, to]` (an empty range when from > to: only re-reads after a reorg) and writes it as one batch. */
  private async indexRange(from: bigint, to: bigint): Promise<void> {
    const block = await this.client.getBlock({ blockNumber: to });
    if (block.hash === null) throw new ReorgDuringRange();
    const parent = this.cursor as RecentRange;
    if (from <= to && parent.blockHash !== undefined) {
      const first = from === to ? block : await this.client.getBlock({ blockNumber: from });
      if (first.parentHash !== parent.blockHash) throw new ReorgDuringRange();
    }
    const logs =
      from <= to ? await this.client.getLogs({ address: [...this.addresses], fromBlock: from, toBlock: to }) : [];
    if (logs.length > MAX_EVENTS_PER_RANGE && to > from) {
      const mid = from + (to - from) / 2n;
      await this.indexRange(from, mid);
      await this.indexRange(mid + 1n, to);
      return;
    }
    const events = decodeEvents(this.deployment.contracts, logs);
    const touched = emptyTouched();
    mergeTouched(touched, this.retouch);
    // Orphaned rows are deleted by this update, not remembered as this range's.
    touched.redemptions.clear();
    const recordsRoots = new Map<bigint, Hex>();
    const redeemed: LogOf<typeof settlementAbi>[] = [];
    for (const e of events) await this.collect(e, touched, recordsRoots, redeemed, to);
    const update = await this.state.readUpdate(to, block.hash, touched, recordsRoots, redeemed, this.retouch);
    if ((await this.getBlockHash(to)) !== block.hash) throw new ReorgDuringRange();
    await this.store.applyChainUpdate(update);
    for (const redemption of update.redemptions ?? []) touched.redemptions.set(redemptionKeyOf(redemption), redemption);

    const range: RecentRange = { blockNumber: to, blockHash: block.hash, touched };
    this.cursor = range;
    this.recent.push(range);
    if (this.recent.length > this.maxRecentRanges) this.recent.shift();
    const rewoundTo = this.rewoundTo;
    this.retouch = emptyTouched();
    this.rewoundTo = undefined;
    this.metrics?.rangesIndexed.inc();
    this.metrics?.eventsIndexed.inc(events.length);
    this.logger?.debug("chain range indexed", { from, to, events: events.length });
    const indexed: IndexedRange = {
      fromBlock: from,
      toBlock: to,
      blockHash: block.hash,
      events,
      update,
      ...(rewoundTo === undefined ? {} : { rewoundTo }),
    };
    for (const listener of this.listeners) {
      try {
        listener(indexed);
      } catch (err) {
        this.logger?.error("chain index listener threw", { to }, err);
      }
    }
  }

  /** Notes what an event touched. */
  private async collect(
    e: IndexedEvent,
    touched: Touched,
    recordsRoots: Map<bigint, Hex>,
    redeemed: LogOf<typeof settlementAbi>[],
    to: bigint,
  ): Promise<void> {
    if (e.contract === "adapterRegistry") {
      const args = e.log.args as { versionId?: bigint };
      if (args.versionId !== undefined) touched.versions.add(args.versionId);
    } else if (e.contract === "arbiter") {
      const args = e.log.args as { challengeId?: bigint };
      if (args.challengeId !== undefined) touched.challenges.add(args.challengeId);
    } else if (e.contract === "settlement") {
      const log = e.log;
      if (log.eventName === "Redeemed") {
        const { payer, node, versionId, lane, epoch } = log.args;
        this.notePool(touched, { node, versionId, epoch });
        touched.lanes.set(`${payer}:${node}:${versionId}:${lane}`, { payer, node, versionId, lane });
        redeemed.push(log);
      } else if (log.eventName === "AttributionRootPosted") {
        const { node, versionId, epoch, recordsRoot } = log.args;
        const key = { node, versionId, epoch };
        this.notePool(touched, key);
        recordsRoots.set(getPoolId(node, versionId, epoch), recordsRoot);
      } else {
        const args = log.args as { poolId?: bigint };
        if (args.poolId !== undefined) {
          const key = await this.findPool(args.poolId, to);
          if (key !== undefined) touched.pools.set(args.poolId, key);
        }
      }
    }
  }

  private notePool(touched: Touched, key: PoolKey): void {
    const id = getPoolId(key.node, key.versionId, key.epoch);
    touched.pools.set(id, key);
    if (!this.poolKeys.has(id)) {
      if (this.poolKeys.size >= MAX_POOL_KEYS) {
        const oldest = this.poolKeys.keys().next().value;
        if (oldest !== undefined) this.poolKeys.delete(oldest);
      }
      this.poolKeys.set(id, key);
    }
  }

  /** A pool's key from its id: remembered, or from its `AttributionRootPosted` (indexed by pool id). */
  private async findPool(poolId: bigint, to: bigint): Promise<PoolKey | undefined> {
    const known = this.poolKeys.get(poolId);
    if (known !== undefined) return known;
    const logs = await this.client.getLogs({
      address: this.deployment.contracts.settlement,
      event: getAbiItem({ abi: settlementAbi, name: "AttributionRootPosted" }),
      args: { poolId },
      fromBlock: this.deployment.deployBlock,
      toBlock: to,
      strict: true,
    });
    const posted = logs[0];
    if (posted === undefined) {
      this.logger?.warn("chain index: an event names a pool whose key is unknown; its pool is not refreshed", {
        poolId,
      });
      return undefined;
    }
    const key = { node: posted.args.node, versionId: posted.args.versionId, epoch: posted.args.epoch };
    this.poolKeys.set(poolId, key);
    return key;
  }
}
