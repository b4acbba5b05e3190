import { Level } from "level";
import { StoreError, StoreErrorCode } from "./errors.js";
import type { StoreMetrics } from "./types.js";

/** One write of an atomic batch. */
export type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** Bounds of a key range: any of `gt`/`gte` with any of `lt`/`lte`. */
export type KeyRange = { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array };

/** Most entries one read of a range returns; a range read asks for fewer. */
export const MAX_RANGE_READ = 10_000;

/**
 * The one LevelDB database of a node, with binary keys and values. It is the only place that writes, and it writes
 * only atomic batches with `sync: true`, so a batch whose promise resolved is on disk (LevelDB fsyncs its log before
 * answering) and a crash leaves every batch either whole or absent. There is no `clear()`: it is not atomic
 * (THREATS #50); state changes delete keys inside a batch.
 */
export class Database {
  private constructor(
    private readonly level: Level<Uint8Array, Uint8Array>,
    private readonly metrics: StoreMetrics | undefined,
  ) {}

  /** Opens (creating when missing) the database in `dir`. LevelDB replays its log; no repair is ever run. */
  static async open(dir: string, metrics?: StoreMetrics): Promise<Database> {
    const level = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    await level.open({ createIfMissing: true });
    return new Database(level, metrics);
  }

  /** Whether the database is open. */
  get isOpen(): boolean {
    return this.level.status === "open";
  }

  /** The value at `key`, or undefined. */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.call(() => this.level.get(key));
  }

  /** The values at `keys`, in order, undefined where absent. */
  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    return this.call(() => this.level.getMany(keys));
  }

  /** Up to `limit` (at most {@link MAX_RANGE_READ}) entries of `range`, in key order; the iterator is closed. */
  async entries(range: KeyRange, limit: number): Promise<[Uint8Array, Uint8Array][]> {
    const bounded = Math.min(Math.floor(limit), MAX_RANGE_READ);
    // NaN included: a limit that is not a positive number reads nothing rather than everything.
    if (!(bounded > 0)) return [];
    // `all()` reads to the limit and closes the iterator, also when it throws.
    return this.call(() => this.level.iterator({ ...range, limit: bounded }).all());
  }

  /** Up to `limit` (at most {@link MAX_RANGE_READ}) keys of `range`, in key order; the iterator is closed. */
  async keys(range: KeyRange, limit: number): Promise<Uint8Array[]> {
    const bounded = Math.min(Math.floor(limit), MAX_RANGE_READ);
    // NaN included: a limit that is not a positive number reads nothing rather than everything.
    if (!(bounded > 0)) return [];
    return this.call(() => this.level.keys({ ...range, limit: bounded }).all());
  }

  /** Whether the whole database holds no key. */
  async isEmpty(): Promise<boolean> {
    return (await this.call(() => this.level.keys({ limit: 1 }).all())).length === 0;
  }

  /**
   * Writes `ops` as one atomic batch with `sync: true`: when the promise resolves the batch is durable, and after a
   * crash at any moment it is either wholly present or wholly absent.
   */
  async write(ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.call(() => this.level.batch(ops, { sync: true }));
    if (this.metrics !== undefined) {
      let bytes = 0;
      for (const op of ops) bytes += op.key.length + (op.type === "put" ? op.value.length : 0);
      this.metrics.batchesWritten.inc();
      this.metrics.bytesWritten.inc(bytes);
    }
  }

  /** Closes the database; LevelDB waits for the operations in flight. */
  async close(): Promise<void> {
    await this.level.close();
  }

  /** Runs a LevelDB call, turning "not open" into CLOSED. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.level.status !== "open") throw new StoreError({ code: StoreErrorCode.CLOSED });
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: unknown }).code === "LEVEL_DATABASE_NOT_OPEN") {
        throw new StoreError({ code: StoreErrorCode.CLOSED }, { cause: err });
      }
      throw err;
    }
  }
}
