import { expect } from "chai";
import { Level } from "level";
import { Registry } from "prom-client";
import { keccak256, toHex } from "viem";
import {
  type Entry,
  getInferenceRecordDigest,
  getReceiptDigest,
  MAX_ENTRIES,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import {
  ChallengeBySubjectRepository,
  createStoreMetrics,
  Database,
  EquivocationKind,
  MAX_CHAIN_UPDATE_ITEMS,
  MAX_LIST_PAGE,
  MAX_RECORDS_PAGE,
  RecordRepository,
  type Store,
  StoreErrorCode,
} from "../../../../node/src/store/index.js";
import { buildEntry, fakeSignature, LaneBuilder, TEST_DOMAIN, TEST_NODE, testLane } from "./entries.js";
import { expectStoreError, ManualClock, makeCountingMetrics, makeTempDir, openTestStore } from "./helpers.js";

describe("Store", () => {
  let temp: { dir: string; remove: () => void };
  let store: Store;
  let clock: ManualClock;
  let metrics: ReturnType<typeof makeCountingMetrics>;

  beforeEach(async () => {
    temp = makeTempDir();
    clock = new ManualClock();
    metrics = makeCountingMetrics();
    store = await openTestStore(temp.dir, { clock: clock.read, metrics });
  });

  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  describe("acceptEntries", () => {
    it("stores a lane's first entry: record, seq index, lane state and latest receipt in one batch", async () => {
      const lane = new LaneBuilder(testLane(1));
      const entry = lane.next(250n);
      const batchesBefore = metrics.batchesWritten.total;
      const { accepted, duplicates } = await store.acceptEntry(entry);
      expect(metrics.batchesWritten.total - batchesBefore).to.equal(1);
      expect(duplicates).to.deep.equal([]);
      expect(accepted).to.have.length(1);
      const recordId = accepted[0] as `0x${string}`;
      expect(await store.getRecord(recordId)).to.deep.equal({
        recordId,
        laneId: lane.laneId,
        entry,
        receivedAt: clock.now,
      });
      expect(await store.getLane(lane.laneId)).to.deep.equal({
        ...lane.key,
        laneId: lane.laneId,
        lastSeq: 1n,
        cumulative: 250n,
        collected: 0n,
        lastRedeemedSeq: 0n,
        updatedAt: clock.now,
        unredeemedSince: clock.now,
      });
      expect(await store.getLatestReceipt(lane.laneId)).to.deep.equal({
        receipt: entry.receipt,
        receiptSig: entry.receiptSig,
        recordId,
        receiptDigest: entry.record.receiptDigest.toLowerCase(),
      });
      expect(metrics.entriesAccepted.total).to.equal(1);
    });

    it("keys records by the protocol's EIP-712 digest under the store's domain", async () => {
      const entries = [new LaneBuilder(testLane(1)).next(), new LaneBuilder(testLane(2, 2n ** 200n)).next(3n, "")];
      const { accepted } = await store.acceptEntries(entries);
      expect(accepted).to.deep.equal(entries.map((e) => getInferenceRecordDigest(TEST_DOMAIN, e.record)));

      const other = settlementDomain(10n, "0x0000000000000000000000000000000000000001");
      const otherDir = makeTempDir();
      const otherStore = await openTestStore(otherDir.dir, {}, { domain: other });
      const entry = buildEntry(new LaneBuilder(testLane(3)).peekReceipt(), { domain: other });
      expect((await otherStore.acceptEntry(entry)).accepted).to.deep.equal([
        getInferenceRecordDigest(other, entry.record),
      ]);
      await otherStore.close();
      otherDir.remove();
    });

    it("continues a lane across messages and serves it back by seq range in order", async () => {
      const lane = new LaneBuilder(testLane(1));
      const entries = lane.take(10, 7n);
      await store.acceptEntries(entries.slice(0, 4));
      await store.acceptEntries(entries.slice(4));
      const records = await store.getRecordsBySeqRange(lane.laneId, 3n, 8n, 100);
      expect(records.map((r) => r.entry)).to.deep.equal(entries.slice(2, 8));
      expect((await store.getLane(lane.laneId))?.cumulative).to.equal(70n);
      expect((await store.getLatestReceipt(lane.laneId))?.receipt).to.deep.equal(entries[9]?.receipt);
    });

    it("stores one message spanning several lanes, each lane's state its own last entry", async () => {
      const a = new LaneBuilder(testLane(1));
      const b = new LaneBuilder(testLane(2));
      const message = [a.next(), b.next(5n), a.next(), b.next(5n), b.next(5n)];
      const batchesBefore = metrics.batchesWritten.total;
      const { accepted } = await store.acceptEntries(message);
      expect(metrics.batchesWritten.total - batchesBefore).to.equal(1);
      expect(accepted).to.have.length(5);
      expect((await store.getLane(a.laneId))?.lastSeq).to.equal(2n);
      expect((await store.getLane(b.laneId))?.lastSeq).to.equal(3n);
      expect((await store.getLane(b.laneId))?.cumulative).to.equal(15n);
      expect((await store.getLatestReceipt(b.laneId))?.receipt.seq).to.equal(3n);
    });

    it("skips a replayed entry as a duplicate, also when its signatures are other bytes (THREATS #22)", async () => {
      const lane = new LaneBuilder(testLane(1));
      const [first, second] = lane.take(2);
      if (first === undefined || second === undefined) throw new Error("unreachable");
      const { accepted } = await store.acceptEntries([first, second]);
      const resigned: Entry = { ...first, receiptSig: fakeSignature(99), recordSig: fakeSignature(98) };
      const batchesBefore = metrics.batchesWritten.total;
      const result = await store.acceptEntries([resigned, second]);
      expect(result).to.deep.equal({ accepted: [], duplicates: accepted });
      expect(metrics.batchesWritten.total - batchesBefore).to.equal(0);
      expect(metrics.entriesDuplicate.total).to.equal(2);
      expect((await store.getRecord(accepted[0] as `0x${string}`))?.entry.receiptSig).to.equal(first.receiptSig);
    });

    it("accepts new entries after replayed ones in the same message", async () => {
      const lane = new LaneBuilder(testLane(1));
      const entries = lane.take(3);
      await store.acceptEntries(entries.slice(0, 2));
      const result = await store.acceptEntries(entries);
      expect(result.duplicates).to.have.length(2);
      expect(result.accepted).to.have.length(1);
      expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(3n);
    });

    it("refuses a seq gap with SEQ_GAP and writes nothing of the message", async () => {
      const lane = new LaneBuilder(testLane(1));
      const first = lane.next();
      lane.next();
      const third = lane.next();
      await expectStoreError(store.acceptEntries([first, third]), StoreErrorCode.SEQ_GAP, {
        laneId: lane.laneId,
        expected: 2n,
        found: 3n,
      });
      expect(await store.getLane(lane.laneId)).to.equal(undefined);
      expect(await store.getLatestReceipt(lane.laneId)).to.equal(undefined);
    });

    it("refuses a lane that does not start at seq 1", async () => {
      const lane = new LaneBuilder(testLane(1));
      lane.next();
      await expectStoreError(store.acceptEntry(lane.next()), StoreErrorCode.SEQ_GAP, { expected: 1n, found: 2n });
    });

    it("refuses a cumulative that does not rise by the value with CUMULATIVE_MISMATCH", async () => {
      const lane = new LaneBuilder(testLane(1));
      await store.acceptEntry(lane.next(100n));
      const receipt = { ...lane.peekReceipt(100n), cumulative: 150n };
      await expectStoreError(store.acceptEntry(buildEntry(receipt)), StoreErrorCode.CUMULATIVE_MISMATCH, {
        seq: 2n,
        expected: 200n,
        found: 150n,
      });
      expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(1n);
    });

    it("refuses a record that does not name its receipt's digest (another domain) with RECEIPT_MISMATCH", async () => {
      const lane = new LaneBuilder(testLane(1));
      const other = settlementDomain(1n, TEST_DOMAIN.verifyingContract);
      const entry = buildEntry(lane.peekReceipt(), { domain: other });
      await expectStoreError(store.acceptEntry(entry), StoreErrorCode.RECEIPT_MISMATCH, {
        laneId: lane.laneId,
        seq: 1n,
        found: entry.record.receiptDigest,
      });
    });

    it("refuses a second receipt for a stored (lane, seq) as equivocation and keeps both as evidence", async () => {
      const lane = new LaneBuilder(testLane(1));
      const stored = lane.next();
      await store.acceptEntry(stored);
      const twin = buildEntry({ ...stored.receipt, requestHash: keccak256(toHex("another request")) });
      await expectStoreError(store.acceptEntry(twin), StoreErrorCode.EQUIVOCATION, {
        laneId: lane.laneId,
        seq: 1n,
        kind: "RECEIPT",
      });
      const evidence = await store.listEquivocations(10, lane.laneId);
      expect(evidence).to.deep.equal([
        {
          kind: EquivocationKind.RECEIPT,
          laneId: lane.laneId,
          seq: 1n,
          first: stored,
          second: twin,
          detectedAt: clock.now,
        },
      ]);
      expect((await store.getLatestReceipt(lane.laneId))?.receipt).to.deep.equal(stored.receipt);
      expect(metrics.equivocationsRecorded.total).to.equal(1);
    });

    it("refuses a second record for a stored receipt as RECORD equivocation", async () => {
      const lane = new LaneBuilder(testLane(1));
      const stored = lane.next();
      await store.acceptEntry(stored);
      const twin = buildEntry(stored.receipt, { outputText: "a different answer" });
      await expectStoreError(store.acceptEntry(twin), StoreErrorCode.EQUIVOCATION, { kind: "RECORD" });
      const [evidence] = await store.listEquivocations(10, lane.laneId);
      expect(evidence?.kind).to.equal(EquivocationKind.RECORD);
      expect(evidence?.second).to.deep.equal(twin);
    });

    it("keeps one piece of evidence per (lane, seq, kind) however many conflicting entries arrive", async () => {
      const lane = new LaneBuilder(testLane(1));
      const stored = lane.next();
      await store.acceptEntry(stored);
      for (let i = 0; i < 5; i++) {
        const twin = buildEntry({ ...stored.receipt, requestHash: keccak256(toHex(`flood ${i}`)) });
        await expectStoreError(store.acceptEntry(twin), StoreErrorCode.EQUIVOCATION);
      }
      const evidence = await store.listEquivocations(10);
      expect(evidence).to.have.length(1);
      expect(evidence[0]?.second.receipt.requestHash).to.equal(keccak256(toHex("flood 0")));
    });

    it("keeps evidence handed in by recordEquivocation once, and refuses a pair that does not conflict", async () => {
      const lane = new LaneBuilder(testLane(1));
      const first = lane.next();
      const twin = buildEntry({ ...first.receipt, requestHash: keccak256(toHex("seen elsewhere")) });
      expect(await store.recordEquivocation(first, twin)).to.equal(true);
      expect(await store.recordEquivocation(first, twin)).to.equal(false);
      expect(await store.listEquivocations(10, lane.laneId)).to.have.length(1);
      await expectStoreError(store.recordEquivocation(first, first), StoreErrorCode.INVALID_ARGUMENT, {
        name: "entries",
      });
      await expectStoreError(store.recordEquivocation(first, lane.next()), StoreErrorCode.INVALID_ARGUMENT);
    });

    it("finds equivocation inside one message and writes none of it", async () => {
      const lane = new LaneBuilder(testLane(1));
      const first = lane.next();
      const twin = buildEntry({ ...first.receipt, requestHash: keccak256(toHex("twin")) });
      await expectStoreError(store.acceptEntries([first, twin]), StoreErrorCode.EQUIVOCATION, { seq: 1n });
      expect(await store.getLane(lane.laneId)).to.equal(undefined);
      expect(await store.listEquivocations(10)).to.have.length(1);
    });

    it("stores digested entries as acceptEntries would, checking each record names the given receipt digest", async () => {
      const lane = new LaneBuilder(testLane(1));
      const [first, second] = lane.take(2);
      if (first === undefined || second === undefined) throw new Error("unreachable");
      const digested = (entry: Entry) => ({
        entry,
        recordId: getInferenceRecordDigest(TEST_DOMAIN, entry.record),
        receiptDigest: getReceiptDigest(TEST_DOMAIN, entry.receipt).toUpperCase().replace("0X", "0x") as `0x${string}`,
      });
      const { accepted } = await store.acceptDigestedEntries([digested(first)]);
      expect(accepted).to.deep.equal([getInferenceRecordDigest(TEST_DOMAIN, first.record)]);
      const wrong = { ...digested(second), receiptDigest: keccak256(toHex("not the receipt")) };
      await expectStoreError(store.acceptDigestedEntries([wrong]), StoreErrorCode.RECEIPT_MISMATCH, { seq: 2n });
      expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(1n);
    });

    it("refuses a message of no entries or of more than 256", async () => {
      await expectStoreError(store.acceptEntries([]), StoreErrorCode.INVALID_ARGUMENT, { name: "entries" });
      const entries = new LaneBuilder(testLane(1)).take(MAX_ENTRIES + 1);
      await expectStoreError(store.acceptEntries(entries), StoreErrorCode.INVALID_ARGUMENT, { name: "entries" });
      expect(await store.acceptEntries(entries.slice(0, MAX_ENTRIES)))
        .to.have.property("accepted")
        .with.length(MAX_ENTRIES);
    });

    it("stores concurrent writes to one lane in arrival order, and lets one of two conflicting ones in", async () => {
      const lane = new LaneBuilder(testLane(1));
      const entries = lane.take(40);
      const results = await Promise.all(entries.map((entry) => store.acceptEntry(entry)));
      expect(results.every((r) => r.accepted.length === 1)).to.equal(true);
      expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(40n);

      const next = lane.peekReceipt();
      const a = buildEntry(next);
      const b = buildEntry({ ...next, requestHash: keccak256(toHex("b")) });
      const settled = await Promise.allSettled([store.acceptEntry(a), store.acceptEntry(b)]);
      expect(settled.map((s) => s.status)).to.deep.equal(["fulfilled", "rejected"]);
      expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(41n);
    });

    it("refuses writes beyond maxPendingWrites with QUEUE_FULL and counts the drop", async () => {
      await store.close();
      store = await openTestStore(temp.dir, { clock: clock.read, metrics }, { maxPendingWrites: 2 });
      const lanes = [1, 2, 3].map((i) => new LaneBuilder(testLane(i)));
      const settled = await Promise.allSettled(lanes.map((lane) => store.acceptEntry(lane.next())));
      expect(settled.map((s) => s.status)).to.deep.equal(["fulfilled", "fulfilled", "rejected"]);
      const reason = (settled[2] as PromiseRejectedResult).reason;
      expect(reason.type).to.deep.equal({ code: StoreErrorCode.QUEUE_FULL, pending: 2, max: 2 });
      expect(metrics.writesDropped.total).to.equal(1);
    });
  });

  describe("reads", () => {
    it("bounds a seq range read to MAX_RECORDS_PAGE records", async () => {
      const lane = new LaneBuilder(testLane(1));
      for (let i = 0; i < 2; i++) await store.acceptEntries(lane.take(200, 1n));
      const page = await store.getRecordsBySeqRange(lane.laneId, 1n, 400n, 1_000_000);
      expect(page).to.have.length(MAX_RECORDS_PAGE);
      expect(page[0]?.entry.receipt.seq).to.equal(1n);
      expect(page[MAX_RECORDS_PAGE - 1]?.entry.receipt.seq).to.equal(BigInt(MAX_RECORDS_PAGE));
      const rest = await store.getRecordsBySeqRange(lane.laneId, BigInt(MAX_RECORDS_PAGE) + 1n, 400n, 1_000_000);
      expect(rest).to.have.length(400 - MAX_RECORDS_PAGE);
      expect(await store.getRecordsBySeqRange(lane.laneId, 1n, 400n, 5)).to.have.length(5);
    });

    it("throws NOT_FOUND for the records of a lane never stored", async () => {
      const lane = new LaneBuilder(testLane(9));
      await expectStoreError(store.getRecordsBySeqRange(lane.laneId, 1n, 10n, 10), StoreErrorCode.NOT_FOUND, {
        what: "lane",
        key: lane.laneId,
      });
    });

    it("throws DANGLING_INDEX when the seq index names a record that is not stored", async () => {
      const lane = new LaneBuilder(testLane(1));
      const { accepted } = await store.acceptEntries(lane.take(3));
      await store.close();
      const db = await Database.open(temp.dir);
      await db.write([new RecordRepository(db).delOp(accepted[1] as `0x${string}`)]);
      await db.close();
      store = await openTestStore(temp.dir);
      await expectStoreError(store.getRecordsBySeqRange(lane.laneId, 1n, 3n, 10), StoreErrorCode.DANGLING_INDEX, {
        bucket: "laneSeqIndex",
        recordId: accepted[1],
      });
    });
  });

  describe("redemption", () => {
    const thresholds = { node: TEST_NODE, minValue: 1_000n, maxAgeMs: 60_000 };

    it("lists the node's lanes owing at least minValue or owing for maxAgeMs, and no others", async () => {
      const rich = new LaneBuilder(testLane(1));
      const old = new LaneBuilder(testLane(2));
      const young = new LaneBuilder(testLane(3));
      const foreign = new LaneBuilder(testLane(4, 1n, "0x90F79bf6EB2c4f870365E785982E1f101E93b906"));
      await store.acceptEntries([old.next(10n)]);
      clock.advance(60_000);
      await store.acceptEntries([rich.next(600n), rich.next(400n)]);
      await store.acceptEntries([young.next(10n)]);
      await store.acceptEntries([foreign.next(5_000n)]);
      const due = await store.listLanesToRedeem(thresholds);
      expect(due.map((l) => l.laneId).sort()).to.deep.equal([rich.laneId, old.laneId].sort());
      expect(await store.listLanesToRedeem(thresholds, 1)).to.have.length(1);
      clock.advance(60_000);
      expect(await store.listLanesToRedeem(thresholds)).to.have.length(3);
    });

    it("scans past the first page of lanes, and pages its answer with after", async function () {
      // 1,024 lanes: about 2 s of EIP-712 hashing on an idle core.
      this.timeout(20_000);
      const lanes = Array.from({ length: MAX_LIST_PAGE + 24 }, (_, i) => new LaneBuilder(testLane(i)));
      for (let i = 0; i < lanes.length; i += MAX_ENTRIES) {
        await store.acceptEntries(lanes.slice(i, i + MAX_ENTRIES).map((lane) => lane.next(2_000n)));
      }
      const all = [...lanes.map((lane) => lane.laneId)].sort();
      const first = await store.listLanesToRedeem(thresholds);
      expect(first.map((l) => l.laneId)).to.deep.equal(all.slice(0, MAX_LIST_PAGE));
      const rest = await store.listLanesToRedeem(thresholds, MAX_LIST_PAGE, first[first.length - 1]?.laneId);
      expect(rest.map((l) => l.laneId)).to.deep.equal(all.slice(MAX_LIST_PAGE));
      // Only the last lane due: the scan has to walk the whole first page to find it.
      await store.applyChainUpdate({
        cursor: { blockNumber: 1n, blockHash: keccak256(toHex("block 1")) },
        lanes: lanes
          .filter((lane) => lane.laneId !== all[all.length - 1])
          .map((lane) => ({ lane: lane.key, seq: 1n, collected: 2_000n })),
      });
      expect((await store.listLanesToRedeem(thresholds)).map((l) => l.laneId)).to.deep.equal([all[all.length - 1]]);
    });

    it("marks a lane redeemed: collected and last redeemed seq only rise, and a fully collected lane is not due", async () => {
      const lane = new LaneBuilder(testLane(1));
      await store.acceptEntries(lane.take(3, 500n));
      const after = await store.markRedeemed(lane.key, 3n, 1_500n);
      expect(after).to.deep.include({ lastRedeemedSeq: 3n, collected: 1_500n, unredeemedSince: 0 });
      const replayed = await store.markRedeemed(lane.key, 2n, 1_000n);
      expect(replayed).to.deep.include({ lastRedeemedSeq: 3n, collected: 1_500n });
      expect(await store.getLane(lane.laneId)).to.deep.include({ lastRedeemedSeq: 3n, collected: 1_500n, lastSeq: 3n });
      expect(await store.listLanesToRedeem({ ...thresholds, minValue: 1n })).to.deep.equal([]);
    });

    it("ages what is still owed after a redemption from the first receipt after the redeemed one", async () => {
      const lane = new LaneBuilder(testLane(1));
      await store.acceptEntries(lane.take(2, 10n));
      const startedAt = clock.now;
      clock.advance(5_000);
      const thirdAt = clock.now;
      await store.acceptEntries([lane.next(10n)]);
      clock.advance(5_000);
      expect((await store.getLane(lane.laneId))?.unredeemedSince).to.equal(startedAt);
      const after = await store.markRedeemed(lane.key, 2n, 20n);
      expect(after.unredeemedSince).to.equal(thirdAt);
      expect(after.collected).to.equal(20n);
    });

    it("keeps a short redemption owing: a partly collected lane stays due", async () => {
      const lane = new LaneBuilder(testLane(1));
      await store.acceptEntries(lane.take(2, 1_000n));
      const after = await store.markRedeemed(lane.key, 2n, 1_200n);
      expect(after.unredeemedSince).to.not.equal(0);
      expect((await store.listLanesToRedeem({ ...thresholds, minValue: 800n })).map((l) => l.laneId)).to.deep.equal([
        lane.laneId,
      ]);
    });

    it("creates the lane the chain redeemed when the store has none of it", async () => {
      const key = testLane(5);
      const state = await store.markRedeemed(key, 4n, 4_000n);
      expect(state).to.deep.include({
        ...key,
        lastSeq: 0n,
        lastRedeemedSeq: 4n,
        collected: 4_000n,
        unredeemedSince: 0,
      });
      expect(await store.getLane(state.laneId)).to.deep.equal(state);
    });
  });

  describe("chain index", () => {
    const blockHash = keccak256(toHex("block 100"));

    it("writes an update and its cursor as one batch, readable by key, and applying it twice changes nothing", async () => {
      const lane = new LaneBuilder(testLane(1));
      await store.acceptEntries(lane.take(2, 100n));
      const pool = { node: TEST_NODE, versionId: 1n, epoch: 7n };
      const update = {
        cursor: { blockNumber: 100n, blockHash },
        pools: [
          {
            ...pool,
            amount: 70n,
            claimed: 0n,
            root: keccak256(toHex("root")),
            recordsRoot: keccak256(toHex("records")),
            poster: TEST_NODE,
            challengeEnd: 2_000_000_000n,
            openChallenges: 0,
            fellBack: false,
            bond: 1n,
          },
        ],
        redemptions: [
          {
            ...pool,
            payer: lane.key.payer,
            lane: lane.key.lane,
            fromSeq: 0n,
            toSeq: 2n,
            cumulative: 200n,
            collected: 200n,
            datasetsPart: 70n,
            blockNumber: 99n,
            logIndex: 3,
          },
        ],
        challenges: [
          {
            challengeId: 4n,
            subject: TEST_DOMAIN.verifyingContract,
            subjectId: 12n,
            challenger: lane.key.payer,
            defendant: TEST_NODE,
            bond: 9n,
            evidenceHash: keccak256(toHex("evidence")),
            commitDeadline: 1n,
            revealDeadline: 2n,
            ruling: 0,
          },
        ],
        lanes: [{ lane: lane.key, seq: 2n, collected: 200n }],
      };
      const batchesBefore = metrics.batchesWritten.total;
      await store.applyChainUpdate(update);
      expect(metrics.batchesWritten.total - batchesBefore).to.equal(1);
      expect(await store.getChainCursor()).to.deep.equal(update.cursor);
      expect(await store.getEpochPool(pool)).to.deep.equal(update.pools[0]);
      expect(await store.listEpochRedemptions(pool)).to.deep.equal(update.redemptions);
      expect(await store.getChallenge(4n)).to.deep.equal(update.challenges[0]);
      expect(await store.listChallenges(TEST_DOMAIN.verifyingContract, 12n)).to.deep.equal(update.challenges);
      const lanesBefore = await store.getLane(lane.laneId);
      expect(lanesBefore).to.deep.include({ collected: 200n, lastRedeemedSeq: 2n });
      await store.applyChainUpdate(update);
      expect(await store.getLane(lane.laneId)).to.deep.equal(lanesBefore);
      expect(await store.listEpochRedemptions(pool)).to.have.length(1);
    });

    it("deletes orphaned redemptions and challenges before its puts, and sets a lane's collected amount down", async () => {
      const lane = new LaneBuilder(testLane(1));
      await store.acceptEntries(lane.take(3, 100n));
      const pool = { node: TEST_NODE, versionId: 1n, epoch: 7n };
      const redemption = (toSeq: bigint, blockNumber: bigint) => ({
        ...pool,
        payer: lane.key.payer,
        lane: lane.key.lane,
        fromSeq: toSeq - 1n,
        toSeq,
        cumulative: toSeq * 100n,
        collected: 100n,
        datasetsPart: 30n,
        blockNumber,
        logIndex: 0,
      });
      const challenge = (challengeId: bigint) => ({
        challengeId,
        subject: TEST_DOMAIN.verifyingContract,
        subjectId: 12n,
        challenger: lane.key.payer,
        defendant: TEST_NODE,
        bond: 9n,
        evidenceHash: keccak256(toHex("evidence")),
        commitDeadline: 1n,
        revealDeadline: 2n,
        ruling: 0,
      });
      const [kept, orphaned, reput] = [redemption(1n, 90n), redemption(2n, 101n), redemption(3n, 102n)];
      await store.applyChainUpdate({
        cursor: { blockNumber: 102n, blockHash },
        redemptions: [kept, orphaned, reput],
        challenges: [challenge(4n), challenge(5n)],
        lanes: [{ lane: lane.key, seq: 3n, collected: 300n }],
      });
      expect(await store.getLane(lane.laneId)).to.deep.include({ collected: 300n, lastRedeemedSeq: 3n });

      // A reorg orphaned the redemptions of blocks 101 and 102 and challenge 5; the new chain redeemed up to seq 1
      // and holds the seq-3 redemption again at the same key.
      const batchesBefore = metrics.batchesWritten.total;
      await store.applyChainUpdate({
        cursor: { blockNumber: 103n, blockHash },
        redemptions: [reput],
        deleteRedemptions: [orphaned, reput, { ...pool, blockNumber: 200n, logIndex: 9 }],
        deleteChallenges: [5n, 77n],
        lanes: [{ lane: lane.key, seq: 1n, collected: 100n, set: true }],
      });
      expect(metrics.batchesWritten.total - batchesBefore).to.equal(1);
      expect(await store.listEpochRedemptions(pool)).to.deep.equal([kept, reput]);
      expect(await store.getChallenge(5n)).to.equal(undefined);
      expect(await store.getChallenge(4n)).to.deep.equal(challenge(4n));
      expect(await store.listChallenges(TEST_DOMAIN.verifyingContract, 12n)).to.deep.equal([challenge(4n)]);
      const state = await store.getLane(lane.laneId);
      expect(state).to.deep.include({ collected: 100n, lastRedeemedSeq: 1n, lastSeq: 3n });
      // Owing again, the lane is due (its age runs from the receipt after seq 1).
      expect(state?.unredeemedSince).to.not.equal(0);
      const due = await store.listLanesToRedeem({ node: TEST_NODE, minValue: 200n, maxAgeMs: 60_000 });
      expect(due.map((l) => l.laneId)).to.deep.equal([lane.laneId]);
      // Without set, the same lane redemption only rises (an indexer resuming behind changes nothing).
      await store.applyChainUpdate({
        cursor: { blockNumber: 104n, blockHash },
        lanes: [{ lane: lane.key, seq: 3n, collected: 300n }],
      });
      await store.applyChainUpdate({
        cursor: { blockNumber: 105n, blockHash },
        lanes: [{ lane: lane.key, seq: 1n, collected: 100n }],
      });
      expect(await store.getLane(lane.laneId)).to.deep.include({ collected: 300n, lastRedeemedSeq: 3n });
    });

    it("counts deletes in the update's item limit", async () => {
      const pool = { node: TEST_NODE, versionId: 1n, epoch: 7n };
      await expectStoreError(
        store.applyChainUpdate({
          cursor: { blockNumber: 1n, blockHash },
          deleteRedemptions: Array.from({ length: MAX_CHAIN_UPDATE_ITEMS }, (_, i) => ({
            ...pool,
            blockNumber: BigInt(i),
            logIndex: 0,
          })),
          deleteChallenges: [1n],
        }),
        StoreErrorCode.INVALID_ARGUMENT,
      );
    });

    it("throws NOT_FOUND when the subject index names a challenge that is not stored", async () => {
      await store.close();
      const db = await Database.open(temp.dir);
      const subject = TEST_DOMAIN.verifyingContract;
      await db.write([new ChallengeBySubjectRepository(db).putOp({ subject, subjectId: 1n, challengeId: 255n }, true)]);
      await db.close();
      store = await openTestStore(temp.dir);
      await expectStoreError(store.listChallenges(subject, 1n), StoreErrorCode.NOT_FOUND, {
        what: "challenge",
        key: "0xff",
      });
    });

    it("keeps cursors by indexer name", async () => {
      expect(await store.getChainCursor()).to.equal(undefined);
      await store.setChainCursor({ blockNumber: 5n, blockHash });
      await store.setChainCursor({ blockNumber: 9n, blockHash }, "prices");
      expect(await store.getChainCursor()).to.deep.equal({ blockNumber: 5n, blockHash });
      expect(await store.getChainCursor("prices")).to.deep.equal({ blockNumber: 9n, blockHash });
    });
  });

  describe("lifecycle", () => {
    it("throws CLOSED for every call after close", async () => {
      await store.close();
      const lane = new LaneBuilder(testLane(1));
      await expectStoreError(store.acceptEntry(lane.next()), StoreErrorCode.CLOSED);
      await expectStoreError(store.getLane(lane.laneId), StoreErrorCode.CLOSED);
      await expectStoreError(store.getChainCursor(), StoreErrorCode.CLOSED);
      store = await openTestStore(temp.dir);
    });

    it("lets the writes in flight finish before closing", async () => {
      const lane = new LaneBuilder(testLane(1));
      const writes = [lane.take(3), lane.take(3)].map((entries) => store.acceptEntries(entries));
      await store.close();
      await Promise.all(writes);
      store = await openTestStore(temp.dir);
      expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(6n);
    });

    it("counts batches, bytes and entries in prom-client counters named olnode_store_*", async () => {
      await store.close();
      const registry = new Registry();
      store = await openTestStore(temp.dir, { metrics: createStoreMetrics(registry) });
      await store.acceptEntries(new LaneBuilder(testLane(1)).take(3));
      const values = Object.fromEntries(
        (await registry.getMetricsAsJSON()).map((metric) => [metric.name, metric.values[0]?.value]),
      );
      expect(values).to.deep.include({
        olnode_store_batches_written_total: 1,
        olnode_store_entries_accepted_total: 3,
        olnode_store_entries_duplicate_total: 0,
        olnode_store_writes_dropped_total: 0,
      });
      expect(values.olnode_store_written_bytes_total).to.be.greaterThan(3 * 1_000);
    });

    it("refuses to open a database of another chain with DOMAIN_MISMATCH naming both", async () => {
      await store.close();
      const other = settlementDomain(10n, TEST_DOMAIN.verifyingContract);
      const error = await expectStoreError(
        openTestStore(temp.dir, {}, { domain: other }),
        StoreErrorCode.DOMAIN_MISMATCH,
      );
      expect(error.message).to.contain("chain 31337").and.to.contain("chain 10");
      store = await openTestStore(temp.dir);
    });

    it("writes every batch with sync: true, so an acknowledged write is on disk", async () => {
      const seen: unknown[] = [];
      const original = Level.prototype.batch;
      Level.prototype.batch = function (this: Level, ...args: unknown[]) {
        seen.push(args[1]);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
      try {
        await store.close();
        const fresh = makeTempDir();
        const spied = await openTestStore(fresh.dir, { clock: clock.read });
        const lane = new LaneBuilder(testLane(1));
        await spied.acceptEntries(lane.take(2));
        await expectStoreError(
          spied.acceptEntry(buildEntry({ ...lane.peekReceipt(), seq: 1n })),
          StoreErrorCode.EQUIVOCATION,
        );
        await spied.markRedeemed(lane.key, 1n, 1_000n);
        await spied.setChainCursor({ blockNumber: 1n, blockHash: keccak256(toHex("b")) });
        await spied.applyChainUpdate({ cursor: { blockNumber: 2n, blockHash: keccak256(toHex("c")) } });
        await spied.close();
        fresh.remove();
      } finally {
        Level.prototype.batch = original;
      }
      // Open (schema version, domain), entries, evidence, redemption, cursor, chain update.
      expect(seen).to.have.length(7);
      for (const options of seen) expect(options).to.deep.include({ sync: true });
      store = await openTestStore(temp.dir);
    });
  });
});
