import { readFileSync } from "node:fs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { network } from "hardhat";
import type { DatanetRegistry, OpenToken } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, mine, time } = networkHelpers;

const OPEN = 10n ** 18n;
const SUPPLY = 1_000_000_000n * OPEN;
const REVEAL_WINDOW = 10n;
const UNBONDING = 7n * 24n * 3600n;
const SLASH_BPS = 5_000n;
const PROVER_BPS = 8_000n;
const MIN_STAKE = 100n * OPEN;
const PER_SAMPLE = OPEN;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;
const coder = ethers.AbiCoder.defaultAbiCoder();

/** test/vectors/dataset-roots.json: the TypeScript protocol's roots and proofs, checked here on-chain (THREATS #39). */
interface RootVector {
  name: string;
  outputs: { sampleHashes: string[]; root: string; proofs: { sampleHash: string; proof: string[] }[] };
}
const rootVectors = JSON.parse(
  readFileSync(new URL("../vectors/dataset-roots.json", import.meta.url), "utf8"),
) as RootVector[];
function vector(index: number): RootVector["outputs"] {
  const v = rootVectors[index];
  if (v === undefined) throw new Error(`no dataset-roots vector ${index}`);
  return v.outputs;
}
/** The original (4 samples), a re-cased copy of it plus 2 (6), one of its samples alone (1), and 3 sharing one. */
const ORIGINAL = vector(0);
const COPY = vector(1);
const SINGLE = vector(2);
const THREE = vector(3);

function proofOf(dataset: RootVector["outputs"], sampleHash: string): string[] {
  const entry = dataset.proofs.find((p) => p.sampleHash === sampleHash);
  if (entry === undefined) throw new Error(`sample ${sampleHash} not in dataset`);
  return entry.proof;
}

const commitmentOf = (root: string, owner: string, salt: string) =>
  ethers.keccak256(coder.encode(["bytes32", "address", "bytes32"], [root, owner, salt]));
const salt = (n: number) => ethers.zeroPadValue(ethers.toBeHex(n), 32);
const hashOf = (text: string) => ethers.id(text);

/** A standard tree over sample hashes, built the way DESIGN §4 says. */
function treeOf(hashes: string[]) {
  return StandardMerkleTree.of(
    hashes.map((h) => [h]),
    ["bytes32"],
  );
}

async function deployRegistry() {
  const [governance, curator, alice, bob, mallory, prover] = await ethers.getSigners();
  if (!governance || !curator || !alice || !bob || !mallory || !prover) throw new Error("not enough signers");
  const token = (await ethers.deployContract("OpenToken", [governance.address, SUPPLY])) as unknown as OpenToken;
  const registry = (await ethers.deployContract("DatanetRegistry", [
    await token.getAddress(),
    governance.address,
    REVEAL_WINDOW,
    UNBONDING,
    SLASH_BPS,
    PROVER_BPS,
  ])) as unknown as DatanetRegistry;
  const registryAddress = await registry.getAddress();
  for (const holder of [alice, bob, mallory]) {
    await token.connect(governance).transfer(holder.address, 1_000_000n * OPEN);
    await token.connect(holder).approve(registryAddress, ethers.MaxUint256);
  }
  await registry.connect(curator).createDatanet("ipfs://datanet-1", MIN_STAKE, PER_SAMPLE);
  return { token, registry, registryAddress, governance, curator, alice, bob, mallory, prover };
}

type Fixture = Awaited<ReturnType<typeof deployRegistry>>;

interface RegisterOptions {
  datanetId?: bigint;
  sampleCount?: bigint;
  tokenCount?: bigint;
  stake?: bigint;
  salt?: string;
  uri?: string;
}

function revealParams(root: string, options: RegisterOptions = {}) {
  const sampleCount = options.sampleCount ?? 4n;
  return {
    datanetId: options.datanetId ?? 1n,
    root,
    sampleCount,
    tokenCount: options.tokenCount ?? 1_000n,
    uri: options.uri ?? "ipfs://dataset",
    salt: options.salt ?? salt(1),
    stake: options.stake ?? MIN_STAKE + PER_SAMPLE * sampleCount,
  };
}

/** Commits and, one block later, reveals `root` for `owner`; returns the new dataset id. */
async function register(f: Fixture, owner: HardhatEthersSigner, root: string, options: RegisterOptions = {}) {
  const params = revealParams(root, options);
  await f.registry.connect(owner).commitDataset(commitmentOf(root, owner.address, params.salt));
  await f.registry.connect(owner).revealDataset(params);
  return f.registry.datasetCount();
}

async function registryWithVectorDatasets() {
  const f = await deployRegistry();
  const original = await register(f, f.alice, ORIGINAL.root, { sampleCount: 4n });
  const copy = await register(f, f.mallory, COPY.root, { sampleCount: 6n, salt: salt(2) });
  const three = await register(f, f.bob, THREE.root, { sampleCount: 3n, salt: salt(3) });
  return { ...f, original, copy, three };
}

describe("DatanetRegistry", () => {
  describe("deployment", () => {
    it("stores its parameters and emits them for indexers", async () => {
      const { registry, token } = await loadFixture(deployRegistry);
      expect(await registry.token()).to.equal(await token.getAddress());
      expect(await registry.revealWindowBlocks()).to.equal(REVEAL_WINDOW);
      expect(await registry.unbondingPeriod()).to.equal(UNBONDING);
      expect(await registry.duplicateSlashBps()).to.equal(SLASH_BPS);
      expect(await registry.proverShareBps()).to.equal(PROVER_BPS);
      const deployment = registry.deploymentTransaction();
      if (deployment === null) throw new Error("no deployment transaction");
      await expect(deployment).to.emit(registry, "RevealWindowUpdated").withArgs(0n, REVEAL_WINDOW);
      await expect(deployment).to.emit(registry, "UnbondingPeriodUpdated").withArgs(0n, UNBONDING);
      await expect(deployment).to.emit(registry, "DuplicateSlashBpsUpdated").withArgs(0n, SLASH_BPS);
      await expect(deployment).to.emit(registry, "ProverShareBpsUpdated").withArgs(0n, PROVER_BPS);
    });

    it("reverts on a zero token, a zero owner and out-of-range parameters", async () => {
      const { registry, token, governance } = await loadFixture(deployRegistry);
      const factory = await ethers.getContractFactory("DatanetRegistry");
      const tokenAddress = await token.getAddress();
      const deploy = (args: [string, string, bigint, bigint, bigint, bigint]) => factory.deploy(...args);
      const ok: [string, string, bigint, bigint, bigint, bigint] = [
        tokenAddress,
        governance.address,
        REVEAL_WINDOW,
        UNBONDING,
        SLASH_BPS,
        PROVER_BPS,
      ];
      await expect(deploy([ethers.ZeroAddress, ...ok.slice(1)] as typeof ok)).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryZeroToken",
      );
      await expect(deploy([tokenAddress, ethers.ZeroAddress, ...ok.slice(2)] as typeof ok))
        .to.be.revertedWithCustomError(registry, "OwnableInvalidOwner")
        .withArgs(ethers.ZeroAddress);
      await expect(deploy([...ok.slice(0, 2), 0n, ...ok.slice(3)] as typeof ok))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidRevealWindow")
        .withArgs(0n, 1_000_000n);
      await expect(deploy([...ok.slice(0, 3), 365n * 86400n + 1n, ...ok.slice(4)] as typeof ok))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnbondingPeriodTooLong")
        .withArgs(365n * 86400n + 1n, 365n * 86400n);
      await expect(deploy([...ok.slice(0, 4), 10_001n, PROVER_BPS] as typeof ok))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidBps")
        .withArgs(10_001n);
      await expect(deploy([...ok.slice(0, 5), 10_001n] as typeof ok))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidBps")
        .withArgs(10_001n);
    });
  });

  describe("governance", () => {
    it("lets the owner set each parameter, emitting the old and new values", async () => {
      const { registry, governance } = await loadFixture(deployRegistry);
      const g = registry.connect(governance);
      await expect(g.setRevealWindowBlocks(1_000_000n))
        .to.emit(registry, "RevealWindowUpdated")
        .withArgs(REVEAL_WINDOW, 1_000_000n);
      await expect(g.setUnbondingPeriod(365n * 86400n))
        .to.emit(registry, "UnbondingPeriodUpdated")
        .withArgs(UNBONDING, 365n * 86400n);
      await expect(g.setUnbondingPeriod(0n))
        .to.emit(registry, "UnbondingPeriodUpdated")
        .withArgs(365n * 86400n, 0n);
      await expect(g.setDuplicateSlashBps(10_000n))
        .to.emit(registry, "DuplicateSlashBpsUpdated")
        .withArgs(SLASH_BPS, 10_000n);
      await expect(g.setProverShareBps(0n)).to.emit(registry, "ProverShareBpsUpdated").withArgs(PROVER_BPS, 0n);
      expect(await registry.revealWindowBlocks()).to.equal(1_000_000n);
      expect(await registry.unbondingPeriod()).to.equal(0n);
      expect(await registry.duplicateSlashBps()).to.equal(10_000n);
      expect(await registry.proverShareBps()).to.equal(0n);
    });

    it("rejects out-of-range parameters", async () => {
      const { registry, governance } = await loadFixture(deployRegistry);
      const g = registry.connect(governance);
      await expect(g.setRevealWindowBlocks(0n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidRevealWindow")
        .withArgs(0n, 1_000_000n);
      await expect(g.setRevealWindowBlocks(1_000_001n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidRevealWindow")
        .withArgs(1_000_001n, 1_000_000n);
      await expect(g.setUnbondingPeriod(UINT64_MAX))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnbondingPeriodTooLong")
        .withArgs(UINT64_MAX, 365n * 86400n);
      await expect(g.setDuplicateSlashBps(10_001n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidBps")
        .withArgs(10_001n);
      await expect(g.setProverShareBps(65_535n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidBps")
        .withArgs(65_535n);
    });

    it("reverts when anyone but the owner sets a parameter", async () => {
      const { registry, mallory } = await loadFixture(deployRegistry);
      const m = registry.connect(mallory);
      for (const call of [
        m.setRevealWindowBlocks(5n),
        m.setUnbondingPeriod(1n),
        m.setDuplicateSlashBps(1n),
        m.setProverShareBps(1n),
      ]) {
        await expect(call)
          .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
          .withArgs(mallory.address);
      }
    });

    it("hands governance over in two steps (Ownable2Step)", async () => {
      const { registry, governance, bob } = await loadFixture(deployRegistry);
      await registry.connect(governance).transferOwnership(bob.address);
      expect(await registry.owner()).to.equal(governance.address);
      await registry.connect(bob).acceptOwnership();
      expect(await registry.owner()).to.equal(bob.address);
    });
  });

  describe("datanets", () => {
    it("creates datanets with ids from 1, curated by the caller", async () => {
      const { registry, curator, bob } = await loadFixture(deployRegistry);
      expect(await registry.datanetCount()).to.equal(1n);
      await expect(registry.connect(bob).createDatanet("ipfs://two", 5n, 7n))
        .to.emit(registry, "DatanetCreated")
        .withArgs(2n, bob.address, 5n, 7n, "ipfs://two");
      expect(await registry.datanetCount()).to.equal(2n);
      const first = await registry.getDatanet(1n);
      expect([first.curator, first.minStake, first.stakePerSample, first.metadataURI]).to.deep.equal([
        curator.address,
        MIN_STAKE,
        PER_SAMPLE,
        "ipfs://datanet-1",
      ]);
      expect(await registry.requiredStake(2n, 10n)).to.equal(75n);
    });

    it("accepts the largest requirement that cannot overflow and rejects one more", async () => {
      const { registry, bob } = await loadFixture(deployRegistry);
      const minStake = 12345n;
      const largest = (UINT256_MAX - minStake) / UINT64_MAX;
      await registry.connect(bob).createDatanet("", minStake, largest);
      expect(await registry.requiredStake(2n, UINT64_MAX)).to.equal(minStake + largest * UINT64_MAX);
      await expect(registry.connect(bob).createDatanet("", minStake, largest + 1n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryStakeRequirementTooLarge")
        .withArgs(minStake, largest + 1n);
    });

    it("lets the curator, and only the curator, update the metadata URI", async () => {
      const { registry, curator, mallory } = await loadFixture(deployRegistry);
      await expect(registry.connect(curator).setDatanetMetadataURI(1n, "ipfs://v2"))
        .to.emit(registry, "DatanetMetadataUpdated")
        .withArgs(1n, "ipfs://v2");
      expect((await registry.getDatanet(1n)).metadataURI).to.equal("ipfs://v2");
      await expect(registry.connect(mallory).setDatanetMetadataURI(1n, "ipfs://evil"))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryNotCurator")
        .withArgs(1n, mallory.address);
      await expect(registry.connect(curator).setDatanetMetadataURI(9n, "x"))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDatanet")
        .withArgs(9n);
    });

    it("reverts on an unknown datanet id in its views", async () => {
      const { registry } = await loadFixture(deployRegistry);
      await expect(registry.getDatanet(0n)).to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDatanet");
      await expect(registry.requiredStake(2n, 1n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDatanet")
        .withArgs(2n);
    });
  });

  describe("commit", () => {
    it("records the commit block, a global order from 1 and the reveal deadline", async () => {
      const { registry, alice, bob } = await loadFixture(deployRegistry);
      const c1 = commitmentOf(ORIGINAL.root, alice.address, salt(1));
      const tx = await registry.connect(alice).commitDataset(c1);
      const block = BigInt((await tx.wait())?.blockNumber ?? 0);
      await expect(tx)
        .to.emit(registry, "DatasetCommitted")
        .withArgs(c1, alice.address, 1n, block + REVEAL_WINDOW);
      const c2 = commitmentOf(COPY.root, bob.address, salt(1));
      await expect(registry.connect(bob).commitDataset(c2))
        .to.emit(registry, "DatasetCommitted")
        .withArgs(c2, bob.address, 2n, anyValue);
      const stored = await registry.getCommitment(c1);
      expect([stored.blockNumber, stored.order, stored.revealDeadline]).to.deep.equal([
        block,
        1n,
        block + REVEAL_WINDOW,
      ]);
      expect(await registry.commitCount()).to.equal(2n);
    });

    it("reverts when a commitment is made twice, by anyone", async () => {
      const { registry, alice, mallory } = await loadFixture(deployRegistry);
      const c = commitmentOf(ORIGINAL.root, alice.address, salt(1));
      await registry.connect(alice).commitDataset(c);
      await expect(registry.connect(mallory).commitDataset(c))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryCommitmentAlreadyMade")
        .withArgs(c);
    });

    it("keeps an open commitment's deadline when governance changes the reveal window", async () => {
      const { registry, governance, alice } = await loadFixture(deployRegistry);
      const params = revealParams(ORIGINAL.root);
      const c = commitmentOf(ORIGINAL.root, alice.address, params.salt);
      await registry.connect(alice).commitDataset(c);
      const { revealDeadline } = await registry.getCommitment(c);
      await registry.connect(governance).setRevealWindowBlocks(1_000n);
      await mine(Number(REVEAL_WINDOW));
      await expect(registry.connect(alice).revealDataset(params))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryCommitmentLapsed")
        .withArgs(c, revealDeadline);
    });
  });

  describe("reveal", () => {
    it("registers the dataset, pulls its stake and emits everything an indexer needs", async () => {
      const { registry, token, registryAddress, alice } = await loadFixture(deployRegistry);
      const params = revealParams(ORIGINAL.root, { uri: "ipfs://original", tokenCount: 4242n });
      const c = commitmentOf(ORIGINAL.root, alice.address, params.salt);
      const commitBlock = BigInt((await (await registry.connect(alice).commitDataset(c)).wait())?.blockNumber ?? 0);
      const stake = MIN_STAKE + 4n * PER_SAMPLE;
      const tx = registry.connect(alice).revealDataset(params);
      await expect(tx)
        .to.emit(registry, "DatasetRegistered")
        .withArgs(1n, 1n, alice.address, ORIGINAL.root, 1n, commitBlock, 4n, 4242n, stake, "ipfs://original");
      await expect(tx).to.changeTokenBalances(ethers, token, [alice, registryAddress], [-stake, stake]);
      const d = await registry.getDataset(1n);
      expect(d.owner).to.equal(alice.address);
      expect([d.datanetId, d.root, d.commitOrder, d.commitBlock, d.sampleCount, d.tokenCount]).to.deep.equal([
        1n,
        ORIGINAL.root,
        1n,
        commitBlock,
        4n,
        4242n,
      ]);
      expect([d.stake, d.unbonding, d.unbondingEnd, d.duplicateCount, d.uri]).to.deep.equal([
        stake,
        0n,
        0n,
        0n,
        "ipfs://original",
      ]);
      expect(await registry.datasetIdOfRoot(ORIGINAL.root)).to.equal(1n);
      expect(await registry.datasetCount()).to.equal(1n);
      expect(await registry.commitOrderOf(1n)).to.equal(1n);
      expect(await registry.isEligible(1n)).to.equal(true);
    });

    it("numbers datasets globally across datanets", async () => {
      const f = await loadFixture(deployRegistry);
      await f.registry.connect(f.bob).createDatanet("ipfs://two", 0n, 1n);
      expect(await register(f, f.alice, ORIGINAL.root, { datanetId: 2n })).to.equal(1n);
      expect(await register(f, f.bob, COPY.root, { datanetId: 1n })).to.equal(2n);
      expect((await f.registry.getDataset(1n)).datanetId).to.equal(2n);
    });

    it("orders datasets by commit, not by reveal, and a taken id does not block a reveal (THREATS #32)", async () => {
      const { registry, alice, bob } = await loadFixture(deployRegistry);
      const pBob = revealParams(COPY.root, { sampleCount: 6n, salt: salt(7) });
      const pAlice = revealParams(ORIGINAL.root);
      await registry.connect(bob).commitDataset(commitmentOf(COPY.root, bob.address, pBob.salt));
      await registry.connect(alice).commitDataset(commitmentOf(ORIGINAL.root, alice.address, pAlice.salt));
      await registry.connect(alice).revealDataset(pAlice);
      await registry.connect(bob).revealDataset(pBob);
      expect(await registry.commitOrderOf(1n)).to.equal(2n);
      expect(await registry.commitOrderOf(2n)).to.equal(1n);
      expect(await registry.commitOrderOf(3n)).to.equal(0n);
    });

    it("reverts a reveal in the commit's own block", async () => {
      const { registry, alice } = await loadFixture(deployRegistry);
      const params = revealParams(ORIGINAL.root);
      const c = commitmentOf(ORIGINAL.root, alice.address, params.salt);
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        await registry.connect(alice).commitDataset(c, { gasLimit: 200_000n });
        const pending = registry.connect(alice).revealDataset.staticCall(params, { blockTag: "pending" });
        const latest = BigInt(await ethers.provider.getBlockNumber());
        await expect(pending)
          .to.be.revertedWithCustomError(registry, "DatanetRegistryRevealTooEarly")
          .withArgs(c, latest + 1n);
      } finally {
        await mine();
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      await expect(registry.connect(alice).revealDataset(params)).to.emit(registry, "DatasetRegistered");
    });

    it("accepts a reveal in the last block of the window and reverts one block later", async () => {
      const { registry, alice, bob } = await loadFixture(deployRegistry);
      const pAlice = revealParams(ORIGINAL.root);
      const pBob = revealParams(COPY.root, { sampleCount: 6n });
      await registry.connect(alice).commitDataset(commitmentOf(ORIGINAL.root, alice.address, pAlice.salt));
      const cBob = commitmentOf(COPY.root, bob.address, pBob.salt);
      await registry.connect(bob).commitDataset(cBob);
      // Alice committed one block before Bob: her last block is the one before Bob's last.
      await mine(Number(REVEAL_WINDOW) - 2);
      await expect(registry.connect(alice).revealDataset(pAlice)).to.emit(registry, "DatasetRegistered");
      await mine();
      const { revealDeadline } = await registry.getCommitment(cBob);
      expect(BigInt(await ethers.provider.getBlockNumber())).to.equal(revealDeadline);
      await expect(registry.connect(bob).revealDataset(pBob))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryCommitmentLapsed")
        .withArgs(cBob, revealDeadline);
    });

    it("rejects a reveal whose root, salt or owner differs from the commitment", async () => {
      const { registry, alice } = await loadFixture(deployRegistry);
      await registry.connect(alice).commitDataset(commitmentOf(ORIGINAL.root, alice.address, salt(1)));
      const wrongSalt = revealParams(ORIGINAL.root, { salt: salt(2) });
      await expect(registry.connect(alice).revealDataset(wrongSalt))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownCommitment")
        .withArgs(commitmentOf(ORIGINAL.root, alice.address, salt(2)));
    });

    it("makes front-running a reveal useless: a copied root and salt give another commitment", async () => {
      const { registry, alice, mallory } = await loadFixture(deployRegistry);
      const params = revealParams(ORIGINAL.root);
      await registry.connect(alice).commitDataset(commitmentOf(ORIGINAL.root, alice.address, params.salt));
      // Mallory sees Alice's reveal in the mempool and sends the same parameters first.
      await expect(registry.connect(mallory).revealDataset(params))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownCommitment")
        .withArgs(commitmentOf(ORIGINAL.root, mallory.address, params.salt));
      await expect(registry.connect(alice).revealDataset(params))
        .to.emit(registry, "DatasetRegistered")
        .withArgs(1n, 1n, alice.address, ORIGINAL.root, 1n, anyValue, 4n, anyValue, anyValue, anyValue);
    });

    it("makes copying a commitment useless: only the owner it binds can reveal it", async () => {
      const { registry, alice, mallory } = await loadFixture(deployRegistry);
      const params = revealParams(ORIGINAL.root);
      const c = commitmentOf(ORIGINAL.root, alice.address, params.salt);
      // Mallory front-runs Alice's commit with the same bytes: Alice's commit reverts, her reveal still works.
      await registry.connect(mallory).commitDataset(c);
      await expect(registry.connect(alice).commitDataset(c)).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryCommitmentAlreadyMade",
      );
      await expect(registry.connect(mallory).revealDataset(params)).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryUnknownCommitment",
      );
      await registry.connect(alice).revealDataset(params);
      expect((await registry.getDataset(1n)).owner).to.equal(alice.address);
    });

    it("rejects a copycat that registers the same root after the reveal", async () => {
      const f = await loadFixture(deployRegistry);
      await register(f, f.alice, ORIGINAL.root);
      // The reveal published the root; Mallory commits to it under her own address and salt.
      await expect(register(f, f.mallory, ORIGINAL.root, { salt: salt(9) }))
        .to.be.revertedWithCustomError(f.registry, "DatanetRegistryRootAlreadyRegistered")
        .withArgs(ORIGINAL.root, 1n);
    });

    it("rejects revealing one commitment twice", async () => {
      const f = await loadFixture(deployRegistry);
      await register(f, f.alice, ORIGINAL.root);
      await expect(f.registry.connect(f.alice).revealDataset(revealParams(ORIGINAL.root)))
        .to.be.revertedWithCustomError(f.registry, "DatanetRegistryRootAlreadyRegistered")
        .withArgs(ORIGINAL.root, 1n);
    });

    it("rejects a zero root, zero samples, an unknown datanet and too little stake", async () => {
      const { registry, alice } = await loadFixture(deployRegistry);
      const r = registry.connect(alice);
      await expect(r.revealDataset(revealParams(ethers.ZeroHash))).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryZeroRoot",
      );
      await expect(r.revealDataset(revealParams(ORIGINAL.root, { sampleCount: 0n }))).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryZeroSampleCount",
      );
      await expect(r.revealDataset(revealParams(ORIGINAL.root, { datanetId: 2n })))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDatanet")
        .withArgs(2n);
      const required = MIN_STAKE + 4n * PER_SAMPLE;
      await expect(r.revealDataset(revealParams(ORIGINAL.root, { stake: required - 1n })))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryStakeTooLow")
        .withArgs(required - 1n, required);
    });

    it("reveals with a permit instead of an allowance", async () => {
      const { registry, token, registryAddress, governance, curator } = await loadFixture(deployRegistry);
      // The curator holds tokens but never approved the registry.
      await token.connect(governance).transfer(curator.address, 1_000n * OPEN);
      const params = revealParams(ORIGINAL.root);
      await registry.connect(curator).commitDataset(commitmentOf(ORIGINAL.root, curator.address, params.salt));
      const { v, r, s, deadline } = await signPermit(token, curator, registryAddress, params.stake);
      await expect(registry.connect(curator).revealDatasetWithPermit(params, deadline, v, r, s)).to.changeTokenBalances(
        ethers,
        token,
        [curator, registryAddress],
        [-params.stake, params.stake],
      );
      expect((await registry.getDataset(1n)).owner).to.equal(curator.address);
    });

    it("still reveals when someone front-ran the permit (the failing permit is ignored)", async () => {
      const { registry, token, registryAddress, governance, curator, mallory } = await loadFixture(deployRegistry);
      await token.connect(governance).transfer(curator.address, 1_000n * OPEN);
      const params = revealParams(ORIGINAL.root);
      await registry.connect(curator).commitDataset(commitmentOf(ORIGINAL.root, curator.address, params.salt));
      const { v, r, s, deadline } = await signPermit(token, curator, registryAddress, params.stake);
      await token.connect(mallory).permit(curator.address, registryAddress, params.stake, deadline, v, r, s);
      await expect(registry.connect(curator).revealDatasetWithPermit(params, deadline, v, r, s)).to.emit(
        registry,
        "DatasetRegistered",
      );
    });

    it("reverts a permit reveal without a valid permit or allowance", async () => {
      const { registry, token, registryAddress, governance, curator } = await loadFixture(deployRegistry);
      await token.connect(governance).transfer(curator.address, 1_000n * OPEN);
      const params = revealParams(ORIGINAL.root);
      await registry.connect(curator).commitDataset(commitmentOf(ORIGINAL.root, curator.address, params.salt));
      const { v, r, s, deadline } = await signPermit(token, curator, registryAddress, params.stake - 1n);
      await expect(registry.connect(curator).revealDatasetWithPermit(params, deadline, v, r, s))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(registryAddress, 0n, params.stake);
    });
  });

  describe("stake", () => {
    async function registered() {
      const f = await deployRegistry();
      const id = await register(f, f.alice, ORIGINAL.root);
      return { ...f, id, stake: MIN_STAKE + 4n * PER_SAMPLE };
    }

    it("adds stake from the owner without touching what is unbonding or its timer (THREATS #11)", async () => {
      const { registry, token, registryAddress, alice, id, stake } = await loadFixture(registered);
      await registry.connect(alice).requestUnstake(id, 10n);
      const { unbondingEnd } = await registry.getDataset(id);
      await time.increase(3600);
      const tx = registry.connect(alice).addStake(id, 5n * OPEN);
      await expect(tx)
        .to.emit(registry, "StakeAdded")
        .withArgs(id, 5n * OPEN, stake + 5n * OPEN);
      await expect(tx).to.changeTokenBalances(ethers, token, [alice, registryAddress], [-5n * OPEN, 5n * OPEN]);
      const d = await registry.getDataset(id);
      expect([d.stake, d.unbonding, d.unbondingEnd]).to.deep.equal([stake + 5n * OPEN, 10n, unbondingEnd]);
    });

    it("reverts addStake from another account, of zero, or on an unknown dataset", async () => {
      const { registry, alice, mallory, id } = await loadFixture(registered);
      await expect(registry.connect(mallory).addStake(id, 1n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryNotDatasetOwner")
        .withArgs(id, mallory.address);
      await expect(registry.connect(alice).addStake(id, 0n)).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryZeroAmount",
      );
      await expect(registry.connect(alice).addStake(7n, 1n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDataset")
        .withArgs(7n);
    });

    it("starts unbonding, which stops counting towards eligibility", async () => {
      const { registry, alice, id } = await loadFixture(registered);
      const tx = await registry.connect(alice).requestUnstake(id, 1n);
      const now = BigInt((await ethers.provider.getBlock(tx.blockNumber ?? "latest"))?.timestamp ?? 0);
      await expect(tx)
        .to.emit(registry, "UnstakeRequested")
        .withArgs(id, 1n, 1n, now + UNBONDING);
      expect(await registry.isEligible(id)).to.equal(false);
      await registry.connect(alice).addStake(id, 1n);
      expect(await registry.isEligible(id)).to.equal(true, "eligible again at exactly the requirement");
    });

    it("restarts the timer for everything unbonding on each request (THREATS #14)", async () => {
      const { registry, alice, id } = await loadFixture(registered);
      await registry.connect(alice).requestUnstake(id, 10n);
      await time.increase(86400);
      const tx = await registry.connect(alice).requestUnstake(id, 5n);
      const now = BigInt((await ethers.provider.getBlock(tx.blockNumber ?? "latest"))?.timestamp ?? 0);
      await expect(tx)
        .to.emit(registry, "UnstakeRequested")
        .withArgs(id, 5n, 15n, now + UNBONDING);
    });

    it("keeps a request's end when governance changes the period, and never pulls it earlier (THREATS #25)", async () => {
      const { registry, governance, alice, id } = await loadFixture(registered);
      await registry.connect(alice).requestUnstake(id, 10n);
      const { unbondingEnd } = await registry.getDataset(id);
      await registry.connect(governance).setUnbondingPeriod(3600n);
      expect((await registry.getDataset(id)).unbondingEnd).to.equal(unbondingEnd);
      // A new request under the shorter period cannot release the earlier one before its end.
      await expect(registry.connect(alice).requestUnstake(id, 5n))
        .to.emit(registry, "UnstakeRequested")
        .withArgs(id, 5n, 15n, unbondingEnd);
      // Under a longer period the new end is later.
      await registry.connect(governance).setUnbondingPeriod(30n * 86400n);
      const tx = await registry.connect(alice).requestUnstake(id, 1n);
      const now = BigInt((await ethers.provider.getBlock(tx.blockNumber ?? "latest"))?.timestamp ?? 0);
      expect((await registry.getDataset(id)).unbondingEnd).to.equal(now + 30n * 86400n);
    });

    it("reverts an unstake above the stake not yet unbonding, of zero, or by another account", async () => {
      const { registry, alice, mallory, id, stake } = await loadFixture(registered);
      await registry.connect(alice).requestUnstake(id, stake - 10n);
      await expect(registry.connect(alice).requestUnstake(id, 11n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnstakeTooLarge")
        .withArgs(id, 11n, 10n);
      await expect(registry.connect(alice).requestUnstake(id, 0n)).to.be.revertedWithCustomError(
        registry,
        "DatanetRegistryZeroAmount",
      );
      await expect(registry.connect(mallory).requestUnstake(id, 1n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryNotDatasetOwner")
        .withArgs(id, mallory.address);
    });

    it("withdraws strictly after the unbonding end: at the end it reverts, one second later it pays (THREATS #12)", async () => {
      const { registry, token, registryAddress, alice, id, stake } = await loadFixture(registered);
      await registry.connect(alice).requestUnstake(id, 40n);
      const { unbondingEnd } = await registry.getDataset(id);
      await time.setNextBlockTimestamp(unbondingEnd);
      await expect(registry.connect(alice).withdrawUnstaked(id))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryStillUnbonding")
        .withArgs(id, unbondingEnd);
      await time.setNextBlockTimestamp(unbondingEnd + 1n);
      const tx = registry.connect(alice).withdrawUnstaked(id);
      await expect(tx)
        .to.emit(registry, "UnstakeWithdrawn")
        .withArgs(id, alice.address, 40n, stake - 40n);
      await expect(tx).to.changeTokenBalances(ethers, token, [alice, registryAddress], [40n, -40n]);
      const d = await registry.getDataset(id);
      expect([d.stake, d.unbonding, d.unbondingEnd]).to.deep.equal([stake - 40n, 0n, 0n]);
    });

    it("pays exactly what was requested across several requests, as the view said (THREATS #27)", async () => {
      const { registry, token, alice, id } = await loadFixture(registered);
      for (const amount of [3n, 7n, 11n]) {
        await registry.connect(alice).requestUnstake(id, amount);
        await time.increase(3600);
      }
      const { unbonding, unbondingEnd } = await registry.getDataset(id);
      expect(unbonding).to.equal(21n);
      await time.increaseTo(unbondingEnd + 1n);
      const amount = await registry.connect(alice).withdrawUnstaked.staticCall(id);
      await expect(registry.connect(alice).withdrawUnstaked(id)).to.changeTokenBalance(ethers, token, alice, amount);
      expect(amount).to.equal(21n);
    });

    it("reverts a withdrawal with nothing unbonding or by another account", async () => {
      const { registry, alice, mallory, id } = await loadFixture(registered);
      await expect(registry.connect(alice).withdrawUnstaked(id))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryNothingUnbonding")
        .withArgs(id);
      await expect(registry.connect(mallory).withdrawUnstaked(id))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryNotDatasetOwner")
        .withArgs(id, mallory.address);
    });

    it("answers the views for unknown datasets", async () => {
      const { registry } = await loadFixture(registered);
      expect(await registry.isEligible(2n)).to.equal(false);
      expect(await registry.commitOrderOf(2n)).to.equal(0n);
      expect(await registry.datasetIdOfRoot(COPY.root)).to.equal(0n);
      await expect(registry.getDataset(2n))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDataset")
        .withArgs(2n);
    });
  });

  describe("duplicate proofs", () => {
    const shared = ORIGINAL.sampleHashes;
    const sharedWithThree = hashOf("what is the capital of france? paris.");

    function split(stake: bigint) {
      const slashed = (stake * SLASH_BPS) / 10_000n;
      const reward = (slashed * PROVER_BPS) / 10_000n;
      return { slashed, reward, burned: slashed - reward };
    }

    it("slashes the later dataset with the TypeScript vectors' proofs (THREATS #39)", async () => {
      const { registry, token, registryAddress, prover, original, copy } =
        await loadFixture(registryWithVectorDatasets);
      const sample = shared[0] ?? "";
      const stake = MIN_STAKE + 6n * PER_SAMPLE;
      const { slashed, reward, burned } = split(stake);
      const supply = await token.totalSupply();
      const tx = registry
        .connect(prover)
        .proveDuplicate(sample, original, proofOf(ORIGINAL, sample), copy, proofOf(COPY, sample));
      await expect(tx)
        .to.emit(registry, "DuplicateProven")
        .withArgs(sample, original, copy, prover.address, slashed, reward, burned);
      await expect(tx).to.changeTokenBalances(ethers, token, [prover, registryAddress], [reward, -slashed]);
      expect(await token.totalSupply()).to.equal(supply - burned);
      const d = await registry.getDataset(copy);
      expect([d.stake, d.duplicateCount]).to.deep.equal([stake - slashed, 1n]);
      expect((await registry.getDataset(original)).stake).to.equal(MIN_STAKE + 4n * PER_SAMPLE);
      expect(await registry.isDuplicateProven(sample, copy)).to.equal(true);
      expect(await registry.isDuplicateProven(sample, original)).to.equal(false);
    });

    it("catches a superset copy: every copied sample slashes it once more, named in either order", async () => {
      const { registry, prover, original, copy } = await loadFixture(registryWithVectorDatasets);
      let stake = MIN_STAKE + 6n * PER_SAMPLE;
      for (const [i, sample] of shared.entries()) {
        const { slashed, reward, burned } = split(stake);
        const args =
          i % 2 === 0
            ? ([sample, copy, proofOf(COPY, sample), original, proofOf(ORIGINAL, sample)] as const)
            : ([sample, original, proofOf(ORIGINAL, sample), copy, proofOf(COPY, sample)] as const);
        await expect(registry.connect(prover).proveDuplicate(...args))
          .to.emit(registry, "DuplicateProven")
          .withArgs(sample, original, copy, prover.address, slashed, reward, burned);
        stake -= slashed;
      }
      const d = await registry.getDataset(copy);
      expect([d.stake, d.duplicateCount]).to.deep.equal([stake, 4n]);
      expect(await registry.isEligible(copy)).to.equal(false);
    });

    it("reverts proving one sample in one later dataset twice (THREATS #29)", async () => {
      const { registry, prover, original, copy } = await loadFixture(registryWithVectorDatasets);
      const sample = shared[1] ?? "";
      const args = [sample, original, proofOf(ORIGINAL, sample), copy, proofOf(COPY, sample)] as const;
      await registry.connect(prover).proveDuplicate(...args);
      await expect(registry.connect(prover).proveDuplicate(...args))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryDuplicateAlreadyProven")
        .withArgs(sample, copy);
    });

    it("proves the same sample again in another later dataset, but not twice in it (THREATS #29)", async () => {
      const { registry, prover, original, copy, three } = await loadFixture(registryWithVectorDatasets);
      const s = sharedWithThree;
      await registry.connect(prover).proveDuplicate(s, original, proofOf(ORIGINAL, s), copy, proofOf(COPY, s));
      await expect(registry.connect(prover).proveDuplicate(s, original, proofOf(ORIGINAL, s), three, proofOf(THREE, s)))
        .to.emit(registry, "DuplicateProven")
        .withArgs(s, original, three, prover.address, anyValue, anyValue, anyValue);
      await expect(registry.connect(prover).proveDuplicate(s, copy, proofOf(COPY, s), three, proofOf(THREE, s)))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryDuplicateAlreadyProven")
        .withArgs(s, three);
    });

    it("slashes by commit order even when the later-committed dataset has the lower id", async () => {
      const f = await loadFixture(deployRegistry);
      const pFirst = revealParams(ORIGINAL.root, { salt: salt(5) });
      const pSecond = revealParams(SINGLE.root, { sampleCount: 1n, salt: salt(6) });
      await f.registry.connect(f.alice).commitDataset(commitmentOf(ORIGINAL.root, f.alice.address, pFirst.salt));
      await f.registry.connect(f.bob).commitDataset(commitmentOf(SINGLE.root, f.bob.address, pSecond.salt));
      await f.registry.connect(f.bob).revealDataset(pSecond); // id 1, committed second
      await f.registry.connect(f.alice).revealDataset(pFirst); // id 2, committed first
      const s = SINGLE.sampleHashes[0] ?? "";
      expect(proofOf(SINGLE, s)).to.deep.equal([], "a one-sample root is its leaf");
      await expect(f.registry.connect(f.prover).proveDuplicate(s, 1n, [], 2n, proofOf(ORIGINAL, s)))
        .to.emit(f.registry, "DuplicateProven")
        .withArgs(s, 2n, 1n, f.prover.address, anyValue, anyValue, anyValue);
    });

    it("cannot be dodged by unstaking: unbonding stake is slashed and then capped (THREATS #26, #28)", async () => {
      const { registry, token, prover, mallory, original, copy } = await loadFixture(registryWithVectorDatasets);
      const stake = MIN_STAKE + 6n * PER_SAMPLE;
      // Mallory sees the proof coming and unbonds everything first.
      await registry.connect(mallory).requestUnstake(copy, stake);
      const { unbondingEnd } = await registry.getDataset(copy);
      const sample = shared[2] ?? "";
      const { slashed } = split(stake);
      await registry
        .connect(prover)
        .proveDuplicate(sample, original, proofOf(ORIGINAL, sample), copy, proofOf(COPY, sample));
      const d = await registry.getDataset(copy);
      expect([d.stake, d.unbonding, d.unbondingEnd]).to.deep.equal([stake - slashed, stake - slashed, unbondingEnd]);
      await time.increaseTo(unbondingEnd + 1n);
      await expect(registry.connect(mallory).withdrawUnstaked(copy)).to.changeTokenBalance(
        ethers,
        token,
        mallory,
        stake - slashed,
      );
      expect((await registry.getDataset(copy)).stake).to.equal(0n);
    });

    it("clears the unbonding timer when a full slash leaves nothing (THREATS #13, #26)", async () => {
      const { registry, governance, prover, mallory, original, copy } = await loadFixture(registryWithVectorDatasets);
      await registry.connect(governance).setDuplicateSlashBps(10_000n);
      await registry.connect(mallory).requestUnstake(copy, 1n);
      const sample = shared[3] ?? "";
      await registry
        .connect(prover)
        .proveDuplicate(sample, original, proofOf(ORIGINAL, sample), copy, proofOf(COPY, sample));
      const d = await registry.getDataset(copy);
      expect([d.stake, d.unbonding, d.unbondingEnd]).to.deep.equal([0n, 0n, 0n]);
      await expect(registry.connect(mallory).withdrawUnstaked(copy))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryNothingUnbonding")
        .withArgs(copy);
    });

    it("pays the whole slash to the prover at 100% share, and burns it all at 0%", async () => {
      const { registry, token, governance, prover, original, copy } = await loadFixture(registryWithVectorDatasets);
      const [s0, s1] = [shared[0] ?? "", shared[1] ?? ""];
      const stake = MIN_STAKE + 6n * PER_SAMPLE;
      const first = (stake * SLASH_BPS) / 10_000n;
      await registry.connect(governance).setProverShareBps(10_000n);
      await expect(
        registry.connect(prover).proveDuplicate(s0, original, proofOf(ORIGINAL, s0), copy, proofOf(COPY, s0)),
      )
        .to.emit(registry, "DuplicateProven")
        .withArgs(s0, original, copy, prover.address, first, first, 0n);
      await registry.connect(governance).setProverShareBps(0n);
      const second = ((stake - first) * SLASH_BPS) / 10_000n;
      const supply = await token.totalSupply();
      const tx = registry.connect(prover).proveDuplicate(s1, original, proofOf(ORIGINAL, s1), copy, proofOf(COPY, s1));
      await expect(tx)
        .to.emit(registry, "DuplicateProven")
        .withArgs(s1, original, copy, prover.address, second, 0n, second);
      await expect(tx).to.changeTokenBalance(ethers, token, prover, 0n);
      expect(await token.totalSupply()).to.equal(supply - second);
    });

    it("rejects an internal node presented as a sample hash (THREATS #30)", async () => {
      const { registry, prover, original, copy } = await loadFixture(registryWithVectorDatasets);
      const tree = treeOf(COPY.sampleHashes);
      const nodes = tree.dump().tree;
      // nodes[1] is an internal node; with the path above it, a verifier that took the sample hash itself as the
      // leaf would accept it.
      const internal = nodes[1] ?? "";
      const path = [nodes[2] ?? ""];
      const sorted = [internal, path[0] ?? ""].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      expect(ethers.keccak256(ethers.concat(sorted))).to.equal(COPY.root, "the path is real");
      await expect(
        registry.connect(prover).proveDuplicate(internal, copy, path, original, proofOf(ORIGINAL, shared[0] ?? "")),
      )
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidProof")
        .withArgs(copy, internal);
    });

    it("rejects a proof that does not hold in either dataset", async () => {
      const { registry, prover, original, copy, three } = await loadFixture(registryWithVectorDatasets);
      const s = shared[0] ?? "";
      await expect(registry.connect(prover).proveDuplicate(s, original, proofOf(ORIGINAL, s), three, []))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidProof")
        .withArgs(three, s);
      await expect(registry.connect(prover).proveDuplicate(s, original, proofOf(COPY, s), copy, proofOf(COPY, s)))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryInvalidProof")
        .withArgs(original, s);
    });

    it("proves a duplicate built with StandardMerkleTree for samples outside the vectors", async () => {
      const f = await loadFixture(deployRegistry);
      const honest = ["a", "b", "c", "d", "e"].map(hashOf);
      const copycat = ["x", "c", "y"].map(hashOf);
      const honestTree = treeOf(honest);
      const copyTree = treeOf(copycat);
      const first = await register(f, f.alice, honestTree.root, { sampleCount: 5n });
      const second = await register(f, f.mallory, copyTree.root, { sampleCount: 3n });
      const c = hashOf("c");
      await expect(
        f.registry.connect(f.prover).proveDuplicate(c, second, copyTree.getProof([c]), first, honestTree.getProof([c])),
      )
        .to.emit(f.registry, "DuplicateProven")
        .withArgs(c, first, second, f.prover.address, anyValue, anyValue, anyValue);
      const x = hashOf("x");
      await expect(f.registry.connect(f.prover).proveDuplicate(x, second, copyTree.getProof([x]), first, []))
        .to.be.revertedWithCustomError(f.registry, "DatanetRegistryInvalidProof")
        .withArgs(first, x);
    });

    it("rejects naming one dataset twice or an unknown dataset", async () => {
      const { registry, prover, original } = await loadFixture(registryWithVectorDatasets);
      const s = shared[0] ?? "";
      await expect(registry.connect(prover).proveDuplicate(s, original, [], original, []))
        .to.be.revertedWithCustomError(registry, "DatanetRegistrySameDataset")
        .withArgs(original);
      await expect(registry.connect(prover).proveDuplicate(s, original, [], 99n, []))
        .to.be.revertedWithCustomError(registry, "DatanetRegistryUnknownDataset")
        .withArgs(99n);
    });
  });
});

/** An EIP-2612 permit from `owner` to `spender` for `value`, signed under OPEN's domain (DESIGN §3). */
async function signPermit(token: OpenToken, owner: HardhatEthersSigner, spender: string, value: bigint) {
  const deadline = BigInt(await time.latest()) + 3600n;
  const { chainId } = await ethers.provider.getNetwork();
  const signature = await owner.signTypedData(
    { name: "OpenLedger", version: "1", chainId, verifyingContract: await token.getAddress() },
    {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    { owner: owner.address, spender, value, nonce: await token.nonces(owner.address), deadline },
  );
  const { v, r, s } = ethers.Signature.from(signature);
  return { v, r, s, deadline };
}
