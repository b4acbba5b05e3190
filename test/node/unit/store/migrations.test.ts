import { expect } from "chai";
import { decodeAbiParameters, encodeAbiParameters, hexToBytes, toHex } from "viem";
import {
  type BatchOp,
  Bucket,
  buildOwedTotals,
  Database,
  LaneRepository,
  MetaRepository,
  type Migration,
  migrate,
  SCHEMA_VERSION,
  StoreErrorCode,
} from "../../../../node/src/store/index.js";
import { LaneBuilder, TEST_DOMAIN, testLane } from "./entries.js";
import { expectStoreError, makeTempDir, openTestStore } from "./helpers.js";

/**
 * A made-up version 0 of the lanes bucket, as a database from before schema versions might hold it: bucket 3, key the
 * lane id, value `abi.encode(address payer, address node, uint256 versionId, uint32 lane, uint64 lastSeq, uint128
 * cumulative)` without the redemption fields or times; and no schema version in meta.
 */
const v0LaneParameters = [
  { type: "address" },
  { type: "address" },
  { type: "uint256" },
  { type: "uint32" },
  { type: "uint64" },
  { type: "uint128" },
] as const;

/** The v0 → v1 step for that made-up layout: rewrites every lane in the v1 encoding, in the version-bump batch. */
const v0ToV1: Migration = {
  version: 1,
  description: "lanes gain collected, lastRedeemedSeq and times",
  async run(db: Database): Promise<BatchOp[]> {
    const lanes = new LaneRepository(db);
    const rows = await db.entries(
      { gte: new Uint8Array([Bucket.lanes]), lt: new Uint8Array([Bucket.lanes + 1]) },
      10_000,
    );
    return rows.map(([key, value]) => {
      const [payer, node, versionId, lane, lastSeq, cumulative] = decodeAbiParameters(v0LaneParameters, value);
      return lanes.putOp(toHex(key.subarray(1)), {
        laneId: toHex(key.subarray(1)),
        payer,
        node,
        versionId,
        lane,
        lastSeq,
        cumulative,
        collected: 0n,
        lastRedeemedSeq: 0n,
        updatedAt: 0,
        unredeemedSince: 0,
      });
    });
  },
};

async function writeV0Lane(dir: string, lane: LaneBuilder, lastSeq: bigint, cumulative: bigint): Promise<void> {
  const db = await Database.open(dir);
  const { payer, node, versionId, lane: number } = lane.key;
  const value = hexToBytes(
    encodeAbiParameters(v0LaneParameters, [payer, node, versionId, number, lastSeq, cumulative]),
  );
  await db.write([{ type: "put", key: new LaneRepository(db).getDbKey(lane.laneId), value }]);
  await db.close();
}

async function readSchemaVersion(dir: string): Promise<number | undefined> {
  const db = await Database.open(dir);
  try {
    return await new MetaRepository(db).getSchemaVersion();
  } finally {
    await db.close();
  }
}

describe("store migrations", () => {
  let temp: { dir: string; remove: () => void };

  beforeEach(() => {
    temp = makeTempDir();
  });

  afterEach(() => {
    temp.remove();
  });

  it("stamps a new database with the current schema version", async () => {
    expect(SCHEMA_VERSION).to.equal(2);
    const store = await openTestStore(temp.dir);
    await store.close();
    expect(await readSchemaVersion(temp.dir)).to.equal(SCHEMA_VERSION);
  });

  it("migrates a version-0 database through version 1 and 2 on open, in order, and the store reads the migrated lanes", async () => {
    const lane = LaneBuilder.resume(testLane(1), 3n, 15n);
    await writeV0Lane(temp.dir, lane, 3n, 15n);
    expect(await readSchemaVersion(temp.dir)).to.equal(undefined);
    const ran: number[] = [];
    const step: Migration = {
      ...v0ToV1,
      run: (db) => {
        ran.push(1);
        return v0ToV1.run(db);
      },
    };
    const store = await openTestStore(temp.dir, {}, { migrations: [step, buildOwedTotals] });
    expect(ran).to.deep.equal([1]);
    // Schema 2 built the owed total from the migrated lane.
    expect(await store.getOwed(lane.key.payer, lane.key.node)).to.equal(15n);
    expect(await store.getLane(lane.laneId)).to.deep.include({
      ...lane.key,
      lastSeq: 3n,
      cumulative: 15n,
      collected: 0n,
    });
    // The migrated lane goes on from its migrated state, as any lane does.
    await store.acceptEntries(lane.take(2, 5n));
    expect(await store.getLane(lane.laneId)).to.deep.include({ lastSeq: 5n, cumulative: 25n });
    expect(await store.getOwed(lane.key.payer, lane.key.node)).to.equal(25n);
    await store.close();
    expect(await readSchemaVersion(temp.dir)).to.equal(2);
    // Opening again runs nothing.
    const again = await openTestStore(temp.dir, {}, { migrations: [step, buildOwedTotals] });
    await again.close();
    expect(ran).to.deep.equal([1]);
  });

  it("leaves the version where it was when a step fails, and runs the step again on the next open", async () => {
    const lane = new LaneBuilder(testLane(1));
    await writeV0Lane(temp.dir, lane, 0n, 0n);
    const failing: Migration = {
      ...v0ToV1,
      async run() {
        throw new Error("disk full");
      },
    };
    let thrown: unknown;
    try {
      await openTestStore(temp.dir, {}, { migrations: [failing] });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as Error).message).to.equal("disk full");
    expect(await readSchemaVersion(temp.dir)).to.equal(undefined);
    const store = await openTestStore(temp.dir, {}, { migrations: [v0ToV1, buildOwedTotals] });
    expect(await store.getLane(lane.laneId)).to.deep.include({ lastSeq: 0n });
    await store.close();
  });

  it("refuses a database of a newer schema with SCHEMA_TOO_NEW naming both versions", async () => {
    const db = await Database.open(temp.dir);
    await db.write([new MetaRepository(db).schemaVersionOp(SCHEMA_VERSION + 1)]);
    await db.close();
    const error = await expectStoreError(openTestStore(temp.dir), StoreErrorCode.SCHEMA_TOO_NEW, {
      found: SCHEMA_VERSION + 1,
      supported: SCHEMA_VERSION,
    });
    expect(error.message)
      .to.contain(`version ${SCHEMA_VERSION + 1}`)
      .and.to.contain(`version ${SCHEMA_VERSION}`);
  });

  it("refuses a database no step starts from with MIGRATION_MISSING", async () => {
    await writeV0Lane(temp.dir, new LaneBuilder(testLane(1)), 0n, 0n);
    await expectStoreError(openTestStore(temp.dir), StoreErrorCode.MIGRATION_MISSING, { from: 0, to: SCHEMA_VERSION });
  });

  it("runs several steps in order up to the target", async () => {
    const db = await Database.open(temp.dir);
    await db.write([{ type: "put", key: new Uint8Array([Bucket.chainCursor, 0x61]), value: new Uint8Array(40) }]);
    const order: number[] = [];
    const step = (version: number): Migration => ({
      version,
      description: `step ${version}`,
      async run() {
        order.push(version);
        return [];
      },
    });
    const result = await migrate(db, [step(3), step(1), step(2)], 3);
    expect(result).to.deep.equal({ from: 0, to: 3, steps: 3 });
    expect(order).to.deep.equal([1, 2, 3]);
    expect(await new MetaRepository(db).getSchemaVersion()).to.equal(3);
    await db.close();
  });

  it("stores the domain on first open so another chain's node cannot reuse the database", async () => {
    const store = await openTestStore(temp.dir);
    await store.close();
    const db = await Database.open(temp.dir);
    expect(await new MetaRepository(db).getDomain()).to.deep.equal({
      chainId: TEST_DOMAIN.chainId,
      verifyingContract: TEST_DOMAIN.verifyingContract,
    });
    await db.close();
  });
});
