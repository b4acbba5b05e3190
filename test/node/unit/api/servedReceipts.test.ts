import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import { StoreLaneView } from "../../../../node/src/api/index.js";
import { type Entry, getReceiptDigest, type Receipt, receiptTypes } from "../../../../node/src/protocol/index.js";
import { checkIntegrity, PENDING_RECORD_ID, type Store, StoreErrorCode } from "../../../../node/src/store/index.js";
import { buildEntry, LaneBuilder, TEST_DOMAIN, testLane } from "../store/entries.js";
import { expectStoreError, makeTempDir, openTestStore } from "../store/helpers.js";

/** The store's receipt-only accept path (pay before): accept the receipt, then complete it with its record. */
describe("Store: served receipts (pay before)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;

  beforeEach(async () => {
    temp = makeTempDir();
    store = await openTestStore(temp.dir);
  });
  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  it("advances the lane and keeps the receipt pending, then stores the record answering it", async () => {
    const lane = new LaneBuilder(testLane(1));
    const receipt = lane.peekReceipt();
    const entry = buildEntry(receipt);
    await store.acceptServedReceipt({ receipt, receiptSig: entry.receiptSig });
    expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(1n);
    expect((await store.getLatestReceipt(lane.laneId))?.recordId).to.equal(PENDING_RECORD_ID);
    expect(await store.listPendingReceipts(receipt.node)).to.have.length(1);
    // A pending receipt is a consistent state: it survives a crash and checkIntegrity accepts it.
    expect((await checkIntegrity(store)).problems).to.deep.equal([]);

    expect(await store.completeServedReceipt(entry)).to.equal(true);
    const [stored] = await store.getRecordsBySeqRange(lane.laneId, 1n, 1n, 1);
    expect(stored?.entry.outputText).to.equal(entry.outputText);
    expect((await store.getLatestReceipt(lane.laneId))?.recordId).to.equal(stored?.recordId);
    expect(await store.listPendingReceipts(receipt.node)).to.have.length(0);
    expect((await checkIntegrity(store)).problems).to.deep.equal([]);
    // The same record again is a duplicate.
    expect(await store.completeServedReceipt(entry)).to.equal(false);
  });

  it("refuses a receipt that does not continue its lane (SEQ_GAP, CUMULATIVE_MISMATCH)", async () => {
    const lane = new LaneBuilder(testLane(2));
    const first = lane.peekReceipt();
    await expectStoreError(
      store.acceptServedReceipt({ receipt: { ...first, seq: 2n }, receiptSig: "0x" }),
      StoreErrorCode.SEQ_GAP,
      { expected: 1n, found: 2n },
    );
    await expectStoreError(
      store.acceptServedReceipt({ receipt: { ...first, cumulative: first.value + 1n }, receiptSig: "0x" }),
      StoreErrorCode.CUMULATIVE_MISMATCH,
    );
    expect(await store.getLane(lane.laneId)).to.equal(undefined);
  });

  it("refuses a lane's next receipt while the previous one is pending, and a record for another receipt", async () => {
    const lane = new LaneBuilder(testLane(3));
    const first = lane.peekReceipt(1_000n);
    await store.acceptServedReceipt({ receipt: first, receiptSig: "0x" });
    const second = { ...first, seq: 2n, cumulative: 2_000n };
    await expectStoreError(
      store.acceptServedReceipt({ receipt: second, receiptSig: "0x" }),
      StoreErrorCode.INVALID_ARGUMENT,
    );
    await expectStoreError(store.completeServedReceipt(buildEntry(second)), StoreErrorCode.RECEIPT_MISMATCH);
    expect((await store.getLane(lane.laneId))?.lastSeq).to.equal(1n);
  });

  it("StoreLaneView answers validation from the store: lane state, receipts at older seqs, pending ones, unredeemed", async () => {
    const view = new StoreLaneView(store, TEST_DOMAIN);
    const lane = new LaneBuilder(testLane(4));
    const entries = [await signed(lane.next()), await signed(lane.next())];
    await store.acceptEntries(entries);
    const third = lane.peekReceipt();
    await store.acceptServedReceipt({ receipt: third, receiptSig: await sign(third) });
    expect(await view.getLane(lane.laneId)).to.deep.equal({
      seq: 3n,
      cumulative: third.cumulative,
      receiptDigest: getReceiptDigest(TEST_DOMAIN, third),
    });
    const older = await view.getReceiptAt(lane.laneId, 1n);
    expect(older?.signer).to.equal(SIGNER.address);
    expect(older?.digest).to.equal(getReceiptDigest(TEST_DOMAIN, entries[0]?.receipt ?? third));
    expect(older?.recordId).to.be.a("string");
    const pending = await view.getReceiptAt(lane.laneId, 3n);
    expect(pending?.receipt.seq).to.equal(3n);
    expect(pending?.recordId).to.equal(undefined);
    expect(await view.getReceiptAt(lane.laneId, 4n)).to.equal(undefined);
    expect(await view.unredeemed(lane.key.payer, lane.key.node)).to.equal(third.cumulative);
    await store.markRedeemed(lane.key, 1n, entries[0]?.receipt.cumulative ?? 0n);
    expect(await view.unredeemed(lane.key.payer, lane.key.node)).to.equal(
      third.cumulative - (entries[0]?.receipt.cumulative ?? 0n),
    );
  });

  it("StoreLaneView reads the latest receipt's digest and signer as stored, hashing and recovering nothing", async () => {
    const view = new StoreLaneView(store, TEST_DOMAIN);
    const lane = new LaneBuilder(testLane(5));
    const receipt = lane.peekReceipt();
    const digest = getReceiptDigest(TEST_DOMAIN, receipt);
    // A marker digest and signer the view can only return if it reads them as stored instead of computing them.
    const marker = `0x${"ab".repeat(32)}` as const;
    const stand = "0x000000000000000000000000000000000000dEaD" as const;
    await store.acceptServedReceipt({ receipt, receiptSig: await sign(receipt), receiptDigest: marker, signer: stand });
    expect((await view.getLane(lane.laneId))?.receiptDigest).to.equal(marker);
    expect(await view.getReceiptAt(lane.laneId, 1n)).to.deep.include({ digest: marker, signer: stand });
    // Without them given, the store digests the receipt itself and the view recovers the signer once per read.
    const other = new LaneBuilder(testLane(6));
    const second = other.peekReceipt();
    await store.acceptServedReceipt({ receipt: second, receiptSig: await sign(second) });
    expect((await store.getLatestReceipt(other.laneId))?.receiptDigest).to.equal(getReceiptDigest(TEST_DOMAIN, second));
    expect(await view.getReceiptAt(other.laneId, 1n)).to.deep.include({
      digest: getReceiptDigest(TEST_DOMAIN, second),
      signer: SIGNER.address,
    });
    expect(digest).to.not.equal(marker);
  });

  it("StoreLaneView.unredeemed reads one (payer, node) total among many lanes and pairs", async () => {
    const view = new StoreLaneView(store, TEST_DOMAIN);
    const mine = [0, 1, 2].map((lane) => new LaneBuilder({ ...testLane(7), lane }));
    const others = [8, 9].map((index) => new LaneBuilder(testLane(index)));
    await store.acceptEntries([...mine, ...others].flatMap((lane) => lane.take(2, 300n)));
    const payer = testLane(7).payer;
    expect(await view.unredeemed(payer, lane0(mine).key.node)).to.equal(1_800n);
    await store.markRedeemed(lane0(mine).key, 2n, 600n);
    expect(await view.unredeemed(payer, lane0(mine).key.node)).to.equal(1_200n);
    // A reorg re-read lowers collected back: the total rises again.
    await store.applyChainUpdate({
      cursor: { blockNumber: 9n, blockHash: `0x${"09".repeat(32)}` },
      lanes: [{ lane: lane0(mine).key, seq: 1n, collected: 300n, set: true }],
    });
    expect(await view.unredeemed(payer, lane0(mine).key.node)).to.equal(1_500n);
    expect(await view.unredeemed(payer, "0x0000000000000000000000000000000000000001")).to.equal(0n);
  });
});

function lane0(lanes: LaneBuilder[]): LaneBuilder {
  return lanes[0] as LaneBuilder;
}

const SIGNER = privateKeyToAccount(`0x${"42".repeat(32)}`);

function sign(receipt: Receipt) {
  return SIGNER.signTypedData({ domain: TEST_DOMAIN, types: receiptTypes, primaryType: "Receipt", message: receipt });
}

async function signed(entry: Entry): Promise<Entry> {
  return { ...entry, receiptSig: await sign(entry.receipt) };
}
