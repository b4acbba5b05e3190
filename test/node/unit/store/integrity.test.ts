import { expect } from "chai";
import type { Hex } from "viem";
import {
  checkIntegrity,
  Database,
  LaneRepository,
  LaneSeqIndexRepository,
  ReceiptRepository,
  RecordRepository,
  type Store,
} from "../../../../node/src/store/index.js";
import { LaneBuilder, testLane } from "./entries.js";
import { makeTempDir, openTestStore } from "./helpers.js";

/**
 * The integrity scan is what the kill -9 harness trusts to see a half-applied batch, so each kind of damage a torn
 * batch could leave is made by hand here and must be reported.
 */
describe("checkIntegrity", () => {
  let temp: { dir: string; remove: () => void };
  let store: Store;
  let lane: LaneBuilder;
  let ids: Hex[];

  beforeEach(async () => {
    temp = makeTempDir();
    store = await openTestStore(temp.dir);
    lane = new LaneBuilder(testLane(1));
    ids = (await store.acceptEntries(lane.take(5, 3n))).accepted;
    await store.acceptEntries(new LaneBuilder(testLane(2)).take(2));
  });

  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  /** Closes the store, damages the database with `damage`, reopens, and scans. */
  async function scanAfter(damage: (db: Database) => Promise<void>) {
    await store.close();
    const db = await Database.open(temp.dir);
    await damage(db);
    await db.close();
    store = await openTestStore(temp.dir);
    return checkIntegrity(store);
  }

  it("finds nothing wrong in a store written by acceptEntries", async () => {
    expect(await checkIntegrity(store)).to.deep.equal({
      lanes: 2,
      records: 7,
      indexEntries: 7,
      problems: [],
      problemsOmitted: 0,
    });
  });

  it("reports an index entry that names a missing record", async () => {
    const report = await scanAfter((db) => db.write([new RecordRepository(db).delOp(ids[2] as Hex)]));
    expect(report.problems.join("\n")).to.contain(`seq 3 names missing record ${ids[2]}`);
  });

  it("reports a record that no index entry names", async () => {
    const report = await scanAfter((db) =>
      db.write([new LaneSeqIndexRepository(db).delOp({ laneId: lane.laneId, seq: 5n })]),
    );
    expect(report.problems.join("\n"))
      .to.contain("index stops at 4")
      .and.to.contain(`record ${ids[4]} is not what its lane ‖ seq index names`);
  });

  it("reports a lane state behind its records (record and index written, lane not)", async () => {
    const report = await scanAfter(async (db) => {
      const lanes = new LaneRepository(db);
      const state = await lanes.get(lane.laneId);
      if (state === undefined) throw new Error("unreachable");
      await db.write([lanes.putOp(lane.laneId, { ...state, lastSeq: 4n, cumulative: 12n })]);
    });
    expect(report.problems.join("\n"))
      .to.contain("index entry at seq 5 beyond its last seq")
      .and.to.contain("latest receipt is not the one of its last seq 4");
  });

  it("reports a latest receipt that is not the lane's last", async () => {
    const report = await scanAfter(async (db) => {
      const receipts = new ReceiptRepository(db);
      const latest = await receipts.get(lane.laneId);
      if (latest === undefined) throw new Error("unreachable");
      await db.write([receipts.putOp(lane.laneId, { ...latest, recordId: ids[0] as Hex })]);
    });
    expect(report.problems).to.deep.equal([`lane ${lane.laneId} latest receipt is not the one of its last seq 5`]);
  });

  it("reports an index entry of a lane that has no state", async () => {
    const report = await scanAfter((db) => db.write([new LaneRepository(db).delOp(lane.laneId)]));
    expect(report.problems.join("\n")).to.contain("the lanes' last seqs sum to 2 but the index holds 7 entries");
  });
});
