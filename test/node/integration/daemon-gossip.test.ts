// Issue 4, tests 1 and 2: records gossip between real daemons (level on disk, libp2p on loopback, Hardhat's EVM), and
// what a node does with crafted `/olp/records/1` messages from a raw libp2p peer that plays a dishonest node.
import { expect } from "chai";
import type { Registry } from "prom-client";
import { type Address, getAddress, type Hex, hexToBytes } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import type { OlNode } from "../../../node/src/node/index.js";
import {
  type Entry,
  encodeRecordsMessage,
  getInferenceRecordDigest,
  getReceiptDigest,
  hashOutputText,
  hashRequestBody,
  type InferenceRecord,
  inferenceRecordTypes,
  RECORD_ID_HEADER,
  RECORDS_TOPIC,
  type Receipt,
  receiptTypes,
  settlementDomain,
} from "../../../node/src/protocol/index.js";
import { createDaemonWorld, type DaemonWorld, type NodeHome, OPEN, PRICE } from "./daemonFixture.js";
import { createRawHost, type RawHost, waitFor } from "./p2pHelpers.js";

const GOSSIP_METRIC = "olnode_p2p_gossip_messages_total";

/** How many records messages `registry` counted with this result and code. */
async function countOf(registry: Registry, result: string, code: string): Promise<number> {
  const metric = registry.getSingleMetric(GOSSIP_METRIC);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => v.labels.topic === "records" && v.labels.result === result && v.labels.code === code)
    .reduce((sum, v) => sum + v.value, 0);
}

describe("olnode daemon: records gossip between three nodes and an auditor, and a node under forged gossip", function () {
  this.timeout(300_000);
  let world: DaemonWorld;
  let nodes: OlNode[];
  let mallory: NodeHome;

  before(async () => {
    world = await createDaemonWorld(31_342);
    const homes = [world.trainer, await world.addNode("second"), await world.addNode("third")];
    const auditorHome = await world.addNode("auditor");
    mallory = await world.addNode("mallory");
    nodes = [];
    for (const home of homes)
      nodes.push(
        await world.startNode(
          home,
          nodes.flatMap((n) => n.multiaddrs),
        ),
      );
    nodes.push(
      await world.startNode(
        auditorHome,
        nodes.flatMap((n) => n.multiaddrs),
        { OLNODE_SETTLE_AUDITOR: "true" },
      ),
    );
    for (const node of nodes) {
      await waitFor(() => node.network.getMeshPeers("records").length === 3, "a full records mesh", 30_000, 100);
    }
  });

  after(async () => {
    await world?.close();
  });

  it("an inference paid at each node reaches the stores of all the others, the auditor's included", async () => {
    const recordIds: Hex[] = [];
    for (const [i, node] of nodes.entries()) {
      const payer = await world.newPayer(node.node, 10n * OPEN);
      await node.indexer.syncOnce();
      const response = await payer.complete(
        node.apiUrl,
        node.node,
        `Type: dress; color: ${["red", "blue", "green", "gold"][i]}`,
      );
      expect(response.status, await response.clone().text()).to.equal(200);
      await response.text();
      recordIds.push(response.headers.get(RECORD_ID_HEADER) as Hex);
    }
    for (const [i, id] of recordIds.entries()) {
      for (const [j, node] of nodes.entries()) {
        await waitFor(
          async () => (await node.store.getRecord(id)) !== undefined,
          `record ${i} at node ${j}`,
          20_000,
          50,
        );
      }
    }
    // The auditor holds each record as its server signed it.
    const auditor = nodes[3] as OlNode;
    for (const [i, id] of recordIds.entries()) {
      const held = await auditor.store.getRecord(id);
      expect(getAddress(held?.entry.receipt.node as Address)).to.equal(getAddress((nodes[i] as OlNode).node));
    }
  });

  describe("a raw peer publishing crafted records of a registered node", () => {
    let host: RawHost;
    let target: OlNode;
    let registry: Registry;
    let payer: PrivateKeyAccount;
    let operator: PrivateKeyAccount;
    let node: Address;
    let entries: Entry[];
    const domain = () =>
      settlementDomain(BigInt(world.protocol.deployment.chainId), world.protocol.deployment.contracts.settlement);

    /** One entry of mallory's: a receipt of `lane` at `seq` signed by `signer`, and a record mallory's operator signed. */
    const craft = async (seq: bigint, signer: PrivateKeyAccount, lane = 0): Promise<Entry> => {
      const receipt: Receipt = {
        payer: payer.address,
        node,
        versionId: world.versionId,
        lane,
        seq,
        requestHash: hashRequestBody(new TextEncoder().encode(`request ${lane}/${seq}`)),
        value: PRICE,
        cumulative: PRICE * seq,
      };
      const receiptSig = await signer.signTypedData({
        domain: domain(),
        types: receiptTypes,
        primaryType: "Receipt",
        message: receipt,
      });
      const outputText = `crafted output ${lane}/${seq}`;
      const record: InferenceRecord = {
        receiptDigest: getReceiptDigest(domain(), receipt),
        outputHash: hashOutputText(outputText),
        promptTokens: 4,
        outputTokens: 4,
        datasetIds: [1n],
        weightsPpm: [1_000_000],
      };
      const recordSig = await operator.signTypedData({
        domain: domain(),
        types: inferenceRecordTypes,
        primaryType: "InferenceRecord",
        message: record,
      });
      return { receipt, receiptSig, record, recordSig, outputText };
    };
    const publish = async (batch: Entry[]) => {
      await host.services.pubsub.publish(RECORDS_TOPIC, hexToBytes(encodeRecordsMessage(batch)));
    };
    const recordIdOf = (entry: Entry) => getInferenceRecordDigest(domain(), entry.record);
    const score = () => target.network.getPeerScore(host.peerId.toString());
    const waitCount = async (result: string, code: string, atLeast: number) =>
      waitFor(
        async () => (await countOf(registry, result, code)) >= atLeast,
        `${result} ${code} × ${atLeast}`,
        15_000,
        25,
      );

    before(async () => {
      target = nodes[1] as OlNode;
      registry = world.metricsOf(target).registry;
      operator = privateKeyToAccount(await world.operatorKey(mallory));
      node = getAddress(await world.protocol.nodeRegistry.nodeOfOperator(operator.address));
      // Mallory's payer covers two requests.
      const funded = await world.newPayer(node, 2n * PRICE);
      payer = funded.account;
      await target.indexer.syncOnce();
      entries = [await craft(1n, payer), await craft(2n, payer)];
      host = await createRawHost();
      const [address] = target.multiaddrs;
      if (address === undefined) throw new Error("the target listens nowhere");
      const { multiaddr } = await import("@multiformats/multiaddr");
      await host.dial(multiaddr(address));
      await waitFor(
        () => host.services.pubsub.getSubscribers(RECORDS_TOPIC).some((p) => p.toString() === target.network.peerId),
        "the raw peer to see the target subscribed",
        15_000,
      );
    });

    after(async () => {
      await host?.stop();
    });

    it("accepts valid entries, drops the same payload replayed and IGNOREs a batch it holds (DUPLICATE) and a seq gap (SEQ_GAP), at no cost to the sender's score", async () => {
      const [e1, e2] = entries as [Entry, Entry];
      await publish([e1]);
      await waitFor(async () => (await target.store.getRecord(recordIdOf(e1))) !== undefined, "entry 1 stored", 15_000);
      await publish([e2]);
      await waitFor(async () => (await target.store.getRecord(recordIdOf(e2))) !== undefined, "entry 2 stored", 15_000);

      const duplicates = await countOf(registry, "ignore", "VALIDATION_ERROR_DUPLICATE");
      const gaps = await countOf(registry, "ignore", "VALIDATION_ERROR_SEQ_GAP");
      await publish([e1]); // the same payload: the same message id, dropped before validation
      await publish([e1, e2]); // a new payload of held entries: validated, IGNOREd as a duplicate
      await publish([await craft(4n, payer)]); // seq 3 missing
      await waitCount("ignore", "VALIDATION_ERROR_SEQ_GAP", gaps + 1);
      await waitCount("ignore", "VALIDATION_ERROR_DUPLICATE", duplicates + 1);
      // The replayed payload never reached the validator: one DUPLICATE, for the new payload only.
      expect(await countOf(registry, "ignore", "VALIDATION_ERROR_DUPLICATE")).to.equal(duplicates + 1);
      expect(score()).to.be.at.least(0);
      const lane = await target.store.getRecordsBySeqRange(
        (await import("../../../node/src/protocol/index.js")).getLaneId(payer.address, node, world.versionId, 0),
        1n,
        10n,
        10,
      );
      expect(lane.map((r) => r.entry.receipt.seq)).to.deep.equal([1n, 2n]);
    });

    it("REJECTs a forged receipt (SIGNER_NOT_AUTHORIZED) and one beyond the escrow (OVER_ESCROW): the sender's score falls, an honest peer's does not", async () => {
      const honest = (nodes[0] as OlNode).network.peerId;
      const forged = await craft(3n, privateKeyToAccount(generatePrivateKey()));
      await publish([forged]);
      await waitCount("reject", "VALIDATION_ERROR_SIGNER_NOT_AUTHORIZED", 1);
      await waitFor(() => score() < 0, "the forger's score to fall below 0", 10_000, 100);
      const afterForgery = score();

      const overEscrow = await craft(3n, payer); // a third PRICE on a cover of two
      await publish([overEscrow]);
      await waitCount("reject", "VALIDATION_ERROR_OVER_ESCROW", 1);
      await waitFor(() => score() < afterForgery, "the score to fall again", 10_000, 100);
      expect(await target.store.getRecord(recordIdOf(forged))).to.equal(undefined);
      expect(await target.store.getRecord(recordIdOf(overEscrow))).to.equal(undefined);

      // The honest node's records still flow and its score stays at or above 0.
      const first = nodes[0] as OlNode;
      const buyer = await world.newPayer(first.node, 10n * OPEN);
      await first.indexer.syncOnce();
      const response = await buyer.complete(first.apiUrl, first.node, "Type: shoe; color: black");
      expect(response.status).to.equal(200);
      await response.text();
      const id = response.headers.get(RECORD_ID_HEADER) as Hex;
      await waitFor(async () => (await target.store.getRecord(id)) !== undefined, "the honest record at the target");
      expect(target.network.getPeerScore(honest)).to.be.at.least(0);
      expect(target.network.getConnectedPeers().map(String)).to.include(honest);
    });
  });
});
