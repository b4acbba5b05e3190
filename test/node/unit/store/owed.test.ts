import { expect } from "chai";
import { type Address, type Hex, hexToBytes } from "viem";
import {
  type BatchOp,
  buildOwedTotals,
  checkIntegrity,
  Database,
  getUnredeemedValue,
  type LaneKey,
  LaneRepository,
  type LatestReceipt,
  MetaRepository,
  OwedRepository,
  ReceiptRepository,
  type Store,
  StoreErrorCode,
} from "../../../../node/src/store/index.js";
import { fastReceiptDigest, LaneBuilder, TEST_NODE } from "./entries.js";
import { expectStoreError, makeTempDir, openTestStore } from "./helpers.js";

const PAYERS: Address[] = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"];
const NODES: Address[] = [TEST_NODE, "0x3333333333333333333333333333333333333333"];

/** 16 lanes over 4 (payer, node) pairs: 2 versions × 2 lane numbers each. */
function allLanes(): LaneKey[] {
  const keys: LaneKey[] = [];
  for (const payer of PAYERS)
    for (const node of NODES)
      for (const versionId of [1n, 2n]) for (const lane of [0, 1]) keys.push({ payer, node, versionId, lane });
  return keys;
}

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Σ `cumulative − collected` per (payer, node) by scanning every lane: what the owed bucket must hold. */
async function scanOwed(store: Store): Promise<Map<string, bigint>> {
  const totals = new Map<string, bigint>();
  for (const lane of await store.lanes.list(1_000)) {
    const pair = `${lane.payer.toLowerCase()}:${lane.node.toLowerCase()}`;
    totals.set(pair, (totals.get(pair) ?? 0n) + getUnredeemedValue(lane));
  }
  return totals;
}

/** Asserts every pair's owed total equals the scan and the bucket holds no row the scan does not (no zero rows). */
async function expectOwedMatchesScan(store: Store, step: string): Promise<void> {
  const scanned = await scanOwed(store);
  for (const payer of PAYERS) {
    for (const node of NODES) {
      const expected = scanned.get(`${payer.toLowerCase()}:${node.toLowerCase()}`) ?? 0n;
      expect(await store.getOwed(payer, node), `${step}: owed of ${payer} → ${node}`).to.equal(expected);
    }
  }
  const rows = await store.owed.list(1_000);
  expect(
    rows.map((row) => row.total).every((total) => total > 0n),
    `${step}: a zero row`,
  ).to.equal(true);
  expect(rows.length, `${step}: rows`).to.equal([...scanned.values()].filter((total) => total > 0n).length);
}

describe("store owed totals", () => {
  let temp: { dir: string; remove: () => void };

  beforeEach(() => {
    temp = makeTempDir();
  });

  afterEach(() => {
    temp.remove();
  });

  for (const seed of [1, 2, 3]) {
    it(`equal a full scan of the lanes after random accepts, served receipts, redemptions and reorg sets (seed ${seed})`, async () => {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
      const store = await openTestStore(temp.dir);
      const lanes = allLanes().map((key) => new LaneBuilder(key, true));
      // Cumulative at each seq of each lane (index = seq), for redemptions that name a real point of the lane.
      const history = new Map<Hex, bigint[]>(lanes.map((lane) => [lane.laneId, [0n]]));
      const record = (lane: LaneBuilder): void => {
        history.get(lane.laneId)?.push(lane.cumulative);
      };
      const redemption = (lane: LaneBuilder) => {
        const points = history.get(lane.laneId) ?? [0n];
        const seq = Math.floor(next() * points.length);
        return { lane: lane.key, seq: BigInt(seq), collected: points[seq] ?? 0n };
      };
      try {
        for (let round = 0; round < 40; round++) {
          const op = next();
          if (op < 0.3) {
            // One gossip message over up to three lanes, digests given or computed by the store.
            const entries = [];
            for (const lane of new Set([pick(lanes), pick(lanes), pick(lanes)])) {
              for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
                entries.push(lane.next(BigInt(1 + Math.floor(next() * 1_000))));
                record(lane);
              }
            }
            if (next() < 0.5) await store.acceptEntries(entries);
            else {
              await store.acceptDigestedEntries(
                entries.map((entry) => ({
                  entry,
                  recordId: fastRecordId(entry.record.receiptDigest, entry.receipt.seq),
                  receiptDigest: fastReceiptDigest(entry.receipt),
                })),
              );
            }
          } else if (op < 0.45) {
            // A receipt served over HTTP (pay before), then its record.
            const lane = pick(lanes);
            const entry = lane.next(BigInt(1 + Math.floor(next() * 1_000)));
            record(lane);
            await store.acceptServedReceipt({ receipt: entry.receipt, receiptSig: entry.receiptSig });
            await store.completeServedReceipt(entry);
          } else if (op < 0.6) {
            const r = redemption(pick(lanes));
            await store.markRedeemed(r.lane, r.seq, r.collected);
          } else if (op < 0.75) {
            // The indexer's update: merges, two of one lane, and reorg sets that may lower collected.
            const first = pick(lanes);
            await store.applyChainUpdate({
              cursor: { blockNumber: BigInt(round), blockHash: `0x${round.toString(16).padStart(64, "0")}` },
              lanes: [
                { ...redemption(first), set: next() < 0.5 },
                { ...redemption(first), set: next() < 0.5 },
                { ...redemption(pick(lanes)), set: true },
              ],
            });
          } else {
            // Concurrent writes to different lanes of one (payer, node): the totals' lock keeps every change.
            const payer = pick(PAYERS);
            const node = pick(NODES);
            const mine = lanes.filter((lane) => lane.key.payer === payer && lane.key.node === node);
            await Promise.all(
              mine.map(async (lane, index) => {
                if (index % 2 === 0) {
                  const entry = lane.next(BigInt(1 + Math.floor(next() * 1_000)));
                  record(lane);
                  await store.acceptEntries([entry]);
                } else {
                  const r = redemption(lane);
                  await store.markRedeemed(r.lane, r.seq, r.collected);
                }
              }),
            );
          }
          await expectOwedMatchesScan(store, `seed ${seed} round ${round}`);
        }
        expect((await checkIntegrity(store)).problems).to.deep.equal([]);
        // Some value is owed and some collected, so the run exercised both directions.
        expect([...(await scanOwed(store)).values()].some((total) => total > 0n)).to.equal(true);
      } finally {
        await store.close();
      }
    });
  }

  it("a redemption of a lane never stored leaves the totals at zero", async () => {
    const store = await openTestStore(temp.dir);
    const [key] = allLanes();
    await store.markRedeemed(key as LaneKey, 3n, 500n);
    expect(await store.getOwed(PAYERS[0] as Address, NODES[0] as Address)).to.equal(0n);
    expect(await store.owed.list(10)).to.deep.equal([]);
    await store.close();
  });

  it("a total the lanes do not back is refused with CORRUPT_VALUE, and checkIntegrity names it", async () => {
    const store = await openTestStore(temp.dir);
    const lane = new LaneBuilder(allLanes()[0] as LaneKey, true);
    await store.acceptEntries(lane.take(2, 100n));
    // Lower the stored total below what the lane owes, as a torn or foreign write would.
    await store.owed.put(lane.key, 50n);
    expect((await checkIntegrity(store)).problems.join("\n")).to.contain("is 50 but its lanes owe 200");
    await expectStoreError(store.markRedeemed(lane.key, 2n, 200n), StoreErrorCode.CORRUPT_VALUE, { bucket: "owed" });
    expect(await store.getLane(lane.laneId)).to.deep.include({ collected: 0n });
    await store.close();
  });

  it("migration to schema 2 builds the totals of a schema-1 database, whose receipts still read", async () => {
    let store = await openTestStore(temp.dir);
    const lanes = allLanes().map((key) => new LaneBuilder(key, true));
    for (const [index, lane] of lanes.entries()) await store.acceptEntries(lane.take(1 + (index % 3), 100n));
    await store.markRedeemed(lanes[0]?.key as LaneKey, 1n, 100n);
    await store.markRedeemed(lanes[5]?.key as LaneKey, 2n, 200n);
    const expected = await scanOwed(store);
    const latest = await store.getLatestReceipt(lanes[1]?.laneId as Hex);
    await store.close();

    // Make it what schema 1 wrote: no owed bucket, version 1, receipts in schema 1's encoding.
    const db = await Database.open(temp.dir);
    const ops: BatchOp[] = [new MetaRepository(db).schemaVersionOp(1)];
    for (const row of await new OwedRepository(db).list(1_000)) ops.push(new OwedRepository(db).delOp(row.key));
    const receipts = new ReceiptRepository(db);
    const v2 = receipts.encodeValue(latest as LatestReceipt);
    ops.push({ type: "put", key: receipts.getDbKey(lanes[1]?.laneId as Hex), value: toSchema1(v2) });
    await db.write(ops);
    expect(await new LaneRepository(db).list(1_000)).to.have.length(16);
    await db.close();

    let ran = 0;
    store = await openTestStore(
      temp.dir,
      {},
      {
        migrations: [
          {
            ...buildOwedTotals,
            run: (d, l) => {
              ran++;
              return buildOwedTotals.run(d, l);
            },
          },
        ],
      },
    );
    expect(ran).to.equal(1);
    for (const payer of PAYERS) {
      for (const node of NODES) {
        const pair = `${payer.toLowerCase()}:${node.toLowerCase()}`;
        expect(await store.getOwed(payer, node)).to.equal(expected.get(pair) ?? 0n);
      }
    }
    expect([...expected.values()].some((total) => total > 0n)).to.equal(true);
    // The schema-1 receipt decodes without a digest; the lane goes on and the next receipt stores one.
    const old = await store.getLatestReceipt(lanes[1]?.laneId as Hex);
    expect(old).to.deep.equal({ receipt: latest?.receipt, receiptSig: latest?.receiptSig, recordId: latest?.recordId });
    await store.acceptEntries([lanes[1]?.next(100n) as never]);
    expect((await store.getLatestReceipt(lanes[1]?.laneId as Hex))?.receiptDigest).to.match(/^0x[0-9a-f]{64}$/);
    expect((await checkIntegrity(store)).problems).to.deep.equal([]);
    await store.close();
  });
});

/** A record id stand-in for tests that give digests: unique per receipt digest and seq. */
function fastRecordId(receiptDigest: Hex, seq: bigint): Hex {
  return `0x${receiptDigest.slice(2, 50)}${seq.toString(16).padStart(16, "0")}`;
}

/** Schema 2's receipt value re-encoded as schema 1's: the same head without digest and signer, the offset moved. */
function toSchema1(v2: Uint8Array): Uint8Array {
  const headWords = 8 + 4;
  const tail = v2.subarray(headWords * 32);
  const head = new Uint8Array(v2.subarray(0, (8 + 2) * 32));
  head.set(hexToBytes(`0x${((8 + 2) * 32).toString(16).padStart(64, "0")}`), 8 * 32);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
