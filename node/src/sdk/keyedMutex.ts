/**
 * Runs tasks one at a time per key, in call order; tasks of different keys run concurrently. An entry lives only
 * while a task of its key is queued or running, so the map is bounded by the callers waiting on it.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued before it under `key` has settled, and returns what it returns. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const done = Promise.withResolvers<void>();
    const tail = previous.then(() => done.promise);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      done.resolve();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
