import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { hexToBytes } from "viem";
import { StoreLaneView } from "../../../../node/src/api/index.js";
import { createRecordsValidator } from "../../../../node/src/node/index.js";
import { type Entry, encodeRecordsMessage, getInferenceRecordDigest } from "../../../../node/src/protocol/index.js";
import { Store } from "../../../../node/src/store/index.js";
import { ACTORS, entryOf, newWorld, receiptOf, signReceipt } from "../validation/world.js";

const silent = { debug: () => {}, warn: () => {} };

describe("node: the records gossip validator", () => {
  let dir: string;
  let store: Store;
  const world = newWorld();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "olnode-records-gossip-"));
    store = await Store.open({ dir, domain: world.domain });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function entries(seqs: bigint[]): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const seq of seqs) {
      const receipt = receiptOf({ seq });
      out.push(await entryOf(receipt, await signReceipt(ACTORS.payer, receipt)));
    }
    return out;
  }

  it("stores a lane's messages that arrive together in order, the second judged after the first is stored", async () => {
    const validate = createRecordsValidator({
      ctx: { chain: world.chain, lanes: new StoreLaneView(store, world.domain) },
      store,
      logger: silent,
    });
    const known = await entries([1n, 2n]);
    await validate(hexToBytes(encodeRecordsMessage(known)), "peer", known);
    const first = await entries([3n, 4n]);
    const second = await entries([5n, 6n]);
    // Without serialization the second is judged against the lane at seq 2 and ignored as a gap (SEQ_GAP).
    await Promise.all([first, second].map((batch) => validate(hexToBytes(encodeRecordsMessage(batch)), "peer", batch)));
    for (const entry of [...first, ...second]) {
      expect(await store.getRecord(getInferenceRecordDigest(world.domain, entry.record))).to.not.equal(undefined);
    }
  });

  it("rejects a message whose record is not signed by the node's operator, and stores nothing of it", async () => {
    const validate = createRecordsValidator({
      ctx: { chain: world.chain, lanes: new StoreLaneView(store, world.domain) },
      store,
      logger: silent,
    });
    const receipt = receiptOf({ seq: 1n });
    const forged = [
      await entryOf(receipt, await signReceipt(ACTORS.payer, receipt), { recordSigner: ACTORS.stranger }),
    ];
    const error = await validate(hexToBytes(encodeRecordsMessage(forged)), "peer", forged).catch((e: unknown) => e);
    expect(error).to.have.property("action", "REJECT");
    expect(
      await store.getRecord(getInferenceRecordDigest(world.domain, forged[0]?.record as Entry["record"])),
    ).to.equal(undefined);
  });
});
