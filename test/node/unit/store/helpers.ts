import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  Store,
  StoreError,
  type StoreErrorCode,
  type StoreModules,
  type StoreOpts,
} from "../../../../node/src/store/index.js";
import { TEST_DOMAIN } from "./entries.js";

/** A fresh temporary directory and a function that removes it. */
export function makeTempDir(prefix = "olnode-store-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a store over `dir` under the test domain. */
export async function openTestStore(
  dir: string,
  modules: StoreModules = {},
  opts: Partial<Omit<StoreOpts, "dir">> = {},
): Promise<Store> {
  return Store.open({ dir, domain: TEST_DOMAIN, ...opts }, modules);
}

/** Awaits `promise`, expects a {@link StoreError} with `code` (and `context`, when given), and returns it. */
export async function expectStoreError(
  promise: Promise<unknown>,
  code: StoreErrorCode,
  context: Record<string, unknown> = {},
): Promise<StoreError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a StoreError to be thrown").to.be.instanceOf(StoreError);
  const error = thrown as StoreError;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public now = 1_700_000_000_000) {}

  /** The function to pass as `StoreModules.clock`. */
  readonly read = (): number => this.now;

  /** Moves the clock on. */
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Counters that remember their totals, for metrics assertions. */
export function makeCountingMetrics() {
  const counter = () => {
    const c = {
      total: 0,
      inc: (value = 1) => {
        c.total += value;
      },
    };
    return c;
  };
  return {
    batchesWritten: counter(),
    bytesWritten: counter(),
    entriesAccepted: counter(),
    entriesDuplicate: counter(),
    equivocationsRecorded: counter(),
    writesDropped: counter(),
  };
}
