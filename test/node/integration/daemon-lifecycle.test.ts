// Issue 4, tests 4, 5 and 6: the daemon's life as an operator sees it. `olnode start` as a child process killed with
// SIGKILL in a burst of paid requests and restarted (nothing acknowledged is lost, each lane redeemed once); the chain
// going away and coming back under a running node; bad configuration refused naming the key; `olnode status`.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import type { OlNode } from "../../../node/src/node/index.js";
import { getLaneId } from "../../../node/src/protocol/index.js";
import { RpcServer } from "./chainHelpers.js";
import { createDaemonWorld, type DaemonWorld, OPEN } from "./daemonFixture.js";
import { killDuringBurst, type NodeProcess, redeemedEvents } from "./daemonProcess.js";
import { waitFor } from "./p2pHelpers.js";

/** Receipts of the burst here (the 10,000 run is test/node/soak/daemon-burst.soak.ts); lanes in parallel. */
const BURST = Number(process.env.OLNODE_TEST_BURST ?? 300);
const LANES = 16;

describe("olnode daemon: kill -9 and restart, a chain outage, bad configuration, status", function () {
  this.timeout(600_000);
  let world: DaemonWorld;
  let running: NodeProcess | undefined;

  before(async () => {
    world = await createDaemonWorld(31_343);
  });

  after(async () => {
    running?.child.kill("SIGKILL");
    await world?.close();
  });

  it("refuses an unknown key in the config file, a misspelt OLNODE_ variable and a bad value, naming each (exit 1)", async () => {
    const home = world.trainer;
    await writeFile(join(home.dir, "olnode.json"), JSON.stringify({ p2p: { listn: ["/ip4/127.0.0.1/tcp/0"] } }));
    const unknownKey = await world.olnode(home, "start", "--config", "olnode.json");
    expect(unknownKey.code).to.equal(1);
    expect(unknownKey.stderr).to.contain("p2p.listn").and.to.contain("did you mean p2p.listen");

    const typo = await world.olnode({ ...home, env: { ...home.env, OLNODE_API_PROT: "8080" } }, "start");
    expect(typo.code).to.equal(1);
    expect(typo.stderr).to.contain("OLNODE_API_PROT").and.to.contain("OLNODE_API_PORT");

    const bad = await world.olnode({ ...home, env: { ...home.env, OLNODE_API_PORT: "http" } }, "start");
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain("api.port").and.to.contain("OLNODE_API_PORT");
  });

  it(`keeps every acknowledged receipt of a ${BURST}-receipt burst cut by SIGKILL, and redeems each lane exactly once after the restart; olnode status reports the restarted node`, async () => {
    await killDuringBurst(world, await world.addNode("burst"), { total: BURST, lanes: LANES }, (p) => {
      running = p;
    });
  });

  it("keeps answering /status and refuses paid requests with 503 CHAIN_NOT_SYNCED while the chain is gone, resumes indexing, and redeems the pending lane once", async () => {
    const proxy = new RpcServer(world.connection.provider);
    await proxy.open();
    const home = await world.addNode("outage");
    let node: OlNode | undefined;
    try {
      node = await world.startNode(home, [], { OLNODE_CHAIN_RPC_URL: proxy.url });
      const payer = await world.newPayer(node.node, 10n * OPEN);
      await node.indexer.syncOnce();
      const paid = await payer.complete(node.apiUrl, node.node, "Type: scarf; color: grey", { maxTokens: 2 });
      expect(paid.status, await paid.clone().text()).to.equal(200);
      await paid.text();

      await proxy.close();
      const outageBlock = node.indexer.indexedBlock ?? 0n;
      const synced = async () => {
        const status = await fetch(`${node?.apiUrl}/status`);
        expect(status.status).to.equal(200);
        return ((await status.json()) as { chain: { synced: boolean } }).chain.synced;
      };
      await waitFor(async () => !(await synced()), "/status to report the chain index behind", 30_000, 100);
      const during = await payer.complete(node.apiUrl, node.node, "Type: scarf; color: blue", { maxTokens: 2 });
      const body = await during.text();
      // The index cannot catch up, so the node refuses to take money it cannot judge: 503 with the reason.
      expect(during.status, body).to.equal(503);
      expect(JSON.parse(body).error.code).to.equal("VALIDATION_ERROR_CHAIN_NOT_SYNCED");
      // A redemption tried now fails cleanly and marks nothing.
      const tried = await node.settle.tick().then(
        (r) => r.redeem,
        (err: unknown) => err,
      );
      if (tried instanceof Error) expect(tried.message).to.not.equal("");
      else expect((tried as { redeemed: unknown[] }).redeemed).to.deep.equal([]);
      const laneId = getLaneId(payer.account.address, node.node, world.versionId, 0);
      expect(
        (await world.protocol.settlement.getLane(payer.account.address, node.node, world.versionId, 0)).collected,
      ).to.equal(0n);

      await proxy.open();
      await waitFor(() => (node?.indexer.indexedBlock ?? 0n) > outageBlock + 2n, "the indexer to resume", 30_000, 100);
      await waitFor(synced, "/status to report the chain index caught up", 30_000, 100);
      const held = await node.store.getLane(laneId);
      await node.settle.tick();
      await node.settle.tick();
      const onChain = await world.protocol.settlement.getLane(payer.account.address, node.node, world.versionId, 0);
      expect(onChain.collected).to.equal(held?.cumulative);
      expect(await redeemedEvents(world, payer.account.address, node.node, 0)).to.have.length(1);
    } finally {
      await node?.close();
      await proxy.close();
    }
  });
});
