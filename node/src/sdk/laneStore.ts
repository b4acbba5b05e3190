import type { SettlementDomain } from "../protocol/index.js";
import { LaneStoreError, LaneStoreErrorCode } from "./errors.js";
import { KeyedMutex } from "./keyedMutex.js";
import { decodeLaneState, encodeLaneState, laneKey } from "./laneCodec.js";
import type { Lane, LaneState } from "./types.js";

/** The version of the store's layout; a store of another version is refused, never read. */
export const LANE_STORE_SCHEMA = 1;

/** The key of the schema version. */
export const SCHEMA_KEY = "meta/schema";

/** The key of the Settlement deployment the store keeps lanes of. */
export const DOMAIN_KEY = "meta/domain";

/**
 * The key–value database under a {@link LaneStore}: a level directory, or a `Map` in tests. Keys and values are
 * strings.
 */
export interface LaneStoreBackend {
  /** Where the data lives, for messages. */
  readonly location: string;
  /** The value at `key`, or `undefined`. */
  get(key: string): Promise<string | undefined>;
  /** Writes every entry in one atomic batch, durable (synced to disk) when the promise resolves. */
  write(entries: readonly (readonly [key: string, value: string])[]): Promise<void>;
  /** Whether the database holds no key at all. */
  isEmpty(): Promise<boolean>;
  /** Releases the database; called once, after every operation has settled. */
  close(): Promise<void>;
}

/** The id of a Settlement deployment as the store records it: `eip155:<chainId>:<address>` (address in lower case). */
export function domainId(domain: SettlementDomain): string {
  return `eip155:${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
}

/**
 * Durable lane state of one Settlement deployment: one entry per lane holding the last receipt signed and its
 * signature, written as one atomic, synced batch before the SDK hands a receipt out (DESIGN §4: pay before; a crash
 * must never let a seq be signed twice with different receipts). Updates of one lane run one at a time and a lane
 * never moves back.
 *
 * Built with `openLevelLaneStore` (a directory) or `createMemoryLaneStore` (tests); both share this class, so they
 * behave alike by construction and one behaviour suite checks both.
 */
export class LaneStore {
  /** The deployment whose lanes this store keeps: receipts are signed under this domain. */
  readonly domain: SettlementDomain;
  readonly #backend: LaneStoreBackend;
  readonly #mutex = new KeyedMutex();
  readonly #pending = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(backend: LaneStoreBackend, domain: SettlementDomain) {
    this.#backend = backend;
    this.domain = domain;
  }

  /**
   * Opens a store over `backend` for `domain`: an empty database becomes a store of schema {@link LANE_STORE_SCHEMA}
   * for `domain` (one atomic batch); a database of another schema, another deployment, or with other data is refused
   * with a {@link LaneStoreError} and released.
   */
  static async open(backend: LaneStoreBackend, domain: SettlementDomain): Promise<LaneStore> {
    try {
      const schema = await backend.get(SCHEMA_KEY);
      if (schema === undefined) {
        if (!(await backend.isEmpty())) {
          throw new LaneStoreError({ code: LaneStoreErrorCode.NOT_A_LANE_STORE, location: backend.location });
        }
        await backend.write([
          [SCHEMA_KEY, String(LANE_STORE_SCHEMA)],
          [DOMAIN_KEY, domainId(domain)],
        ]);
      } else if (schema !== String(LANE_STORE_SCHEMA)) {
        throw new LaneStoreError({
          code: LaneStoreErrorCode.SCHEMA_MISMATCH,
          expected: LANE_STORE_SCHEMA,
          found: schema,
        });
      } else {
        const found = (await backend.get(DOMAIN_KEY)) ?? "no deployment";
        if (found !== domainId(domain)) {
          throw new LaneStoreError({ code: LaneStoreErrorCode.DOMAIN_MISMATCH, expected: domainId(domain), found });
        }
      }
    } catch (err) {
      await backend.close();
      throw err;
    }
    return new LaneStore(backend, domain);
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The state of `lane`, or `undefined` before its first receipt. Throws a {@link LaneStoreError}. */
  async getLane(lane: Lane): Promise<LaneState | undefined> {
    const key = laneKey(lane);
    return this.#track(() => this.#read(lane, key));
  }

  /**
   * Runs `update` on the state of `lane` with no other update of that lane in between, and writes what it returns
   * (atomically, synced) before resolving with it; `undefined` writes nothing and resolves with the current state. The
   * new state must be of `lane` and strictly ahead of the current one: a lane never moves back or rewrites a seq.
   * Throws a {@link LaneStoreError}, or what `update` throws (then nothing is written).
   */
  updateLane(lane: Lane, update: (current: LaneState | undefined) => Promise<LaneState>): Promise<LaneState>;
  updateLane(
    lane: Lane,
    update: (current: LaneState | undefined) => Promise<LaneState | undefined>,
  ): Promise<LaneState | undefined>;
  async updateLane(
    lane: Lane,
    update: (current: LaneState | undefined) => Promise<LaneState | undefined>,
  ): Promise<LaneState | undefined> {
    const key = laneKey(lane);
    return this.#track(() =>
      this.#mutex.run(key, async () => {
        const current = await this.#read(lane, key);
        const next = await update(current);
        if (next === undefined) return current;
        if (laneKey(next.lane) !== key || (current !== undefined && next.seq <= current.seq)) {
          throw new LaneStoreError({
            code: LaneStoreErrorCode.STALE_WRITE,
            lane,
            seq: next.seq,
            current: current?.seq ?? 0n,
          });
        }
        const text = encodeLaneState(next);
        // What is written must read back: a state that would be refused as corrupt is never written.
        decodeLaneState(lane, key, text);
        await this.#backend.write([[key, text]]);
        return next;
      }),
    );
  }

  /**
   * Closes the store: new calls are refused at once; calls already made finish (their writes land) before the
   * database is released. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#pending]);
      await this.#backend.close();
    })();
    return this.#closing;
  }

  async #read(lane: Lane, key: string): Promise<LaneState | undefined> {
    const text = await this.#backend.get(key);
    return text === undefined ? undefined : decodeLaneState(lane, key, text);
  }

  /** Refuses work once closing; otherwise starts it and keeps it in flight, so that {@link close} waits for it. */
  #track<T>(start: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new LaneStoreError({ code: LaneStoreErrorCode.CLOSED }));
    const work = start();
    this.#pending.add(work);
    const untrack = () => this.#pending.delete(work);
    work.then(untrack, untrack);
    return work;
  }
}
