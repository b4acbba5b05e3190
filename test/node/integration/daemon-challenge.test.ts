// Issue 4, test 3: a dishonest node posts an attribution root that inflates one dataset; an auditor node (its store
// fed by gossip, its own indexer) challenges it, verifiers vote in the Arbiter, the poster loses its bond, and the
// dataset owner claims the pool through the fallback (contributors) root.
import { expect } from "chai";
import { Wallet } from "ethers";
import { createPublicClient, type Hex, http, type PublicClient, zeroHash } from "viem";
import type { OlNode } from "../../../node/src/node/index.js";
import { buildAttributionTree, contributorsProof, RECORD_ID_HEADER } from "../../../node/src/protocol/index.js";
import { computePoolAttribution, gatherPool } from "../../../node/src/settle/index.js";
import { createDaemonWorld, type DaemonWorld, type NodeHome, OPEN } from "./daemonFixture.js";
import { waitFor } from "./p2pHelpers.js";

describe("olnode daemon: an auditor node challenges a node's inflated attribution root", function () {
  this.timeout(300_000);
  let world: DaemonWorld;
  let auditor: OlNode;
  let cheat: OlNode;
  let cheatHome: NodeHome;

  before(async () => {
    world = await createDaemonWorld(31_344);
    const auditorHome = await world.addNode("auditor");
    cheatHome = await world.addNode("cheat");
    auditor = await world.startNode(auditorHome, [], { OLNODE_SETTLE_AUDITOR: "true" });
    // The cheat posts its roots by hand (below), not through its service.
    cheat = await world.startNode(cheatHome, auditor.multiaddrs, { OLNODE_SETTLE_POST_EPOCHS: "false" });
    await waitFor(() => cheat.network.getMeshPeers("records").length > 0, "the two nodes to mesh", 30_000, 100);
  });

  after(async () => {
    await world?.close();
  });

  it("the auditor finds the inflated dataset, challenges, verifiers uphold, the bond is slashed and the owner claims by fallback", async () => {
    const { settlement: settlementAddress, deployBlock } = {
      settlement: world.protocol.deployment.contracts.settlement,
      deployBlock: world.protocol.deployment.deployBlock,
    };
    const { settlement, arbiter, token } = world.protocol;
    const provider = world.connection.ethers.provider;

    // Three verifiers stake in the Arbiter (weight counts from before a challenge opens).
    const [treasury, ...rest] = await world.connection.ethers.getSigners();
    const verifiers = rest.slice(0, 3);
    for (const verifier of verifiers) {
      await (await token.connect(treasury).transfer(verifier.address, 1_000n * OPEN)).wait();
      await (await token.connect(verifier).approve(await arbiter.getAddress(), 1_000n * OPEN)).wait();
      await (await arbiter.connect(verifier).stake(1_000n * OPEN)).wait();
    }
    // Paid inferences at the cheat, gossiped to the auditor; the cheat redeems its lane.
    const payer = await world.newPayer(cheat.node, 10n * OPEN);
    await cheat.indexer.syncOnce();
    const ids: Hex[] = [];
    for (const prompt of ["Type: dress; color: red", "Type: shirt; color: blue", "Type: bag; color: tan"]) {
      const response = await payer.complete(cheat.apiUrl, cheat.node, prompt);
      expect(response.status, await response.clone().text()).to.equal(200);
      await response.text();
      ids.push(response.headers.get(RECORD_ID_HEADER) as Hex);
    }
    for (const id of ids) {
      await waitFor(
        async () => (await auditor.store.getRecord(id)) !== undefined,
        "a record at the auditor",
        20_000,
        50,
      );
    }
    await cheat.settle.tick();
    const epoch = await settlement.currentEpoch();
    const key = { node: cheat.node, versionId: world.versionId, epoch };
    expect((await settlement.getPool(cheat.node, world.versionId, epoch)).amount).to.be.greaterThan(0n);
    await world.connection.networkHelpers.time.increaseTo(await settlement.epochEnd(epoch));
    await cheat.indexer.syncOnce();
    await auditor.indexer.syncOnce();

    // The cheat's honest tree, then the same total with half of the biggest dataset's amount moved to the other.
    const reader = createPublicClient({ transport: http(world.rpcUrl) }) as PublicClient;
    const shares = cheat.versions.find((v) => v.versionId === world.versionId)?.shares ?? [];
    const gathered = await gatherPool(
      { store: cheat.store, reader },
      { settlement: settlementAddress, deployBlock },
      key,
    );
    const honest = computePoolAttribution(gathered.redemptions, shares).tree;
    expect(honest.leaves.length).to.be.at.least(2);
    const sorted = [...honest.leaves].sort((a, b) => (a.amount > b.amount ? -1 : 1));
    const [from, to] = sorted as [(typeof sorted)[0], (typeof sorted)[0]];
    const shift = from.amount / 2n;
    expect(shift).to.be.greaterThan(0n);
    const inflated = buildAttributionTree(
      honest.leaves.map((l) => ({
        ...l,
        amount:
          l.datasetId === to.datasetId
            ? l.amount + shift
            : l.datasetId === from.datasetId
              ? l.amount - shift
              : l.amount,
      })),
    );
    expect(inflated.total).to.equal(honest.total);
    const cheatWallet = new Wallet(await world.operatorKey(cheatHome), provider);
    const bond = 100n * OPEN;
    await (await token.connect(cheatWallet).approve(settlementAddress, bond)).wait();
    await (
      await settlement
        .connect(cheatWallet)
        .postAttributionRoot(cheat.node, world.versionId, epoch, inflated.root, inflated.total, zeroHash, bond)
    ).wait();
    await auditor.indexer.syncOnce();

    // The auditor's own tick audits the pool, finds the mismatch and opens the challenge.
    const ticked = await auditor.settle.tick();
    const outcome = ticked.audit.find((o) => o.report.postedRoot === inflated.root);
    expect(outcome?.report.match).to.equal(false);
    expect(outcome?.report.expectedRoot).to.equal(honest.root);
    const challenge = outcome?.challenge;
    if (challenge === undefined)
      throw new Error(
        `expected a challenge, got ${JSON.stringify(outcome?.report, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
      );

    // Three verifiers commit "upheld", reveal; the ruling is resolved.
    const salt = (i: number) => `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
    const coder = world.connection.ethers.AbiCoder.defaultAbiCoder();
    for (const [i, verifier] of verifiers.entries()) {
      const commitment = world.connection.ethers.keccak256(
        coder.encode(
          ["uint256", "address", "bool", "bytes32"],
          [challenge.challengeId, verifier.address, true, salt(i)],
        ),
      );
      await (await arbiter.connect(verifier).commitVote(challenge.challengeId, commitment)).wait();
    }
    const c = await arbiter.getChallenge(challenge.challengeId);
    await world.connection.networkHelpers.time.increaseTo(c.commitDeadline + 1n);
    for (const [i, verifier] of verifiers.entries()) {
      await (await arbiter.connect(verifier).revealVote(challenge.challengeId, true, salt(i))).wait();
    }
    await world.connection.networkHelpers.time.increaseTo(c.revealDeadline + 1n);
    await (await arbiter.resolve(challenge.challengeId)).wait();

    const pool = await settlement.getPool(cheat.node, world.versionId, epoch);
    expect([pool.fellBack, pool.bond]).to.deep.equal([true, 0n]);
    expect(await arbiter.credits(auditor.operator.address)).to.be.greaterThan(challenge.bond);

    // The datasets' owner (the trainer's operator registered both) claims each share of the pool by fallback.
    const owner = new Wallet(await world.operatorKey(world.trainer), provider);
    const before = await token.balanceOf(owner.address);
    await (
      await settlement.connect(owner).claimFallback(
        shares.map((s) => ({
          node: cheat.node,
          versionId: world.versionId,
          epoch,
          datasetId: s.datasetId,
          weightPpm: s.weightPpm,
          proof: contributorsProof(shares, s.datasetId),
        })),
      )
    ).wait();
    const expected = shares.reduce((sum, s) => sum + (pool.amount * BigInt(s.weightPpm)) / 1_000_000n, 0n);
    expect((await token.balanceOf(owner.address)) - before).to.equal(expected);
  });
});
