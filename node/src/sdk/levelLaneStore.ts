import { Level } from "level";
import type { SettlementDomain } from "../protocol/index.js";
import { LaneStoreError, LaneStoreErrorCode } from "./errors.js";
import { LaneStore, type LaneStoreBackend } from "./laneStore.js";

/** The parameters of {@link openLevelLaneStore}. */
export type OpenLevelLaneStoreParameters = {
  /** The directory (created when missing); in a browser, the IndexedDB name. One directory per Settlement. */
  location: string;
  /** The Settlement deployment whose lanes the store keeps; a directory of another one is refused. */
  domain: SettlementDomain;
};

/**
 * Opens the durable lane store in a level directory. Every write is one synced batch (`sync: true`: on disk when it
 * resolves, so a crash or power loss never loses a receipt already handed out). LevelDB locks the directory: a second
 * process (or a second store in this one) is refused with `OPEN_FAILED` instead of signing the same lanes twice.
 * Throws a {@link LaneStoreError}.
 */
export async function openLevelLaneStore({ location, domain }: OpenLevelLaneStoreParameters): Promise<LaneStore> {
  const db = new Level<string, string>(location, { valueEncoding: "utf8" });
  try {
    await db.open();
  } catch (cause) {
    throw new LaneStoreError({ code: LaneStoreErrorCode.OPEN_FAILED, location }, { cause });
  }
  const backend: LaneStoreBackend = {
    location,
    get: (key) => db.get(key),
    write: (entries) =>
      db.batch(
        entries.map(([key, value]) => ({ type: "put" as const, key, value })),
        { sync: true },
      ),
    isEmpty: async () => (await db.keys({ limit: 1 }).all()).length === 0,
    close: () => db.close(),
  };
  return LaneStore.open(backend, domain);
}
