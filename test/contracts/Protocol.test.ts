import { expect } from "chai";
import { network } from "hardhat";
import { runRegistriesTour } from "../../node/src/devnet/index.js";

/** Small Alpaca-shaped dataset files, distinct per contributor, so every sample hash is unique to its owner. */
function adCopyDataset(owner: string, items: readonly string[]): Uint8Array {
  const lines = items.map((item, i) =>
    JSON.stringify({
      instruction: "Write advertising copy for the product.",
      input: `product: ${item} | seller: ${owner} | lot: ${i}`,
      output: `Meet the ${item}: made for everyday life, built to last, and priced for you. (${owner} #${i})`,
    }),
  );
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

describe("Protocol (the registries and the Arbiter, wired by the Ignition module)", () => {
  it("runs the registries tour: a copycat is slashed, a dismissed challenge activates v1, an upheld one rejects v2", async () => {
    const connection = await network.create();
    const steps: string[] = [];
    const result = await runRegistriesTour(connection, {
      aliceDataset: adCopyDataset("alice", ["linen shirt", "wool coat", "denim jacket", "silk scarf", "canvas tote"]),
      bobDataset: adCopyDataset("bob", ["oak table", "floor lamp", "wool rug", "glass vase"]),
      log: (m) => steps.push(m),
    });
    const { token, datanetRegistry, arbiter, nodeRegistry, adapterRegistry } = result.protocol;

    // The copycat's dataset (3 copied samples + 1 own) is the later one: it, and only it, is slashed.
    const [alice, bob, mallory] = result.datasets;
    expect(alice?.duplicatesProven).to.equal(0);
    expect(bob?.duplicatesProven).to.equal(0);
    expect(mallory?.duplicatesProven).to.equal(1);
    const required = await datanetRegistry.requiredStake(1n, 4n);
    const slashBps = await datanetRegistry.duplicateSlashBps();
    const proverBps = await datanetRegistry.proverShareBps();
    expect(result.duplicate.slashed).to.equal((required * slashBps) / 10_000n);
    expect(result.duplicate.reward).to.equal((result.duplicate.slashed * proverBps) / 10_000n);
    expect(mallory?.stake).to.equal(required - result.duplicate.slashed);
    expect(mallory?.eligible).to.equal(false);
    expect(alice?.eligible).to.equal(true);

    // v1 survived its challenge and is active and priced; v2 lost and is rejected.
    expect(result.versions.map((v) => [v.status, v.challenge])).to.deep.equal([
      ["Active", "Dismissed"],
      ["Rejected", "Upheld"],
    ]);
    expect(await adapterRegistry.isActive(1n)).to.equal(true);
    expect(await nodeRegistry.priceOf(result.actors.node.address, 1n)).to.equal(10n ** 16n);

    // Nothing is created or lost: wallets + contracts + burned == supply.
    const wallets = await Promise.all(Object.values(result.actors).map((s) => token.balanceOf(s.address)));
    const held = [...result.held.values()].reduce((a, b) => a + b, 0n);
    const supply = 1_000_000_000n * 10n ** 18n;
    expect(wallets.reduce((a, b) => a + b, 0n) + held + result.burned).to.equal(supply);
    // The burn: the duplicate's unrewarded part and the Arbiter's share of both pots.
    expect(result.burned > result.duplicate.slashed - result.duplicate.reward).to.equal(true);
    // The watcher earned the prover's reward; the challenger lost on v1 and won on v2.
    expect(result.balanceChanges.get("watcher")).to.equal(result.duplicate.reward - 0n);
    expect(await arbiter.challengeCount()).to.equal(2n);
    expect(steps.length).to.be.greaterThan(10);
    expect(result.gas.summary().map((r) => r.label)).to.include.members([
      "DatanetRegistry.proveDuplicate",
      "AdapterRegistry.submitVersion",
      "Arbiter.resolve",
    ]);
  });
});
