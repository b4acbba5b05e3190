import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { createMemoryLaneStore, LaneStoreErrorCode, openLevelLaneStore } from "../../../../node/src/sdk/index.js";
import { DOMAIN, expectRejectedWithCode } from "./helpers.js";
import { expectNotALaneStore, type LaneStoreHarness, shouldBehaveLikeLaneStore } from "./shouldBehaveLikeLaneStore.js";

function memoryHarness(): LaneStoreHarness {
  const entries = new Map<string, string>();
  return {
    open: (domain = DOMAIN) => createMemoryLaneStore({ domain, entries }),
    writeRaw: async (batch) => {
      for (const [key, value] of batch) entries.set(key, value);
    },
    readRaw: async (key) => entries.get(key),
  };
}

const directories: string[] = [];

function levelHarness(): LaneStoreHarness {
  const location = mkdtempSync(join(tmpdir(), "olp-lanes-"));
  directories.push(location);
  const withDb = async <T>(work: (db: Level<string, string>) => Promise<T>): Promise<T> => {
    const db = new Level<string, string>(location, { valueEncoding: "utf8" });
    await db.open();
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };
  return {
    open: (domain = DOMAIN) => openLevelLaneStore({ location, domain }),
    writeRaw: (batch) => withDb((db) => db.batch(batch.map(([key, value]) => ({ type: "put" as const, key, value })))),
    readRaw: (key) => withDb((db) => db.get(key)),
  };
}

after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

describe("sdk/LaneStore", () => {
  describe("in memory", () => {
    shouldBehaveLikeLaneStore(async () => memoryHarness());

    it("refuses a map that holds other data", async () => {
      await expectNotALaneStore(memoryHarness());
    });
  });

  describe("over level", () => {
    shouldBehaveLikeLaneStore(async () => levelHarness());

    it("refuses a directory that holds other data", async () => {
      await expectNotALaneStore(levelHarness());
    });

    it("refuses a second store over a directory in use (LevelDB's lock), so no lane is signed twice", async () => {
      const harness = levelHarness();
      const store = await harness.open();
      try {
        await expectRejectedWithCode(harness.open(), LaneStoreErrorCode.OPEN_FAILED);
      } finally {
        await store.close();
      }
      await (await harness.open()).close();
    });
  });
});
