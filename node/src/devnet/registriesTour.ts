import type { NetworkConnection } from "hardhat/types/network";
import type { Hex } from "viem";
import {
  buildDatasetTree,
  contributorsRoot,
  getSampleProof,
  parseDataset,
  type Sample,
  sharesPpm,
} from "../protocol/index.js";
import { type Actors, assignActors, ROLES, type Role } from "./actors.js";
import { makeCopycatDataset } from "./copycat.js";
import { deployProtocol, type Protocol } from "./deployProtocol.js";
import { GasLedger } from "./gasLedger.js";
import { signPermit } from "./permit.js";

const OPEN = 10n ** 18n;

/** What the tour needs from outside: two honest contributors' dataset files, and where to say what it is doing. */
export interface RegistriesTourOptions {
  readonly aliceDataset: Uint8Array;
  readonly bobDataset: Uint8Array;
  readonly log: (message: string) => void;
}

/** One dataset as registered during the tour. */
export interface TourDataset {
  readonly id: bigint;
  readonly owner: Role;
  readonly samples: number;
  readonly stake: bigint;
  readonly eligible: boolean;
  readonly duplicatesProven: number;
}

/** What happened, for the report and for tests to check. */
export interface RegistriesTourResult {
  readonly protocol: Protocol;
  readonly actors: Actors;
  readonly datasets: readonly TourDataset[];
  readonly duplicate: { readonly sampleHash: Hex; readonly slashed: bigint; readonly reward: bigint };
  readonly versions: readonly { readonly id: bigint; readonly status: string; readonly challenge: string }[];
  readonly balanceChanges: ReadonlyMap<Role, bigint>;
  readonly held: ReadonlyMap<string, bigint>;
  readonly burned: bigint;
  readonly gas: GasLedger;
}

const STATUS = ["None", "Pending", "Active", "Rejected"] as const;
const RULING = ["None", "Upheld", "Dismissed", "NoQuorum"] as const;
/** `IAdapterRegistry.ChallengeGround`. */
const CHALLENGE_GROUND = { TrainingSegment: 1, ContributorsRoot: 2, CheckpointUnavailable: 3 } as const;

/**
 * The registries, end to end, on one chain: deploy with Ignition, two datanets, honest datasets and a copycat caught
 * by a duplicate proof, a staked node, an adapter whose training commitment names only eligible datasets, two
 * versions with their proofs, one challenge dismissed and one upheld by staked verifiers, activation and pricing.
 * Every step is logged; every transaction's gas is recorded.
 *
 * The proofs of training here carry a real contributors root (training shares from the datasets' token counts) and
 * synthetic chain hashes: the trainer that produces real ones is the trainer issue's work.
 */
export async function runRegistriesTour(
  connection: NetworkConnection,
  options: RegistriesTourOptions,
): Promise<RegistriesTourResult> {
  const { ethers, networkHelpers } = connection;
  const { log } = options;
  const gas = new GasLedger();
  const actors = assignActors(await ethers.getSigners());

  log("deploying the protocol with the Ignition module (token, arbiter, registries, wiring)");
  const protocol = await deployProtocol(connection);
  const { token, arbiter, datanetRegistry, nodeRegistry, adapterRegistry } = protocol;
  const supply = await token.totalSupply();

  log("funding every participant with 100,000 OPEN from the treasury");
  for (const role of ROLES.filter((r) => r !== "treasury")) {
    await gas.record(
      "OpenToken.transfer",
      token.connect(actors.treasury).transfer(actors[role].address, 100_000n * OPEN),
    );
  }
  const before = await balancesOf(protocol, actors);

  log("curators create two datanets: advertising copy for clothing, and for the home");
  await gas.record(
    "DatanetRegistry.createDatanet",
    datanetRegistry.connect(actors.curatorA).createDatanet("olp://datanets/ad-copy-clothing", 100n * OPEN, OPEN),
  );
  await gas.record(
    "DatanetRegistry.createDatanet",
    datanetRegistry.connect(actors.curatorB).createDatanet("olp://datanets/ad-copy-home", 100n * OPEN, OPEN),
  );

  const alice = parseDataset(options.aliceDataset);
  const bob = parseDataset(options.bobDataset);
  const copycatFile = makeCopycatDataset(options.aliceDataset, Math.min(3, alice.length), [
    JSON.stringify({
      instruction: "Write ad copy",
      input: "type: scarf | colour: red",
      output: "A red scarf for you.",
    }),
  ]);
  const mallory = parseDataset(copycatFile);

  const register = async (owner: Role, datanetId: bigint, samples: Sample[], label: string, usePermit = false) => {
    log(`${owner} registers ${label} (${samples.length} samples): commit, then reveal a block later with the stake`);
    const signer = actors[owner];
    const root = buildDatasetTree(samples.map((s) => s.sampleHash)).root as Hex;
    const salt = ethers.id(`${owner}:${label}`);
    const commitment = ethers.keccak256(
      ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "address", "bytes32"], [root, signer.address, salt]),
    );
    await gas.record("DatanetRegistry.commitDataset", datanetRegistry.connect(signer).commitDataset(commitment));
    const stake = await datanetRegistry.requiredStake(datanetId, BigInt(samples.length));
    const params = {
      datanetId,
      root,
      sampleCount: BigInt(samples.length),
      tokenCount: tokenCountOf(samples),
      uri: `olp://datasets/${owner}/${label}`,
      salt,
      stake,
    };
    if (usePermit) {
      const deadline = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0) + 3600n;
      const { v, r, s } = await signPermit(
        connection,
        token,
        signer,
        await datanetRegistry.getAddress(),
        stake,
        deadline,
      );
      await gas.record(
        "DatanetRegistry.revealDatasetWithPermit",
        datanetRegistry.connect(signer).revealDatasetWithPermit(params, deadline, v, r, s),
      );
    } else {
      await gas.record("OpenToken.approve", token.connect(signer).approve(await datanetRegistry.getAddress(), stake));
      await gas.record("DatanetRegistry.revealDataset", datanetRegistry.connect(signer).revealDataset(params));
    }
    return await datanetRegistry.datasetIdOfRoot(root);
  };

  const aliceId = await register("alice", 1n, alice, "clothing-ads");
  const bobId = await register("bob", 2n, bob, "home-ads");
  const malloryId = await register("mallory", 1n, mallory, "clothing-ads-copy", true);

  const stolen = mallory[0];
  if (stolen === undefined) throw new Error("the copycat dataset is empty");
  log(
    `watcher proves that sample ${stolen.sampleHash.slice(0, 10)}… of mallory's dataset is alice's, registered earlier`,
  );
  const receipt = await gas.record(
    "DatanetRegistry.proveDuplicate",
    datanetRegistry
      .connect(actors.watcher)
      .proveDuplicate(
        stolen.sampleHash,
        aliceId,
        getSampleProof(buildDatasetTree(alice.map((s) => s.sampleHash)), stolen.sampleHash),
        malloryId,
        getSampleProof(buildDatasetTree(mallory.map((s) => s.sampleHash)), stolen.sampleHash),
      ),
  );
  const proven = receipt.logs
    .map((l) => datanetRegistry.interface.parseLog(l))
    .find((e) => e?.name === "DuplicateProven");
  if (!proven) throw new Error("proveDuplicate emitted no DuplicateProven event");

  log("the node stakes 1,000 OPEN, names its operator key, peer id and endpoint");
  await gas.record(
    "OpenToken.approve",
    token.connect(actors.node).approve(await nodeRegistry.getAddress(), 1_000n * OPEN),
  );
  await gas.record(
    "NodeRegistry.register",
    nodeRegistry
      .connect(actors.node)
      .register(actors.operator.address, 1_000n * OPEN, "12D3KooWDevnetNode", "http://127.0.0.1:8545/node"),
  );

  log("three verifiers stake in the Arbiter (their stake before a challenge opens is their vote)");
  for (const [i, role] of (["verifier1", "verifier2", "verifier3"] as const).entries()) {
    const amount = BigInt(1_000 * (i + 1)) * OPEN;
    await gas.record("OpenToken.approve", token.connect(actors[role]).approve(await arbiter.getAddress(), amount));
    await gas.record("Arbiter.stake", arbiter.connect(actors[role]).stake(amount));
  }

  log("the adapter owner creates an adapter and commits to train on alice's and bob's datasets");
  await gas.record(
    "AdapterRegistry.createAdapter",
    adapterRegistry.connect(actors.adapterOwner).createAdapter("ad-copy"),
  );
  const eligibleCopy = await datanetRegistry.isEligible(malloryId);
  log(`  mallory's dataset is ${eligibleCopy ? "still" : "no longer"} eligible after the duplicate proof`);
  const shares = sharesPpm(
    new Map([
      [aliceId, tokenCountOf(alice)],
      [bobId, tokenCountOf(bob)],
    ]),
  );
  const submit = async (label: string): Promise<bigint> => {
    const configHash = ethers.id(`devnet config ${label}`);
    await gas.record(
      "AdapterRegistry.commitTraining",
      adapterRegistry
        .connect(actors.adapterOwner)
        .commitTraining(1n, ethers.id("devnet base model"), configHash, [aliceId, bobId]),
    );
    const commitmentId = await adapterRegistry.commitmentCount();
    await gas.record(
      "AdapterRegistry.sealCommitment",
      adapterRegistry.connect(actors.watcher).sealCommitment(commitmentId),
    );
    const bond = await adapterRegistry.minBond();
    await gas.record(
      "OpenToken.approve",
      token.connect(actors.adapterOwner).approve(await adapterRegistry.getAddress(), bond),
    );
    await gas.record(
      "AdapterRegistry.submitVersion",
      adapterRegistry.connect(actors.adapterOwner).submitVersion(
        commitmentId,
        {
          contributorsRoot: contributorsRoot(shares),
          weightsHash: ethers.id(`synthetic weights ${label}`),
          checkpointRoot: ethers.id(`synthetic checkpoint root ${label}`),
          finalHead: ethers.id(`synthetic head ${label}`),
          initialWeightsHash: ethers.id(`synthetic initial weights ${label}`),
          initialStateHash: ethers.id(`synthetic initial state ${label}`),
          checkpointCount: 4n,
          evalScore: 3_150n,
        },
        bond,
      ),
    );
    return await adapterRegistry.versionCount();
  };

  const challenge = async (versionId: bigint, ground: number, votes: readonly boolean[]): Promise<string> => {
    const { minBond } = await arbiter.getParams();
    // A training segment names one (here 2); a contributors-root challenge names none (0).
    const segment = ground === CHALLENGE_GROUND.ContributorsRoot ? 0n : 2n;
    const evidence = ethers.AbiCoder.defaultAbiCoder().encode(["uint8", "uint256"], [ground, segment]);
    await gas.record(
      "OpenToken.approve",
      token.connect(actors.challenger).approve(await arbiter.getAddress(), minBond),
    );
    await gas.record(
      "Arbiter.openChallenge",
      arbiter
        .connect(actors.challenger)
        .openChallenge(await adapterRegistry.getAddress(), versionId, evidence, minBond),
    );
    const challengeId = await arbiter.challengeCount();
    const voters = (["verifier1", "verifier2", "verifier3"] as const).slice(0, votes.length);
    const salts = voters.map((v) => ethers.id(`${v}:${challengeId}`));
    for (const [i, voter] of voters.entries()) {
      const commitment = ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["uint256", "address", "bool", "bytes32"],
          [challengeId, actors[voter].address, votes[i], salts[i]],
        ),
      );
      await gas.record("Arbiter.commitVote", arbiter.connect(actors[voter]).commitVote(challengeId, commitment));
    }
    const c = await arbiter.getChallenge(challengeId);
    await networkHelpers.time.increaseTo(c.commitDeadline + 1n);
    for (const [i, voter] of voters.entries()) {
      await gas.record(
        "Arbiter.revealVote",
        arbiter.connect(actors[voter]).revealVote(challengeId, votes[i] ?? false, salts[i] ?? "0x"),
      );
    }
    await networkHelpers.time.increaseTo(c.revealDeadline + 1n);
    await gas.record("Arbiter.resolve", arbiter.connect(actors.watcher).resolve(challengeId));
    const ruling = RULING[Number((await arbiter.getChallenge(challengeId)).ruling)] ?? "unknown";
    for (const voter of voters) {
      const vote = await arbiter.getVote(challengeId, actors[voter].address);
      if ((vote.upheld && ruling === "Upheld") || (!vote.upheld && ruling === "Dismissed")) {
        await gas.record(
          "Arbiter.claimVoterReward",
          arbiter.connect(actors[voter]).claimVoterReward(challengeId, actors[voter].address),
        );
      }
    }
    for (const role of ["challenger", "adapterOwner", "verifier1", "verifier2", "verifier3"] as const) {
      if ((await arbiter.credits(actors[role].address)) > 0n) {
        await gas.record("Arbiter.withdrawCredits", arbiter.connect(actors[role]).withdrawCredits());
      }
    }
    return ruling;
  };

  log("version 1 is submitted with its proof of training and a bond; its challenge window opens");
  const v1 = await submit("v1");
  log("a challenger disputes training segment 2 of version 1; verifiers find the segment re-runs and dismiss it");
  const ruling1 = await challenge(v1, CHALLENGE_GROUND.TrainingSegment, [false, false, true]);
  log(`  ruling: ${ruling1}`);
  const version1 = await adapterRegistry.getVersion(v1);
  await networkHelpers.time.increaseTo(version1.challengeEnd + 1n);
  log("the challenge window of version 1 has passed: anyone activates it; the node prices it at 0.01 OPEN");
  await gas.record("AdapterRegistry.activate", adapterRegistry.connect(actors.watcher).activate(v1));
  await gas.record("NodeRegistry.setPrice", nodeRegistry.connect(actors.operator).setPrice(v1, OPEN / 100n));

  log("version 2 claims a contributors root the verifiers reject: the challenge is upheld and its bond slashed");
  const v2 = await submit("v2");
  const ruling2 = await challenge(v2, CHALLENGE_GROUND.ContributorsRoot, [true, true, true]);
  log(`  ruling: ${ruling2}`);

  const after = await balancesOf(protocol, actors);
  const balanceChanges = new Map(ROLES.map((r) => [r, (after.get(r) ?? 0n) - (before.get(r) ?? 0n)] as const));
  const datasets: TourDataset[] = [];
  for (const [id, owner] of [
    [aliceId, "alice"],
    [bobId, "bob"],
    [malloryId, "mallory"],
  ] as const) {
    const d = await datanetRegistry.getDataset(id);
    datasets.push({
      id,
      owner,
      samples: Number(d.sampleCount),
      stake: d.stake,
      eligible: await datanetRegistry.isEligible(id),
      duplicatesProven: Number(d.duplicateCount),
    });
  }
  const versions = [];
  for (const [id, ruling] of [
    [v1, ruling1],
    [v2, ruling2],
  ] as const) {
    versions.push({ id, status: STATUS[Number(await adapterRegistry.statusOf(id))] ?? "unknown", challenge: ruling });
  }
  return {
    protocol,
    actors,
    datasets,
    duplicate: {
      sampleHash: stolen.sampleHash,
      slashed: proven.args.slashed as bigint,
      reward: proven.args.reward as bigint,
    },
    versions,
    balanceChanges,
    held: await heldByContracts(protocol),
    burned: supply - (await token.totalSupply()),
    gas,
  };
}

/** Token count of a dataset for its training share: the built-in byte-level tokenizer's count, UTF-8 bytes. */
function tokenCountOf(samples: readonly Sample[]): bigint {
  const encoder = new TextEncoder();
  return samples.reduce((sum, s) => sum + BigInt(encoder.encode(s.canonicalText).length), 0n);
}

async function balancesOf(protocol: Protocol, actors: Actors): Promise<Map<Role, bigint>> {
  const balances = new Map<Role, bigint>();
  for (const role of ROLES) balances.set(role, await protocol.token.balanceOf(actors[role].address));
  return balances;
}

async function heldByContracts(protocol: Protocol): Promise<Map<string, bigint>> {
  const held = new Map<string, bigint>();
  for (const name of [
    "arbiter",
    "datanetRegistry",
    "nodeRegistry",
    "adapterRegistry",
    "paymentEscrow",
    "settlement",
  ] as const) {
    held.set(name, await protocol.token.balanceOf(await protocol[name].getAddress()));
  }
  return held;
}
