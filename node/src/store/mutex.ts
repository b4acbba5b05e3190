import { StoreError, StoreErrorCode } from "./errors.js";

/**
 * Serialises work per key (a lane id): work on one key runs one at a time, in arrival order, while work on other keys
 * runs alongside it (so LevelDB can group concurrent batches into one fsync). Work over several keys takes them in
 * sorted order, so two such works can never wait on each other. Bounded: more than `maxPending` works waiting or
 * running is refused with QUEUE_FULL.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;

  /**
   * @param maxPending the most works waiting or running at once
   * @param onDrop called for each work refused (a drop metric)
   */
  constructor(
    private readonly maxPending: number,
    private readonly onDrop?: () => void,
  ) {}

  /** Works waiting or running now. */
  get size(): number {
    return this.pending;
  }

  /** Runs `fn` once it holds every key of `keys`; releases them when it settles. */
  async runExclusive<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    if (this.pending >= this.maxPending) {
      this.onDrop?.();
      throw new StoreError({ code: StoreErrorCode.QUEUE_FULL, pending: this.pending, max: this.maxPending });
    }
    this.pending++;
    const releases: (() => void)[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) {
        const previous = this.tails.get(key) ?? Promise.resolve();
        let release = (): void => {};
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        const tail = previous.then(() => held);
        this.tails.set(key, tail);
        releases.push(() => {
          release();
          // The last holder of a key removes it, so the map holds only keys with work.
          if (this.tails.get(key) === tail) this.tails.delete(key);
        });
        await previous;
      }
      return await fn();
    } finally {
      for (const release of releases) release();
      this.pending--;
    }
  }
}
