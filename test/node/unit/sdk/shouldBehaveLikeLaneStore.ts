import { expect } from "chai";
import { settlementDomain } from "../../../../node/src/protocol/index.js";
import { type LaneState, type LaneStore, LaneStoreErrorCode, SCHEMA_KEY } from "../../../../node/src/sdk/index.js";
import { DOMAIN, expectRejectedWithCode, NODE, signedState, testLane } from "./helpers.js";

/** What the shared suite needs of one lane store implementation. */
export type LaneStoreHarness = {
  /** Opens a store over the harness's data (the same data every time: a reopen is a restart). */
  open(domain?: typeof DOMAIN): Promise<LaneStore>;
  /** Writes raw entries into the data, behind the store's back; every store over it is closed. */
  writeRaw(entries: [key: string, value: string][]): Promise<void>;
  /** Reads one raw entry; every store over it is closed. */
  readRaw(key: string): Promise<string | undefined>;
};

/**
 * The behaviour every lane store shares (STYLE: anything with two implementations runs one suite against each).
 * `makeHarness` is called before each test with fresh, empty data.
 */
export function shouldBehaveLikeLaneStore(makeHarness: () => Promise<LaneStoreHarness>): void {
  let harness: LaneStoreHarness;
  let store: LaneStore;
  const lane = testLane();
  const key = `lane/${lane.payer.toLowerCase()}/${lane.node.toLowerCase()}/1/0`;

  beforeEach(async () => {
    harness = await makeHarness();
    store = await harness.open();
  });

  afterEach(async () => {
    await store.close();
  });

  const write = (state: LaneState) => store.updateLane(state.lane, async () => state);

  it("has no state for a lane without receipts", async () => {
    expect(await store.getLane(lane)).to.equal(undefined);
  });

  it("reads back exactly what it wrote, integers above 2^53 included", async () => {
    const state = await signedState(lane, 2n ** 63n, 2n ** 127n + 12345n);
    expect(await write(state)).to.deep.equal(state);
    expect(await store.getLane(lane)).to.deep.equal(state);
  });

  it("stores one entry per lane under lane/<payer>/<node>/<versionId>/<lane>, JSON with decimal strings", async () => {
    await write(await signedState(lane, 3n, 30n));
    await store.close();
    const stored = JSON.parse((await harness.readRaw(key)) ?? "null");
    expect(stored).to.deep.include({ seq: "3", cumulative: "30" });
    expect(stored.receipt).to.deep.include({ versionId: "1", lane: 0, seq: "3", cumulative: "30" });
    expect(await harness.readRaw(SCHEMA_KEY)).to.equal("1");
  });

  it("keeps lanes apart: another payer, node, version or lane number is another lane", async () => {
    const others = [
      testLane({ lane: 1 }),
      testLane({ versionId: 2n }),
      testLane({ node: "0x4e0dE00000000000000000000000000000000002" }),
      testLane({ payer: NODE }),
    ];
    await write(await signedState(lane, 5n, 50n));
    for (const other of others) expect(await store.getLane(other)).to.equal(undefined);
    await write(await signedState(others[0] ?? lane, 1n, 10n));
    expect((await store.getLane(lane))?.seq).to.equal(5n);
  });

  it("finds a lane whatever the case of its addresses", async () => {
    await write(await signedState(lane, 1n, 10n));
    const lower = testLane({
      payer: lane.payer.toLowerCase() as typeof lane.payer,
      node: NODE.toLowerCase() as typeof NODE,
    });
    expect((await store.getLane(lower))?.seq).to.equal(1n);
  });

  it("writes nothing when the update returns undefined or throws", async () => {
    await write(await signedState(lane, 1n, 10n));
    expect((await store.updateLane(lane, async () => undefined))?.seq).to.equal(1n);
    let caught: unknown;
    await store
      .updateLane(lane, async () => {
        throw new Error("wallet refused");
      })
      .catch((err: unknown) => {
        caught = err;
      });
    expect((caught as Error).message).to.equal("wallet refused");
    expect((await store.getLane(lane))?.seq).to.equal(1n);
  });

  it("refuses a write that moves a lane back or rewrites its seq", async () => {
    await write(await signedState(lane, 5n, 50n));
    for (const seq of [5n, 4n]) {
      const stale = await signedState(lane, seq, 60n);
      await expectRejectedWithCode(write(stale), LaneStoreErrorCode.STALE_WRITE, { seq, current: 5n });
    }
    expect((await store.getLane(lane))?.cumulative).to.equal(50n);
  });

  it("refuses to write another lane's state under a lane's key", async () => {
    const other = await signedState(testLane({ lane: 7 }), 1n, 10n);
    await expectRejectedWithCode(
      store.updateLane(lane, async () => other),
      LaneStoreErrorCode.STALE_WRITE,
    );
    expect(await store.getLane(lane)).to.equal(undefined);
  });

  it("runs the updates of one lane one at a time, each seeing the last one's write", async () => {
    const seen: bigint[] = [];
    const states = await Promise.all([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n].map((n) => signedState(lane, n, n * 10n)));
    await Promise.all(
      states.map(() =>
        store.updateLane(lane, async (current) => {
          const seq = current?.seq ?? 0n;
          seen.push(seq);
          // Yield between read and write: a store without a lock would interleave here.
          await new Promise((resolve) => setImmediate(resolve));
          return states[Number(seq)];
        }),
      ),
    );
    expect(seen).to.deep.equal([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect((await store.getLane(lane))?.seq).to.equal(8n);
  });

  it("keeps every lane across a close and a reopen (a restart)", async () => {
    const state = await signedState(lane, 9n, 90n);
    await write(state);
    await store.close();
    store = await harness.open();
    expect(await store.getLane(lane)).to.deep.equal(state);
  });

  it("refuses calls once closed, and lets calls already made land first", async () => {
    const state = await signedState(lane, 1n, 10n);
    const pending = write(state);
    const closing = store.close();
    expect(store.closed).to.equal(true);
    await expectRejectedWithCode(store.getLane(lane), LaneStoreErrorCode.CLOSED);
    await expectRejectedWithCode(write(state), LaneStoreErrorCode.CLOSED);
    expect(await pending).to.deep.equal(state);
    await closing;
    await store.close();
    store = await harness.open();
    expect(await store.getLane(lane)).to.deep.equal(state);
  });

  describe("a corrupted entry is refused with an error naming its lane, never continued or overwritten", () => {
    const corruptions: [string, (stored: Record<string, unknown>) => unknown][] = [
      ["bytes that are not JSON", () => "{not json"],
      ["a seq that is not a decimal string", (s) => ({ ...s, seq: 3 })],
      ["a seq other than the receipt's", (s) => ({ ...s, seq: "4" })],
      ["a receipt of another lane", (s) => ({ ...s, receipt: { ...(s.receipt as object), lane: 1 } })],
      ["a signature cut to 64 bytes", (s) => ({ ...s, signature: (s.signature as string).slice(0, 130) })],
      ["a receipt with value 0", (s) => ({ ...s, receipt: { ...(s.receipt as object), value: "0" } })],
    ];
    for (const [what, corrupt] of corruptions) {
      it(`refuses ${what}`, async () => {
        await write(await signedState(lane, 3n, 30n));
        await store.close();
        const stored = JSON.parse((await harness.readRaw(key)) ?? "null") as Record<string, unknown>;
        const bad = corrupt(stored);
        await harness.writeRaw([[key, typeof bad === "string" ? bad : JSON.stringify(bad)]]);
        store = await harness.open();
        const error = await expectRejectedWithCode(store.getLane(lane), LaneStoreErrorCode.CORRUPT_ENTRY, { key });
        expect(error.message).to.include(`${lane.payer}/${lane.node}/1/0`);
        await expectRejectedWithCode(
          store.updateLane(lane, async () => signedState(lane, 4n, 40n)),
          LaneStoreErrorCode.CORRUPT_ENTRY,
        );
        await store.close();
        expect(await harness.readRaw(key)).to.equal(typeof bad === "string" ? bad : JSON.stringify(bad));
      });
    }
  });

  it("refuses to open the lanes of another Settlement deployment", async () => {
    await store.close();
    for (const domain of [settlementDomain(1n, DOMAIN.verifyingContract), settlementDomain(DOMAIN.chainId, NODE)]) {
      await expectRejectedWithCode(harness.open(domain), LaneStoreErrorCode.DOMAIN_MISMATCH, {
        found: `eip155:31337:${DOMAIN.verifyingContract.toLowerCase()}`,
      });
    }
    store = await harness.open();
  });

  it("refuses a store of another schema version", async () => {
    await store.close();
    await harness.writeRaw([[SCHEMA_KEY, "2"]]);
    await expectRejectedWithCode(harness.open(), LaneStoreErrorCode.SCHEMA_MISMATCH, { expected: 1, found: "2" });
    await harness.writeRaw([[SCHEMA_KEY, "1"]]);
    store = await harness.open();
  });
}

/** A database that holds data but no schema is not a lane store: shared by both harness kinds. */
export async function expectNotALaneStore(harness: LaneStoreHarness): Promise<void> {
  await harness.writeRaw([["something/else", "1"]]);
  await expectRejectedWithCode(harness.open(), LaneStoreErrorCode.NOT_A_LANE_STORE);
}
