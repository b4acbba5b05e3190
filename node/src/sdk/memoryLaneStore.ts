import type { SettlementDomain } from "../protocol/index.js";
import { LaneStore, type LaneStoreBackend } from "./laneStore.js";

/** The parameters of {@link createMemoryLaneStore}. */
export type CreateMemoryLaneStoreParameters = {
  /** The Settlement deployment whose lanes the store keeps. */
  domain: SettlementDomain;
  /**
   * The entries, kept by the caller: a second store over the same map is a restart over the same directory. Tests
   * also reach in to corrupt an entry. A fresh map when left out.
   */
  entries?: Map<string, string>;
};

/**
 * A lane store in memory, for tests and short-lived scripts: the same {@link LaneStore} as the level one, over a
 * `Map`. Nothing survives the process; use `openLevelLaneStore` for real payments.
 */
export async function createMemoryLaneStore({
  domain,
  entries = new Map(),
}: CreateMemoryLaneStoreParameters): Promise<LaneStore> {
  const backend: LaneStoreBackend = {
    location: "memory",
    get: async (key) => entries.get(key),
    write: async (batch) => {
      for (const [key, value] of batch) entries.set(key, value);
    },
    isEmpty: async () => entries.size === 0,
    close: async () => {},
  };
  return LaneStore.open(backend, domain);
}
