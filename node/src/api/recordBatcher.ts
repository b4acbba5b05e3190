import { size } from "viem";
import { type Entry, encodeRecordsMessage, MAX_ENTRIES, MAX_RECORDS_MESSAGE_BYTES } from "../protocol/index.js";
import type { ApiLogger } from "./types.js";

/** Default wait before a batch that is not full is published: records reach peers within this. */
export const DEFAULT_FLUSH_INTERVAL_MS = 250;
/** Default most entries waiting to be published (a slow or stuck publisher): newer ones are dropped beyond it. */
export const DEFAULT_MAX_PENDING_ENTRIES = 16_384;
/** The ABI head of a records message: the offset of the array and its length. */
const MESSAGE_HEAD_BYTES = 64;

export type RecordBatcherOptions = {
  /** Most entries per message (≤ 256, DESIGN §4). */
  maxEntries?: number;
  /** Most bytes per message (≤ 1 MiB, DESIGN §4). */
  maxBytes?: number;
  flushIntervalMs?: number;
  maxPending?: number;
};

/** Why an entry was not published. */
export type RecordDropReason = "queue_full" | "too_large" | "closed";

export type RecordBatcherModules = {
  /** Publishes one `/olp/records/1` message's entries; the coordinator wires it to p2p. Called one at a time. */
  publish(entries: Entry[]): Promise<void> | void;
  logger?: ApiLogger;
  /** Counts dropped entries by reason. */
  onDrop?(reason: RecordDropReason, count: number): void;
  /** Counts messages published (or failed). */
  onPublished?(entries: number, ok: boolean): void;
};

/**
 * Groups the node's own entries into `/olp/records/1` messages (DESIGN §4: 1 to 256 entries of one node, ≤ 1 MiB),
 * published when a message is full or `flushIntervalMs` after its first entry, in the order entries were added (so a
 * lane's records reach peers in seq order). At most `maxPending` entries wait; beyond that new entries are dropped and
 * counted (drop-newest: what is already queued keeps its order; the dropped records stay in the store and peers can
 * fetch them with `/olp/req/records/1`).
 */
export class RecordBatcher {
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  /** Batches closed for publishing, oldest first, and the one being filled last. */
  private readonly batches: { entries: Entry[]; bytes: number }[] = [];
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    opts: RecordBatcherOptions,
    private readonly modules: RecordBatcherModules,
  ) {
    this.maxEntries = opts.maxEntries ?? MAX_ENTRIES;
    this.maxBytes = opts.maxBytes ?? MAX_RECORDS_MESSAGE_BYTES;
    this.flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING_ENTRIES;
    if (this.maxEntries < 1 || this.maxEntries > MAX_ENTRIES) {
      throw new Error(`expected maxEntries in 1..${MAX_ENTRIES}, found ${this.maxEntries}`);
    }
    if (this.maxBytes <= MESSAGE_HEAD_BYTES || this.maxBytes > MAX_RECORDS_MESSAGE_BYTES) {
      throw new Error(
        `expected maxBytes in ${MESSAGE_HEAD_BYTES + 1}..${MAX_RECORDS_MESSAGE_BYTES}, found ${this.maxBytes}`,
      );
    }
  }

  /** Entries waiting to be published. */
  get size(): number {
    return this.pending;
  }

  /** Queues `entry` for publishing; false when it was dropped (queue full, too large alone, closed). */
  add(entry: Entry): boolean {
    if (this.closed) return this.drop("closed");
    if (this.pending >= this.maxPending) return this.drop("queue_full");
    // An entry's share of a message: its ABI encoding and its offset word (the message's head counted once).
    let bytes: number;
    try {
      bytes = size(encodeRecordsMessage([entry])) - MESSAGE_HEAD_BYTES;
    } catch {
      // encodeRecordsMessage refuses a message over 1 MiB: this entry alone is one.
      return this.drop("too_large");
    }
    if (MESSAGE_HEAD_BYTES + bytes > this.maxBytes) return this.drop("too_large");
    let open = this.batches[this.batches.length - 1];
    if (
      open === undefined ||
      open.entries.length >= this.maxEntries ||
      MESSAGE_HEAD_BYTES + open.bytes + bytes > this.maxBytes
    ) {
      if (open !== undefined) this.flush();
      open = { entries: [], bytes: 0 };
      this.batches.push(open);
    }
    open.entries.push(entry);
    open.bytes += bytes;
    this.pending++;
    if (open.entries.length >= this.maxEntries) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushIntervalMs);
    return true;
  }

  /** Publishes every queued entry now; resolves when all messages so far were handed to `publish`. */
  async flushNow(): Promise<void> {
    this.flush();
    await this.publishing;
  }

  /** Publishes what is queued and refuses new entries. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushNow();
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const ready = this.batches.splice(0, this.batches.length).filter((b) => b.entries.length > 0);
    for (const batch of ready) {
      this.publishing = this.publishing.then(async () => {
        try {
          await this.modules.publish(batch.entries);
          this.modules.onPublished?.(batch.entries.length, true);
        } catch (err) {
          this.modules.onPublished?.(batch.entries.length, false);
          this.modules.logger?.warn("Publishing records failed", { entries: batch.entries.length }, err);
        } finally {
          this.pending -= batch.entries.length;
        }
      });
    }
  }

  private drop(reason: RecordDropReason): false {
    this.modules.onDrop?.(reason, 1);
    return false;
  }
}
