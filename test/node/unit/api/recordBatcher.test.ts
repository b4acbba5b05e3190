import { expect } from "chai";
import { RecordBatcher, type RecordDropReason } from "../../../../node/src/api/index.js";
import { type Entry, encodeRecordsMessage, MAX_RECORDS_MESSAGE_BYTES, size } from "./batcherEntries.js";

describe("RecordBatcher", () => {
  const collect = () => {
    const messages: Entry[][] = [];
    const drops: RecordDropReason[] = [];
    return {
      messages,
      drops,
      modules: {
        publish: (entries: Entry[]) => void messages.push(entries),
        onDrop: (reason: RecordDropReason) => void drops.push(reason),
      },
    };
  };

  it("publishes at most 256 entries per message, in order", async () => {
    const { messages, modules } = collect();
    const batcher = new RecordBatcher({ flushIntervalMs: 60_000 }, modules);
    const entries = Array.from({ length: 600 }, (_, i) => entryOf(i, 10));
    for (const e of entries) expect(batcher.add(e)).to.equal(true);
    await batcher.flushNow();
    expect(messages.map((m) => m.length)).to.deep.equal([256, 256, 88]);
    expect(messages.flat()).to.deep.equal(entries);
  });

  it("keeps every message within 1 MiB, and drops an entry too large alone", async () => {
    const { messages, drops, modules } = collect();
    const batcher = new RecordBatcher({ flushIntervalMs: 60_000 }, modules);
    for (let i = 0; i < 5; i++) batcher.add(entryOf(i, 300_000));
    expect(batcher.add(entryOf(9, MAX_RECORDS_MESSAGE_BYTES))).to.equal(false);
    await batcher.flushNow();
    expect(drops).to.deep.equal(["too_large"]);
    for (const m of messages) expect(size(encodeRecordsMessage(m))).to.be.at.most(MAX_RECORDS_MESSAGE_BYTES);
    expect(messages.map((m) => m.length)).to.deep.equal([3, 2]);
  });

  it("flushes a partial message after the interval", async () => {
    const { messages, modules } = collect();
    const batcher = new RecordBatcher({ flushIntervalMs: 5 }, modules);
    batcher.add(entryOf(1, 10));
    for (let i = 0; i < 200 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(messages).to.have.length(1);
    await batcher.close();
  });

  it("bounds what waits: beyond maxPending new entries are dropped and counted", async () => {
    const { messages, drops, modules } = collect();
    let release = (): void => {};
    const stuck = new Promise<void>((r) => {
      release = r;
    });
    const batcher = new RecordBatcher(
      { flushIntervalMs: 60_000, maxEntries: 2, maxPending: 4 },
      {
        ...modules,
        publish: async (entries: Entry[]) => {
          messages.push(entries);
          await stuck;
        },
      },
    );
    const results = Array.from({ length: 6 }, (_, i) => batcher.add(entryOf(i, 10)));
    expect(results).to.deep.equal([true, true, true, true, false, false]);
    expect(drops).to.deep.equal(["queue_full", "queue_full"]);
    release();
    await batcher.close();
    expect(batcher.add(entryOf(7, 10))).to.equal(false);
    expect(drops.at(-1)).to.equal("closed");
    expect(messages.flat()).to.have.length(4);
  });
});

function entryOf(i: number, textBytes: number): Entry {
  const word = (b: number): `0x${string}` => `0x${b.toString(16).padStart(64, "0")}`;
  return {
    receipt: {
      payer: "0x1111111111111111111111111111111111111111",
      node: "0x2222222222222222222222222222222222222222",
      versionId: 1n,
      lane: 0,
      seq: BigInt(i + 1),
      requestHash: word(i),
      value: 1n,
      cumulative: BigInt(i + 1),
    },
    receiptSig: `0x${"11".repeat(65)}`,
    record: {
      receiptDigest: word(i),
      outputHash: word(i),
      promptTokens: 1,
      outputTokens: 1,
      datasetIds: [1n],
      weightsPpm: [1_000_000],
    },
    recordSig: `0x${"22".repeat(65)}`,
    outputText: "x".repeat(textBytes),
  };
}
