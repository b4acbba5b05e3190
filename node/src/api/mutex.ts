/** Thrown when too many callers already wait on one key. */
export class KeyBusyError extends Error {
  constructor(
    readonly key: string,
    readonly maxWaiting: number,
  ) {
    super(`expected at most ${maxWaiting} requests waiting on ${key}, found more: try again later`);
    this.name = "KeyBusyError";
  }
}

/**
 * Runs callers of one key one at a time, in arrival order, with at most `maxWaiting` waiting per key and at most
 * `maxKeys` keys held at once (beyond either: {@link KeyBusyError}). Keys are dropped when their last caller leaves.
 */
export class BoundedKeyedMutex {
  private readonly tails = new Map<string, { tail: Promise<void>; count: number }>();

  constructor(
    private readonly maxWaiting: number,
    private readonly maxKeys: number,
  ) {}

  /** How many keys have callers running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const held = this.tails.get(key);
    if (held === undefined && this.tails.size >= this.maxKeys) throw new KeyBusyError("the node", this.maxKeys);
    if (held !== undefined && held.count > this.maxWaiting) throw new KeyBusyError(key, this.maxWaiting);
    const slot = held ?? { tail: Promise.resolve(), count: 0 };
    const previous = slot.tail;
    let release = (): void => {};
    slot.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    slot.count++;
    this.tails.set(key, slot);
    try {
      await previous;
      return await fn();
    } finally {
      slot.count--;
      if (slot.count === 0) this.tails.delete(key);
      release();
    }
  }
}
