import { expect } from "chai";
import { checkIntegrity } from "../../../node/src/store/index.js";
import { LaneBuilder, testLane } from "../unit/store/entries.js";
import { makeTempDir, openTestStore } from "../unit/store/helpers.js";
import { runCrashHarness } from "./fixtures/storeCrashHarness.js";

/** Kills per run: OLNODE_STORE_KILLS overrides (the soak in bench/store.ts runs 1,000). */
const KILLS = Number(process.env.OLNODE_STORE_KILLS ?? 30);
/** Seed of the kill points: OLNODE_STORE_SEED replays a failing run. */
const SEED = Number(process.env.OLNODE_STORE_SEED ?? 20_250_101);

describe("store durability", function () {
  this.timeout(240_000);

  it(`keeps every acknowledged entry and no half-applied batch across ${KILLS} kill -9 (THREATS #49)`, async () => {
    // Two databases, each with its own writer and kills, side by side: the machine's two cores both work.
    const temps = [makeTempDir("olnode-store-crash-"), makeTempDir("olnode-store-crash-")];
    try {
      const results = await Promise.all(
        temps.map((temp, index) =>
          runCrashHarness({
            dir: temp.dir,
            kills: Math.ceil(KILLS / 2) - (index === 1 && KILLS % 2 === 1 ? 1 : 0),
            seed: SEED + index,
            fullCheckEvery: 5,
          }),
        ),
      );
      expect(results.flatMap((result) => result.problems)).to.deep.equal([]);
      expect(results.reduce((sum, result) => sum + result.kills, 0)).to.equal(KILLS);
      for (const result of results) {
        // The kills landed while the writer was writing: entries were acknowledged across rounds.
        expect(result.acknowledged).to.be.greaterThan(result.kills);
        expect(result.records).to.be.at.least(result.acknowledged);
      }
    } finally {
      for (const temp of temps) temp.remove();
    }
  });

  it("keeps 10,000 entries across a close and reopen, each lane's state its last entry's", async () => {
    const temp = makeTempDir("olnode-store-restart-");
    try {
      let store = await openTestStore(temp.dir);
      const lanes = Array.from({ length: 50 }, (_, i) => new LaneBuilder(testLane(i, BigInt(1 + (i % 3))), true));
      const written: `0x${string}`[] = [];
      // 10,000 entries as 100 messages of 100, each message spread over 10 lanes.
      for (let message = 0; message < 100; message++) {
        const group = lanes.slice((message % 5) * 10, (message % 5) * 10 + 10);
        const entries = group.flatMap((lane) => lane.take(10, BigInt(1 + (message % 7))));
        written.push(...(await store.acceptEntries(entries)).accepted);
      }
      expect(written).to.have.length(10_000);
      await store.close();

      store = await openTestStore(temp.dir);
      try {
        const stored = await store.records.getMany(written);
        expect(stored.filter((record) => record === undefined)).to.have.length(0);
        for (const lane of lanes) {
          const state = await store.getLane(lane.laneId);
          expect(state).to.deep.include({ lastSeq: lane.seq, cumulative: lane.cumulative });
          const latest = await store.getLatestReceipt(lane.laneId);
          expect(latest?.receipt.seq).to.equal(lane.seq);
          expect(latest?.receipt.cumulative).to.equal(lane.cumulative);
        }
        const report = await checkIntegrity(store);
        expect(report).to.deep.include({ lanes: 50, records: 10_000, indexEntries: 10_000, problems: [] });
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });
});
