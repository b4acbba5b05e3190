// `npm run bench:gas`: the gas of every user-facing function of the registries, the Arbiter and the token, measured
// on Hardhat's EVM. Runs the devnet's registries tour, then the functions the tour does not reach. Writes
// bench/results/gas.json and prints a table.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { type GasLedger, type RegistriesTourResult, runRegistriesTour, signPermit } from "../node/src/devnet/index.js";

const OPEN = 10n ** 18n;
const DATA = new URL("../trainer/data/advertise/", import.meta.url);
const OUT = new URL("./results/", import.meta.url);

type Connection = NetworkConnection;

/** The user-facing functions the tour leaves out: stake top-ups and exits, metadata, bonds, leaks, non-reveals. */
async function measureTheRest(connection: Connection, tour: RegistriesTourResult, gas: GasLedger): Promise<void> {
  const { ethers, networkHelpers } = connection;
  const { token, datanetRegistry, nodeRegistry, adapterRegistry, arbiter } = tour.protocol;
  const a = tour.actors;
  const coder = ethers.AbiCoder.defaultAbiCoder();

  await gas.record(
    "DatanetRegistry.setDatanetMetadataURI",
    datanetRegistry.connect(a.curatorA).setDatanetMetadataURI(1n, "olp://datanets/ad-copy-clothing/v2"),
  );
  await gas.record("OpenToken.approve", token.connect(a.alice).approve(await datanetRegistry.getAddress(), 10n * OPEN));
  await gas.record("DatanetRegistry.addStake", datanetRegistry.connect(a.alice).addStake(1n, 10n * OPEN));
  await gas.record("DatanetRegistry.requestUnstake", datanetRegistry.connect(a.alice).requestUnstake(1n, 10n * OPEN));

  await gas.record(
    "NodeRegistry.update",
    nodeRegistry.connect(a.node).update(a.operator.address, "12D3KooWNew", "http://127.0.0.1:9000"),
  );
  await gas.record("OpenToken.approve", token.connect(a.node).approve(await nodeRegistry.getAddress(), 10n * OPEN));
  await gas.record("NodeRegistry.addStake", nodeRegistry.connect(a.node).addStake(10n * OPEN));
  await gas.record("NodeRegistry.requestUnbond", nodeRegistry.connect(a.node).requestUnbond(10n * OPEN));
  await gas.record("Arbiter.requestUnstake", arbiter.connect(a.verifier1).requestUnstake(100n * OPEN));

  await gas.record("AdapterRegistry.withdrawBond", adapterRegistry.connect(a.adapterOwner).withdrawBond(1n));
  const base = ethers.id("bench base model");
  await gas.record(
    "AdapterRegistry.commitTraining",
    adapterRegistry.connect(a.adapterOwner).commitTraining(1n, base, ethers.id("bench config a"), [1n, 2n]),
  );
  await gas.record(
    "AdapterRegistry.abandonCommitment",
    adapterRegistry.connect(a.adapterOwner).abandonCommitment(await adapterRegistry.commitmentCount()),
  );

  // A third version whose challenge sees a leaked vote and a verifier who never reveals.
  await gas.record(
    "AdapterRegistry.commitTraining",
    adapterRegistry.connect(a.adapterOwner).commitTraining(1n, base, ethers.id("bench config b"), [1n, 2n]),
  );
  const commitmentId = await adapterRegistry.commitmentCount();
  await gas.record("AdapterRegistry.sealCommitment", adapterRegistry.connect(a.watcher).sealCommitment(commitmentId));
  const bond = await adapterRegistry.minBond();
  await gas.record(
    "OpenToken.approve",
    token.connect(a.adapterOwner).approve(await adapterRegistry.getAddress(), bond),
  );
  const proof = {
    contributorsRoot: ethers.id("bench contributors"),
    weightsHash: ethers.id("bench weights"),
    checkpointRoot: ethers.id("bench checkpoints"),
    finalHead: ethers.id("bench head"),
    initialWeightsHash: ethers.id("bench initial weights"),
    initialStateHash: ethers.id("bench initial state"),
    checkpointCount: 4n,
    evalScore: 3_000n,
  };
  await gas.record(
    "AdapterRegistry.submitVersion",
    adapterRegistry.connect(a.adapterOwner).submitVersion(commitmentId, proof, bond),
  );
  const versionId = await adapterRegistry.versionCount();
  const { minBond } = await arbiter.getParams();
  await gas.record("OpenToken.approve", token.connect(a.challenger).approve(await arbiter.getAddress(), minBond));
  await gas.record(
    "Arbiter.openChallenge",
    arbiter
      .connect(a.challenger)
      .openChallenge(
        await adapterRegistry.getAddress(),
        versionId,
        coder.encode(["uint8", "uint256"], [1, 1n]),
        minBond,
      ),
  );
  const challengeId = await arbiter.challengeCount();
  const vote = (voter: string, upheld: boolean, salt: string) =>
    ethers.keccak256(coder.encode(["uint256", "address", "bool", "bytes32"], [challengeId, voter, upheld, salt]));
  const leakySalt = ethers.id("leaky");
  await gas.record(
    "Arbiter.commitVote",
    arbiter.connect(a.verifier2).commitVote(challengeId, vote(a.verifier2.address, true, leakySalt)),
  );
  await gas.record(
    "Arbiter.commitVote",
    arbiter.connect(a.verifier3).commitVote(challengeId, vote(a.verifier3.address, false, ethers.id("quiet"))),
  );
  await gas.record(
    "Arbiter.reportLeak",
    arbiter.connect(a.watcher).reportLeak(challengeId, a.verifier2.address, true, leakySalt),
  );
  const challenge = await arbiter.getChallenge(challengeId);
  await networkHelpers.time.increaseTo(challenge.revealDeadline + 1n);
  await gas.record(
    "Arbiter.slashNonRevealer",
    arbiter.connect(a.watcher).slashNonRevealer(challengeId, a.verifier3.address),
  );
  await gas.record("Arbiter.resolve", arbiter.connect(a.watcher).resolve(challengeId));

  // Past every unbonding period set for the devnet: the exits.
  await networkHelpers.time.increase(3_600);
  await gas.record("DatanetRegistry.withdrawUnstaked", datanetRegistry.connect(a.alice).withdrawUnstaked(1n));
  await gas.record("NodeRegistry.withdraw", nodeRegistry.connect(a.node).withdraw());
  await gas.record("Arbiter.withdrawUnstaked", arbiter.connect(a.verifier1).withdrawUnstaked());

  const deadline = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0) + 3_600n;
  const signature = await signPermit(connection, token, a.bob, a.watcher.address, OPEN, deadline);
  await gas.record(
    "OpenToken.permit",
    token
      .connect(a.watcher)
      .permit(a.bob.address, a.watcher.address, OPEN, deadline, signature.v, signature.r, signature.s),
  );
  await gas.record(
    "OpenToken.transferFrom",
    token.connect(a.watcher).transferFrom(a.bob.address, a.watcher.address, OPEN),
  );
  await gas.record("OpenToken.burn", token.connect(a.watcher).burn(OPEN));
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(
      "Usage: npm run bench:gas\nMeasures the gas of every user-facing function; writes bench/results/gas.json.",
    );
    return;
  }
  const connection = await network.create();
  const tour = await runRegistriesTour(connection, {
    aliceDataset: readFileSync(new URL("ads-1.jsonl", DATA)),
    bobDataset: readFileSync(new URL("ads-2.jsonl", DATA)),
    log: () => {},
  });
  await measureTheRest(connection, tour, tour.gas);
  const rows = tour.gas.summary();
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    new URL("gas.json", OUT),
    `${JSON.stringify(
      {
        what: "gas used per user-facing function on Hardhat's EVM (solc 0.8.30, optimizer 10k runs, cancun)",
        functions: rows.map((r) => ({ ...r, min: Number(r.min), max: Number(r.max), mean: Number(r.mean) })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `${"function".padEnd(42)} ${"calls".padStart(5)} ${"min".padStart(9)} ${"mean".padStart(9)} ${"max".padStart(9)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(42)} ${String(r.calls).padStart(5)} ${String(r.min).padStart(9)} ${String(r.mean).padStart(9)} ${String(r.max).padStart(9)}`,
    );
  }
  console.log(`\nwrote ${new URL("gas.json", OUT).pathname}`);
}

main().catch((err: unknown) => {
  console.error(`gas benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
