import { expect } from "chai";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { getLaneId } from "../../../../node/src/protocol/index.js";
import {
  AdapterRepository,
  type AdapterVersion,
  type BatchOp,
  Bucket,
  ChainCursorRepository,
  type Challenge,
  ChallengeBySubjectRepository,
  ChallengeRepository,
  Database,
  type EpochPool,
  EpochPoolRepository,
  type EpochRedemption,
  EpochRedemptionRepository,
  EquivocationKind,
  EquivocationRepository,
  LaneRepository,
  LaneSeqIndexRepository,
  type LaneState,
  MetaRepository,
  ReceiptRepository,
  RecordRepository,
  type Repository,
  StoreErrorCode,
} from "../../../../node/src/store/index.js";
import { buildEntry, LaneBuilder, TEST_NODE, testLane } from "./entries.js";
import { expectStoreError, makeTempDir } from "./helpers.js";

const hash = (tag: string): Hex => keccak256(toHex(tag));
const GARBAGE = new Uint8Array([0xde, 0xad, 0xbe]);

/**
 * What every repository must do: round-trip a value by id, see it with `has`, delete it in a batch, and turn stored
 * bytes that do not decode into CORRUPT_VALUE naming its bucket and the full key.
 */
function shouldBehaveLikeRepository<I, T>(
  name: string,
  bucket: Bucket,
  make: (db: Database) => Repository<I, T>,
  sample: () => { id: I; value: T; other: { id: I; value: T } },
): void {
  describe(`${name} (shared repository behaviour)`, () => {
    let db: Database;
    let temp: { dir: string; remove: () => void };

    beforeEach(async () => {
      temp = makeTempDir();
      db = await Database.open(temp.dir);
    });

    afterEach(async () => {
      await db.close();
      temp.remove();
    });

    it("round-trips a value by id and keeps ids apart", async () => {
      const repo = make(db);
      const { id, value, other } = sample();
      expect(await repo.get(id)).to.equal(undefined);
      await db.write([repo.putOp(id, value), repo.putOp(other.id, other.value)]);
      expect(await repo.get(id)).to.deep.equal(value);
      expect(await repo.get(other.id)).to.deep.equal(other.value);
      expect(await repo.getMany([other.id, id])).to.deep.equal([other.value, value]);
      expect(await repo.has(id)).to.equal(true);
    });

    it("deletes a value in a batch", async () => {
      const repo = make(db);
      const { id, value } = sample();
      await repo.put(id, value);
      await db.write([repo.delOp(id)]);
      expect(await repo.get(id)).to.equal(undefined);
      expect(await repo.has(id)).to.equal(false);
    });

    it("keys every id under its bucket byte", () => {
      const repo = make(db);
      expect(repo.bucket).to.equal(bucket);
      expect(repo.getDbKey(sample().id)[0]).to.equal(bucket);
    });

    it("throws CORRUPT_VALUE naming the bucket and key when the stored bytes do not decode", async () => {
      const repo = make(db);
      const { id } = sample();
      const key = repo.getDbKey(id);
      await db.write([{ type: "put", key, value: GARBAGE } satisfies BatchOp]);
      const error = await expectStoreError(repo.get(id), StoreErrorCode.CORRUPT_VALUE, {
        bucket: Bucket[bucket],
        key: toHex(key),
      });
      expect(error.message).to.contain(Bucket[bucket]).and.to.contain(toHex(key));
    });
  });
}

function laneState(index: number, lastSeq: bigint): LaneState {
  const key = testLane(index);
  return {
    ...key,
    laneId: getLaneId(key.payer, key.node, key.versionId, key.lane),
    lastSeq,
    cumulative: lastSeq * 1_000n,
    collected: 500n,
    lastRedeemedSeq: 1n,
    updatedAt: 1_700_000_000_123,
    unredeemedSince: 1_700_000_000_000,
  };
}

function adapterVersion(versionId: bigint): AdapterVersion {
  return {
    versionId,
    adapterId: 3n,
    owner: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    commitmentId: 9n,
    datasetIds: [1n, 2n, 5n],
    status: 2,
    bond: 10n ** 21n,
    challengeEnd: 1_800_000_000n,
    submitBlock: 1234n,
    openChallenges: 0,
    proof: {
      contributorsRoot: hash("contributors"),
      weightsHash: hash("weights"),
      checkpointRoot: hash("checkpoints"),
      finalHead: hash("head"),
      initialWeightsHash: hash("w0"),
      initialStateHash: hash("s0"),
      checkpointCount: 12,
      evalScore: 4321,
    },
  };
}

function epochPool(epoch: bigint, node: Address = TEST_NODE, versionId = 1n): EpochPool {
  return {
    node,
    versionId,
    epoch,
    amount: 35_000n,
    claimed: 0n,
    root: hash(`root-${epoch}`),
    recordsRoot: hash(`records-${epoch}`),
    poster: node,
    challengeEnd: 1_800_000_000n,
    openChallenges: 1,
    fellBack: false,
    bond: 10n ** 18n,
  };
}

function redemption(epoch: bigint, blockNumber: bigint, logIndex: number): EpochRedemption {
  return {
    node: TEST_NODE,
    versionId: 1n,
    epoch,
    payer: testLane(1).payer,
    lane: 1,
    fromSeq: 0n,
    toSeq: 10n,
    cumulative: 10_000n,
    collected: 10_000n,
    datasetsPart: 3_500n,
    blockNumber,
    logIndex,
  };
}

function challenge(challengeId: bigint, subjectId: bigint): Challenge {
  return {
    challengeId,
    subject: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    subjectId,
    challenger: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    defendant: TEST_NODE,
    bond: 5n * 10n ** 18n,
    evidenceHash: hash(`evidence-${challengeId}`),
    commitDeadline: 1_800_000_100n,
    revealDeadline: 1_800_000_200n,
    ruling: 0,
  };
}

describe("store repositories", () => {
  shouldBehaveLikeRepository(
    "RecordRepository",
    Bucket.records,
    (db) => new RecordRepository(db),
    () => {
      const lane = new LaneBuilder(testLane(1));
      return {
        id: hash("record-a"),
        value: { entry: lane.next(), receivedAt: 1_700_000_000_001 },
        other: { id: hash("record-b"), value: { entry: lane.next(7n, ""), receivedAt: 1_700_000_000_002 } },
      };
    },
  );

  shouldBehaveLikeRepository(
    "ReceiptRepository",
    Bucket.receipts,
    (db) => new ReceiptRepository(db),
    () => {
      const a = new LaneBuilder(testLane(1)).next();
      const b = new LaneBuilder(testLane(2)).next();
      return {
        id: hash("lane-a"),
        value: { receipt: a.receipt, receiptSig: a.receiptSig, recordId: hash("record-a") },
        other: {
          id: hash("lane-b"),
          value: { receipt: b.receipt, receiptSig: b.receiptSig, recordId: hash("record-b") },
        },
      };
    },
  );

  shouldBehaveLikeRepository(
    "LaneRepository",
    Bucket.lanes,
    (db) => new LaneRepository(db),
    () => {
      const a = laneState(1, 4n);
      const b = laneState(2, 9n);
      return { id: a.laneId, value: a, other: { id: b.laneId, value: b } };
    },
  );

  shouldBehaveLikeRepository(
    "LaneSeqIndexRepository",
    Bucket.laneSeqIndex,
    (db) => new LaneSeqIndexRepository(db),
    () => ({
      id: { laneId: hash("lane"), seq: 1n },
      value: hash("record-1"),
      other: { id: { laneId: hash("lane"), seq: 2n }, value: hash("record-2") },
    }),
  );

  shouldBehaveLikeRepository(
    "EquivocationRepository",
    Bucket.equivocations,
    (db) => new EquivocationRepository(db),
    () => {
      const lane = new LaneBuilder(testLane(1));
      const first = lane.next();
      const second = buildEntry({ ...first.receipt, requestHash: hash("other request") });
      const laneId = lane.laneId;
      const recordTwin = { ...first, record: { ...first.record, outputHash: hash("other output") } };
      return {
        id: { laneId, seq: 1n, kind: EquivocationKind.RECEIPT },
        value: { kind: EquivocationKind.RECEIPT, laneId, seq: 1n, first, second, detectedAt: 1_700_000_000_005 },
        other: {
          id: { laneId, seq: 1n, kind: EquivocationKind.RECORD },
          value: {
            kind: EquivocationKind.RECORD,
            laneId,
            seq: 1n,
            first,
            second: recordTwin,
            detectedAt: 1_700_000_000_006,
          },
        },
      };
    },
  );

  shouldBehaveLikeRepository(
    "ChainCursorRepository",
    Bucket.chainCursor,
    (db) => new ChainCursorRepository(db),
    () => ({
      id: "events",
      value: { blockNumber: 123_456n, blockHash: hash("block-123456") },
      other: { id: "prices", value: { blockNumber: 7n, blockHash: hash("block-7") } },
    }),
  );

  shouldBehaveLikeRepository(
    "AdapterRepository",
    Bucket.adapters,
    (db) => new AdapterRepository(db),
    () => ({
      id: 1n,
      value: adapterVersion(1n),
      other: { id: 2n ** 255n, value: adapterVersion(2n ** 255n) },
    }),
  );

  shouldBehaveLikeRepository(
    "EpochPoolRepository",
    Bucket.epochPools,
    (db) => new EpochPoolRepository(db),
    () => {
      const a = epochPool(3n);
      const b = epochPool(4n);
      return { id: a, value: a, other: { id: b, value: b } };
    },
  );

  shouldBehaveLikeRepository(
    "EpochRedemptionRepository",
    Bucket.epochRedemptions,
    (db) => new EpochRedemptionRepository(db),
    () => {
      const a = redemption(3n, 100n, 0);
      const b = redemption(3n, 100n, 1);
      return { id: a, value: a, other: { id: b, value: b } };
    },
  );

  shouldBehaveLikeRepository(
    "ChallengeRepository",
    Bucket.challenges,
    (db) => new ChallengeRepository(db),
    () => ({
      id: 1n,
      value: challenge(1n, 5n),
      other: { id: 2n, value: { ...challenge(2n, 5n), ruling: 1 } },
    }),
  );

  shouldBehaveLikeRepository(
    "ChallengeBySubjectRepository",
    Bucket.challengesBySubject,
    (db) => new ChallengeBySubjectRepository(db),
    () => {
      const a = challenge(1n, 5n);
      const b = challenge(2n, 5n);
      return { id: a, value: true as const, other: { id: b, value: true as const } };
    },
  );

  describe("ordering and ranges", () => {
    let db: Database;
    let temp: { dir: string; remove: () => void };

    beforeEach(async () => {
      temp = makeTempDir();
      db = await Database.open(temp.dir);
    });

    afterEach(async () => {
      await db.close();
      temp.remove();
    });

    it("reads a lane's seq range in seq order across byte boundaries, bounded by the limit", async () => {
      const index = new LaneSeqIndexRepository(db);
      const laneId = hash("lane");
      const neighbour = hash("neighbour");
      const seqs = [1n, 2n, 255n, 256n, 257n, 65_536n, 2n ** 64n - 1n];
      // Written out of order, with another lane's entries around them.
      const ops: BatchOp[] = [...seqs].reverse().map((seq) => index.putOp({ laneId, seq }, hash(`r${seq}`)));
      ops.push(index.putOp({ laneId: neighbour, seq: 3n }, hash("n3")));
      await db.write(ops);
      const all = await index.getRange(laneId, 1n, 2n ** 64n - 1n, 100);
      expect(all.map((row) => row.seq)).to.deep.equal(seqs);
      expect(all[2]?.recordId).to.equal(hash("r255"));
      expect((await index.getRange(laneId, 2n, 256n, 100)).map((row) => row.seq)).to.deep.equal([2n, 255n, 256n]);
      expect((await index.getRange(laneId, 1n, 2n ** 64n - 1n, 3)).map((row) => row.seq)).to.deep.equal([1n, 2n, 255n]);
      expect(await index.getRange(laneId, 3n, 254n, 100)).to.deep.equal([]);
      expect(await index.getRange(laneId, 5n, 4n, 100)).to.deep.equal([]);
      // A limit that is not a positive number reads nothing, never everything.
      expect(await index.getRange(laneId, 1n, 10n, Number.NaN)).to.deep.equal([]);
      expect(await index.getRange(laneId, 1n, 10n, 0.5)).to.deep.equal([]);
    });

    it("lists lanes in lane id order and pages after a lane id", async () => {
      const lanes = new LaneRepository(db);
      const states = [1, 2, 3, 4, 5].map((i) => laneState(i, BigInt(i)));
      await db.write(states.map((state) => lanes.putOp(state.laneId, state)));
      const sorted = [...states].sort((a, b) => (a.laneId < b.laneId ? -1 : 1));
      expect((await lanes.list(10)).map((s) => s.laneId)).to.deep.equal(sorted.map((s) => s.laneId));
      const page = await lanes.list(2, sorted[1]?.laneId);
      expect(page.map((s) => s.laneId)).to.deep.equal(sorted.slice(2, 4).map((s) => s.laneId));
    });

    it("lists a lane's evidence by seq, then kind", async () => {
      const repo = new EquivocationRepository(db);
      const lane = new LaneBuilder(testLane(1));
      const [e1, e2] = lane.take(2);
      if (e1 === undefined || e2 === undefined) throw new Error("unreachable");
      const twin = (entry: typeof e1) =>
        buildEntry({ ...entry.receipt, requestHash: hash(`twin-${entry.receipt.seq}`) });
      const evidence = (entry: typeof e1, kind: EquivocationKind) => ({
        kind,
        laneId: lane.laneId,
        seq: entry.receipt.seq,
        first: entry,
        second: twin(entry),
        detectedAt: 1,
      });
      const items = [
        evidence(e2, EquivocationKind.RECEIPT),
        evidence(e1, EquivocationKind.RECORD),
        evidence(e1, EquivocationKind.RECEIPT),
      ];
      await db.write(items.map((item) => repo.putOp(item, item)));
      const listed = await repo.listByLane(lane.laneId, 10);
      expect(listed.map((e) => [e.seq, e.kind])).to.deep.equal([
        [1n, EquivocationKind.RECEIPT],
        [1n, EquivocationKind.RECORD],
        [2n, EquivocationKind.RECEIPT],
      ]);
      expect(await repo.listByLane(new LaneBuilder(testLane(2)).laneId, 10)).to.deep.equal([]);
    });

    it("lists a node's pools of one version by epoch, and a pool's redemptions in chain order", async () => {
      const pools = new EpochPoolRepository(db);
      const redemptions = new EpochRedemptionRepository(db);
      const items = [epochPool(300n), epochPool(2n), epochPool(256n), epochPool(1n, TEST_NODE, 2n)];
      await db.write(items.map((pool) => pools.putOp(pool, pool)));
      expect((await pools.listByVersion(TEST_NODE, 1n, 10)).map((p) => p.epoch)).to.deep.equal([2n, 256n, 300n]);
      expect((await pools.listByVersion(TEST_NODE, 1n, 10, 2n)).map((p) => p.epoch)).to.deep.equal([256n, 300n]);

      const rows = [redemption(3n, 500n, 0), redemption(3n, 100n, 7), redemption(3n, 100n, 2), redemption(4n, 1n, 0)];
      await db.write(rows.map((row) => redemptions.putOp(row, row)));
      const pool = { node: TEST_NODE, versionId: 1n, epoch: 3n };
      const listed = await redemptions.listByPool(pool, 10);
      expect(listed.map((r) => [r.blockNumber, r.logIndex])).to.deep.equal([
        [100n, 2],
        [100n, 7],
        [500n, 0],
      ]);
      const after = await redemptions.listByPool(pool, 10, { ...pool, blockNumber: 100n, logIndex: 7 });
      expect(after.map((r) => r.blockNumber)).to.deep.equal([500n]);
    });

    it("lists a subject's challenge ids ascending, apart from other subjects", async () => {
      const bySubject = new ChallengeBySubjectRepository(db);
      const items = [challenge(9n, 5n), challenge(2n, 5n), challenge(3n, 6n), challenge(300n, 5n)];
      await db.write(items.map((c) => bySubject.putOp(c, true)));
      const subject = items[0]?.subject as Address;
      expect(await bySubject.listIds(subject, 5n, 10)).to.deep.equal([2n, 9n, 300n]);
      expect(await bySubject.listIds(subject, 5n, 10, 2n)).to.deep.equal([9n, 300n]);
      expect(await bySubject.listIds(subject, 6n, 10)).to.deep.equal([3n]);
    });

    it("lists adapter versions ascending by id", async () => {
      const adapters = new AdapterRepository(db);
      await db.write([3n, 1n, 256n].map((id) => adapters.putOp(id, adapterVersion(id))));
      expect((await adapters.list(10)).map((v) => v.versionId)).to.deep.equal([1n, 3n, 256n]);
    });

    it("stores the schema version and domain in meta with their own encodings", async () => {
      const meta = new MetaRepository(db);
      expect(await meta.getSchemaVersion()).to.equal(undefined);
      expect(await meta.getDomain()).to.equal(undefined);
      await db.write([
        meta.schemaVersionOp(258),
        meta.domainOp({ chainId: 10n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" }),
      ]);
      expect(await meta.getSchemaVersion()).to.equal(258);
      expect(await meta.getDomain()).to.deep.equal({
        chainId: 10n,
        verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      });
      await db.write([{ type: "put", key: meta.getDbKey("schemaVersion" as never), value: GARBAGE }]);
      await expectStoreError(meta.getSchemaVersion(), StoreErrorCode.CORRUPT_VALUE, { bucket: "meta" });
    });

    it("refuses an integer that does not fit its key bytes instead of wrapping it", () => {
      const index = new LaneSeqIndexRepository(db);
      expect(() => index.getDbKey({ laneId: hash("lane"), seq: 2n ** 64n })).to.throw(RangeError);
      expect(() => index.getDbKey({ laneId: hash("lane"), seq: -1n })).to.throw(RangeError);
    });

    it("throws CORRUPT_VALUE naming bucket and key when a range read meets a value that does not decode", async () => {
      const index = new LaneSeqIndexRepository(db);
      const laneId = hash("lane");
      const key = index.getDbKey({ laneId, seq: 2n });
      await db.write([index.putOp({ laneId, seq: 1n }, hash("r1")), { type: "put", key, value: GARBAGE }]);
      await expectStoreError(index.getRange(laneId, 1n, 5n, 10), StoreErrorCode.CORRUPT_VALUE, {
        bucket: "laneSeqIndex",
        key: toHex(key),
      });
    });
  });
});
