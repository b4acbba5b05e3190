import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TopicValidatorResult } from "@libp2p/gossipsub";
import { multiaddr } from "@multiformats/multiaddr";
import { expect } from "chai";
import type { Hex } from "viem";
import { GOSSIP_SCORE_THRESHOLDS, GOSSIP_TOPICS } from "../../../node/src/p2p/index.js";
import { type Entry, encodeRecordsMessage, getMessageId } from "../../../node/src/protocol/index.js";
import {
  attach,
  closeAll,
  createRawHost,
  type RawHost,
  startNode,
  type TestNode,
  waitFor,
} from "../integration/p2pHelpers.js";
import { makeEntry } from "../unit/p2p/helpers.js";

const RECORDS = GOSSIP_TOPICS.records;
const HONEST = 6;
const SPAMMERS = 4;
const SILENT = 3;
const FLASH = 3;
const MESSAGES = 30;

/** A host that joins the records mesh and forwards nothing while `silent()` holds (it IGNOREs every message). */
async function lurker(silent: () => boolean): Promise<RawHost> {
  const host = await createRawHost();
  host.services.pubsub.topicValidators.set(RECORDS, () =>
    silent() ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept,
  );
  host.services.pubsub.subscribe(RECORDS);
  return host;
}

/** Dials `address` from `host`, up to three times: a handshake reset under load is not what this harness tests. */
async function dialWithRetries(host: RawHost, address: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await host.dial(multiaddr(address));
      return;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/**
 * A reduced Sybil harness for THREATS #48, on real libp2p over loopback: 6 honest nodes on a sparse ring (each dials
 * its two predecessors, so most deliveries take more than one hop) and 10 Sybils, all on one IP: 4 that flood invalid
 * messages, 3 that join every mesh and never forward, and 3 that start before the honest nodes (the honest nodes
 * bootstrap from them), forward for a while, then go silent. Honest messages must reach every honest node, and every
 * spammer must fall below the graylist threshold at every honest node it reached.
 */
describe("p2p Sybil harness: 6 honest nodes, 10 Sybils on one IP (THREATS #48, reduced)", function () {
  this.timeout(90_000);
  let dir: string;
  const honest: TestNode[] = [];
  const spammers: RawHost[] = [];
  const lurkers: RawHost[] = [];
  let flashSilent = false;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "olp-p2p-sybil-"));
    // (d) cold boot: the flash Sybils are up first and are every honest node's first bootstrap peers.
    for (let i = 0; i < FLASH; i++) lurkers.push(await lurker(() => flashSilent));
    const seeds = lurkers.flatMap((host) => host.getMultiaddrs().map(String));
    for (let i = 0; i < HONEST; i++) {
      const previous = honest.slice(-2).flatMap((node) => node.network.getMultiaddrs());
      honest.push(await startNode(dir, `honest-${i}`, { bootstrap: [...seeds, ...previous] }));
    }
    // (a) never forward: joins the mesh of every honest node.
    for (let i = 0; i < SILENT; i++) lurkers.push(await lurker(() => true));
    for (let i = 0; i < SPAMMERS; i++) spammers.push(await createRawHost());
    // One dial at a time, retried: libp2p limits the handshakes a node takes at once (the honest nodes' own bootstrap
    // dials run meanwhile) and resets the rest.
    for (const host of [...lurkers.slice(FLASH), ...spammers]) {
      for (const node of honest) await dialWithRetries(host, node.network.getMultiaddrs()[0] ?? "");
    }
    for (const host of spammers) for (const node of honest) await attach(host, node, RECORDS, 30_000);
    await waitFor(
      () => honest.every((node) => node.network.getMeshPeers("records").length >= 2),
      "every honest node to hold a records mesh",
      30_000,
    );
  });

  after(async () => {
    await closeAll(...spammers, ...lurkers, ...honest.map((node) => node.network));
    rmSync(dir, { recursive: true, force: true });
  });

  it("deliver every honest message to every honest node while Sybils spam, lurk and go silent", async () => {
    // (b) invalid messages: every spammer floods every honest node throughout.
    let spamming = true;
    let spamCount = 0;
    const spam = Promise.all(
      spammers.map(async (host, s) => {
        while (spamming) {
          await host.services.pubsub.publish(RECORDS, Uint8Array.of(0xba, 0xad, s, spamCount & 0xff, spamCount >> 8));
          spamCount++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
    );

    const sent: Hex[] = [];
    for (let m = 0; m < MESSAGES; m++) {
      // (c) covert flash: halfway through, the cold-boot Sybils stop forwarding.
      if (m === MESSAGES / 2) flashSilent = true;
      const entries: Entry[] = [makeEntry(BigInt(10_000 + m), `honest message ${m}`)];
      const publisher = honest[m % HONEST] as TestNode;
      await publisher.network.publishRecords(entries);
      sent.push(getMessageId(encodeRecordsMessage(entries)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const receivedBy = (node: TestNode) =>
      new Set(node.received.map((r) => getMessageId(encodeRecordsMessage(r.value as Entry[]))));
    const missing = () =>
      honest.flatMap((node, i) =>
        sent.filter((id, m) => m % HONEST !== i && !receivedBy(node).has(id)).map((id) => `${i}:${id.slice(0, 10)}`),
      );
    try {
      await waitFor(() => missing().length === 0, "every honest message at every honest node", 20_000, 100);
    } finally {
      spamming = false;
      await spam;
    }
    expect(missing()).to.deep.equal([]);
    expect(spamCount, "the spammers kept at it").to.be.above(SPAMMERS * 20);

    const { graylistThreshold } = GOSSIP_SCORE_THRESHOLDS;
    await waitFor(
      () =>
        spammers.every((host) =>
          honest.every((node) => node.network.getPeerScore(host.peerId.toString()) < graylistThreshold),
        ),
      "every spammer below the graylist threshold at every honest node",
    );
    // Each honest node accepted each of the others' messages once, and nothing else (spam never reached a handler).
    for (const node of honest) {
      expect(node.counted.filter((c) => c.outcome === "accept")).to.have.length(MESSAGES - MESSAGES / HONEST);
      expect(node.received).to.have.length(MESSAGES - MESSAGES / HONEST);
    }
  });
});
