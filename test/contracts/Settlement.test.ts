import { readFileSync } from "node:fs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import type { Wallet } from "ethers";
import { network } from "hardhat";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  buildAttributionTree,
  contributorsProof,
  contributorsRoot,
  getAttributionProofs,
  getFallbackAmount,
  getLaneId,
  getPoolId,
  getReceiptDigest,
  getRecordsRoot,
  INFERENCE_RECORD_TYPE,
  type InferenceRecord,
  inferenceRecordTypes,
  RECEIPT_TYPE,
  type Receipt,
  receiptTypes,
  recoverReceiptSigner,
  SECP256K1_N,
  type SettlementDomain,
  settlementDomain,
  splitCollected,
} from "../../node/src/protocol/index.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time, setBalance, impersonateAccount } = networkHelpers;

const E = (n: number | string): bigint => ethers.parseEther(String(n));
const HOUR = 3_600n;
const DAY = 24n * HOUR;
const coder = ethers.AbiCoder.defaultAbiCoder();

/** 0.01 OPEN per request. */
const PRICE = E("0.01");
const EPOCH = DAY;
/** Field order is ISettlement.Params': `Object.values(PARAMS)` is its tuple. */
const PARAMS = {
  nodeBps: 4_000n,
  ownerBps: 2_000n,
  datasetsBps: 3_500n,
  protocolBps: 500n,
  postWindow: DAY,
  challengeWindow: 2n * DAY,
  extension: HOUR,
  claimExpiry: 30n * DAY,
  minRootBond: E(100),
};
type Params = typeof PARAMS;
const SPLIT = { nodeBps: PARAMS.nodeBps, ownerBps: PARAMS.ownerBps, datasetsBps: PARAMS.datasetsBps };
const ARBITER_PARAMS = {
  commitPeriod: HOUR,
  revealPeriod: HOUR,
  minBond: E(10),
  quorumBps: 3_000n,
  burnBps: 1_000n,
  voterRewardBps: 2_000n,
  nonRevealSlashBps: 500n,
  leakSlashBps: 1_000n,
  verifierUnbondingPeriod: 7n * DAY,
};
const MIN_STAKE = E(1_000);
const VERSION_BOND = E(500);
const ADAPTER_WINDOW = DAY;
/** ISettlement.PoolStatus. */
const Status = { Collecting: 0n, Posting: 1n, Challenging: 2n, Claimable: 3n, Fallback: 4n, Expired: 5n } as const;
const Ruling = { None: 0, Upheld: 1, Dismissed: 2, NoQuorum: 3 } as const;
/** The training shares of version 1: its contributors root. */
const SHARES = [
  { datasetId: 1n, weightPpm: 600_000 },
  { datasetId: 2n, weightPpm: 300_000 },
  { datasetId: 3n, weightPpm: 100_000 },
];

/** Fixed keys, so viem signs what the contract checks (the payers send their own transactions with ethers). */
const PAYER_KEY = keccak256(toHex("settlement test: payer"));
const PAYER2_KEY = keccak256(toHex("settlement test: second payer"));
const SIGNER_KEY = keccak256(toHex("settlement test: authorized signer"));
const STRANGER_KEY = keccak256(toHex("settlement test: unauthorized signer"));
const SIGNER_AUTHORIZATION_TYPES = {
  SignerAuthorization: [
    { name: "payer", type: "address" },
    { name: "signer", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

async function deployFixture() {
  const [owner, node, operator, node2, operator2, adapterOwner, alice, bob, carol, stranger, challenger, v1, v2] =
    await ethers.getSigners();
  if (!owner || !node || !operator || !node2 || !operator2 || !adapterOwner || !alice || !bob || !carol) {
    throw new Error("expected 13 signers");
  }
  if (!stranger || !challenger || !v1 || !v2) throw new Error("expected 13 signers");
  const token = await ethers.deployContract("OpenToken", [owner.address, E(1_000_000_000)]);
  const arbiter = await ethers.deployContract("Arbiter", [token, owner.address, ARBITER_PARAMS]);
  const datanets = await ethers.deployContract("DatanetRegistryMock");
  const nodes = await ethers.deployContract("NodeRegistry", [token, arbiter, owner.address, MIN_STAKE, DAY, 1_000n]);
  const adapters = await ethers.deployContract("AdapterRegistry", [
    token,
    datanets,
    arbiter,
    owner.address,
    ADAPTER_WINDOW,
    VERSION_BOND,
  ]);
  const escrow = await ethers.deployContract("PaymentEscrow", [token, owner.address, 7n * DAY, 3n * DAY, HOUR]);
  const settlement = await ethers.deployContract("Settlement", [
    token,
    escrow,
    nodes,
    adapters,
    datanets,
    arbiter,
    owner.address,
    EPOCH,
    PARAMS,
  ]);
  await escrow.setCollector(settlement);
  await arbiter.setSubject(settlement, true);

  for (const [id, who] of [alice, bob, carol].entries()) await datanets.setOwner(BigInt(id + 1), who);
  for (const id of [1n, 2n, 3n]) await datanets.setEligible(id, true);
  for (const who of [node, node2, adapterOwner, challenger, v1, v2, stranger, operator]) {
    await token.transfer(who, E(100_000));
  }
  await token.connect(node).approve(nodes, ethers.MaxUint256);
  await nodes.connect(node).register(operator.address, MIN_STAKE, "12D3KooWNode", "http://127.0.0.1:8545");
  await token.connect(node2).approve(nodes, ethers.MaxUint256);
  await nodes.connect(node2).register(operator2.address, MIN_STAKE, "12D3KooWNode2", "http://127.0.0.1:8546");
  for (const who of [operator, node, challenger]) await token.connect(who).approve(settlement, ethers.MaxUint256);
  for (const who of [challenger, v1, v2]) await token.connect(who).approve(arbiter, ethers.MaxUint256);
  await arbiter.connect(v1).stake(E(1_000));
  await arbiter.connect(v2).stake(E(500));

  // Version 1 active (contributors root = SHARES); version 2 submitted and still pending.
  await token.connect(adapterOwner).approve(adapters, ethers.MaxUint256);
  await adapters.connect(adapterOwner).createAdapter("legal-7b");
  const proof = (root: string) => ({
    contributorsRoot: root,
    weightsHash: ethers.id("weights"),
    checkpointRoot: ethers.id("checkpoints"),
    finalHead: ethers.id("head"),
    initialWeightsHash: ethers.id("initial weights"),
    initialStateHash: ethers.id("initial state"),
    checkpointCount: 4n,
    evalScore: 4_000n,
  });
  for (const commitment of [1n, 2n]) {
    await adapters
      .connect(adapterOwner)
      .commitTraining(1n, ethers.id("base"), ethers.id(`config ${commitment}`), [1n, 2n, 3n]);
    await adapters.sealCommitment(commitment);
    await adapters.connect(adapterOwner).submitVersion(commitment, proof(contributorsRoot(SHARES)), VERSION_BOND);
    if (commitment === 1n) {
      await time.increase(ADAPTER_WINDOW);
      await adapters.activate(1n);
    }
  }

  const payer = new ethers.Wallet(PAYER_KEY, ethers.provider);
  const payer2 = new ethers.Wallet(PAYER2_KEY, ethers.provider);
  for (const wallet of [payer, payer2]) {
    await setBalance(wallet.address, E(10));
    await token.transfer(wallet.address, E(10_000));
    await token.connect(wallet).approve(escrow, ethers.MaxUint256);
  }
  await escrow.connect(payer).deposit(node, E(100));

  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = settlementDomain(chainId, (await settlement.getAddress()) as Address);
  const genesis = await settlement.genesisTime();
  return {
    token,
    arbiter,
    datanets,
    nodes,
    adapters,
    escrow,
    settlement,
    domain,
    chainId,
    genesis,
    owner,
    node,
    operator,
    node2,
    operator2,
    adapterOwner,
    alice,
    bob,
    carol,
    stranger,
    challenger,
    v1,
    v2,
    payer,
    payer2,
  };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** Request `seq` of a lane priced at PRICE each: cumulative = seq × PRICE. */
function receiptOf(f: Fixture, seq: bigint, overrides: Partial<Receipt> = {}): Receipt {
  return {
    payer: f.payer.address as Address,
    node: f.node.address as Address,
    versionId: 1n,
    lane: 0,
    seq,
    requestHash: keccak256(toHex(`request ${seq}`)),
    value: PRICE,
    cumulative: seq * PRICE,
    ...overrides,
  };
}

/** The receipt's EIP-712 signature by `key`, made by viem from the TypeScript protocol's types. */
function signReceipt(key: Hex, domain: SettlementDomain, receipt: Receipt): Promise<Hex> {
  return privateKeyToAccount(key).signTypedData({
    domain,
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
  });
}

/** Redeems `receipt` signed by `key` (the payer's by default), as the operator unless `by` says otherwise. */
async function redeem(f: Fixture, receipt: Receipt, key: Hex = PAYER_KEY, by: HardhatEthersSigner = f.operator) {
  return f.settlement.connect(by).redeem(receipt, await signReceipt(key, f.domain, receipt));
}

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

function laneIdOf(receipt: Receipt): Hex {
  return getLaneId(receipt.payer, receipt.node, receipt.versionId, receipt.lane);
}

/** Moves past the end of `epoch`. */
async function endEpoch(f: Fixture, epoch: bigint) {
  await time.increaseTo(await f.settlement.epochEnd(epoch));
}

/** What the Settlement holds: its own balance and what the escrow collected for it and has not released. */
async function heldBySettlement(f: Fixture): Promise<bigint> {
  return (await f.token.balanceOf(f.settlement)) + (await f.escrow.collectedUnreleased());
}

/** The Settlement holds exactly what it owes (DESIGN §3): credits, unclaimed pools, root bonds, the unflushed burn. */
async function expectSolvent(f: Fixture, pools: Array<[string, bigint, bigint]> = []) {
  let owed = 0n;
  for (const who of [f.operator, f.node, f.operator2, f.node2, f.adapterOwner, f.stranger, f.challenger]) {
    owed += await f.settlement.creditsOf(who);
  }
  for (const [node, versionId, epoch] of pools) {
    const pool = await f.settlement.getPool(node, versionId, epoch);
    owed += pool.amount - pool.claimed + pool.burn + pool.bond;
  }
  expect(await heldBySettlement(f)).to.equal(owed);
}

/** Authorizes the signer of `signerKey` for `payer` in the escrow, with its EIP-712 consent. */
async function authorizeSigner(f: Fixture, payer: Wallet, signerKey: Hex, nonce = 1n) {
  const signer = new ethers.Wallet(signerKey);
  const deadline = BigInt(await time.latest()) + HOUR;
  const domain = {
    name: "OLP PaymentEscrow",
    version: "1",
    chainId: f.chainId,
    verifyingContract: await f.escrow.getAddress(),
  };
  const value = { payer: payer.address, signer: signer.address, nonce, deadline };
  const signature = await signer.signTypedData(domain, SIGNER_AUTHORIZATION_TYPES, value);
  return f.escrow.connect(payer).authorizeSigner(signer.address, deadline, nonce, signature);
}

/**
 * Redeems 1000 requests of the payer's lane 0 in the current epoch: a pool of 3.5 OPEN. Fixtures build on each other
 * by direct calls: a `loadFixture` inside a fixture leaves stale snapshots behind in Hardhat 3.
 */
async function poolFixture() {
  const f = await deployFixture();
  const epoch = await f.settlement.currentEpoch();
  await redeem(f, receiptOf(f, 1_000n));
  const id = getPoolId(f.node.address as Address, 1n, epoch);
  const amount = (await f.settlement.getPool(f.node, 1n, epoch)).amount;
  // Leaves of the pool: 50 %, 30 % and the rest.
  const leaves = [
    { datasetId: 1n, amount: (amount * 5n) / 10n },
    { datasetId: 2n, amount: (amount * 3n) / 10n },
    { datasetId: 3n, amount: amount - (amount * 5n) / 10n - (amount * 3n) / 10n },
  ];
  return { ...f, epoch, id, amount, leaves };
}

/** The pool's root is posted by the operator right after the epoch. */
async function postedFixture() {
  const f = await poolFixture();
  await endEpoch(f, f.epoch);
  const tree = buildAttributionTree(f.leaves);
  const recordsRoot = getRecordsRoot([ethers.id("record 1") as Hex]);
  await f.settlement
    .connect(f.operator)
    .postAttributionRoot(f.node, 1n, f.epoch, tree.root, tree.total, recordsRoot, PARAMS.minRootBond);
  const challengeEnd = (await f.settlement.getPool(f.node, 1n, f.epoch)).challengeEnd;
  return { ...f, tree, recordsRoot, proofs: getAttributionProofs(f.leaves), challengeEnd };
}

/** The posted root is final: its challenge window is over. */
async function claimableFixture() {
  const f = await postedFixture();
  await time.increaseTo(f.challengeEnd);
  return f;
}

/** No root was posted in time: the pool falls back to the contributors root. */
async function fallbackFixture() {
  const f = await poolFixture();
  await time.increaseTo((await f.settlement.epochEnd(f.epoch)) + PARAMS.postWindow + 1n);
  return f;
}

type PoolFixture = Awaited<ReturnType<typeof poolFixture>>;
type PostedFixture = Awaited<ReturnType<typeof postedFixture>>;

function claimOf(f: PostedFixture, datasetId: bigint, overrides: Record<string, unknown> = {}) {
  const leaf = f.leaves.find((l) => l.datasetId === datasetId);
  return {
    node: f.node.address,
    versionId: 1n,
    epoch: f.epoch,
    datasetId,
    amount: leaf?.amount ?? 0n,
    expectedRoot: f.tree.root,
    proof: f.proofs.get(datasetId) ?? [],
    ...overrides,
  };
}

function fallbackClaimOf(f: PoolFixture, datasetId: bigint, overrides: Record<string, unknown> = {}) {
  const share = SHARES.find((s) => s.datasetId === datasetId);
  return {
    node: f.node.address,
    versionId: 1n,
    epoch: f.epoch,
    datasetId,
    weightPpm: share?.weightPpm ?? 0,
    proof: contributorsProof(SHARES, datasetId),
    ...overrides,
  };
}

function evidence(root: string): string {
  return coder.encode(["bytes32"], [root]);
}

/** Opens a challenge against the pool's root through the Arbiter; returns its id. */
async function challenge(f: PostedFixture, claimedRoot: string = ethers.id("the honest root")) {
  await f.arbiter
    .connect(f.challenger)
    .openChallenge(f.settlement, f.id, evidence(claimedRoot), ARBITER_PARAMS.minBond);
  return f.arbiter.challengeCount();
}

/** Both verifiers vote `upheld` on `challengeId`, then anyone resolves it. */
async function rule(f: Fixture, challengeId: bigint, upheld: boolean) {
  const salt = ethers.id("salt");
  for (const v of [f.v1, f.v2]) {
    const commitment = ethers.keccak256(
      coder.encode(["uint256", "address", "bool", "bytes32"], [challengeId, v.address, upheld, salt]),
    );
    await f.arbiter.connect(v).commitVote(challengeId, commitment);
  }
  await time.increaseTo((await f.arbiter.getChallenge(challengeId)).commitDeadline + 1n);
  for (const v of [f.v1, f.v2]) await f.arbiter.connect(v).revealVote(challengeId, upheld, salt);
  await time.increaseTo((await f.arbiter.getChallenge(challengeId)).revealDeadline + 1n);
  return f.arbiter.resolve(challengeId);
}

/** Both verifiers vote `upheld` on every challenge of `challengeIds` in the same phases; then each is resolved. */
async function ruleAll(f: Fixture, challengeIds: bigint[], upheld: boolean) {
  const salt = ethers.id("salt");
  for (const id of challengeIds) {
    for (const v of [f.v1, f.v2]) {
      const commitment = ethers.keccak256(
        coder.encode(["uint256", "address", "bool", "bytes32"], [id, v.address, upheld, salt]),
      );
      await f.arbiter.connect(v).commitVote(id, commitment);
    }
  }
  const last = challengeIds[challengeIds.length - 1] ?? 0n;
  await time.increaseTo((await f.arbiter.getChallenge(last)).commitDeadline + 1n);
  for (const id of challengeIds) {
    for (const v of [f.v1, f.v2]) await f.arbiter.connect(v).revealVote(id, upheld, salt);
  }
  await time.increaseTo((await f.arbiter.getChallenge(last)).revealDeadline + 1n);
  const txs = [];
  for (const id of challengeIds) txs.push(await f.arbiter.resolve(id));
  return txs;
}

function withParams(overrides: Partial<Params>): Params {
  return { ...PARAMS, ...overrides };
}

describe("Settlement", () => {
  describe("deployment and governance", () => {
    it("stores the token, the escrow, the registries, the Arbiter, the owner, the epochs and the parameters", async () => {
      const f = await loadFixture(deployFixture);
      const s = f.settlement;
      expect(await s.token()).to.equal(await f.token.getAddress());
      expect(await s.escrow()).to.equal(await f.escrow.getAddress());
      expect(await s.nodes()).to.equal(await f.nodes.getAddress());
      expect(await s.adapters()).to.equal(await f.adapters.getAddress());
      expect(await s.datanets()).to.equal(await f.datanets.getAddress());
      expect(await s.arbiter()).to.equal(await f.arbiter.getAddress());
      expect(await s.owner()).to.equal(f.owner.address);
      expect(await s.epochLength()).to.equal(EPOCH);
      expect(await s.epochEnd(0n)).to.equal(f.genesis + EPOCH);
      expect(await s.currentEpoch()).to.equal((BigInt(await time.latest()) - f.genesis) / EPOCH);
      expect(await s.getParams()).to.deep.equal(Object.values(PARAMS));
      expect(await f.escrow.collector()).to.equal(await s.getAddress());
    });

    it("sets genesis to the deployment's block time and announces the split and the minimum root bond", async () => {
      const f = await loadFixture(deployFixture);
      const s = await ethers.deployContract("Settlement", [
        f.token,
        f.escrow,
        f.nodes,
        f.adapters,
        f.datanets,
        f.arbiter,
        f.owner.address,
        EPOCH,
        PARAMS,
      ]);
      const tx = s.deploymentTransaction();
      if (!tx) throw new Error("no deployment transaction");
      const block = await ethers.provider.getBlock((await tx.wait())?.blockNumber ?? 0);
      expect(await s.genesisTime()).to.equal(block?.timestamp);
      await expect(tx).to.emit(s, "SplitSet").withArgs(4_000n, 2_000n, 3_500n, 500n);
      await expect(tx).to.emit(s, "MinRootBondSet").withArgs(PARAMS.minRootBond);
    });

    it("exposes its EIP-712 domain (EIP-5267) and the type hashes of the canonical strings (THREATS #7)", async () => {
      const f = await loadFixture(deployFixture);
      const domain = await f.settlement.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
        "OLP Settlement",
        "1",
        f.chainId,
        await f.settlement.getAddress(),
      ]);
      expect(await f.settlement.RECEIPT_TYPEHASH()).to.equal(ethers.id(RECEIPT_TYPE));
      expect(await f.settlement.INFERENCE_RECORD_TYPEHASH()).to.equal(ethers.id(INFERENCE_RECORD_TYPE));
    });

    it("rejects a zero address, and an escrow of another token", async () => {
      const f = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("Settlement");
      type Args = Parameters<typeof factory.deploy>;
      const args: Args = [
        f.token,
        f.escrow,
        f.nodes,
        f.adapters,
        f.datanets,
        f.arbiter,
        f.owner.address,
        EPOCH,
        PARAMS,
      ];
      for (const i of [0, 1, 2, 3, 4, 5]) {
        const bad = [...args] as Args;
        bad[i] = ethers.ZeroAddress;
        // A zero escrow cannot even be asked for its token.
        if (i === 1) await expect(factory.deploy(...bad)).to.be.revert(ethers);
        else await expect(factory.deploy(...bad)).to.be.revertedWithCustomError(factory, "SettlementZeroAddress");
      }
      const other = await ethers.deployContract("OpenToken", [f.owner.address, 1n]);
      const bad = [...args] as Args;
      bad[0] = other;
      await expect(factory.deploy(...bad))
        .to.be.revertedWithCustomError(factory, "SettlementTokenMismatch")
        .withArgs(await other.getAddress(), await f.token.getAddress());
    });

    it("rejects an epoch of 0 or above 30 days", async () => {
      const f = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("Settlement");
      const deploy = (epoch: bigint) =>
        factory.deploy(f.token, f.escrow, f.nodes, f.adapters, f.datanets, f.arbiter, f.owner.address, epoch, PARAMS);
      for (const epoch of [0n, 30n * DAY + 1n]) {
        await expect(deploy(epoch))
          .to.be.revertedWithCustomError(factory, "SettlementInvalidEpochLength")
          .withArgs(epoch, 30n * DAY);
      }
      await deploy(30n * DAY);
    });

    it("rejects splits that do not sum to 100 %, or burn nothing (THREATS #21)", async () => {
      const f = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("Settlement");
      const bads: Partial<Params>[] = [
        { protocolBps: 501n },
        { nodeBps: 3_999n },
        { nodeBps: 4_500n, protocolBps: 0n },
        { nodeBps: 65_535n },
      ];
      for (const bad of bads) {
        const p = withParams(bad);
        await expect(
          factory.deploy(f.token, f.escrow, f.nodes, f.adapters, f.datanets, f.arbiter, f.owner.address, EPOCH, p),
        )
          .to.be.revertedWithCustomError(factory, "SettlementInvalidSplit")
          .withArgs(p.nodeBps, p.ownerBps, p.datasetsBps, p.protocolBps);
      }
    });

    it("rejects windows of 0 or above 30 days, an extension beyond the challenge window, and claim expiries out of bounds", async () => {
      const f = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("Settlement");
      const bads: Partial<Params>[] = [
        { postWindow: 0n },
        { postWindow: 30n * DAY + 1n },
        { challengeWindow: 0n },
        { challengeWindow: 30n * DAY + 1n },
        { extension: 2n * DAY + 1n },
        { claimExpiry: DAY + 2n * DAY + 7n * DAY - 1n },
        { claimExpiry: 5n * 365n * DAY + 1n },
      ];
      for (const bad of bads) {
        const p = withParams(bad);
        await expect(
          factory.deploy(f.token, f.escrow, f.nodes, f.adapters, f.datanets, f.arbiter, f.owner.address, EPOCH, p),
        )
          .to.be.revertedWithCustomError(factory, "SettlementInvalidPeriods")
          .withArgs(p.postWindow, p.challengeWindow, p.extension, p.claimExpiry);
      }
      await expect(
        factory.deploy(f.token, f.escrow, f.nodes, f.adapters, f.datanets, f.arbiter, f.owner.address, EPOCH, {
          ...PARAMS,
          minRootBond: 0n,
        }),
      )
        .to.be.revertedWithCustomError(factory, "SettlementInvalidMinRootBond")
        .withArgs(0n);
    });

    it("lets only the owner set the split, validated, for pools opened from then on", async () => {
      const f = await loadFixture(deployFixture);
      const s = f.settlement;
      await expect(s.connect(f.stranger).setSplit(5_000n, 1_000n, 3_000n, 1_000n))
        .to.be.revertedWithCustomError(s, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      await expect(s.setSplit(5_000n, 1_000n, 4_000n, 0n))
        .to.be.revertedWithCustomError(s, "SettlementInvalidSplit")
        .withArgs(5_000n, 1_000n, 4_000n, 0n);

      // The pool of this epoch opens with the deployment split and keeps it.
      await redeem(f, receiptOf(f, 100n));
      await expect(s.setSplit(5_000n, 1_000n, 3_000n, 1_000n))
        .to.emit(s, "SplitSet")
        .withArgs(5_000n, 1_000n, 3_000n, 1_000n);
      await redeem(f, receiptOf(f, 200n));
      const epoch = await s.currentEpoch();
      const pool = await s.getPool(f.node, 1n, epoch);
      expect([pool.nodeBps, pool.ownerBps, pool.datasetsBps]).to.deep.equal([4_000n, 2_000n, 3_500n]);
      expect(pool.amount).to.equal((200n * PRICE * 3_500n) / 10_000n);
      expect(await s.creditsOf(f.operator)).to.equal((200n * PRICE * 4_000n) / 10_000n);

      // The next epoch's pool opens with the new split.
      await endEpoch(f, epoch);
      await redeem(f, receiptOf(f, 300n));
      const next = await s.getPool(f.node, 1n, epoch + 1n);
      expect([next.nodeBps, next.ownerBps, next.datasetsBps]).to.deep.equal([5_000n, 1_000n, 3_000n]);
      expect(next.amount).to.equal((100n * PRICE * 3_000n) / 10_000n);
      expect((await s.getParams()).nodeBps).to.equal(5_000n);
    });

    it("lets only the owner set the minimum root bond, above 0", async () => {
      const f = await loadFixture(deployFixture);
      const s = f.settlement;
      await expect(s.connect(f.stranger).setMinRootBond(1n))
        .to.be.revertedWithCustomError(s, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      await expect(s.setMinRootBond(0n)).to.be.revertedWithCustomError(s, "SettlementInvalidMinRootBond").withArgs(0n);
      await expect(s.setMinRootBond(E(7)))
        .to.emit(s, "MinRootBondSet")
        .withArgs(E(7));
      expect((await s.getParams()).minRootBond).to.equal(E(7));
    });

    it("is deployed and wired by the Ignition Protocol module: the escrow's collector and an Arbiter subject", async () => {
      const connection = await network.create();
      const { default: ProtocolModule } = await import("../../ignition/modules/Protocol.js");
      const deployed = await connection.ignition.deploy(ProtocolModule);
      const settlement = await connection.ethers.getContractAt("Settlement", await deployed.settlement.getAddress());
      const escrow = await connection.ethers.getContractAt("PaymentEscrow", await deployed.paymentEscrow.getAddress());
      const arbiter = await connection.ethers.getContractAt("Arbiter", await deployed.arbiter.getAddress());
      expect(await escrow.collector()).to.equal(await settlement.getAddress());
      expect(await arbiter.isSubject(settlement)).to.equal(true);
      expect(await settlement.escrow()).to.equal(await escrow.getAddress());
      expect(await settlement.nodes()).to.equal(await deployed.nodeRegistry.getAddress());
      expect(await settlement.adapters()).to.equal(await deployed.adapterRegistry.getAddress());
      expect(await settlement.datanets()).to.equal(await deployed.datanetRegistry.getAddress());
      expect(await settlement.token()).to.equal(await deployed.token.getAddress());
      expect(await settlement.getParams()).to.deep.equal([
        4_000n,
        2_000n,
        3_500n,
        500n,
        2n * DAY,
        3n * DAY,
        HOUR,
        365n * DAY,
        E(100),
      ]);
    });
  });

  describe("golden vectors (test/vectors/receipts.json and attribution.json)", () => {
    type Vector = { name: string; inputs: Record<string, unknown>; outputs: Record<string, string> };
    const read = (name: string): Vector[] =>
      JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8")) as Vector[];

    it("ReceiptHashing gives every pinned type hash, struct hash and digest (THREATS #6, #7)", async () => {
      const mock = await ethers.deployContract("ReceiptHashingMock");
      const vectors = read("receipts.json");
      let checked = 0;
      for (const v of vectors) {
        if (v.name === "typehash: Receipt") expect(await mock.receiptTypehash()).to.equal(v.outputs.typehash);
        if (v.name === "typehash: InferenceRecord") {
          expect(await mock.inferenceRecordTypehash()).to.equal(v.outputs.typehash);
        }
        const domain = v.inputs.domain as { chainId: string; verifyingContract: string } | undefined;
        if (v.name.startsWith("receipt: ") && domain) {
          const receipt = v.inputs.receipt as unknown as Parameters<typeof mock.hashReceipt>[0];
          expect(await mock.hashReceipt(receipt), v.name).to.equal(v.outputs.structHash);
          expect(await mock.receiptDigest(receipt, domain.chainId, domain.verifyingContract), v.name).to.equal(
            v.outputs.digest,
          );
          checked++;
        }
        if (v.name.startsWith("record: ") && domain) {
          const record = v.inputs.record as unknown as Parameters<typeof mock.hashInferenceRecord>[0];
          expect(await mock.hashInferenceRecord(record), v.name).to.equal(v.outputs.structHash);
          expect(await mock.inferenceRecordDigest(record, domain.chainId, domain.verifyingContract), v.name).to.equal(
            v.outputs.digest,
          );
          checked++;
        }
      }
      expect(checked).to.equal(7);
    });

    it("the Settlement's digests are the TypeScript protocol's under its own domain", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 42n);
      const digest = getReceiptDigest(f.domain, receipt);
      expect(await f.settlement.receiptDigest(receipt)).to.equal(digest);
      const record: InferenceRecord = {
        receiptDigest: digest,
        outputHash: ethers.id("output") as Hex,
        promptTokens: 12,
        outputTokens: 34,
        datasetIds: [1n, 3n],
        weightsPpm: [999_999, 1],
      };
      const expected = ethers.TypedDataEncoder.hash(
        f.domain,
        { InferenceRecord: [...inferenceRecordTypes.InferenceRecord] },
        record,
      );
      const struct = { ...record, datasetIds: [...record.datasetIds], weightsPpm: [...record.weightsPpm] };
      expect(await f.settlement.inferenceRecordDigest(struct)).to.equal(expected);
    });

    it("a redemption splits every pinned amount as splitCollected does (DESIGN §6)", async () => {
      const f = await loadFixture(deployFixture);
      const splits = read("attribution.json").filter(
        (v) => v.name.startsWith("split: ") && v.name !== "split: the largest uint128",
      );
      expect(splits).to.have.length(3);
      const epoch = await f.settlement.currentEpoch();
      for (const [i, v] of splits.entries()) {
        const collected = BigInt(v.inputs.collected as string);
        const before = await f.settlement.getPool(f.node, 1n, epoch);
        const operatorBefore = await f.settlement.creditsOf(f.operator);
        const ownerBefore = await f.settlement.creditsOf(f.adapterOwner);
        await redeem(f, receiptOf(f, 1n, { lane: 10 + i, value: collected, cumulative: collected }));
        const after = await f.settlement.getPool(f.node, 1n, epoch);
        expect((await f.settlement.creditsOf(f.operator)) - operatorBefore, v.name).to.equal(
          BigInt(v.outputs.node ?? ""),
        );
        expect((await f.settlement.creditsOf(f.adapterOwner)) - ownerBefore, v.name).to.equal(
          BigInt(v.outputs.owner ?? ""),
        );
        expect(after.amount - before.amount, v.name).to.equal(BigInt(v.outputs.datasets ?? ""));
        expect(after.burn - before.burn, v.name).to.equal(BigInt(v.outputs.protocol ?? ""));
        expect(splitCollected(collected, SPLIT).protocol).to.equal(BigInt(v.outputs.protocol ?? ""));
      }
    });
  });
  describe("redeem", () => {
    it("redeems a receipt the TypeScript protocol signed: collects it, splits it, and emits Redeemed (DESIGN §6)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 7n);
      const signature = await signReceipt(PAYER_KEY, f.domain, receipt);
      const epoch = await f.settlement.currentEpoch();
      const collected = 7n * PRICE;
      const parts = splitCollected(collected, SPLIT);
      const tx = f.settlement.connect(f.operator).redeem(receipt, signature);
      await expect(tx)
        .to.emit(f.settlement, "Redeemed")
        .withArgs(f.payer.address, f.node.address, 1n, 0n, 0n, 7n, collected, collected, epoch);
      await expect(tx).to.emit(f.escrow, "Collected").withArgs(f.payer.address, f.node.address, collected);
      // No token moves: the escrow keeps the collection for the Settlement until it pays it out.
      await expect(tx).to.changeTokenBalances(ethers, f.token, [f.escrow, f.settlement], [0n, 0n]);
      expect(await f.escrow.collectedUnreleased()).to.equal(collected);
      expect(await f.settlement.getLane(f.payer, f.node, 1n, 0)).to.deep.equal([collected, 7n]);
      expect(await f.settlement.creditsOf(f.operator)).to.equal(parts.node);
      expect(await f.settlement.creditsOf(f.adapterOwner)).to.equal(parts.owner);
      const pool = await f.settlement.getPool(f.node, 1n, epoch);
      expect([pool.amount, pool.burn, pool.claimed]).to.deep.equal([parts.datasets, parts.protocol, 0n]);
      expect(await f.settlement.laneId(f.payer, f.node, 1n, 0)).to.equal(laneIdOf(receipt));
      expect(await f.settlement.poolId(f.node, 1n, epoch)).to.equal(getPoolId(f.node.address as Address, 1n, epoch));
      await expectSolvent(f, [[f.node.address, 1n, epoch]]);
    });

    it("redeems a receipt ethers signed from the same TypeScript types (THREATS #7)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 3n);
      const signature = await f.payer.signTypedData(f.domain, { Receipt: [...receiptTypes.Receipt] }, receipt);
      expect(signature).to.equal(await signReceipt(PAYER_KEY, f.domain, receipt));
      await expect(f.settlement.connect(f.operator).redeem(receipt, signature)).to.emit(f.settlement, "Redeemed");
    });

    it("lets the node itself redeem; the node part still goes to its operator", async () => {
      const f = await loadFixture(deployFixture);
      await redeem(f, receiptOf(f, 10n), PAYER_KEY, f.node);
      expect(await f.settlement.creditsOf(f.operator)).to.equal(splitCollected(10n * PRICE, SPLIT).node);
      expect(await f.settlement.creditsOf(f.node)).to.equal(0n);
    });

    it("collects only the delta of a later receipt, in one storage write whatever the number of requests", async () => {
      const f = await loadFixture(deployFixture);
      await redeem(f, receiptOf(f, 2n));
      const tx = redeem(f, receiptOf(f, 1_002n));
      await expect(tx)
        .to.emit(f.settlement, "Redeemed")
        .withArgs(f.payer.address, f.node.address, 1n, 0n, 2n, 1_002n, 1_002n * PRICE, 1_000n * PRICE, anyValue);
      expect((await f.settlement.getLane(f.payer, f.node, 1n, 0)).collected).to.equal(1_002n * PRICE);
    });

    it("costs the same gas for 1 and for 1,000,000 requests (DESIGN §6)", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).deposit(f.node, E(2_000));
      // 10,000 wei per request, so that every part of even one request is above 0; two lanes already redeemed
      // once, and the credits and the pool already written (the steady state).
      const lane = (n: number, seq: bigint) =>
        receiptOf(f, seq, { lane: n, value: 10_000n, cumulative: seq * 10_000n });
      await redeem(f, lane(1, 1n));
      await redeem(f, lane(2, 1n));
      const one = await gasOf(redeem(f, lane(1, 2n)));
      const million = await gasOf(redeem(f, lane(2, 1_000_001n)));
      // Only calldata and log bytes differ (a larger cumulative has more non-zero bytes).
      expect(million - one < 200n && one - million < 200n, `${one} vs ${million}`).to.equal(true);
    });

    it("refuses the same receipt twice: nothing is owed (THREATS #3)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 5n);
      await redeem(f, receipt);
      await expect(redeem(f, receipt))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNothingOwed")
        .withArgs(laneIdOf(receipt), 5n * PRICE, 5n * PRICE);
    });

    it("refuses an older receipt after a newer one, and a lower or equal cumulative (THREATS #4)", async () => {
      const f = await loadFixture(deployFixture);
      await redeem(f, receiptOf(f, 10n));
      const older = receiptOf(f, 9n);
      await expect(redeem(f, older))
        .to.be.revertedWithCustomError(f.settlement, "SettlementStaleSeq")
        .withArgs(laneIdOf(older), 9n, 10n);
      // A newer seq whose cumulative does not rise, and the same seq with a lower one.
      for (const bad of [
        receiptOf(f, 11n, { cumulative: 10n * PRICE }),
        receiptOf(f, 10n, { cumulative: 9n * PRICE }),
      ]) {
        await expect(redeem(f, bad))
          .to.be.revertedWithCustomError(f.settlement, "SettlementNothingOwed")
          .withArgs(laneIdOf(bad), bad.cumulative, 10n * PRICE);
      }
    });

    it("refuses a receipt signed for another chain id or another contract (THREATS #8)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 1n);
      const domains: SettlementDomain[] = [
        { ...f.domain, chainId: f.chainId + 1n },
        { ...f.domain, verifyingContract: (await f.escrow.getAddress()) as Address },
      ];
      for (const domain of domains) {
        const signature = await signReceipt(PAYER_KEY, domain, receipt);
        const recovered = await recoverReceiptSigner(f.domain, receipt, signature);
        expect(recovered).to.not.equal(f.payer.address);
        await expect(f.settlement.connect(f.operator).redeem(receipt, signature))
          .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
          .withArgs(f.payer.address, recovered);
      }
    });

    it("refuses a receipt with any one field changed after signing (THREATS #6)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 4n);
      const signature = await signReceipt(PAYER_KEY, f.domain, receipt);
      const flips: Partial<Receipt>[] = [
        { payer: f.payer2.address as Address },
        { node: f.node2.address as Address },
        { versionId: 2n },
        { lane: 1 },
        { seq: 5n },
        { requestHash: ethers.id("another request") as Hex },
        { value: PRICE + 1n },
        { cumulative: receipt.cumulative + 1n },
      ];
      expect(flips.map((flip) => Object.keys(flip)[0])).to.deep.equal(receiptTypes.Receipt.map((t) => t.name));
      for (const flip of flips) {
        const changed = { ...receipt, ...flip };
        const recovered = await recoverReceiptSigner(f.domain, changed, signature);
        await expect(f.settlement.connect(f.operator).redeem(changed, signature), Object.keys(flip)[0])
          .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
          .withArgs(changed.payer, recovered);
      }
      await expect(f.settlement.connect(f.operator).redeem(receipt, signature)).to.emit(f.settlement, "Redeemed");
    });

    it("refuses a receipt for node A redeemed by node B, B's operator or a stranger (THREATS #2)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 1n);
      for (const caller of [f.node2, f.operator2, f.stranger]) {
        await expect(redeem(f, receipt, PAYER_KEY, caller))
          .to.be.revertedWithCustomError(f.settlement, "SettlementCallerNotNodeOrOperator")
          .withArgs(caller.address, f.node.address);
      }
    });

    it("refuses a receipt naming an address the payer controls instead of a staked node (THREATS #1)", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).deposit(f.stranger, E(10));
      const receipt = receiptOf(f, 100n, { node: f.stranger.address as Address });
      await expect(redeem(f, receipt, PAYER_KEY, f.stranger))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNodeNotActive")
        .withArgs(f.stranger.address);
    });

    it("refuses a node whose stake fell below the minimum", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).deposit(f.node2, E(10));
      await f.nodes.connect(f.node2).requestUnbond(MIN_STAKE);
      await expect(redeem(f, receiptOf(f, 1n, { node: f.node2.address as Address }), PAYER_KEY, f.operator2))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNodeNotActive")
        .withArgs(f.node2.address);
    });

    it("refuses a version that is pending or unknown", async () => {
      const f = await loadFixture(deployFixture);
      for (const versionId of [2n, 99n]) {
        await expect(redeem(f, receiptOf(f, 1n, { versionId })))
          .to.be.revertedWithCustomError(f.settlement, "SettlementVersionNotActive")
          .withArgs(versionId);
      }
    });

    it("refuses a signer the payer never authorized", async () => {
      const f = await loadFixture(deployFixture);
      const stranger = privateKeyToAccount(STRANGER_KEY).address;
      await expect(redeem(f, receiptOf(f, 1n), STRANGER_KEY))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
        .withArgs(f.payer.address, stranger);
    });

    it("accepts an authorized signer, still while it thaws, and never once revoked (THREATS #18)", async () => {
      const f = await loadFixture(deployFixture);
      const signer = privateKeyToAccount(SIGNER_KEY).address;
      await authorizeSigner(f, f.payer, SIGNER_KEY);
      await redeem(f, receiptOf(f, 1n), SIGNER_KEY);
      await f.escrow.connect(f.payer).thawSigner(signer);
      await redeem(f, receiptOf(f, 2n), SIGNER_KEY);
      await time.increase(3n * DAY + 1n);
      await f.escrow.connect(f.payer).revokeSigner(signer);
      await expect(redeem(f, receiptOf(f, 3n), SIGNER_KEY))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
        .withArgs(f.payer.address, signer);
      // The payer's own key always signs for it.
      await redeem(f, receiptOf(f, 3n));
    });

    it("accepts an emergency-revoked signer during the grace period only", async () => {
      const f = await loadFixture(deployFixture);
      const signer = privateKeyToAccount(SIGNER_KEY).address;
      await authorizeSigner(f, f.payer, SIGNER_KEY);
      await f.escrow.connect(f.payer).emergencyRevokeSigner(signer);
      await redeem(f, receiptOf(f, 1n), SIGNER_KEY);
      await time.increase(HOUR);
      await expect(redeem(f, receiptOf(f, 2n), SIGNER_KEY))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
        .withArgs(f.payer.address, signer);
    });

    it("refuses a signer reused for a second payer, and keeps the first payer's lane (THREATS #5)", async () => {
      const f = await loadFixture(deployFixture);
      const signer = privateKeyToAccount(SIGNER_KEY).address;
      await authorizeSigner(f, f.payer, SIGNER_KEY);
      await redeem(f, receiptOf(f, 5n), SIGNER_KEY);
      await expect(authorizeSigner(f, f.payer2, SIGNER_KEY, 2n))
        .to.be.revertedWithCustomError(f.escrow, "PaymentEscrowSignerOfAnotherPayer")
        .withArgs(signer, f.payer.address);
      await f.escrow.connect(f.payer2).deposit(f.node, E(10));
      const forPayer2 = receiptOf(f, 5n, { payer: f.payer2.address as Address });
      await expect(redeem(f, forPayer2, SIGNER_KEY))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
        .withArgs(f.payer2.address, signer);
      expect(await f.settlement.getLane(f.payer, f.node, 1n, 0)).to.deep.equal([5n * PRICE, 5n]);
      expect(await f.settlement.getLane(f.payer2, f.node, 1n, 0)).to.deep.equal([0n, 0n]);
    });

    it("refuses the high-s twin, the 64-byte form, 66 bytes and a v of 0 (THREATS #22)", async () => {
      const f = await loadFixture(deployFixture);
      const receipt = receiptOf(f, 1n);
      const signature = ethers.Signature.from(await signReceipt(PAYER_KEY, f.domain, receipt));
      const highS = ethers.concat([
        signature.r,
        ethers.toBeHex(SECP256K1_N - BigInt(signature.s), 32),
        signature.v === 27 ? "0x1c" : "0x1b",
      ]);
      const s = f.settlement.connect(f.operator);
      await expect(s.redeem(receipt, highS)).to.be.revertedWithCustomError(f.settlement, "SettlementInvalidSignature");
      await expect(s.redeem(receipt, signature.compactSerialized))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidSignatureLength")
        .withArgs(64n);
      await expect(s.redeem(receipt, ethers.concat([signature.serialized, "0x00"])))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidSignatureLength")
        .withArgs(66n);
      const vZero = ethers.concat([signature.r, signature.s, signature.v === 27 ? "0x00" : "0x01"]);
      await expect(s.redeem(receipt, vZero)).to.be.revertedWithCustomError(f.settlement, "SettlementInvalidSignature");
      // Once the canonical form is redeemed, the lane, not the bytes, refuses it again.
      await s.redeem(receipt, signature.serialized);
      await expect(s.redeem(receipt, highS)).to.be.revertedWithCustomError(f.settlement, "SettlementInvalidSignature");
    });

    it("collects thawing funds when the node redeems before the payer withdraws (THREATS #12, #13)", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).thaw(f.node, E(100));
      const thawEnd = (await f.escrow.accountOf(f.payer, f.node)).thawEnd;
      await time.setNextBlockTimestamp(thawEnd);
      await expect(f.escrow.connect(f.payer).withdraw(f.node))
        .to.be.revertedWithCustomError(f.escrow, "PaymentEscrowStillThawing")
        .withArgs(f.payer.address, f.node.address, thawEnd);
      await redeem(f, receiptOf(f, 6_000n));
      expect(await f.escrow.accountOf(f.payer, f.node)).to.deep.equal([E(40), E(40), thawEnd]);
      await expect(f.escrow.connect(f.payer).withdraw(f.node)).to.changeTokenBalance(ethers, f.token, f.payer, E(40));
      await expect(redeem(f, receiptOf(f, 6_001n)))
        .to.be.revertedWithCustomError(f.settlement, "SettlementEscrowEmpty")
        .withArgs(f.payer.address, f.node.address);
    });

    it("leaves the receipt redeemable when the payer withdraws first: nothing is marked collected", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).thaw(f.node, E(100));
      await time.increaseTo((await f.escrow.accountOf(f.payer, f.node)).thawEnd + 1n);
      await f.escrow.connect(f.payer).withdraw(f.node);
      const receipt = receiptOf(f, 6_000n);
      await expect(redeem(f, receipt))
        .to.be.revertedWithCustomError(f.settlement, "SettlementEscrowEmpty")
        .withArgs(f.payer.address, f.node.address);
      await f.escrow.connect(f.payer).deposit(f.node, E(60));
      await expect(redeem(f, receipt))
        .to.emit(f.settlement, "Redeemed")
        .withArgs(anyValue, anyValue, 1n, 0n, 0n, 6_000n, E(60), E(60), anyValue);
    });

    it("collects what an underfunded escrow holds and the rest after a top-up, never more (THREATS #9, #20)", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer2).deposit(f.node, 5n * PRICE);
      const receipt = receiptOf(f, 8n, { payer: f.payer2.address as Address });
      await expect(redeem(f, receipt, PAYER2_KEY))
        .to.emit(f.settlement, "Redeemed")
        .withArgs(f.payer2.address, f.node.address, 1n, 0n, 0n, 8n, 8n * PRICE, 5n * PRICE, anyValue);
      expect(await f.settlement.getLane(f.payer2, f.node, 1n, 0)).to.deep.equal([5n * PRICE, 8n]);
      await expect(redeem(f, receipt, PAYER2_KEY))
        .to.be.revertedWithCustomError(f.settlement, "SettlementEscrowEmpty")
        .withArgs(f.payer2.address, f.node.address);
      await f.escrow.connect(f.payer2).deposit(f.node, E(1));
      // The same receipt again: fromSeq = toSeq, it covers no new request.
      await expect(redeem(f, receipt, PAYER2_KEY))
        .to.emit(f.settlement, "Redeemed")
        .withArgs(f.payer2.address, f.node.address, 1n, 0n, 8n, 8n, 8n * PRICE, 3n * PRICE, anyValue);
      await expect(redeem(f, receipt, PAYER2_KEY))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNothingOwed")
        .withArgs(laneIdOf(receipt), 8n * PRICE, 8n * PRICE);
      expect(await f.escrow.collectable(f.payer2, f.node)).to.equal(E(1) - 3n * PRICE);
    });

    it("collects in full after a stranger's 1-wei top-up, which does not touch the payer's thaw (THREATS #10, #11)", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).thaw(f.node, E(50));
      const before = await f.escrow.accountOf(f.payer, f.node);
      await f.token.connect(f.stranger).approve(f.escrow, 1n);
      await f.escrow.connect(f.stranger).depositTo(f.payer, f.node, 1n);
      await expect(f.escrow.connect(f.stranger).depositTo(f.payer, f.node, 0n)).to.be.revertedWithCustomError(
        f.escrow,
        "PaymentEscrowZeroAmount",
      );
      expect(await f.escrow.accountOf(f.payer, f.node)).to.deep.equal([
        before.balance + 1n,
        before.thawing,
        before.thawEnd,
      ]);
      await expect(redeem(f, receiptOf(f, 1_000n)))
        .to.emit(f.settlement, "Redeemed")
        .withArgs(anyValue, anyValue, 1n, 0n, 0n, 1_000n, E(10), E(10), anyValue);
    });

    it("keeps lanes apart: lanes of one payer, and the same lane number of two payers", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer2).deposit(f.node, E(10));
      await redeem(f, receiptOf(f, 3n, { lane: 0 }));
      await redeem(f, receiptOf(f, 1n, { lane: 1 }));
      await redeem(f, receiptOf(f, 2n, { payer: f.payer2.address as Address }), PAYER2_KEY);
      expect(await f.settlement.getLane(f.payer, f.node, 1n, 0)).to.deep.equal([3n * PRICE, 3n]);
      expect(await f.settlement.getLane(f.payer, f.node, 1n, 1)).to.deep.equal([PRICE, 1n]);
      expect(await f.settlement.getLane(f.payer2, f.node, 1n, 0)).to.deep.equal([2n * PRICE, 2n]);
    });
  });

  describe("redeemMany", () => {
    it("redeems lanes of several payers in one call, writing each credit and the pool once", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer2).deposit(f.node, E(10));
      await authorizeSigner(f, f.payer, SIGNER_KEY);
      const receipts = [
        receiptOf(f, 10n),
        receiptOf(f, 20n, { lane: 1 }),
        receiptOf(f, 30n, { payer: f.payer2.address as Address }),
        receiptOf(f, 40n, { lane: 2 }),
      ];
      const keys = [PAYER_KEY, SIGNER_KEY, PAYER2_KEY, SIGNER_KEY];
      const signatures = await Promise.all(receipts.map((r, i) => signReceipt(keys[i] ?? PAYER_KEY, f.domain, r)));
      const epoch = await f.settlement.currentEpoch();
      const tx = f.settlement.connect(f.operator).redeemMany(receipts, signatures);
      for (const r of receipts) {
        await expect(tx)
          .to.emit(f.settlement, "Redeemed")
          .withArgs(r.payer, r.node, 1n, r.lane, 0n, r.seq, r.cumulative, r.cumulative, epoch);
      }
      let expected = { node: 0n, owner: 0n, datasets: 0n, protocol: 0n };
      for (const r of receipts) {
        const p = splitCollected(r.cumulative, SPLIT);
        expected = {
          node: expected.node + p.node,
          owner: expected.owner + p.owner,
          datasets: expected.datasets + p.datasets,
          protocol: expected.protocol + p.protocol,
        };
      }
      expect(await f.settlement.creditsOf(f.operator)).to.equal(expected.node);
      expect(await f.settlement.creditsOf(f.adapterOwner)).to.equal(expected.owner);
      const pool = await f.settlement.getPool(f.node, 1n, epoch);
      expect([pool.amount, pool.burn]).to.deep.equal([expected.datasets, expected.protocol]);
      expect(
        await f.settlement
          .connect(f.operator)
          .redeemMany.staticCall([receiptOf(f, 11n)], [await signReceipt(PAYER_KEY, f.domain, receiptOf(f, 11n))]),
      ).to.equal(PRICE);
      await expectSolvent(f, [[f.node.address, 1n, epoch]]);
    });

    it("writes the credits and pools of two nodes and two epochs' versions apart", async () => {
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).deposit(f.node2, E(10));
      // One operator redeems for its node only: node2's receipts need node2's operator.
      const mixed = [receiptOf(f, 10n), receiptOf(f, 10n, { node: f.node2.address as Address })];
      const sigs = await Promise.all(mixed.map((r) => signReceipt(PAYER_KEY, f.domain, r)));
      await expect(f.settlement.connect(f.operator).redeemMany(mixed, sigs))
        .to.be.revertedWithCustomError(f.settlement, "SettlementCallerNotNodeOrOperator")
        .withArgs(f.operator.address, f.node2.address);
      await f.settlement.connect(f.operator2).redeemMany([mixed[1] as Receipt], [sigs[1] as string]);
      expect(await f.settlement.creditsOf(f.operator2)).to.equal(splitCollected(10n * PRICE, SPLIT).node);
      expect(await f.settlement.creditsOf(f.operator)).to.equal(0n);
    });

    it("reverts whole when one receipt fails", async () => {
      const f = await loadFixture(deployFixture);
      const good = receiptOf(f, 10n);
      const bad = receiptOf(f, 10n, { lane: 1 });
      const signatures = [await signReceipt(PAYER_KEY, f.domain, good), await signReceipt(STRANGER_KEY, f.domain, bad)];
      await expect(f.settlement.connect(f.operator).redeemMany([good, bad], signatures)).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementSignerNotAuthorized",
      );
      expect(await f.settlement.getLane(f.payer, f.node, 1n, 0)).to.deep.equal([0n, 0n]);
    });

    it("refuses no receipts, and as many signatures as receipts only", async () => {
      const f = await loadFixture(deployFixture);
      const r = receiptOf(f, 1n);
      const sig = await signReceipt(PAYER_KEY, f.domain, r);
      await expect(f.settlement.connect(f.operator).redeemMany([], []))
        .to.be.revertedWithCustomError(f.settlement, "SettlementBatchLength")
        .withArgs(0n, 0n);
      await expect(f.settlement.connect(f.operator).redeemMany([r], [sig, sig]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementBatchLength")
        .withArgs(1n, 2n);
    });

    it("fits 500 lanes in one transaction under the 2^24 gas cap (EIP-7825), at under 30k gas per extra lane", async function () {
      this.timeout(120_000);
      const f = await loadFixture(deployFixture);
      await f.escrow.connect(f.payer).deposit(f.node, E(1_000));
      const lanes = 500;
      const receipts = Array.from({ length: lanes }, (_, i) => receiptOf(f, 1n, { lane: 1_000 + i }));
      const signatures = await Promise.all(receipts.map((r) => signReceipt(PAYER_KEY, f.domain, r)));
      // Warm every lane once, in two calls (first redemptions write new slots), then measure the steady state.
      const half = lanes / 2;
      // An explicit gas limit spares the gas estimation, which runs the whole batch many times.
      const gasLimit = 2n ** 24n;
      await f.settlement
        .connect(f.operator)
        .redeemMany(receipts.slice(0, half), signatures.slice(0, half), { gasLimit });
      await f.settlement.connect(f.operator).redeemMany(receipts.slice(half), signatures.slice(half), { gasLimit });
      const next = receipts.map((r) => ({ ...r, seq: 2n, cumulative: 2n * PRICE }));
      const nextSignatures = await Promise.all(next.map((r) => signReceipt(PAYER_KEY, f.domain, r)));
      const one = await gasOf(
        f.settlement
          .connect(f.operator)
          .redeemMany([receiptOf(f, 1n)], [await signReceipt(PAYER_KEY, f.domain, receiptOf(f, 1n))]),
      );
      const all = await gasOf(f.settlement.connect(f.operator).redeemMany(next, nextSignatures, { gasLimit }));
      expect(all < 2n ** 24n).to.equal(true);
      expect((all - one) / BigInt(lanes - 1) < 30_000n, `${(all - one) / BigInt(lanes - 1)} per lane`).to.equal(true);
      expect(await f.settlement.getLane(f.payer, f.node, 1n, 1_000 + lanes - 1)).to.deep.equal([2n * PRICE, 2n]);
    });
  });

  describe("withdraw and flushBurn", () => {
    it("pays the operator and the adapter owner their credits, once", async () => {
      const f = await loadFixture(deployFixture);
      await redeem(f, receiptOf(f, 100n));
      const parts = splitCollected(100n * PRICE, SPLIT);
      const tx = f.settlement.connect(f.operator).withdraw();
      await expect(tx).to.emit(f.settlement, "CreditsWithdrawn").withArgs(f.operator.address, parts.node);
      // Paid out of what the escrow holds for the Settlement.
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.escrow, f.settlement, f.operator],
        [-parts.node, 0n, parts.node],
      );
      await expect(tx).to.emit(f.escrow, "Released").withArgs(f.operator.address, parts.node);
      await expect(f.settlement.connect(f.adapterOwner).withdraw()).to.changeTokenBalance(
        ethers,
        f.token,
        f.adapterOwner,
        parts.owner,
      );
      for (const who of [f.operator, f.stranger]) {
        await expect(f.settlement.connect(who).withdraw())
          .to.be.revertedWithCustomError(f.settlement, "SettlementNoCredits")
          .withArgs(who.address);
      }
    });

    it("lets anyone burn a pool's accrued protocol parts, once", async () => {
      const f = await loadFixture(deployFixture);
      const epoch = await f.settlement.currentEpoch();
      await redeem(f, receiptOf(f, 100n));
      const burn = splitCollected(100n * PRICE, SPLIT).protocol;
      const id = getPoolId(f.node.address as Address, 1n, epoch);
      const supply = await f.token.totalSupply();
      await expect(f.settlement.connect(f.stranger).flushBurn(f.node, 1n, epoch))
        .to.emit(f.settlement, "BurnFlushed")
        .withArgs(id, burn);
      expect(await f.token.totalSupply()).to.equal(supply - burn);
      await expect(f.settlement.flushBurn(f.node, 1n, epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNothingToBurn")
        .withArgs(id);
      await redeem(f, receiptOf(f, 101n));
      await f.settlement.flushBurn(f.node, 1n, epoch);
      await expectSolvent(f, [[f.node.address, 1n, epoch]]);
    });
  });
  describe("attribution roots", () => {
    it("lets the operator post the pool's root with its bond after the epoch; the window opens", async () => {
      const f = await loadFixture(poolFixture);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Collecting);
      await endEpoch(f, f.epoch);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Posting);
      const tree = buildAttributionTree(f.leaves);
      const recordsRoot = getRecordsRoot([ethers.id("record") as Hex]);
      const postedAt = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(postedAt);
      const tx = f.settlement
        .connect(f.operator)
        .postAttributionRoot(f.node, 1n, f.epoch, tree.root, f.amount, recordsRoot, PARAMS.minRootBond);
      await expect(tx)
        .to.emit(f.settlement, "AttributionRootPosted")
        .withArgs(
          f.id,
          f.node.address,
          1n,
          f.epoch,
          tree.root,
          f.amount,
          recordsRoot,
          f.operator.address,
          PARAMS.minRootBond,
          postedAt + PARAMS.challengeWindow,
        );
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.operator, f.settlement],
        [-PARAMS.minRootBond, PARAMS.minRootBond],
      );
      const pool = await f.settlement.getPool(f.node, 1n, f.epoch);
      expect([pool.root, pool.poster, pool.challengeEnd, pool.bond, pool.openChallenges, pool.fellBack]).to.deep.equal([
        tree.root,
        f.operator.address,
        postedAt + PARAMS.challengeWindow,
        PARAMS.minRootBond,
        0n,
        false,
      ]);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Challenging);
      await time.increaseTo(postedAt + PARAMS.challengeWindow);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Claimable);
      await time.increaseTo((await f.settlement.epochEnd(f.epoch)) + PARAMS.claimExpiry);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Expired);
    });

    it("lets the node itself post, and refuses anyone else", async () => {
      const f = await loadFixture(poolFixture);
      await endEpoch(f, f.epoch);
      const root = buildAttributionTree(f.leaves).root;
      for (const who of [f.stranger, f.operator2]) {
        await expect(
          f.settlement.connect(who).postAttributionRoot(f.node, 1n, f.epoch, root, f.amount, root, PARAMS.minRootBond),
        )
          .to.be.revertedWithCustomError(f.settlement, "SettlementCallerNotNodeOrOperator")
          .withArgs(who.address, f.node.address);
      }
      await f.settlement
        .connect(f.node)
        .postAttributionRoot(f.node, 1n, f.epoch, root, f.amount, root, PARAMS.minRootBond);
      expect((await f.settlement.getPool(f.node, 1n, f.epoch)).poster).to.equal(f.node.address);
    });

    it("refuses a root before the epoch ends, after the post window, and a second root", async () => {
      const f = await loadFixture(poolFixture);
      const root = buildAttributionTree(f.leaves).root;
      const post = () =>
        f.settlement
          .connect(f.operator)
          .postAttributionRoot(f.node, 1n, f.epoch, root, f.amount, root, PARAMS.minRootBond);
      await expect(post())
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Collecting);
      await endEpoch(f, f.epoch);
      await post();
      await expect(post())
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Challenging);
      const late = await loadFixture(fallbackFixture);
      await expect(
        late.settlement
          .connect(late.operator)
          .postAttributionRoot(late.node, 1n, late.epoch, root, late.amount, root, PARAMS.minRootBond),
      )
        .to.be.revertedWithCustomError(late.settlement, "SettlementInvalidPoolStatus")
        .withArgs(late.id, Status.Fallback);
    });

    it("refuses a zero root, an empty pool, a total other than the pool, and a bond below the minimum", async () => {
      const f = await loadFixture(poolFixture);
      await endEpoch(f, f.epoch);
      const root = buildAttributionTree(f.leaves).root;
      const s = f.settlement.connect(f.operator);
      await expect(
        s.postAttributionRoot(f.node, 1n, f.epoch, ethers.ZeroHash, f.amount, root, PARAMS.minRootBond),
      ).to.be.revertedWithCustomError(f.settlement, "SettlementZeroRoot");
      const empty = getPoolId(f.node.address as Address, 3n, f.epoch);
      await expect(s.postAttributionRoot(f.node, 3n, f.epoch, root, 0n, root, PARAMS.minRootBond))
        .to.be.revertedWithCustomError(f.settlement, "SettlementEmptyPool")
        .withArgs(empty);
      await expect(s.postAttributionRoot(f.node, 1n, f.epoch, root, f.amount + 1n, root, PARAMS.minRootBond))
        .to.be.revertedWithCustomError(f.settlement, "SettlementTotalMismatch")
        .withArgs(f.id, f.amount + 1n, f.amount);
      await expect(s.postAttributionRoot(f.node, 1n, f.epoch, root, f.amount, root, PARAMS.minRootBond - 1n))
        .to.be.revertedWithCustomError(f.settlement, "SettlementBondTooLow")
        .withArgs(PARAMS.minRootBond - 1n, PARAMS.minRootBond);
    });

    it("credits a final root's bond back to its poster, once", async () => {
      const f = await loadFixture(postedFixture);
      await expect(f.settlement.releaseRootBond(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Challenging);
      await time.increaseTo(f.challengeEnd);
      await expect(f.settlement.connect(f.stranger).releaseRootBond(f.node, 1n, f.epoch))
        .to.emit(f.settlement, "RootBondReleased")
        .withArgs(f.id, f.operator.address, PARAMS.minRootBond);
      expect(await f.settlement.creditsOf(f.operator)).to.equal(
        splitCollected(1_000n * PRICE, SPLIT).node + PARAMS.minRootBond,
      );
      await expect(f.settlement.releaseRootBond(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNoBond")
        .withArgs(f.id);
      await expectSolvent(f, [[f.node.address, 1n, f.epoch]]);
    });

    it("has no bond to release for a pool that never had a root", async () => {
      const f = await loadFixture(fallbackFixture);
      await expect(f.settlement.releaseRootBond(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Fallback);
      await time.increaseTo((await f.settlement.epochEnd(f.epoch)) + PARAMS.claimExpiry);
      await expect(f.settlement.releaseRootBond(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNoBond")
        .withArgs(f.id);
    });
  });

  describe("challenges through the Arbiter", () => {
    it("opens a challenge: the poster defends, the pool waits for the ruling", async () => {
      const f = await loadFixture(postedFixture);
      const claimed = ethers.id("the honest root");
      const tx = f.arbiter
        .connect(f.challenger)
        .openChallenge(f.settlement, f.id, evidence(claimed), ARBITER_PARAMS.minBond);
      await expect(tx)
        .to.emit(f.settlement, "RootChallenged")
        .withArgs(f.id, 1n, f.challenger.address, claimed, f.challengeEnd);
      await expect(tx)
        .to.emit(f.arbiter, "ChallengeOpened")
        .withArgs(
          1n,
          await f.settlement.getAddress(),
          f.id,
          f.challenger.address,
          f.operator.address,
          ARBITER_PARAMS.minBond,
          evidence(claimed),
          anyValue,
          anyValue,
        );
      await time.increaseTo(f.challengeEnd + 1n);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Challenging);
      await expect(f.settlement.claim([claimOf(f, 1n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Challenging);
    });

    it("extends the window when a challenge comes in its last seconds, and only then", async () => {
      const f = await loadFixture(postedFixture);
      await time.setNextBlockTimestamp(f.challengeEnd - PARAMS.extension - 10n);
      await challenge(f);
      expect((await f.settlement.getPool(f.node, 1n, f.epoch)).challengeEnd).to.equal(f.challengeEnd);
      const last = f.challengeEnd - 1n;
      await time.setNextBlockTimestamp(last);
      await expect(
        f.arbiter
          .connect(f.challenger)
          .openChallenge(f.settlement, f.id, evidence(ethers.id("x")), ARBITER_PARAMS.minBond),
      )
        .to.emit(f.settlement, "RootChallenged")
        .withArgs(f.id, 2n, f.challenger.address, ethers.id("x"), last + PARAMS.extension);
      const pool = await f.settlement.getPool(f.node, 1n, f.epoch);
      expect([pool.challengeEnd, pool.openChallenges]).to.deep.equal([last + PARAMS.extension, 2n]);
      // Someone else can still answer within the extension.
      await time.setNextBlockTimestamp(last + PARAMS.extension - 1n);
      await challenge(f, ethers.id("y"));
    });

    it("refuses a challenge once the window closed, before any root, or against a rejected root", async () => {
      const f = await loadFixture(postedFixture);
      await time.setNextBlockTimestamp(f.challengeEnd);
      await expect(challenge(f))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotChallengeable")
        .withArgs(f.id, f.challengeEnd);
      const p = await loadFixture(poolFixture);
      await expect(
        p.arbiter
          .connect(p.challenger)
          .openChallenge(p.settlement, p.id, evidence(ethers.id("r")), ARBITER_PARAMS.minBond),
      )
        .to.be.revertedWithCustomError(p.settlement, "SettlementNotChallengeable")
        .withArgs(p.id, 0n);
      const g = await loadFixture(postedFixture);
      await rule(g, await challenge(g), true);
      await expect(challenge(g)).to.be.revertedWithCustomError(g.settlement, "SettlementNotChallengeable");
    });

    it("refuses evidence that is not one word, or that names the posted root", async () => {
      const f = await loadFixture(postedFixture);
      const open = (data: string) =>
        f.arbiter.connect(f.challenger).openChallenge(f.settlement, f.id, data, ARBITER_PARAMS.minBond);
      await expect(open("0x1234"))
        .to.be.revertedWithCustomError(f.settlement, "SettlementMalformedEvidence")
        .withArgs(2n);
      await expect(open(evidence(f.tree.root)))
        .to.be.revertedWithCustomError(f.settlement, "SettlementEvidenceIsPostedRoot")
        .withArgs(f.tree.root);
      // Zero names no root: the node's records could not be fetched.
      await open(evidence(ethers.ZeroHash));
    });

    it("keeps the root and its bond when the challenge is dismissed", async () => {
      const f = await loadFixture(postedFixture);
      const id = await challenge(f);
      await expect(rule(f, id, false))
        .to.emit(f.settlement, "RootChallengeResolved")
        .withArgs(f.id, id, Ruling.Dismissed, 0n);
      const pool = await f.settlement.getPool(f.node, 1n, f.epoch);
      expect([pool.openChallenges, pool.fellBack, pool.bond]).to.deep.equal([0n, false, PARAMS.minRootBond]);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Challenging);
      await time.increaseTo(f.challengeEnd);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Claimable);
      await f.settlement.claim([claimOf(f, 1n)]);
      expect(await f.arbiter.credits(f.operator)).to.be.greaterThan(0n);
    });

    it("slashes the bond to the Arbiter and falls back to the contributors root when the challenge is upheld", async () => {
      const f = await loadFixture(postedFixture);
      const id = await challenge(f);
      const heldBefore = await heldBySettlement(f);
      const unreleasedBefore = await f.escrow.collectedUnreleased();
      const tx = rule(f, id, true);
      await expect(tx).to.emit(f.settlement, "RootRejected").withArgs(f.id, id, PARAMS.minRootBond);
      await expect(tx)
        .to.emit(f.settlement, "RootChallengeResolved")
        .withArgs(f.id, id, Ruling.Upheld, PARAMS.minRootBond);
      // The Arbiter receives the bond (and burns its share of the pot, so its own balance rises by less).
      // What the Settlement holds (its balance and what the escrow holds for it) drops by the bond, paid out of the
      // escrow first, the rest from the Settlement's own balance.
      await (await tx).wait();
      expect(heldBefore - (await heldBySettlement(f))).to.equal(PARAMS.minRootBond);
      const fromEscrow = unreleasedBefore < PARAMS.minRootBond ? unreleasedBefore : PARAMS.minRootBond;
      expect(fromEscrow).to.be.greaterThan(0n);
      await expect(tx)
        .to.emit(f.token, "Transfer")
        .withArgs(await f.escrow.getAddress(), await f.arbiter.getAddress(), fromEscrow);
      await expect(tx)
        .to.emit(f.token, "Transfer")
        .withArgs(await f.settlement.getAddress(), await f.arbiter.getAddress(), PARAMS.minRootBond - fromEscrow);
      const pool = await f.settlement.getPool(f.node, 1n, f.epoch);
      expect([pool.openChallenges, pool.fellBack, pool.bond]).to.deep.equal([0n, true, 0n]);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Fallback);
      await expect(f.settlement.claim([claimOf(f, 1n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Fallback);
      await expect(f.settlement.releaseRootBond(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Fallback);
      await expect(f.settlement.claimFallback([fallbackClaimOf(f, 1n)])).to.changeTokenBalance(
        ethers,
        f.token,
        f.alice,
        (f.amount * 600_000n) / 1_000_000n,
      );
      await expectSolvent(f, [[f.node.address, 1n, f.epoch]]);
    });

    it("slashes once when two challenges are upheld", async () => {
      const f = await loadFixture(postedFixture);
      const first = await challenge(f);
      const second = await challenge(f, ethers.id("another root"));
      const [one, two] = await ruleAll(f, [first, second], true);
      await expect(one)
        .to.emit(f.settlement, "RootChallengeResolved")
        .withArgs(f.id, first, Ruling.Upheld, PARAMS.minRootBond);
      await expect(two).to.emit(f.settlement, "RootChallengeResolved").withArgs(f.id, second, Ruling.Upheld, 0n);
      await expect(two).to.not.emit(f.settlement, "RootRejected");
      const pool = await f.settlement.getPool(f.node, 1n, f.epoch);
      expect([pool.openChallenges, pool.fellBack, pool.bond]).to.deep.equal([0n, true, 0n]);
      await expectSolvent(f, [[f.node.address, 1n, f.epoch]]);
    });

    it("answers only the Arbiter, and only for its own open challenges", async () => {
      const f = await loadFixture(postedFixture);
      await expect(f.settlement.connect(f.stranger).onChallengeOpened(f.id, 1n, f.stranger, evidence(ethers.ZeroHash)))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotArbiter")
        .withArgs(f.stranger.address);
      await expect(f.settlement.connect(f.stranger).onChallengeResolved(f.id, 1n, Ruling.Upheld))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotArbiter")
        .withArgs(f.stranger.address);
      const arbiterAddress = await f.arbiter.getAddress();
      await impersonateAccount(arbiterAddress);
      await setBalance(arbiterAddress, E(1));
      const arbiter = await ethers.getSigner(arbiterAddress);
      const s = f.settlement.connect(arbiter);
      await expect(s.onChallengeResolved(f.id, 7n, Ruling.Upheld))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownChallenge")
        .withArgs(f.id, 7n);
      await s.onChallengeOpened(f.id, 7n, f.challenger, evidence(ethers.ZeroHash));
      await expect(s.onChallengeOpened(f.id, 7n, f.challenger, evidence(ethers.ZeroHash)))
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeExists")
        .withArgs(7n);
      await expect(s.onChallengeResolved(0n, 7n, Ruling.Upheld))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownChallenge")
        .withArgs(0n, 7n);
      await expect(s.onChallengeResolved(f.id, 7n, Ruling.None))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidRuling")
        .withArgs(Ruling.None);
      await expect(s.onChallengeResolved(f.id, 7n, Ruling.NoQuorum))
        .to.emit(f.settlement, "RootChallengeResolved")
        .withArgs(f.id, 7n, Ruling.NoQuorum, 0n);
      await expect(s.onChallengeResolved(f.id, 7n, Ruling.NoQuorum))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownChallenge")
        .withArgs(f.id, 7n);
    });
  });
  describe("claims against an attribution root", () => {
    it("pays each dataset owner its leaf, many in one call, with roots and proofs from the TypeScript builder (THREATS #39)", async () => {
      const f = await loadFixture(claimableFixture);
      const claims = [claimOf(f, 1n), claimOf(f, 2n), claimOf(f, 3n)];
      const [a1, a2, a3] = f.leaves.map((l) => l.amount) as [bigint, bigint, bigint];
      const tx = f.settlement.connect(f.stranger).claim(claims);
      await expect(tx).to.emit(f.settlement, "Claimed").withArgs(f.id, 1n, f.alice.address, a1);
      await expect(tx).to.emit(f.settlement, "Claimed").withArgs(f.id, 2n, f.bob.address, a2);
      await expect(tx).to.emit(f.settlement, "Claimed").withArgs(f.id, 3n, f.carol.address, a3);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.escrow, f.settlement, f.alice, f.bob, f.carol, f.stranger],
        [-f.amount, 0n, a1, a2, a3, 0n],
      );
      for (const id of [1n, 2n, 3n]) expect(await f.settlement.isClaimed(f.id, id)).to.equal(true);
      expect((await f.settlement.getPool(f.node, 1n, f.epoch)).claimed).to.equal(f.amount);
      await expectSolvent(f, [[f.node.address, 1n, f.epoch]]);
    });

    it("pays a leaf once, in the same call or a later one (THREATS #34)", async () => {
      const f = await loadFixture(claimableFixture);
      await expect(f.settlement.claim([claimOf(f, 1n), claimOf(f, 1n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementAlreadyClaimed")
        .withArgs(f.id, 1n);
      await f.settlement.claim([claimOf(f, 1n)]);
      await expect(f.settlement.connect(f.alice).claim([claimOf(f, 1n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementAlreadyClaimed")
        .withArgs(f.id, 1n);
    });

    it("refuses a wrong amount or another dataset's proof, and pays only the dataset's owner (THREATS #37)", async () => {
      const f = await loadFixture(claimableFixture);
      const leaf1 = f.leaves[0]?.amount ?? 0n;
      await expect(f.settlement.claim([claimOf(f, 1n, { amount: leaf1 + 1n })]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
        .withArgs(f.id, 1n);
      await expect(f.settlement.claim([claimOf(f, 1n, { proof: f.proofs.get(2n) })]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
        .withArgs(f.id, 1n);
      await expect(f.settlement.claim([claimOf(f, 2n, { amount: leaf1, proof: f.proofs.get(1n) })]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
        .withArgs(f.id, 2n);
      // Bob claims Alice's leaf: the tokens go to Alice.
      await expect(f.settlement.connect(f.bob).claim([claimOf(f, 1n)])).to.changeTokenBalances(
        ethers,
        f.token,
        [f.alice, f.bob],
        [leaf1, 0n],
      );
    });

    it("refuses a claim built for another root (THREATS #36)", async () => {
      const f = await loadFixture(claimableFixture);
      const stale = ethers.id("an earlier root");
      await expect(f.settlement.claim([claimOf(f, 1n, { expectedRoot: stale })]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRootMismatch")
        .withArgs(f.id, stale, f.tree.root);
    });

    it("refuses an inner node of the tree presented as a 64-byte leaf (THREATS #30)", async () => {
      const f = await loadFixture(deployFixture);
      const epoch = await f.settlement.currentEpoch();
      await redeem(f, receiptOf(f, 1_000n));
      const amount = (await f.settlement.getPool(f.node, 1n, epoch)).amount;
      const values: [bigint, bigint][] = [
        [1n, amount / 4n],
        [2n, amount / 4n],
        [3n, amount / 4n],
        [4n, amount - (3n * amount) / 4n],
      ];
      const tree = StandardMerkleTree.of(values, ["uint256", "uint256"]);
      await endEpoch(f, epoch);
      await f.settlement
        .connect(f.operator)
        .postAttributionRoot(f.node, 1n, epoch, tree.root, amount, tree.root, PARAMS.minRootBond);
      await time.increaseTo((await f.settlement.getPool(f.node, 1n, epoch)).challengeEnd);
      // The array tree: [root, n1, n2, l0, l1, l2, l3]; n1 = hash(sorted(l0, l1)), and its proof is [n2].
      const nodes = tree.dump().tree;
      const [left, right] = [BigInt(nodes[3] ?? 0), BigInt(nodes[4] ?? 0)].sort((a, b) => (a < b ? -1 : 1));
      const inner = ethers.keccak256(ethers.concat([ethers.toBeHex(left ?? 0n, 32), ethers.toBeHex(right ?? 0n, 32)]));
      expect([nodes[1], nodes[2]]).to.include(inner);
      const sibling = nodes[1] === inner ? nodes[2] : nodes[1];
      await expect(
        f.settlement.claim([
          {
            node: f.node.address,
            versionId: 1n,
            epoch,
            datasetId: left ?? 0n,
            amount: right ?? 0n,
            expectedRoot: tree.root,
            proof: [sibling ?? ethers.ZeroHash],
          },
        ]),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
        .withArgs(getPoolId(f.node.address as Address, 1n, epoch), left);
    });

    it("refuses claims while the root can still be challenged, and zero leaves", async () => {
      const f = await loadFixture(postedFixture);
      await expect(f.settlement.claim([claimOf(f, 1n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Challenging);
      await time.increaseTo(f.challengeEnd);
      await expect(f.settlement.claim([claimOf(f, 1n, { amount: 0n })]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementZeroAmount")
        .withArgs(f.id, 1n);
    });

    it("caps what a dishonest root's leaves pay at the pool, and refuses datasets without an owner", async () => {
      const f = await loadFixture(poolFixture);
      // Leaves summing above the pool (the total the node states must still equal it).
      const values: [bigint, bigint][] = [
        [1n, f.amount],
        [2n, 1n],
        [77n, 1n],
      ];
      const tree = StandardMerkleTree.of(values, ["uint256", "uint256"]);
      await endEpoch(f, f.epoch);
      await f.settlement
        .connect(f.operator)
        .postAttributionRoot(f.node, 1n, f.epoch, tree.root, f.amount, tree.root, PARAMS.minRootBond);
      await time.increaseTo((await f.settlement.getPool(f.node, 1n, f.epoch)).challengeEnd);
      const leaf = (i: number) => {
        const [datasetId, amount] = values[i] as [bigint, bigint];
        return {
          node: f.node.address,
          versionId: 1n,
          epoch: f.epoch,
          datasetId,
          amount,
          expectedRoot: tree.root,
          proof: tree.getProof(i),
        };
      };
      await expect(f.settlement.claim([leaf(2)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownDataset")
        .withArgs(77n);
      await f.settlement.claim([leaf(0)]);
      await expect(f.settlement.claim([leaf(1)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPoolExceeded")
        .withArgs(f.id, 1n, 0n);
    });

    it("pays every leaf of random trees exactly once, and all of each pool (THREATS #38)", async () => {
      const f = await loadFixture(deployFixture);
      await f.datanets.setDefaultOwner(f.carol);
      let state = 0x5eedn;
      const next = (bound: bigint) => {
        state = (state * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
        return (state >> 16n) % bound;
      };
      // Three pools: three epochs of one node and version, each posted as soon as its epoch ends.
      const pools: { epoch: bigint; amount: bigint }[] = [];
      const claims = [];
      for (let p = 0n; p < 3n; p++) {
        const e = await f.settlement.currentEpoch();
        await redeem(f, receiptOf(f, 100n * (p + 1n) + next(50n)));
        const amount = (await f.settlement.getPool(f.node, 1n, e)).amount;
        pools.push({ epoch: e, amount });
        await endEpoch(f, e);
        const ids = new Set<bigint>();
        while (ids.size < 12) ids.add(next(1_000n) + 10n);
        let left = amount;
        const leaves = [...ids].map((datasetId, i) => {
          const take = i === ids.size - 1 ? left : next(left / 6n) + 1n;
          left -= take;
          return { datasetId, amount: take };
        });
        const tree = buildAttributionTree(leaves);
        expect(tree.total).to.equal(amount);
        await f.settlement
          .connect(f.operator)
          .postAttributionRoot(f.node, 1n, e, tree.root, amount, tree.root, PARAMS.minRootBond);
        const proofs = getAttributionProofs(leaves);
        for (const l of tree.leaves) {
          claims.push({
            node: f.node.address,
            versionId: 1n,
            epoch: e,
            ...l,
            expectedRoot: tree.root,
            proof: proofs.get(l.datasetId) ?? [],
          });
        }
      }
      await time.increase(PARAMS.challengeWindow);
      for (let i = claims.length - 1; i > 0; i--) {
        const j = Number(next(BigInt(i + 1)));
        [claims[i], claims[j]] = [claims[j] as (typeof claims)[number], claims[i] as (typeof claims)[number]];
      }
      const total = pools.reduce((a, p) => a + p.amount, 0n);
      const before = await f.token.balanceOf(f.carol);
      for (let i = 0; i < claims.length; i += 9) await f.settlement.claim(claims.slice(i, i + 9));
      expect((await f.token.balanceOf(f.carol)) - before).to.equal(total);
      for (const c of claims) {
        await expect(f.settlement.claim([c])).to.be.revertedWithCustomError(f.settlement, "SettlementAlreadyClaimed");
      }
      for (const { epoch: e, amount } of pools) {
        expect((await f.settlement.getPool(f.node, 1n, e)).claimed).to.equal(amount);
      }
      await expectSolvent(
        f,
        pools.map((p): [string, bigint, bigint] => [f.node.address, 1n, p.epoch]),
      );
    });
  });

  describe("fallback claims against the contributors root", () => {
    it("pays each dataset floor(pool × share) when no root came in time", async () => {
      const f = await loadFixture(fallbackFixture);
      expect(await f.settlement.poolStatus(f.node, 1n, f.epoch)).to.equal(Status.Fallback);
      const tx = f.settlement
        .connect(f.stranger)
        .claimFallback(SHARES.map((share) => fallbackClaimOf(f, share.datasetId)));
      const paid = SHARES.map((share) => getFallbackAmount(f.amount, share.weightPpm));
      for (const [i, share] of SHARES.entries()) {
        await expect(tx)
          .to.emit(f.settlement, "FallbackClaimed")
          .withArgs(f.id, share.datasetId, [f.alice, f.bob, f.carol][i]?.address, share.weightPpm, paid[i]);
      }
      await expect(tx).to.changeTokenBalances(ethers, f.token, [f.alice, f.bob, f.carol], paid);
      await expect(f.settlement.claimFallback([fallbackClaimOf(f, 2n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementAlreadyClaimed")
        .withArgs(f.id, 2n);
      await expectSolvent(f, [[f.node.address, 1n, f.epoch]]);
    });

    it("refuses a wrong weight, and a share too small to pay anything", async () => {
      const f = await loadFixture(fallbackFixture);
      await expect(f.settlement.claimFallback([fallbackClaimOf(f, 1n, { weightPpm: 600_001 })]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
        .withArgs(f.id, 1n);
      // A version whose contributors root holds a tiny share, over a pool of 3 wei.
      const g = await loadFixture(deployFixture);
      const epoch = await g.settlement.currentEpoch();
      await redeem(g, receiptOf(g, 1n, { value: 10n, cumulative: 10n }));
      expect((await g.settlement.getPool(g.node, 1n, epoch)).amount).to.equal(3n);
      await time.increaseTo((await g.settlement.epochEnd(epoch)) + PARAMS.postWindow + 1n);
      const id = getPoolId(g.node.address as Address, 1n, epoch);
      await expect(
        g.settlement.claimFallback([
          {
            node: g.node.address,
            versionId: 1n,
            epoch,
            datasetId: 3n,
            weightPpm: 100_000,
            proof: contributorsProof(SHARES, 3n),
          },
        ]),
      )
        .to.be.revertedWithCustomError(g.settlement, "SettlementZeroAmount")
        .withArgs(id, 3n);
    });

    it("refuses fallback claims while a root may still come, or once one is final", async () => {
      const f = await loadFixture(poolFixture);
      await endEpoch(f, f.epoch);
      await expect(f.settlement.claimFallback([fallbackClaimOf(f, 1n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Posting);
      const g = await loadFixture(claimableFixture);
      await expect(g.settlement.claimFallback([fallbackClaimOf(g, 1n)]))
        .to.be.revertedWithCustomError(g.settlement, "SettlementInvalidPoolStatus")
        .withArgs(g.id, Status.Claimable);
    });
  });

  describe("expiry", () => {
    it("refuses claims after claimExpiry and lets anyone burn what is left, once", async () => {
      const f = await loadFixture(claimableFixture);
      await f.settlement.claim([claimOf(f, 1n)]);
      await expect(f.settlement.burnExpired(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Claimable);
      await time.increaseTo((await f.settlement.epochEnd(f.epoch)) + PARAMS.claimExpiry);
      await expect(f.settlement.claim([claimOf(f, 2n)]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Expired);
      const left = f.amount - (f.leaves[0]?.amount ?? 0n);
      const supply = await f.token.totalSupply();
      await expect(f.settlement.connect(f.stranger).burnExpired(f.node, 1n, f.epoch))
        .to.emit(f.settlement, "ExpiredPoolBurned")
        .withArgs(f.id, left);
      expect(await f.token.totalSupply()).to.equal(supply - left);
      await expect(f.settlement.burnExpired(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNothingToBurn")
        .withArgs(f.id);
      // The bond of a root that was never rejected still comes back after expiry.
      await f.settlement.releaseRootBond(f.node, 1n, f.epoch);
      await expectSolvent(f, [[f.node.address, 1n, f.epoch]]);
    });

    it("burns the dust a fallback pool leaves", async () => {
      const f = await loadFixture(fallbackFixture);
      await f.settlement.claimFallback(SHARES.map((share) => fallbackClaimOf(f, share.datasetId)));
      const paid = SHARES.reduce((a, share) => a + getFallbackAmount(f.amount, share.weightPpm), 0n);
      await time.increaseTo((await f.settlement.epochEnd(f.epoch)) + PARAMS.claimExpiry);
      if (paid === f.amount) {
        await expect(f.settlement.burnExpired(f.node, 1n, f.epoch)).to.be.revertedWithCustomError(
          f.settlement,
          "SettlementNothingToBurn",
        );
      } else {
        await expect(f.settlement.burnExpired(f.node, 1n, f.epoch))
          .to.emit(f.settlement, "ExpiredPoolBurned")
          .withArgs(f.id, f.amount - paid);
      }
    });

    it("waits for an open challenge before burning", async () => {
      const f = await loadFixture(postedFixture);
      await challenge(f);
      await time.increaseTo((await f.settlement.epochEnd(f.epoch)) + PARAMS.claimExpiry);
      await expect(f.settlement.burnExpired(f.node, 1n, f.epoch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidPoolStatus")
        .withArgs(f.id, Status.Challenging);
    });
  });
});
