import { expect } from "chai";
import { type Address, createWalletClient, type Hex, http } from "viem";
import type { OlNode } from "../../../node/src/node/index.js";
import {
  decodeRecordHeader,
  getLaneId,
  getReceiptDigest,
  RECORD_HEADER,
  RECORD_ID_HEADER,
} from "../../../node/src/protocol/index.js";
import { callInference, InferenceCallError, InferenceCallErrorCode } from "../../../node/src/sdk/index.js";
import { createDaemonWorld, type DaemonWorld, OPEN, PRICE } from "./daemonFixture.js";

/** Polls `condition` every 100 ms until it holds or `timeoutMs` passes. */
async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("olnode daemon: two nodes on a local chain serve, gossip and settle a paid inference", function () {
  this.timeout(300_000);
  let world: DaemonWorld;
  let a: OlNode;
  let b: OlNode;

  before(async () => {
    world = await createDaemonWorld(31_341);
    const second = await world.addNode("second");
    a = await world.startNode(world.trainer);
    b = await world.startNode(second, a.multiaddrs);
    await waitFor("the two nodes to mesh", async () => b.network.getMeshPeers("records").length > 0);
  });

  after(async () => {
    await world?.close();
  });

  it("answers a paid request, gossips its record to the other node, and redeems the lane once", async () => {
    const payer = await world.newPayer(a.node, 10n * OPEN);
    await a.indexer.syncOnce();
    const response = await payer.complete(a.apiUrl, a.node, "Type: dress; color: red");
    const text = await response.text();
    expect(response.status, text).to.equal(200);
    const header = response.headers.get(RECORD_HEADER);
    expect(header).to.be.a("string");
    decodeRecordHeader(header as string);
    const recordId = response.headers.get(RECORD_ID_HEADER) as Hex;
    expect(await a.store.getRecord(recordId)).to.not.equal(undefined);
    await waitFor("the record to reach the second node", async () => (await b.store.getRecord(recordId)) !== undefined);

    await a.settle.tick();
    const lane = await world.protocol.settlement.getLane(payer.account.address, a.node, world.versionId, 0);
    expect(lane.collected).to.equal(PRICE);
    const laneId = getLaneId(payer.account.address, a.node, world.versionId, 0);
    await a.settle.tick();
    expect(
      (await world.protocol.settlement.getLane(payer.account.address, a.node, world.versionId, 0)).collected,
    ).to.equal(PRICE);
    expect(laneId).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("a dapp pays with the SDK's callInference, which checks the record the node signed", async () => {
    const payer = await world.newPayer(b.node, 10n * OPEN);
    await b.indexer.syncOnce();
    const client = createWalletClient({ account: payer.account, transport: http(world.rpcUrl) });
    const lane = { payer: payer.account.address, node: b.node, versionId: world.versionId, lane: 1 };
    const call = (operator: Address) =>
      callInference(client, {
        endpoint: b.apiUrl,
        store: payer.lanes,
        lane,
        price: PRICE,
        operator,
        request: { model: `v${world.versionId}`, messages: [{ role: "user", content: "Type: shirt" }], max_tokens: 8 },
      });
    const paid = await call(b.operator.address);
    expect(paid.record.receiptDigest).to.equal(getReceiptDigest(payer.lanes.domain, paid.receipt.receipt));
    expect(paid.receipt.receipt.seq).to.equal(1n);
    expect(await b.store.getRecord(paid.recordId)).to.not.equal(undefined);
    // Expecting another operator: the SDK refuses the answer (the receipt was spent: seq 2 is used).
    const refused = await call(a.operator.address).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(InferenceCallError);
    expect((refused as InferenceCallError).type.code).to.equal(InferenceCallErrorCode.WRONG_SIGNER);
    expect((await payer.lanes.getLane(lane))?.seq).to.equal(2n);
  });
});
