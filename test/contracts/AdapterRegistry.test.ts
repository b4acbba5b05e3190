import { expect } from "chai";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, mine, time } = networkHelpers;

/** IChallengeable's `Ruling`. */
const Ruling = { None: 0, Upheld: 1, Dismissed: 2, NoQuorum: 3 } as const;
/** IAdapterRegistry's `CommitmentStatus`. */
const CommitmentStatus = { None: 0, Committed: 1, Sealed: 2, Lapsed: 3, Used: 4, Abandoned: 5 } as const;
/** IAdapterRegistry's `VersionStatus`. */
const VersionStatus = { None: 0, Pending: 1, Active: 2, Rejected: 3 } as const;
/** IAdapterRegistry's `ChallengeGround`. */
const Ground = { None: 0, TrainingSegment: 1, ContributorsRoot: 2, CheckpointUnavailable: 3 } as const;

const SUPPLY = ethers.parseEther("1000000000");
const CHALLENGE_WINDOW = 3n * 24n * 3600n;
const MAX_CHALLENGE_WINDOW = 30n * 24n * 3600n;
const MIN_BOND = ethers.parseEther("100");
const BASE_MODEL_HASH = ethers.id("base model");
const CONFIG_HASH = ethers.id("config");
const DATASETS = [1n, 2n, 3n];
const CHECKPOINTS = 4n;
const coder = ethers.AbiCoder.defaultAbiCoder();

const PROOF = {
  contributorsRoot: ethers.id("contributors"),
  weightsHash: ethers.id("weights"),
  checkpointRoot: ethers.id("checkpoints"),
  finalHead: ethers.id("head"),
  initialWeightsHash: ethers.id("initial weights"),
  initialStateHash: ethers.id("initial state"),
  checkpointCount: CHECKPOINTS,
  evalScore: 4321n,
};
type Proof = typeof PROOF;
const HASH_FIELDS = [
  "contributorsRoot",
  "weightsHash",
  "checkpointRoot",
  "finalHead",
  "initialWeightsHash",
  "initialStateHash",
] as const;

/** The proof as the tuple an event or a getter returns it. */
function proofTuple(p: Proof): unknown[] {
  return [
    p.contributorsRoot,
    p.weightsHash,
    p.checkpointRoot,
    p.finalHead,
    p.initialWeightsHash,
    p.initialStateHash,
    p.checkpointCount,
    p.evalScore,
  ];
}

/** Challenge evidence: `abi.encode(uint8 ground, uint256 segment)`. */
function evidence(ground: number, segment: bigint): string {
  return coder.encode(["uint8", "uint256"], [ground, segment]);
}

/** DESIGN §7: `keccak256(abi.encode(configHash, keccak256(abi.encode(uint256[] datasetIds)), commitBlockhash))`. */
function seedOf(configHash: string, datasetIds: bigint[], commitBlockhash: string): string {
  const datasetsHash = ethers.keccak256(coder.encode(["uint256[]"], [datasetIds]));
  return ethers.keccak256(coder.encode(["bytes32", "bytes32", "bytes32"], [configHash, datasetsHash, commitBlockhash]));
}

async function blockhashOf(blockNumber: bigint): Promise<string> {
  const block = await ethers.provider.getBlock(blockNumber);
  if (!block?.hash) throw new Error(`no block ${blockNumber}`);
  return block.hash;
}

async function deploy() {
  const [owner, arbiter, alice, bob, other] = await ethers.getSigners();
  if (!owner || !arbiter || !alice || !bob || !other) throw new Error("signers");
  const token = await ethers.deployContract("OpenToken", [owner.address, SUPPLY]);
  const datasets = await ethers.deployContract("DatasetEligibilityMock");
  // Datasets 1, 2, 3 and 5 are eligible; 4 is registered but under-staked; 9 is unknown.
  for (const id of [1n, 2n, 3n, 5n]) await datasets.setEligible(id, true);
  const registry = await ethers.deployContract("AdapterRegistry", [
    await token.getAddress(),
    await datasets.getAddress(),
    arbiter.address,
    owner.address,
    CHALLENGE_WINDOW,
    MIN_BOND,
  ]);
  const registryAddress = await registry.getAddress();
  for (const who of [alice, bob, other]) {
    await token.transfer(who.address, ethers.parseEther("100000"));
    await token.connect(who).approve(registryAddress, ethers.MaxUint256);
  }
  return { token, datasets, registry, registryAddress, owner, arbiter, alice, bob, other };
}

/** Alice owns adapter 1. */
async function withAdapter() {
  const f = await deploy();
  await f.registry.connect(f.alice).createAdapter("alpaca-7b-legal");
  return f;
}

/** Adapter 1 has commitment 1 over datasets 1, 2, 3, committed in `commitBlock`. */
async function committed() {
  const f = await withAdapter();
  const tx = await f.registry.connect(f.alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  return { ...f, commitBlock: BigInt(receipt.blockNumber) };
}

/** Commitment 1 is sealed. */
async function sealedCommitment() {
  const f = await committed();
  await f.registry.connect(f.other).sealCommitment(1n);
  return f;
}

/** Version 1 is pending, with PROOF and the minimum bond. */
async function submitted() {
  const f = await sealedCommitment();
  await f.registry.connect(f.alice).submitVersion(1n, PROOF, MIN_BOND);
  const challengeEnd = (await f.registry.getVersion(1n)).challengeEnd;
  return { ...f, challengeEnd };
}

/** Version 1 has challenge 11 open against segment 2. */
async function challenged() {
  const f = await submitted();
  await f.registry.connect(f.arbiter).onChallengeOpened(1n, 11n, f.bob.address, evidence(Ground.TrainingSegment, 2n));
  return f;
}

/** Version 1 is active. */
async function active() {
  const f = await submitted();
  await time.increaseTo(f.challengeEnd);
  await f.registry.connect(f.other).activate(1n);
  return f;
}

describe("AdapterRegistry", () => {
  describe("constructor", () => {
    it("stores the token, datasets, arbiter, owner and parameters, announcing each parameter", async () => {
      const { token, datasets, registry, arbiter, owner } = await loadFixture(deploy);
      expect(await registry.token()).to.equal(await token.getAddress());
      expect(await registry.datasets()).to.equal(await datasets.getAddress());
      expect(await registry.arbiter()).to.equal(arbiter.address);
      expect(await registry.owner()).to.equal(owner.address);
      expect(await registry.challengeWindow()).to.equal(CHALLENGE_WINDOW);
      expect(await registry.minBond()).to.equal(MIN_BOND);
      const deployment = registry.deploymentTransaction();
      if (!deployment) throw new Error("no deployment transaction");
      await expect(deployment).to.emit(registry, "ChallengeWindowSet").withArgs(CHALLENGE_WINDOW);
      await expect(deployment).to.emit(registry, "MinBondSet").withArgs(MIN_BOND);
    });

    it("rejects a zero token, dataset registry or arbiter", async () => {
      const { token, datasets, registry, arbiter, owner } = await loadFixture(deploy);
      const factory = await ethers.getContractFactory("AdapterRegistry");
      const t = await token.getAddress();
      const d = await datasets.getAddress();
      const zero = ethers.ZeroAddress;
      for (const args of [
        [zero, d, arbiter.address],
        [t, zero, arbiter.address],
        [t, d, zero],
      ] as const) {
        await expect(
          factory.deploy(args[0], args[1], args[2], owner.address, CHALLENGE_WINDOW, MIN_BOND),
        ).to.be.revertedWithCustomError(registry, "AdapterRegistryZeroAddress");
      }
    });

    it("rejects a challenge window of 0 or above 30 days, and a zero minimum bond", async () => {
      const { token, datasets, registry, arbiter, owner } = await loadFixture(deploy);
      const factory = await ethers.getContractFactory("AdapterRegistry");
      const t = await token.getAddress();
      const d = await datasets.getAddress();
      await expect(factory.deploy(t, d, arbiter.address, owner.address, 0n, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidChallengeWindow")
        .withArgs(0n, MAX_CHALLENGE_WINDOW);
      await expect(factory.deploy(t, d, arbiter.address, owner.address, MAX_CHALLENGE_WINDOW + 1n, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidChallengeWindow")
        .withArgs(MAX_CHALLENGE_WINDOW + 1n, MAX_CHALLENGE_WINDOW);
      await expect(factory.deploy(t, d, arbiter.address, owner.address, CHALLENGE_WINDOW, 0n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidMinBond")
        .withArgs(0n);
    });
  });

  describe("createAdapter", () => {
    it("creates adapters with ids from 1, owned by the caller", async () => {
      const { registry, alice, bob } = await loadFixture(deploy);
      expect(await registry.connect(alice).createAdapter.staticCall("a")).to.equal(1n);
      await expect(registry.connect(alice).createAdapter("first"))
        .to.emit(registry, "AdapterCreated")
        .withArgs(1n, alice.address, "first");
      await expect(registry.connect(bob).createAdapter("second"))
        .to.emit(registry, "AdapterCreated")
        .withArgs(2n, bob.address, "second");
      expect(await registry.adapterCount()).to.equal(2n);
      const adapter = await registry.getAdapter(2n);
      expect(adapter.owner).to.equal(bob.address);
      expect(adapter.name).to.equal("second");
      expect(adapter.latestCommitmentId).to.equal(0n);
    });

    // THREATS.md 32: ids are counters owned by their creator; squatting one gains nothing.
    it("still serves an honest creator whose predicted id was taken first (ids are not squattable)", async () => {
      const { registry, alice, bob } = await loadFixture(deploy);
      const predicted = (await registry.adapterCount()) + 1n;
      await registry.connect(bob).createAdapter("front-runner");
      await expect(registry.connect(alice).createAdapter("honest"))
        .to.emit(registry, "AdapterCreated")
        .withArgs(predicted + 1n, alice.address, "honest");
      // The squatter's adapter is its own and gives it nothing over Alice's.
      await expect(registry.connect(bob).commitTraining(predicted + 1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNotAdapterOwner")
        .withArgs(predicted + 1n, bob.address);
    });

    it("rejects an empty or too long name", async () => {
      const { registry, alice } = await loadFixture(deploy);
      await expect(registry.connect(alice).createAdapter(""))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidName")
        .withArgs(0n, 64n);
      await expect(registry.connect(alice).createAdapter("n".repeat(65)))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidName")
        .withArgs(65n, 64n);
    });
  });

  describe("commitTraining", () => {
    it("records the commitment in its block, with ids from 1 across adapters", async () => {
      const { registry, alice, bob } = await loadFixture(withAdapter);
      await registry.connect(bob).createAdapter("bob's");
      expect(
        await registry.connect(alice).commitTraining.staticCall(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS),
      ).to.equal(1n);
      const tx = await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      const blockNumber = BigInt((await tx.wait())?.blockNumber ?? 0);
      await expect(tx)
        .to.emit(registry, "TrainingCommitted")
        .withArgs(1n, 1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS, blockNumber);
      await expect(registry.connect(bob).commitTraining(2n, BASE_MODEL_HASH, CONFIG_HASH, [5n]))
        .to.emit(registry, "TrainingCommitted")
        .withArgs(2n, 2n, BASE_MODEL_HASH, CONFIG_HASH, [5n], blockNumber + 1n);
      const commitment = await registry.getCommitment(1n);
      expect(commitment.adapterId).to.equal(1n);
      expect(commitment.baseModelHash).to.equal(BASE_MODEL_HASH);
      expect(commitment.configHash).to.equal(CONFIG_HASH);
      expect(commitment.commitBlock).to.equal(blockNumber);
      expect(commitment.abandoned).to.equal(false);
      expect(commitment.commitBlockhash).to.equal(ethers.ZeroHash);
      expect(commitment.versionId).to.equal(0n);
      expect(commitment.datasetIds).to.deep.equal(DATASETS);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Committed);
      expect((await registry.getAdapter(1n)).latestCommitmentId).to.equal(1n);
      expect(await registry.commitmentCount()).to.equal(2n);
    });

    it("reverts for an unknown adapter or a caller that does not own it", async () => {
      const { registry, alice, bob } = await loadFixture(withAdapter);
      await expect(registry.connect(alice).commitTraining(2n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownAdapter")
        .withArgs(2n);
      await expect(registry.connect(bob).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNotAdapterOwner")
        .withArgs(1n, bob.address);
    });

    it("reverts on a zero base model or config hash", async () => {
      const { registry, alice } = await loadFixture(withAdapter);
      await expect(
        registry.connect(alice).commitTraining(1n, ethers.ZeroHash, CONFIG_HASH, DATASETS),
      ).to.be.revertedWithCustomError(registry, "AdapterRegistryZeroHash");
      await expect(
        registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, ethers.ZeroHash, DATASETS),
      ).to.be.revertedWithCustomError(registry, "AdapterRegistryZeroHash");
    });

    it("reverts on no dataset or more than 256", async () => {
      const { registry, datasets, alice } = await loadFixture(withAdapter);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, []))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidDatasetCount")
        .withArgs(0n, 256n);
      const many = Array.from({ length: 257 }, (_, i) => BigInt(i + 100));
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, many))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidDatasetCount")
        .withArgs(257n, 256n);
      // 256 eligible datasets are fine.
      for (const id of many.slice(0, 256)) await datasets.setEligible(id, true);
      await expect(
        registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, many.slice(0, 256)),
      ).to.emit(registry, "TrainingCommitted");
    });

    it("reverts on unsorted or duplicate dataset ids", async () => {
      const { registry, alice } = await loadFixture(withAdapter);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, [1n, 3n, 2n]))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryDatasetsNotAscending")
        .withArgs(2n, 2n);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, [1n, 2n, 2n]))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryDatasetsNotAscending")
        .withArgs(2n, 2n);
    });

    it("reverts on an ineligible or unknown dataset", async () => {
      const { registry, alice } = await loadFixture(withAdapter);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, [1n, 4n]))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryIneligibleDataset")
        .withArgs(4n);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, [3n, 9n]))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryIneligibleDataset")
        .withArgs(9n);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, [0n]))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryIneligibleDataset")
        .withArgs(0n);
    });

    it("reverts while the previous commitment is open, committed or sealed", async () => {
      const { registry, alice } = await loadFixture(committed);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryCommitmentOpen")
        .withArgs(1n, 1n);
      await registry.sealCommitment(1n);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryCommitmentOpen")
        .withArgs(1n, 1n);
    });

    it("accepts a new commitment once the previous one lapsed, was abandoned or was used", async () => {
      const { registry, alice } = await loadFixture(committed);
      await mine(257);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Lapsed);
      await expect(registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS))
        .to.emit(registry, "TrainingCommitted")
        .withArgs(2n, 1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS, (await ethers.provider.getBlockNumber()) + 1);
      await registry.connect(alice).abandonCommitment(2n);
      await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      await registry.sealCommitment(3n);
      await registry.connect(alice).submitVersion(3n, PROOF, MIN_BOND);
      await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      expect((await registry.getAdapter(1n)).latestCommitmentId).to.equal(4n);
    });

    it("keeps a commitment valid when a dataset it names later becomes ineligible", async () => {
      const { registry, datasets, alice } = await loadFixture(committed);
      await datasets.setEligible(2n, false);
      await registry.sealCommitment(1n);
      await expect(registry.connect(alice).submitVersion(1n, PROOF, MIN_BOND)).to.emit(registry, "VersionSubmitted");
    });
  });

  describe("sealCommitment", () => {
    it("lets anyone store the commitment block's hash, fixing the seed of DESIGN §7", async () => {
      const { registry, other, commitBlock } = await loadFixture(committed);
      const hash = await blockhashOf(commitBlock);
      const seed = seedOf(CONFIG_HASH, DATASETS, hash);
      await expect(registry.connect(other).sealCommitment(1n))
        .to.emit(registry, "CommitmentSealed")
        .withArgs(1n, hash, seed);
      expect((await registry.getCommitment(1n)).commitBlockhash).to.equal(hash);
      expect(await registry.seedOf(1n)).to.equal(seed);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Sealed);
    });

    it("seals in the 256th block after the commitment, and not in the 257th (the commitment lapsed)", async () => {
      const { registry, commitBlock } = await loadFixture(committed);
      const snapshot = await networkHelpers.takeSnapshot();
      // The seal lands in commitBlock + 256.
      await mine(255);
      await expect(registry.sealCommitment(1n))
        .to.emit(registry, "CommitmentSealed")
        .withArgs(1n, await blockhashOf(commitBlock), seedOf(CONFIG_HASH, DATASETS, await blockhashOf(commitBlock)));
      await snapshot.restore();
      // The seal would land in commitBlock + 257. Views answer for the latest block (commitBlock + 256).
      await mine(256);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Committed);
      await expect(registry.sealCommitment(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistrySealTooLate")
        .withArgs(1n, commitBlock);
      await mine(1);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Lapsed);
    });

    it("reverts after mine(257) and refuses a version for the lapsed commitment", async () => {
      const { registry, alice, commitBlock } = await loadFixture(committed);
      await mine(257);
      await expect(registry.sealCommitment(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistrySealTooLate")
        .withArgs(1n, commitBlock);
      await expect(registry.connect(alice).submitVersion(1n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(1n, CommitmentStatus.Lapsed);
    });

    it("reverts for a commitment already sealed or abandoned, or unknown", async () => {
      const { registry, alice } = await loadFixture(sealedCommitment);
      await expect(registry.sealCommitment(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(1n, CommitmentStatus.Sealed);
      await registry.connect(alice).abandonCommitment(1n);
      await expect(registry.sealCommitment(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(1n, CommitmentStatus.Abandoned);
      await expect(registry.sealCommitment(2n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownCommitment")
        .withArgs(2n);
    });
  });

  describe("seedOf", () => {
    it("reverts for an unsealed or unknown commitment", async () => {
      const { registry } = await loadFixture(committed);
      await expect(registry.seedOf(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNotSealed")
        .withArgs(1n);
      await expect(registry.seedOf(0n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownCommitment")
        .withArgs(0n);
    });

    it("stays available once the commitment is used", async () => {
      const { registry, commitBlock } = await loadFixture(submitted);
      expect(await registry.seedOf(1n)).to.equal(seedOf(CONFIG_HASH, DATASETS, await blockhashOf(commitBlock)));
    });
  });

  describe("abandonCommitment", () => {
    it("lets the owner give up a committed or sealed commitment", async () => {
      const { registry, alice } = await loadFixture(committed);
      await expect(registry.connect(alice).abandonCommitment(1n))
        .to.emit(registry, "CommitmentAbandoned")
        .withArgs(1n, 1n);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Abandoned);
      expect((await registry.getCommitment(1n)).abandoned).to.equal(true);
      await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      await registry.sealCommitment(2n);
      await expect(registry.connect(alice).abandonCommitment(2n))
        .to.emit(registry, "CommitmentAbandoned")
        .withArgs(2n, 1n);
      await expect(registry.connect(alice).submitVersion(2n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(2n, CommitmentStatus.Abandoned);
    });

    it("reverts for anyone but the adapter owner", async () => {
      const { registry, bob } = await loadFixture(committed);
      await expect(registry.connect(bob).abandonCommitment(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNotAdapterOwner")
        .withArgs(1n, bob.address);
    });

    it("reverts for a used, lapsed, already abandoned or unknown commitment", async () => {
      const { registry, alice } = await loadFixture(submitted);
      await expect(registry.connect(alice).abandonCommitment(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(1n, CommitmentStatus.Used);
      await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      await mine(257);
      await expect(registry.connect(alice).abandonCommitment(2n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(2n, CommitmentStatus.Lapsed);
      await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      await registry.connect(alice).abandonCommitment(3n);
      await expect(registry.connect(alice).abandonCommitment(3n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(3n, CommitmentStatus.Abandoned);
      await expect(registry.connect(alice).abandonCommitment(4n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownCommitment")
        .withArgs(4n);
    });
  });

  describe("submitVersion", () => {
    it("pulls the bond and records a pending version that can be challenged for the window", async () => {
      const { token, registry, registryAddress, alice } = await loadFixture(sealedCommitment);
      expect(await registry.connect(alice).submitVersion.staticCall(1n, PROOF, MIN_BOND)).to.equal(1n);
      const bond = MIN_BOND + 1n;
      const tx = await registry.connect(alice).submitVersion(1n, PROOF, bond);
      const receipt = await tx.wait();
      if (!receipt) throw new Error("no receipt");
      const at = BigInt(await time.latest());
      await expect(tx)
        .to.emit(registry, "VersionSubmitted")
        .withArgs(1n, 1n, 1n, proofTuple(PROOF), bond, at + CHALLENGE_WINDOW);
      await expect(tx).to.changeTokenBalances(ethers, token, [alice, registryAddress], [-bond, bond]);
      const version = await registry.getVersion(1n);
      expect(version.adapterId).to.equal(1n);
      expect(version.commitmentId).to.equal(1n);
      expect(version.bond).to.equal(bond);
      expect(version.challengeEnd).to.equal(at + CHALLENGE_WINDOW);
      expect(version.submitBlock).to.equal(BigInt(receipt.blockNumber));
      expect(version.openChallenges).to.equal(0n);
      expect(version.status).to.equal(VersionStatus.Pending);
      expect([...version.proof]).to.deep.equal(proofTuple(PROOF));
      expect(await registry.statusOf(1n)).to.equal(VersionStatus.Pending);
      expect(await registry.isActive(1n)).to.equal(false);
      expect(await registry.ownerOfVersion(1n)).to.equal(alice.address);
      expect(await registry.contributorsRootOf(1n)).to.equal(PROOF.contributorsRoot);
      expect(await registry.datasetIdsOf(1n)).to.deep.equal(DATASETS);
      expect(await registry.versionCount()).to.equal(1n);
      expect(await registry.commitmentStatusOf(1n)).to.equal(CommitmentStatus.Used);
      expect((await registry.getCommitment(1n)).versionId).to.equal(1n);
    });

    it("refuses to reuse a commitment for a second version", async () => {
      const { registry, alice } = await loadFixture(submitted);
      await expect(registry.connect(alice).submitVersion(1n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(1n, CommitmentStatus.Used);
    });

    it("refuses an unsealed or unknown commitment", async () => {
      const { registry, alice } = await loadFixture(committed);
      await expect(registry.connect(alice).submitVersion(1n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidCommitmentStatus")
        .withArgs(1n, CommitmentStatus.Committed);
      await expect(registry.connect(alice).submitVersion(2n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownCommitment")
        .withArgs(2n);
    });

    it("refuses anyone but the adapter owner", async () => {
      const { registry, bob } = await loadFixture(sealedCommitment);
      await expect(registry.connect(bob).submitVersion(1n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNotAdapterOwner")
        .withArgs(1n, bob.address);
    });

    it("refuses a proof with any zero hash", async () => {
      const { registry, alice } = await loadFixture(sealedCommitment);
      for (const field of HASH_FIELDS) {
        await expect(
          registry.connect(alice).submitVersion(1n, { ...PROOF, [field]: ethers.ZeroHash }, MIN_BOND),
        ).to.be.revertedWithCustomError(registry, "AdapterRegistryZeroHash");
      }
    });

    it("refuses a proof without checkpoints or with an eval score above 10000 bps", async () => {
      const { registry, alice } = await loadFixture(sealedCommitment);
      await expect(
        registry.connect(alice).submitVersion(1n, { ...PROOF, checkpointCount: 0n }, MIN_BOND),
      ).to.be.revertedWithCustomError(registry, "AdapterRegistryNoCheckpoints");
      await expect(registry.connect(alice).submitVersion(1n, { ...PROOF, evalScore: 10_001n }, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidEvalScore")
        .withArgs(10_001n);
      await expect(registry.connect(alice).submitVersion(1n, { ...PROOF, evalScore: 10_000n }, MIN_BOND)).to.emit(
        registry,
        "VersionSubmitted",
      );
    });

    it("refuses a bond below the minimum", async () => {
      const { registry, alice } = await loadFixture(sealedCommitment);
      await expect(registry.connect(alice).submitVersion(1n, PROOF, MIN_BOND - 1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryBondTooLow")
        .withArgs(MIN_BOND - 1n, MIN_BOND);
    });
  });

  describe("activate", () => {
    it("lets anyone activate a pending version from the end of its window on", async () => {
      const { registry, other, challengeEnd } = await loadFixture(submitted);
      await time.increaseTo(challengeEnd - 2n);
      // The next block is at challengeEnd - 1.
      await expect(registry.connect(other).activate(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryChallengeWindowOpen")
        .withArgs(1n, challengeEnd);
      await time.setNextBlockTimestamp(challengeEnd);
      await expect(registry.connect(other).activate(1n)).to.emit(registry, "VersionActivated").withArgs(1n, 1n);
      expect(await registry.statusOf(1n)).to.equal(VersionStatus.Active);
      expect(await registry.isActive(1n)).to.equal(true);
    });

    it("reverts for an active, rejected or unknown version", async () => {
      const { registry } = await loadFixture(active);
      await expect(registry.activate(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidVersionStatus")
        .withArgs(1n, VersionStatus.Active);
      await expect(registry.activate(2n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownVersion")
        .withArgs(2n);
    });

    it("is blocked while a challenge is open, and possible after a dismissal", async () => {
      const { registry, arbiter, challengeEnd } = await loadFixture(challenged);
      await time.increaseTo(challengeEnd + 100n);
      await expect(registry.activate(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryVersionChallenged")
        .withArgs(1n, 1n);
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Dismissed);
      await expect(registry.activate(1n)).to.emit(registry, "VersionActivated").withArgs(1n, 1n);
    });

    it("never activates a rejected version", async () => {
      const { registry, arbiter, challengeEnd } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Upheld);
      await time.increaseTo(challengeEnd);
      await expect(registry.activate(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidVersionStatus")
        .withArgs(1n, VersionStatus.Rejected);
    });
  });

  describe("withdrawBond", () => {
    it("sends the bond of an active version to its owner, once", async () => {
      const { token, registry, registryAddress, alice } = await loadFixture(active);
      const tx = registry.connect(alice).withdrawBond(1n);
      await expect(tx).to.emit(registry, "BondWithdrawn").withArgs(1n, alice.address, MIN_BOND);
      await expect(tx).to.changeTokenBalances(ethers, token, [alice, registryAddress], [MIN_BOND, -MIN_BOND]);
      expect((await registry.getVersion(1n)).bond).to.equal(0n);
      expect([...(await registry.getVersion(1n)).proof]).to.deep.equal(proofTuple(PROOF));
      await expect(registry.connect(alice).withdrawBond(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNoBond")
        .withArgs(1n);
    });

    // THREATS.md 28: the bond cannot leave while the version is challengeable.
    it("cannot dodge a pending challenge: a pending version's bond stays in", async () => {
      const { registry, alice } = await loadFixture(challenged);
      await expect(registry.connect(alice).withdrawBond(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidVersionStatus")
        .withArgs(1n, VersionStatus.Pending);
    });

    it("has nothing to pay for a rejected version", async () => {
      const { registry, arbiter, alice } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Upheld);
      await expect(registry.connect(alice).withdrawBond(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidVersionStatus")
        .withArgs(1n, VersionStatus.Rejected);
    });

    it("reverts for anyone but the owner, and for an unknown version", async () => {
      const { registry, bob } = await loadFixture(active);
      await expect(registry.connect(bob).withdrawBond(1n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryNotAdapterOwner")
        .withArgs(1n, bob.address);
      await expect(registry.connect(bob).withdrawBond(7n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownVersion")
        .withArgs(7n);
    });
  });

  describe("onChallengeOpened", () => {
    it("locks a pending version and names the adapter owner as defendant", async () => {
      const { registry, arbiter, alice, bob } = await loadFixture(submitted);
      const claim = evidence(Ground.CheckpointUnavailable, CHECKPOINTS);
      expect(await registry.connect(arbiter).onChallengeOpened.staticCall(1n, 5n, bob.address, claim)).to.equal(
        alice.address,
      );
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, claim))
        .to.emit(registry, "ChallengeOpened")
        .withArgs(1n, 5n, bob.address, Ground.CheckpointUnavailable, CHECKPOINTS);
      await expect(
        registry.connect(arbiter).onChallengeOpened(1n, 6n, bob.address, evidence(Ground.ContributorsRoot, 0n)),
      )
        .to.emit(registry, "ChallengeOpened")
        .withArgs(1n, 6n, bob.address, Ground.ContributorsRoot, 0n);
      await expect(
        registry.connect(arbiter).onChallengeOpened(1n, 7n, bob.address, evidence(Ground.TrainingSegment, 1n)),
      )
        .to.emit(registry, "ChallengeOpened")
        .withArgs(1n, 7n, bob.address, Ground.TrainingSegment, 1n);
      expect((await registry.getVersion(1n)).openChallenges).to.equal(3n);
    });

    it("reverts for any caller but the arbiter", async () => {
      const { registry, alice, bob } = await loadFixture(submitted);
      for (const caller of [alice, bob]) {
        await expect(
          registry.connect(caller).onChallengeOpened(1n, 5n, bob.address, evidence(Ground.TrainingSegment, 1n)),
        )
          .to.be.revertedWithCustomError(registry, "AdapterRegistryNotArbiter")
          .withArgs(caller.address);
      }
    });

    it("refuses to challenge an active version", async () => {
      const { registry, arbiter, bob } = await loadFixture(active);
      await expect(
        registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(Ground.TrainingSegment, 1n)),
      )
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidVersionStatus")
        .withArgs(1n, VersionStatus.Active);
    });

    it("refuses a challenge at or after the end of the window, even before activation", async () => {
      const { registry, arbiter, bob, challengeEnd } = await loadFixture(submitted);
      await time.setNextBlockTimestamp(challengeEnd);
      await expect(
        registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(Ground.TrainingSegment, 1n)),
      )
        .to.be.revertedWithCustomError(registry, "AdapterRegistryChallengeWindowClosed")
        .withArgs(1n, challengeEnd);
    });

    it("accepts a challenge in the last second of the window", async () => {
      const { registry, arbiter, bob, challengeEnd } = await loadFixture(submitted);
      await time.setNextBlockTimestamp(challengeEnd - 1n);
      await expect(
        registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(Ground.TrainingSegment, 1n)),
      ).to.emit(registry, "ChallengeOpened");
    });

    it("refuses a rejected or unknown version", async () => {
      const { registry, arbiter, bob } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Upheld);
      await expect(
        registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(Ground.TrainingSegment, 1n)),
      )
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidVersionStatus")
        .withArgs(1n, VersionStatus.Rejected);
      await expect(
        registry.connect(arbiter).onChallengeOpened(2n, 5n, bob.address, evidence(Ground.TrainingSegment, 1n)),
      )
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownVersion")
        .withArgs(2n);
    });

    it("refuses evidence that is not exactly two words", async () => {
      const { registry, arbiter, bob } = await loadFixture(submitted);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, "0x"))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryMalformedEvidence")
        .withArgs(0n);
      const long = coder.encode(["uint8", "uint256", "uint256"], [1, 1n, 1n]);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, long))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryMalformedEvidence")
        .withArgs(96n);
    });

    it("refuses the None ground and grounds beyond the enum", async () => {
      const { registry, arbiter, bob } = await loadFixture(submitted);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(Ground.None, 1n)))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidGround")
        .withArgs(0n);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(4, 1n)))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidGround")
        .withArgs(4n);
      const wide = coder.encode(["uint256", "uint256"], [2n ** 8n + 1n, 1n]);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, wide))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidGround")
        .withArgs(2n ** 8n + 1n);
    });

    it("refuses a segment outside 1..n, or a non-zero one for the contributors root", async () => {
      const { registry, arbiter, bob } = await loadFixture(submitted);
      const cases = [
        [Ground.TrainingSegment, 0n],
        [Ground.TrainingSegment, CHECKPOINTS + 1n],
        [Ground.CheckpointUnavailable, 0n],
        [Ground.CheckpointUnavailable, CHECKPOINTS + 1n],
        [Ground.ContributorsRoot, 1n],
      ] as const;
      for (const [ground, segment] of cases) {
        await expect(registry.connect(arbiter).onChallengeOpened(1n, 5n, bob.address, evidence(ground, segment)))
          .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidSegment")
          .withArgs(ground, segment, CHECKPOINTS);
      }
    });

    it("refuses a challenge id already used, even after its ruling", async () => {
      const { registry, arbiter, bob } = await loadFixture(challenged);
      const claim = evidence(Ground.TrainingSegment, 1n);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 11n, bob.address, claim))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryChallengeExists")
        .withArgs(11n);
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Dismissed);
      await expect(registry.connect(arbiter).onChallengeOpened(1n, 11n, bob.address, claim))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryChallengeExists")
        .withArgs(11n);
    });
  });

  describe("onChallengeResolved", () => {
    it("on Upheld rejects the version and sends the whole bond to the arbiter", async () => {
      const { token, registry, registryAddress, arbiter } = await loadFixture(challenged);
      expect(await registry.connect(arbiter).onChallengeResolved.staticCall(1n, 11n, Ruling.Upheld)).to.equal(MIN_BOND);
      const tx = registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Upheld);
      await expect(tx).to.emit(registry, "VersionRejected").withArgs(1n, 11n, MIN_BOND);
      await expect(tx).to.emit(registry, "ChallengeResolved").withArgs(1n, 11n, Ruling.Upheld, MIN_BOND);
      await expect(tx).to.changeTokenBalances(ethers, token, [arbiter, registryAddress], [MIN_BOND, -MIN_BOND]);
      const version = await registry.getVersion(1n);
      expect(version.status).to.equal(VersionStatus.Rejected);
      expect(version.bond).to.equal(0n);
      expect(version.openChallenges).to.equal(0n);
      expect(await registry.isActive(1n)).to.equal(false);
    });

    it("slashes 0 on a later Upheld ruling for an already rejected version", async () => {
      const { token, registry, registryAddress, arbiter, bob } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeOpened(1n, 12n, bob.address, evidence(Ground.ContributorsRoot, 0n));
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Upheld);
      const tx = registry.connect(arbiter).onChallengeResolved(1n, 12n, Ruling.Upheld);
      await expect(tx).to.emit(registry, "ChallengeResolved").withArgs(1n, 12n, Ruling.Upheld, 0n);
      await expect(tx).not.to.emit(registry, "VersionRejected");
      await expect(tx).to.changeTokenBalances(ethers, token, [arbiter, registryAddress], [0n, 0n]);
      expect(await registry.statusOf(1n)).to.equal(VersionStatus.Rejected);
    });

    it("on Dismissed or NoQuorum slashes nothing, releases the lock and leaves the version pending", async () => {
      const { token, registry, registryAddress, arbiter, bob } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeOpened(1n, 12n, bob.address, evidence(Ground.ContributorsRoot, 0n));
      for (const [id, ruling] of [
        [11n, Ruling.Dismissed],
        [12n, Ruling.NoQuorum],
      ] as const) {
        const tx = registry.connect(arbiter).onChallengeResolved(1n, id, ruling);
        await expect(tx).to.emit(registry, "ChallengeResolved").withArgs(1n, id, ruling, 0n);
        await expect(tx).to.changeTokenBalances(ethers, token, [arbiter, registryAddress], [0n, 0n]);
      }
      const version = await registry.getVersion(1n);
      expect(version.status).to.equal(VersionStatus.Pending);
      expect(version.openChallenges).to.equal(0n);
      expect(version.bond).to.equal(MIN_BOND);
    });

    it("reverts for any caller but the arbiter", async () => {
      const { registry, alice, bob } = await loadFixture(challenged);
      for (const caller of [alice, bob]) {
        await expect(registry.connect(caller).onChallengeResolved(1n, 11n, Ruling.Dismissed))
          .to.be.revertedWithCustomError(registry, "AdapterRegistryNotArbiter")
          .withArgs(caller.address);
      }
    });

    it("reverts for an unknown challenge, the wrong version, or a second ruling", async () => {
      const { registry, arbiter } = await loadFixture(challenged);
      await expect(registry.connect(arbiter).onChallengeResolved(1n, 12n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownChallenge")
        .withArgs(1n, 12n);
      await expect(registry.connect(arbiter).onChallengeResolved(2n, 11n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownChallenge")
        .withArgs(2n, 11n);
      await registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Dismissed);
      await expect(registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownChallenge")
        .withArgs(1n, 11n);
    });

    it("reverts on a ruling that is not final", async () => {
      const { registry, arbiter } = await loadFixture(challenged);
      await expect(registry.connect(arbiter).onChallengeResolved(1n, 11n, Ruling.None))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidRuling")
        .withArgs(Ruling.None);
    });
  });

  describe("governance", () => {
    // THREATS.md 46: a version's window is fixed at its submission.
    it("lets the owner set the challenge window, which applies to versions submitted after", async () => {
      const { registry, owner, alice, challengeEnd } = await loadFixture(submitted);
      await expect(registry.connect(owner).setChallengeWindow(MAX_CHALLENGE_WINDOW))
        .to.emit(registry, "ChallengeWindowSet")
        .withArgs(MAX_CHALLENGE_WINDOW);
      expect(await registry.challengeWindow()).to.equal(MAX_CHALLENGE_WINDOW);
      expect((await registry.getVersion(1n)).challengeEnd).to.equal(challengeEnd);
      await registry.connect(alice).commitTraining(1n, BASE_MODEL_HASH, CONFIG_HASH, DATASETS);
      await registry.sealCommitment(2n);
      await registry.connect(alice).submitVersion(2n, PROOF, MIN_BOND);
      expect((await registry.getVersion(2n)).challengeEnd).to.equal(BigInt(await time.latest()) + MAX_CHALLENGE_WINDOW);
      await expect(registry.connect(owner).setChallengeWindow(0n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidChallengeWindow")
        .withArgs(0n, MAX_CHALLENGE_WINDOW);
    });

    it("lets the owner set the minimum bond", async () => {
      const { registry, owner, alice } = await loadFixture(sealedCommitment);
      await expect(registry.connect(owner).setMinBond(2n * MIN_BOND))
        .to.emit(registry, "MinBondSet")
        .withArgs(2n * MIN_BOND);
      expect(await registry.minBond()).to.equal(2n * MIN_BOND);
      await expect(registry.connect(alice).submitVersion(1n, PROOF, MIN_BOND))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryBondTooLow")
        .withArgs(MIN_BOND, 2n * MIN_BOND);
      await expect(registry.connect(owner).setMinBond(0n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryInvalidMinBond")
        .withArgs(0n);
    });

    it("refuses every setter to anyone but the owner", async () => {
      const { registry, other } = await loadFixture(deploy);
      for (const call of [registry.connect(other).setChallengeWindow(1n), registry.connect(other).setMinBond(1n)]) {
        await expect(call)
          .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
          .withArgs(other.address);
      }
    });
  });

  describe("views", () => {
    it("revert for unknown ids where a record is asked for, and answer None where a status is", async () => {
      const { registry } = await loadFixture(submitted);
      await expect(registry.getAdapter(2n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownAdapter")
        .withArgs(2n);
      await expect(registry.getCommitment(2n))
        .to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownCommitment")
        .withArgs(2n);
      for (const view of [
        registry.getVersion(2n),
        registry.ownerOfVersion(2n),
        registry.contributorsRootOf(2n),
        registry.datasetIdsOf(2n),
      ]) {
        await expect(view).to.be.revertedWithCustomError(registry, "AdapterRegistryUnknownVersion").withArgs(2n);
      }
      expect(await registry.commitmentStatusOf(2n)).to.equal(CommitmentStatus.None);
      expect(await registry.statusOf(2n)).to.equal(VersionStatus.None);
      expect(await registry.isActive(2n)).to.equal(false);
      expect(await registry.statusOf(0n)).to.equal(VersionStatus.None);
    });
  });
});
