import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time, mine } = networkHelpers;

const E = (n: number | string): bigint => ethers.parseEther(String(n));
const BPS = 10_000n;
const DAY = 86_400n;
const Ruling = { None: 0n, Upheld: 1n, Dismissed: 2n, NoQuorum: 3n } as const;
const VoteStatus = {
  None: 0n,
  Committed: 1n,
  Revealed: 2n,
  Leaked: 3n,
  NonRevealSlashed: 4n,
  RewardClaimed: 5n,
} as const;

/** Field order is the struct's: `Object.values(PARAMS)` is the tuple an event carries. */
const PARAMS = {
  commitPeriod: DAY,
  revealPeriod: DAY,
  minBond: E(100),
  quorumBps: 5_000n,
  burnBps: 1_000n,
  voterRewardBps: 2_000n,
  nonRevealSlashBps: 500n,
  leakSlashBps: 1_000n,
  verifierUnbondingPeriod: 7n * DAY,
};
type Params = typeof PARAMS;

const SUBJECT_ID = 7n;
const CASE_STAKE = E(1_000);
const BOND = E(100);
const EVIDENCE = "0xc0ffee";
/** v1..v4 stake 400, 300, 200, 100: the quorum base is 1,000. */
const STAKES = [E(400), E(300), E(200), E(100)];
const TOTAL_STAKE = E(1_000);
const OPENED_AT = 2_000_000_000n;

function commitmentOf(challengeId: bigint, voter: string, upheld: boolean, salt: string): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      ["uint256", "address", "bool", "bytes32"],
      [challengeId, voter, upheld, salt],
    ),
  );
}

function saltOf(voter: string): string {
  return ethers.keccak256(ethers.toUtf8Bytes(`salt of ${voter}`));
}

async function deployFixture() {
  const [owner, challenger, defendant, v1, v2, v3, v4, reporter, stranger] = await ethers.getSigners();
  if (!owner || !challenger || !defendant || !v1 || !v2 || !v3 || !v4 || !reporter || !stranger) {
    throw new Error("expected 9 signers");
  }
  const token = await ethers.deployContract("OpenToken", [owner.address, E(1_000_000_000)]);
  const arbiter = await ethers.deployContract("Arbiter", [token, owner.address, PARAMS]);
  const subject = await ethers.deployContract("ChallengeableMock", [token, arbiter]);
  await arbiter.setSubject(subject, true);
  for (const account of [challenger, v1, v2, v3, v4, reporter, stranger]) {
    await token.transfer(account, E(100_000));
    await token.connect(account).approve(arbiter, ethers.MaxUint256);
  }
  await token.approve(subject, ethers.MaxUint256);
  await subject.setCase(SUBJECT_ID, defendant, CASE_STAKE);
  const verifiers = [v1, v2, v3, v4];
  for (const [i, v] of verifiers.entries()) await arbiter.connect(v).stake(STAKES[i] ?? 0n);
  return { token, arbiter, subject, owner, challenger, defendant, v1, v2, v3, v4, reporter, stranger, verifiers };
}

/** Challenge 1 against SUBJECT_ID, opened at OPENED_AT. */
async function openFixture() {
  // Through loadFixture, so this fixture always starts from a clean deployment.
  const f = await loadFixture(deployFixture);
  await time.setNextBlockTimestamp(OPENED_AT);
  await f.arbiter.connect(f.challenger).openChallenge(f.subject, SUBJECT_ID, EVIDENCE, BOND);
  return f;
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;
type Arbiter = Fixture["arbiter"];

async function commit(arbiter: Arbiter, id: bigint, voter: HardhatEthersSigner, upheld: boolean) {
  await arbiter.connect(voter).commitVote(id, commitmentOf(id, voter.address, upheld, saltOf(voter.address)));
}

function reveal(arbiter: Arbiter, id: bigint, voter: HardhatEthersSigner, upheld: boolean) {
  return arbiter.connect(voter).revealVote(id, upheld, saltOf(voter.address));
}

async function toRevealPhase(arbiter: Arbiter, id: bigint) {
  await time.increaseTo((await arbiter.getChallenge(id)).commitDeadline + 1n);
}

async function afterRevealPhase(arbiter: Arbiter, id: bigint) {
  await time.increaseTo((await arbiter.getChallenge(id)).revealDeadline + 1n);
}

/** Commits and reveals every vote, then moves past the reveal deadline. */
async function vote(arbiter: Arbiter, id: bigint, votes: Array<[HardhatEthersSigner, boolean]>) {
  for (const [voter, upheld] of votes) await commit(arbiter, id, voter, upheld);
  await toRevealPhase(arbiter, id);
  for (const [voter, upheld] of votes) await reveal(arbiter, id, voter, upheld);
  await afterRevealPhase(arbiter, id);
}

/** The Arbiter's balance equals what it owes (DESIGN §3 invariants). */
async function expectSolvent(f: Fixture) {
  const { arbiter, token } = f;
  let owed = 0n;
  for (const v of [...f.verifiers, f.stranger, f.reporter]) {
    const s = await arbiter.stakeOf(v);
    owed += s.active + s.unbonding;
  }
  const count = await arbiter.challengeCount();
  for (let id = 1n; id <= count; id++) {
    const c = await arbiter.getChallenge(id);
    if (c.ruling === Ruling.None) owed += c.bond;
    owed += c.voterReward - c.voterRewardClaimed;
  }
  for (const a of [f.challenger, f.defendant, f.reporter, f.stranger, ...f.verifiers]) {
    owed += await arbiter.credits(a);
  }
  expect(await token.balanceOf(arbiter)).to.equal(owed);
}

function withParams(overrides: Partial<Params>): Params {
  return { ...PARAMS, ...overrides };
}

describe("Arbiter", () => {
  describe("deployment and governance", () => {
    it("stores the token, the owner and the parameters, and emits ParamsSet", async () => {
      const { arbiter, token, owner } = await loadFixture(deployFixture);
      expect(await arbiter.token()).to.equal(await token.getAddress());
      expect(await arbiter.owner()).to.equal(owner.address);
      expect(await arbiter.getParams()).to.deep.equal(Object.values(PARAMS));
      expect(await arbiter.MAX_PHASE_PERIOD()).to.equal(30n * DAY);
      expect(await arbiter.MAX_UNBONDING_PERIOD()).to.equal(180n * DAY);
      const fresh = await ethers.deployContract("Arbiter", [token, owner.address, PARAMS]);
      await expect(fresh.deploymentTransaction()).to.emit(fresh, "ParamsSet").withArgs(Object.values(PARAMS));
    });

    it("reverts at deployment with invalid parameters", async () => {
      const { arbiter, token, owner } = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("Arbiter");
      await expect(factory.deploy(token, owner.address, withParams({ quorumBps: 0n })))
        .to.be.revertedWithCustomError(arbiter, "ArbiterInvalidBps")
        .withArgs(0n);
    });

    it("lets the owner set parameters, emitting ParamsSet", async () => {
      const { arbiter } = await loadFixture(deployFixture);
      const next = withParams({ minBond: E(5), quorumBps: 10_000n, burnBps: 0n, verifierUnbondingPeriod: 2n * DAY });
      await expect(arbiter.setParams(next)).to.emit(arbiter, "ParamsSet").withArgs(Object.values(next));
      expect(await arbiter.getParams()).to.deep.equal(Object.values(next));
    });

    it("accepts parameters at their caps", async () => {
      const { arbiter } = await loadFixture(deployFixture);
      const caps = withParams({
        commitPeriod: 30n * DAY,
        revealPeriod: 30n * DAY,
        burnBps: 4_000n,
        voterRewardBps: 6_000n,
        nonRevealSlashBps: BPS,
        leakSlashBps: BPS,
        quorumBps: BPS,
        verifierUnbondingPeriod: 180n * DAY,
      });
      await expect(arbiter.setParams(caps)).to.emit(arbiter, "ParamsSet");
    });

    it("reverts when anyone but the owner sets parameters or subjects", async () => {
      const { arbiter, subject, stranger } = await loadFixture(deployFixture);
      await expect(arbiter.connect(stranger).setParams(PARAMS))
        .to.be.revertedWithCustomError(arbiter, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await expect(arbiter.connect(stranger).setSubject(subject, false))
        .to.be.revertedWithCustomError(arbiter, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
    });

    it("hands governance over in two steps", async () => {
      const { arbiter, owner, stranger } = await loadFixture(deployFixture);
      await arbiter.transferOwnership(stranger);
      await expect(arbiter.connect(stranger).acceptOwnership())
        .to.emit(arbiter, "OwnershipTransferred")
        .withArgs(owner.address, stranger.address);
      await expect(arbiter.connect(stranger).setParams(PARAMS)).to.emit(arbiter, "ParamsSet");
    });

    for (const [field, value] of [
      ["quorumBps", 0n],
      ["quorumBps", BPS + 1n],
      ["burnBps", BPS + 1n],
      ["voterRewardBps", BPS + 1n],
      ["nonRevealSlashBps", BPS + 1n],
      ["leakSlashBps", BPS + 1n],
    ] as const) {
      it(`reverts when ${field} is ${value}`, async () => {
        const { arbiter } = await loadFixture(deployFixture);
        const p = withParams({ burnBps: 0n, voterRewardBps: 0n, [field]: value });
        await expect(arbiter.setParams(p)).to.be.revertedWithCustomError(arbiter, "ArbiterInvalidBps").withArgs(value);
      });
    }

    it("reverts when burn and voter reward exceed the pot", async () => {
      const { arbiter } = await loadFixture(deployFixture);
      await expect(arbiter.setParams(withParams({ burnBps: 5_000n, voterRewardBps: 5_001n })))
        .to.be.revertedWithCustomError(arbiter, "ArbiterSplitExceedsPot")
        .withArgs(5_000n, 5_001n);
    });

    for (const [field, value, cap] of [
      ["commitPeriod", 0n, 30n * DAY],
      ["commitPeriod", 30n * DAY + 1n, 30n * DAY],
      ["revealPeriod", 0n, 30n * DAY],
      ["revealPeriod", 30n * DAY + 1n, 30n * DAY],
      ["verifierUnbondingPeriod", 180n * DAY + 1n, 180n * DAY],
    ] as const) {
      it(`reverts when ${field} is ${value}`, async () => {
        const { arbiter } = await loadFixture(deployFixture);
        await expect(arbiter.setParams(withParams({ [field]: value })))
          .to.be.revertedWithCustomError(arbiter, "ArbiterInvalidPeriod")
          .withArgs(value, cap);
      });
    }

    it("reverts when verifiers could unbond before a challenge's vote ends", async () => {
      const { arbiter } = await loadFixture(deployFixture);
      await expect(arbiter.setParams(withParams({ verifierUnbondingPeriod: 2n * DAY - 1n })))
        .to.be.revertedWithCustomError(arbiter, "ArbiterUnbondingTooShort")
        .withArgs(2n * DAY - 1n, 2n * DAY);
    });

    it("reverts when the minimum bond is 0", async () => {
      const { arbiter } = await loadFixture(deployFixture);
      await expect(arbiter.setParams(withParams({ minBond: 0n }))).to.be.revertedWithCustomError(
        arbiter,
        "ArbiterZeroMinBond",
      );
    });

    it("allows and disallows subjects, emitting SubjectSet", async () => {
      const { arbiter, subject, challenger } = await loadFixture(deployFixture);
      expect(await arbiter.isSubject(subject)).to.equal(true);
      await expect(arbiter.setSubject(subject, false)).to.emit(arbiter, "SubjectSet").withArgs(subject, false);
      expect(await arbiter.isSubject(subject)).to.equal(false);
      await expect(arbiter.connect(challenger).openChallenge(subject, SUBJECT_ID, EVIDENCE, BOND))
        .to.be.revertedWithCustomError(arbiter, "ArbiterSubjectNotAllowed")
        .withArgs(await subject.getAddress());
      await expect(arbiter.setSubject(challenger, false)).to.emit(arbiter, "SubjectSet").withArgs(challenger, false);
    });

    it("reverts when allowing an address without code as a subject", async () => {
      const { arbiter, stranger } = await loadFixture(deployFixture);
      await expect(arbiter.setSubject(stranger, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterSubjectNotContract")
        .withArgs(stranger.address);
    });
  });

  describe("verifier stake", () => {
    it("stakes, emitting Staked and counting in the total", async () => {
      const { arbiter, token, stranger } = await loadFixture(deployFixture);
      const tx = arbiter.connect(stranger).stake(E(50));
      await expect(tx).to.emit(arbiter, "Staked").withArgs(stranger.address, E(50), E(50));
      await expect(tx).to.changeTokenBalances(ethers, token, [stranger, arbiter], [-E(50), E(50)]);
      await expect(arbiter.connect(stranger).stake(E(5)))
        .to.emit(arbiter, "Staked")
        .withArgs(stranger.address, E(5), E(55));
      expect(await arbiter.stakeOf(stranger)).to.deep.equal([E(55), 0n, 0n, 0n]);
      expect(await arbiter.totalVotingStake()).to.equal(TOTAL_STAKE + E(55));
    });

    it("reverts when staking or unstaking 0", async () => {
      const { arbiter, v1 } = await loadFixture(deployFixture);
      await expect(arbiter.connect(v1).stake(0n)).to.be.revertedWithCustomError(arbiter, "ArbiterZeroAmount");
      await expect(arbiter.connect(v1).requestUnstake(0n)).to.be.revertedWithCustomError(arbiter, "ArbiterZeroAmount");
    });

    it("removes unstaked OPEN from the voting stake at once, emitting UnstakeRequested", async () => {
      const { arbiter, v1 } = await loadFixture(deployFixture);
      await time.setNextBlockTimestamp(OPENED_AT);
      const end = OPENED_AT + PARAMS.verifierUnbondingPeriod;
      await expect(arbiter.connect(v1).requestUnstake(E(100)))
        .to.emit(arbiter, "UnstakeRequested")
        .withArgs(v1.address, E(100), E(100), end);
      expect(await arbiter.stakeOf(v1)).to.deep.equal([E(300), E(100), end, 0n]);
      expect(await arbiter.totalVotingStake()).to.equal(TOTAL_STAKE - E(100));
    });

    it("reverts when unstaking more than the active stake", async () => {
      const { arbiter, v1 } = await loadFixture(deployFixture);
      await expect(arbiter.connect(v1).requestUnstake(E(401)))
        .to.be.revertedWithCustomError(arbiter, "ArbiterInsufficientStake")
        .withArgs(v1.address, E(400), E(401));
    });

    it("resets the unbonding timer for everything unbonding on a second request", async () => {
      const { arbiter, v1 } = await loadFixture(deployFixture);
      await time.setNextBlockTimestamp(OPENED_AT);
      await arbiter.connect(v1).requestUnstake(E(100));
      await time.setNextBlockTimestamp(OPENED_AT + DAY);
      const end = OPENED_AT + DAY + PARAMS.verifierUnbondingPeriod;
      await expect(arbiter.connect(v1).requestUnstake(E(50)))
        .to.emit(arbiter, "UnstakeRequested")
        .withArgs(v1.address, E(50), E(150), end);
      await time.setNextBlockTimestamp(OPENED_AT + PARAMS.verifierUnbondingPeriod + 1n);
      await expect(arbiter.connect(v1).withdrawUnstaked())
        .to.be.revertedWithCustomError(arbiter, "ArbiterUnbondingNotOver")
        .withArgs(v1.address, end);
    });

    it("withdraws strictly after the unbonding end, emitting UnstakeWithdrawn", async () => {
      const { arbiter, token, v1 } = await loadFixture(deployFixture);
      await time.setNextBlockTimestamp(OPENED_AT);
      await arbiter.connect(v1).requestUnstake(E(100));
      const end = OPENED_AT + PARAMS.verifierUnbondingPeriod;
      await time.setNextBlockTimestamp(end);
      await expect(arbiter.connect(v1).withdrawUnstaked())
        .to.be.revertedWithCustomError(arbiter, "ArbiterUnbondingNotOver")
        .withArgs(v1.address, end);
      await time.setNextBlockTimestamp(end + 1n);
      const tx = arbiter.connect(v1).withdrawUnstaked();
      await expect(tx).to.emit(arbiter, "UnstakeWithdrawn").withArgs(v1.address, E(100));
      await expect(tx).to.changeTokenBalances(ethers, token, [v1, arbiter], [E(100), -E(100)]);
      expect((await arbiter.stakeOf(v1)).unbonding).to.equal(0n);
    });

    it("reverts when nothing is unbonding", async () => {
      const { arbiter, v1 } = await loadFixture(deployFixture);
      await expect(arbiter.connect(v1).withdrawUnstaked())
        .to.be.revertedWithCustomError(arbiter, "ArbiterNothingUnbonding")
        .withArgs(v1.address);
    });

    it("keeps a verifier with an unrevealed commitment from withdrawing until it is slashed (THREATS #28)", async () => {
      const { arbiter, v4 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v4, true);
      await arbiter.connect(v4).requestUnstake(E(100));
      expect((await arbiter.stakeOf(v4)).pendingReveals).to.equal(1n);
      await time.increase(PARAMS.verifierUnbondingPeriod + 1n);
      await expect(arbiter.connect(v4).withdrawUnstaked())
        .to.be.revertedWithCustomError(arbiter, "ArbiterPendingReveals")
        .withArgs(v4.address, 1n);
      await arbiter.slashNonRevealer(1n, v4);
      await expect(arbiter.connect(v4).withdrawUnstaked())
        .to.emit(arbiter, "UnstakeWithdrawn")
        .withArgs(v4.address, E(95));
    });
  });

  describe("openChallenge", () => {
    it("opens challenge 1, pulls the bond, calls the subject and emits ChallengeOpened", async () => {
      const { arbiter, token, subject, challenger, defendant } = await loadFixture(deployFixture);
      await time.setNextBlockTimestamp(OPENED_AT);
      const tx = arbiter.connect(challenger).openChallenge(subject, SUBJECT_ID, EVIDENCE, BOND);
      await expect(tx)
        .to.emit(arbiter, "ChallengeOpened")
        .withArgs(
          1n,
          await subject.getAddress(),
          SUBJECT_ID,
          challenger.address,
          defendant.address,
          BOND,
          EVIDENCE,
          OPENED_AT + DAY,
          OPENED_AT + 2n * DAY,
        );
      await expect(tx).to.changeTokenBalances(ethers, token, [challenger, arbiter], [-BOND, BOND]);
      const openedBlock = BigInt((await (await tx).wait())?.blockNumber ?? 0);
      expect(await arbiter.challengeCount()).to.equal(1n);
      expect(await subject.lastChallengeId()).to.equal(1n);
      expect(await subject.lastChallenger()).to.equal(challenger.address);
      expect(await subject.lastEvidence()).to.equal(EVIDENCE);
      expect(await subject.isLocked(SUBJECT_ID)).to.equal(true);
      const c = await arbiter.getChallenge(1n);
      expect(c.subject).to.equal(await subject.getAddress());
      expect(c.ruling).to.equal(Ruling.None);
      expect(c.snapshotBlock).to.equal(openedBlock - 1n);
      expect(c.challenger).to.equal(challenger.address);
      expect(c.defendant).to.equal(defendant.address);
      expect(c.commitDeadline).to.equal(OPENED_AT + DAY);
      expect(c.revealDeadline).to.equal(OPENED_AT + 2n * DAY);
      expect([c.quorumBps, c.burnBps, c.voterRewardBps, c.nonRevealSlashBps, c.leakSlashBps]).to.deep.equal([
        PARAMS.quorumBps,
        PARAMS.burnBps,
        PARAMS.voterRewardBps,
        PARAMS.nonRevealSlashBps,
        PARAMS.leakSlashBps,
      ]);
      expect(c.subjectId).to.equal(SUBJECT_ID);
      expect(c.evidenceHash).to.equal(ethers.keccak256(EVIDENCE));
      expect(c.bond).to.equal(BOND);
      expect(c.totalWeight).to.equal(TOTAL_STAKE);
      expect([c.upheldWeight, c.dismissedWeight, c.pot, c.voterReward]).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("numbers challenges from 1 upwards", async () => {
      const { arbiter, token, subject, challenger, defendant } = await loadFixture(openFixture);
      await token.approve(subject, ethers.MaxUint256);
      await subject.setCase(8n, defendant, E(1));
      await expect(arbiter.connect(challenger).openChallenge(subject, 8n, "0x", BOND))
        .to.emit(arbiter, "ChallengeOpened")
        .withArgs(
          2n,
          subject,
          8n,
          challenger,
          defendant,
          BOND,
          "0x",
          (t: bigint) => t > 0n,
          (t: bigint) => t > 0n,
        );
      expect(await arbiter.challengeCount()).to.equal(2n);
    });

    it("reverts when the bond is below the minimum", async () => {
      const { arbiter, subject, challenger } = await loadFixture(deployFixture);
      await expect(arbiter.connect(challenger).openChallenge(subject, SUBJECT_ID, EVIDENCE, BOND - 1n))
        .to.be.revertedWithCustomError(arbiter, "ArbiterBondTooLow")
        .withArgs(BOND - 1n, BOND);
    });

    it("reverts when the subject refuses the challenge", async () => {
      const { arbiter, subject, challenger } = await loadFixture(openFixture);
      await expect(arbiter.connect(challenger).openChallenge(subject, SUBJECT_ID, EVIDENCE, BOND))
        .to.be.revertedWithCustomError(subject, "ChallengeableMockLocked")
        .withArgs(SUBJECT_ID);
    });

    it("reverts when the subject names no defendant", async () => {
      const { arbiter, subject, challenger } = await loadFixture(deployFixture);
      await subject.setCase(9n, ethers.ZeroAddress, 0n);
      await expect(arbiter.connect(challenger).openChallenge(subject, 9n, EVIDENCE, BOND))
        .to.be.revertedWithCustomError(arbiter, "ArbiterZeroDefendant")
        .withArgs(await subject.getAddress(), 9n);
    });

    it("reverts on an unknown challenge id", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      const calls: Array<[bigint, () => Promise<unknown>]> = [
        [2n, () => arbiter.getChallenge(2n)],
        [2n, () => arbiter.getVote(2n, v1)],
        [0n, () => arbiter.votingWeightOf(0n, v1)],
        [2n, () => arbiter.connect(v1).commitVote(2n, ethers.ZeroHash)],
        [2n, () => arbiter.connect(v1).revealVote(2n, true, ethers.ZeroHash)],
        [2n, () => arbiter.reportLeak(2n, v1, true, ethers.ZeroHash)],
        [2n, () => arbiter.resolve(2n)],
        [2n, () => arbiter.slashNonRevealer(2n, v1)],
        [2n, () => arbiter.claimVoterReward(2n, v1)],
      ];
      for (const [id, call] of calls) {
        await expect(call()).to.be.revertedWithCustomError(arbiter, "ArbiterUnknownChallenge").withArgs(id);
      }
    });
  });

  describe("commitVote", () => {
    it("commits a vote weighted by stake at opening, emitting VoteCommitted", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      const commitment = commitmentOf(1n, v1.address, true, saltOf(v1.address));
      await expect(arbiter.connect(v1).commitVote(1n, commitment))
        .to.emit(arbiter, "VoteCommitted")
        .withArgs(1n, v1.address, commitment);
      expect(await arbiter.getVote(1n, v1)).to.deep.equal([commitment, E(400), VoteStatus.Committed, false]);
      expect(await arbiter.votingWeightOf(1n, v1)).to.equal(E(400));
      expect((await arbiter.stakeOf(v1)).pendingReveals).to.equal(1n);
    });

    it("accepts a commitment at the commit deadline and reverts after it", async () => {
      const { arbiter, v1, v2 } = await loadFixture(openFixture);
      await time.setNextBlockTimestamp(OPENED_AT + DAY);
      await commit(arbiter, 1n, v1, true);
      await expect(arbiter.connect(v2).commitVote(1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitPhaseOver")
        .withArgs(1n, OPENED_AT + DAY);
    });

    it("reverts when a verifier commits twice", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await expect(arbiter.connect(v1).commitVote(1n, commitmentOf(1n, v1.address, false, saltOf(v1.address))))
        .to.be.revertedWithCustomError(arbiter, "ArbiterAlreadyCommitted")
        .withArgs(1n, v1.address);
    });

    it("reverts when the voter had no stake at opening", async () => {
      const { arbiter, stranger } = await loadFixture(openFixture);
      await expect(arbiter.connect(stranger).commitVote(1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNoVotingWeight")
        .withArgs(1n, stranger.address);
    });
  });

  describe("flash stake (THREATS #43)", () => {
    it("gives no weight to stake added after the opening", async () => {
      const { arbiter, stranger } = await loadFixture(openFixture);
      await arbiter.connect(stranger).stake(E(10_000));
      expect(await arbiter.votingWeightOf(1n, stranger)).to.equal(0n);
      await expect(arbiter.connect(stranger).commitVote(1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNoVotingWeight")
        .withArgs(1n, stranger.address);
    });

    it("keeps a verifier's weight and the quorum base at their opening values when it stakes more", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await arbiter.connect(v1).stake(E(10_000));
      await commit(arbiter, 1n, v1, true);
      await toRevealPhase(arbiter, 1n);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.emit(arbiter, "VoteRevealed")
        .withArgs(1n, v1.address, true, E(400));
      expect((await arbiter.getChallenge(1n)).totalWeight).to.equal(TOTAL_STAKE);
    });

    it("gives no weight to stake added in the opening block itself", async () => {
      const { arbiter, subject, challenger, stranger } = await loadFixture(deployFixture);
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        const stakeTx = await arbiter.connect(stranger).stake(E(10_000));
        const openTx = await arbiter.connect(challenger).openChallenge(subject, SUBJECT_ID, EVIDENCE, BOND);
        await mine();
        const [staked, opened] = await Promise.all([stakeTx.wait(), openTx.wait()]);
        expect(staked?.blockNumber).to.equal(opened?.blockNumber);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      expect(await arbiter.votingWeightOf(1n, stranger)).to.equal(0n);
      expect((await arbiter.getChallenge(1n)).totalWeight).to.equal(TOTAL_STAKE);
    });

    it("keeps the weight of stake unbonded during the challenge, which stays slashable", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await arbiter.connect(v1).requestUnstake(E(400));
      expect(await arbiter.votingWeightOf(1n, v1)).to.equal(E(400));
      await commit(arbiter, 1n, v1, true);
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.slashNonRevealer(1n, v1)).to.emit(arbiter, "NonRevealerSlashed").withArgs(1n, v1, E(20));
    });
  });

  describe("revealVote", () => {
    it("reveals a vote, emitting VoteRevealed and adding its weight to its side", async () => {
      const { arbiter, v1, v2 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await commit(arbiter, 1n, v2, false);
      await toRevealPhase(arbiter, 1n);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.emit(arbiter, "VoteRevealed")
        .withArgs(1n, v1.address, true, E(400));
      await expect(reveal(arbiter, 1n, v2, false))
        .to.emit(arbiter, "VoteRevealed")
        .withArgs(1n, v2.address, false, E(300));
      const c = await arbiter.getChallenge(1n);
      expect([c.upheldWeight, c.dismissedWeight]).to.deep.equal([E(400), E(300)]);
      expect((await arbiter.getVote(1n, v1)).status).to.equal(VoteStatus.Revealed);
      expect((await arbiter.getVote(1n, v2)).upheld).to.equal(false);
      expect((await arbiter.stakeOf(v1)).pendingReveals).to.equal(0n);
    });

    it("reverts a reveal at the commit deadline and accepts one at the reveal deadline (THREATS #41)", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await time.setNextBlockTimestamp(OPENED_AT + DAY);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterRevealPhaseNotStarted")
        .withArgs(1n, OPENED_AT + DAY);
      await time.setNextBlockTimestamp(OPENED_AT + 2n * DAY);
      await expect(reveal(arbiter, 1n, v1, true)).to.emit(arbiter, "VoteRevealed");
    });

    it("reverts a reveal after the reveal deadline (THREATS #41)", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await time.setNextBlockTimestamp(OPENED_AT + 2n * DAY + 1n);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterRevealPhaseOver")
        .withArgs(1n, OPENED_AT + 2n * DAY);
    });

    it("reverts when a verifier reveals twice (THREATS #41)", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await toRevealPhase(arbiter, 1n);
      await reveal(arbiter, 1n, v1, true);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterAlreadyRevealed")
        .withArgs(1n, v1.address);
    });

    it("reverts when a verifier reveals a different vote or a wrong salt (THREATS #41)", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await toRevealPhase(arbiter, 1n);
      await expect(reveal(arbiter, 1n, v1, false))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitmentMismatch")
        .withArgs(1n, v1.address);
      await expect(arbiter.connect(v1).revealVote(1n, true, ethers.ZeroHash))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitmentMismatch")
        .withArgs(1n, v1.address);
    });

    it("reverts when a verifier who did not commit reveals", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await toRevealPhase(arbiter, 1n);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotCommitted")
        .withArgs(1n, v1.address);
    });

    it("makes a copied commitment useless to the copier (THREATS #40)", async () => {
      const { arbiter, v1, v2 } = await loadFixture(openFixture);
      const commitment = commitmentOf(1n, v1.address, true, saltOf(v1.address));
      await arbiter.connect(v1).commitVote(1n, commitment);
      await arbiter.connect(v2).commitVote(1n, commitment);
      await toRevealPhase(arbiter, 1n);
      await reveal(arbiter, 1n, v1, true);
      await expect(arbiter.connect(v2).revealVote(1n, true, saltOf(v1.address)))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitmentMismatch")
        .withArgs(1n, v2.address);
    });

    it("binds a commitment to its challenge: it does not reveal on another one (THREATS #40)", async () => {
      const { arbiter, token, subject, challenger, defendant, v1 } = await loadFixture(openFixture);
      await token.approve(subject, ethers.MaxUint256);
      await subject.setCase(8n, defendant, E(1));
      await arbiter.connect(challenger).openChallenge(subject, 8n, "0x", BOND);
      await arbiter.connect(v1).commitVote(2n, commitmentOf(1n, v1.address, true, saltOf(v1.address)));
      await toRevealPhase(arbiter, 2n);
      await expect(reveal(arbiter, 2n, v1, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitmentMismatch")
        .withArgs(2n, v1.address);
    });
  });

  describe("reportLeak (THREATS #45)", () => {
    it("voids a leaked vote and pays the reporter leakSlashBps of the voter's stake", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, v1, reporter } = f;
      await commit(arbiter, 1n, v1, true);
      await expect(arbiter.connect(reporter).reportLeak(1n, v1, true, saltOf(v1.address)))
        .to.emit(arbiter, "VoteLeaked")
        .withArgs(1n, v1.address, reporter.address, E(40))
        .and.to.emit(arbiter, "Credited")
        .withArgs(reporter.address, E(40));
      expect(await arbiter.credits(reporter)).to.equal(E(40));
      expect(await arbiter.stakeOf(v1)).to.deep.equal([E(360), 0n, 0n, 0n]);
      expect(await arbiter.totalVotingStake()).to.equal(TOTAL_STAKE - E(40));
      expect((await arbiter.getVote(1n, v1)).status).to.equal(VoteStatus.Leaked);
      await toRevealPhase(arbiter, 1n);
      await expect(reveal(arbiter, 1n, v1, true))
        .to.be.revertedWithCustomError(arbiter, "ArbiterVoteVoided")
        .withArgs(1n, v1.address);
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.slashNonRevealer(1n, v1))
        .to.be.revertedWithCustomError(arbiter, "ArbiterVoteVoided")
        .withArgs(1n, v1.address);
      await expectSolvent(f);
    });

    it("reverts when the vote was already voided", async () => {
      const { arbiter, v1, reporter } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await arbiter.connect(reporter).reportLeak(1n, v1, true, saltOf(v1.address));
      await expect(arbiter.connect(reporter).reportLeak(1n, v1, true, saltOf(v1.address)))
        .to.be.revertedWithCustomError(arbiter, "ArbiterVoteVoided")
        .withArgs(1n, v1.address);
    });

    it("reverts when the preimage does not match", async () => {
      const { arbiter, v1, reporter } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await expect(arbiter.connect(reporter).reportLeak(1n, v1, false, saltOf(v1.address)))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitmentMismatch")
        .withArgs(1n, v1.address);
    });

    it("reverts after the commit deadline, when reveals are public anyway", async () => {
      const { arbiter, v1, reporter } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v1, true);
      await time.setNextBlockTimestamp(OPENED_AT + DAY + 1n);
      await expect(arbiter.connect(reporter).reportLeak(1n, v1, true, saltOf(v1.address)))
        .to.be.revertedWithCustomError(arbiter, "ArbiterCommitPhaseOver")
        .withArgs(1n, OPENED_AT + DAY);
    });

    it("reverts when the voter did not commit", async () => {
      const { arbiter, v1, reporter } = await loadFixture(openFixture);
      await expect(arbiter.connect(reporter).reportLeak(1n, v1, true, saltOf(v1.address)))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotCommitted")
        .withArgs(1n, v1.address);
    });

    it("slashes unbonding stake when the active stake is short", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, v1, reporter } = f;
      await commit(arbiter, 1n, v1, true);
      await arbiter.connect(v1).requestUnstake(E(390));
      await expect(arbiter.connect(reporter).reportLeak(1n, v1, true, saltOf(v1.address)))
        .to.emit(arbiter, "VoteLeaked")
        .withArgs(1n, v1.address, reporter.address, E(40));
      const s = await arbiter.stakeOf(v1);
      expect([s.active, s.unbonding]).to.deep.equal([0n, E(360)]);
      await expectSolvent(f);
    });
  });

  describe("resolve", () => {
    it("upholds: the subject's slash is the pot, burned, rewarded and paid to the challenger with its bond", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, token, subject, challenger, defendant, v1, v2, v3 } = f;
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, true],
        [v3, false],
      ]);
      const burned = (CASE_STAKE * PARAMS.burnBps) / BPS;
      const reward = (CASE_STAKE * PARAMS.voterRewardBps) / BPS;
      const winner = CASE_STAKE - burned - reward;
      const supply = await token.totalSupply();
      const tx = arbiter.resolve(1n);
      await expect(tx)
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Upheld, E(700), E(200), CASE_STAKE, burned, reward)
        .and.to.emit(arbiter, "Credited")
        .withArgs(challenger.address, BOND + winner);
      await expect(tx).to.changeTokenBalances(ethers, token, [subject, arbiter], [-CASE_STAKE, CASE_STAKE - burned]);
      expect(await token.totalSupply()).to.equal(supply - burned);
      expect(await subject.lastRuling()).to.equal(Ruling.Upheld);
      expect(await subject.isLocked(SUBJECT_ID)).to.equal(false);
      expect(await arbiter.credits(challenger)).to.equal(E(800));
      expect(await arbiter.credits(defendant)).to.equal(0n);
      const c = await arbiter.getChallenge(1n);
      expect([c.ruling, c.pot, c.voterReward]).to.deep.equal([Ruling.Upheld, CASE_STAKE, reward]);
      await expectSolvent(f);

      const share1 = (reward * E(400)) / E(700);
      await expect(arbiter.claimVoterReward(1n, v1))
        .to.emit(arbiter, "VoterRewardClaimed")
        .withArgs(1n, v1.address, share1)
        .and.to.emit(arbiter, "Credited")
        .withArgs(v1.address, share1);
      await expect(arbiter.connect(v2).claimVoterReward(1n, v2))
        .to.emit(arbiter, "VoterRewardClaimed")
        .withArgs(1n, v2.address, reward - share1);
      expect(share1 + (reward - share1)).to.equal(reward);
      expect((reward * E(300)) / E(700)).to.not.equal(reward - share1);
      expect((await arbiter.getVote(1n, v1)).status).to.equal(VoteStatus.RewardClaimed);
      const after = await arbiter.getChallenge(1n);
      expect([after.voterRewardClaimed, after.voterRewardClaimedWeight]).to.deep.equal([reward, E(700)]);
      await expectSolvent(f);
    });

    it("dismisses: the bond is the pot, burned, rewarded and paid to the defendant", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, token, subject, challenger, defendant, v1, v2, v3 } = f;
      await vote(arbiter, 1n, [
        [v1, false],
        [v2, true],
        [v3, false],
      ]);
      const burned = (BOND * PARAMS.burnBps) / BPS;
      const reward = (BOND * PARAMS.voterRewardBps) / BPS;
      const supply = await token.totalSupply();
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Dismissed, E(300), E(600), BOND, burned, reward)
        .and.to.emit(arbiter, "Credited")
        .withArgs(defendant.address, BOND - burned - reward);
      expect(await token.totalSupply()).to.equal(supply - burned);
      expect(await subject.stakeOf(SUBJECT_ID)).to.equal(CASE_STAKE);
      expect(await subject.lastRuling()).to.equal(Ruling.Dismissed);
      expect(await arbiter.credits(challenger)).to.equal(0n);
      expect(await arbiter.credits(defendant)).to.equal(E(70));
      const share1 = (reward * E(400)) / E(600);
      await expect(arbiter.claimVoterReward(1n, v1)).to.emit(arbiter, "VoterRewardClaimed").withArgs(1n, v1, share1);
      await expect(arbiter.claimVoterReward(1n, v3))
        .to.emit(arbiter, "VoterRewardClaimed")
        .withArgs(1n, v3, reward - share1);
      await expect(arbiter.claimVoterReward(1n, v2))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotRewarded")
        .withArgs(1n, v2.address);
      await expectSolvent(f);
    });

    it("dismisses a tie (THREATS #44)", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, defendant, v1, v2, v4 } = f;
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, false],
        [v4, false],
      ]);
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Dismissed, E(400), E(400), BOND, E(10), E(20));
      expect(await arbiter.credits(defendant)).to.equal(E(70));
      await expectSolvent(f);
    });

    it("rules NoQuorum below quorum: the bond returns, nobody is slashed, nothing is burned", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, token, subject, challenger, v3, v4 } = f;
      await vote(arbiter, 1n, [
        [v3, true],
        [v4, true],
      ]);
      const supply = await token.totalSupply();
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.NoQuorum, E(300), 0n, 0n, 0n, 0n)
        .and.to.emit(arbiter, "Credited")
        .withArgs(challenger.address, BOND);
      expect(await token.totalSupply()).to.equal(supply);
      expect(await subject.stakeOf(SUBJECT_ID)).to.equal(CASE_STAKE);
      expect(await subject.lastRuling()).to.equal(Ruling.NoQuorum);
      expect(await subject.isLocked(SUBJECT_ID)).to.equal(false);
      await expect(arbiter.claimVoterReward(1n, v3))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotRewarded")
        .withArgs(1n, v3.address);
      await expectSolvent(f);
    });

    it("reaches quorum when the revealed weight equals it exactly", async () => {
      const { arbiter, v2, v3 } = await loadFixture(openFixture);
      await vote(arbiter, 1n, [
        [v2, true],
        [v3, true],
      ]);
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Upheld, E(500), 0n, CASE_STAKE, E(100), E(200));
    });

    it("rules NoQuorum when nobody had voting stake at opening", async () => {
      const f = await loadFixture(deployFixture);
      const { arbiter, subject, challenger, verifiers } = f;
      for (const [i, v] of verifiers.entries()) await arbiter.connect(v).requestUnstake(STAKES[i] ?? 0n);
      await arbiter.connect(challenger).openChallenge(subject, SUBJECT_ID, EVIDENCE, BOND);
      expect((await arbiter.getChallenge(1n)).totalWeight).to.equal(0n);
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.NoQuorum, 0n, 0n, 0n, 0n, 0n);
      expect(await arbiter.credits(challenger)).to.equal(BOND);
      await expectSolvent(f);
    });

    it("resolves a challenge through a subject disallowed after it opened", async () => {
      const { arbiter, subject, v1, v2 } = await loadFixture(openFixture);
      await arbiter.setSubject(subject, false);
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, true],
      ]);
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Upheld, E(700), 0n, CASE_STAKE, E(100), E(200));
      expect(await subject.lastRuling()).to.equal(Ruling.Upheld);
    });

    it("reverts until the reveal deadline has passed", async () => {
      const { arbiter } = await loadFixture(openFixture);
      await time.setNextBlockTimestamp(OPENED_AT + 2n * DAY);
      await expect(arbiter.resolve(1n))
        .to.be.revertedWithCustomError(arbiter, "ArbiterRevealPhaseNotOver")
        .withArgs(1n, OPENED_AT + 2n * DAY);
      await time.setNextBlockTimestamp(OPENED_AT + 2n * DAY + 1n);
      await expect(arbiter.resolve(1n)).to.emit(arbiter, "ChallengeResolved");
    });

    it("reverts when resolved twice", async () => {
      const { arbiter, subject } = await loadFixture(openFixture);
      await afterRevealPhase(arbiter, 1n);
      await arbiter.resolve(1n);
      await expect(arbiter.resolve(1n))
        .to.be.revertedWithCustomError(arbiter, "ArbiterAlreadyResolved")
        .withArgs(1n, Ruling.NoQuorum);
      expect(await subject.resolvedCount()).to.equal(1n);
    });

    it("reverts when the subject reports more than it sent", async () => {
      const { arbiter, subject, v1, v2 } = await loadFixture(openFixture);
      await subject.setOverReport(1n);
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, true],
      ]);
      await expect(arbiter.resolve(1n))
        .to.be.revertedWithCustomError(arbiter, "ArbiterSlashMismatch")
        .withArgs(1n, CASE_STAKE + 1n, CASE_STAKE);
    });

    it("reverts when the subject slashes on a ruling other than Upheld", async () => {
      const { arbiter, subject, v1, v2 } = await loadFixture(openFixture);
      await subject.setSlashOnAnyRuling(true);
      await vote(arbiter, 1n, [
        [v1, false],
        [v2, false],
      ]);
      await expect(arbiter.resolve(1n))
        .to.be.revertedWithCustomError(arbiter, "ArbiterSlashMismatch")
        .withArgs(1n, CASE_STAKE, CASE_STAKE);
    });

    it("returns the bond alone when an upheld subject had nothing at stake", async () => {
      const f = await loadFixture(deployFixture);
      const { arbiter, subject, challenger, defendant, v1, v2 } = f;
      await subject.setCase(9n, defendant, 0n);
      await arbiter.connect(challenger).openChallenge(subject, 9n, EVIDENCE, BOND);
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, true],
      ]);
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Upheld, E(700), 0n, 0n, 0n, 0n);
      expect(await arbiter.credits(challenger)).to.equal(BOND);
      await expect(arbiter.claimVoterReward(1n, v1)).to.emit(arbiter, "VoterRewardClaimed").withArgs(1n, v1, 0n);
      await expectSolvent(f);
    });
  });

  describe("slashNonRevealer (THREATS #44)", () => {
    it("burns nonRevealSlashBps of a non-revealer's stake, once", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, token, v1, v3 } = f;
      await commit(arbiter, 1n, v3, true);
      await vote(arbiter, 1n, [[v1, true]]);
      const supply = await token.totalSupply();
      const tx = arbiter.slashNonRevealer(1n, v3);
      await expect(tx).to.emit(arbiter, "NonRevealerSlashed").withArgs(1n, v3.address, E(10));
      await expect(tx).to.changeTokenBalance(ethers, token, arbiter, -E(10));
      expect(await token.totalSupply()).to.equal(supply - E(10));
      expect(await arbiter.stakeOf(v3)).to.deep.equal([E(190), 0n, 0n, 0n]);
      expect((await arbiter.getVote(1n, v3)).status).to.equal(VoteStatus.NonRevealSlashed);
      await expect(arbiter.slashNonRevealer(1n, v3))
        .to.be.revertedWithCustomError(arbiter, "ArbiterAlreadySlashed")
        .withArgs(1n, v3.address);
      await expectSolvent(f);
    });

    it("takes from the active stake first, then from unbonding", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, v4 } = f;
      await commit(arbiter, 1n, v4, true);
      await arbiter.connect(v4).requestUnstake(E(98));
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.slashNonRevealer(1n, v4)).to.emit(arbiter, "NonRevealerSlashed").withArgs(1n, v4, E(5));
      const s = await arbiter.stakeOf(v4);
      expect([s.active, s.unbonding, s.pendingReveals]).to.deep.equal([0n, E(95), 0n]);
      await expectSolvent(f);
    });

    it("reverts until the reveal deadline has passed", async () => {
      const { arbiter, v3 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v3, true);
      await time.setNextBlockTimestamp(OPENED_AT + 2n * DAY);
      await expect(arbiter.slashNonRevealer(1n, v3))
        .to.be.revertedWithCustomError(arbiter, "ArbiterRevealPhaseNotOver")
        .withArgs(1n, OPENED_AT + 2n * DAY);
    });

    it("never slashes a voter who revealed, on the minority side included", async () => {
      const { arbiter, v1, v3 } = await loadFixture(openFixture);
      await vote(arbiter, 1n, [
        [v1, true],
        [v3, false],
      ]);
      await arbiter.resolve(1n);
      await expect(arbiter.slashNonRevealer(1n, v3))
        .to.be.revertedWithCustomError(arbiter, "ArbiterAlreadyRevealed")
        .withArgs(1n, v3.address);
      await arbiter.claimVoterReward(1n, v1);
      await expect(arbiter.slashNonRevealer(1n, v1))
        .to.be.revertedWithCustomError(arbiter, "ArbiterAlreadyRevealed")
        .withArgs(1n, v1.address);
      expect((await arbiter.stakeOf(v3)).active).to.equal(E(200));
    });

    it("reverts for a verifier who never committed", async () => {
      const { arbiter, v2 } = await loadFixture(openFixture);
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.slashNonRevealer(1n, v2))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotCommitted")
        .withArgs(1n, v2.address);
    });
  });

  describe("claimVoterReward and withdrawCredits", () => {
    it("reverts before the challenge is resolved", async () => {
      const { arbiter, v1 } = await loadFixture(openFixture);
      await vote(arbiter, 1n, [[v1, true]]);
      await expect(arbiter.claimVoterReward(1n, v1))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotResolved")
        .withArgs(1n);
    });

    it("reverts when a reward is claimed twice", async () => {
      const { arbiter, v1, v2 } = await loadFixture(openFixture);
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, true],
      ]);
      await arbiter.resolve(1n);
      await expect(arbiter.claimVoterReward(1n, v1))
        .to.emit(arbiter, "VoterRewardClaimed")
        .withArgs(1n, v1.address, (E(200) * 4n) / 7n);
      await expect(arbiter.claimVoterReward(1n, v1))
        .to.be.revertedWithCustomError(arbiter, "ArbiterRewardAlreadyClaimed")
        .withArgs(1n, v1.address);
    });

    it("reverts for a verifier who committed and did not reveal", async () => {
      const { arbiter, v1, v2, v3 } = await loadFixture(openFixture);
      await commit(arbiter, 1n, v2, true);
      await vote(arbiter, 1n, [
        [v1, true],
        [v3, true],
      ]);
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Upheld, E(600), 0n, CASE_STAKE, E(100), E(200));
      await expect(arbiter.claimVoterReward(1n, v2))
        .to.be.revertedWithCustomError(arbiter, "ArbiterNotRewarded")
        .withArgs(1n, v2.address);
    });

    it("withdraws credits, emitting CreditsWithdrawn", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, token, challenger } = f;
      await afterRevealPhase(arbiter, 1n);
      await arbiter.resolve(1n);
      const tx = arbiter.connect(challenger).withdrawCredits();
      await expect(tx).to.emit(arbiter, "CreditsWithdrawn").withArgs(challenger.address, BOND);
      await expect(tx).to.changeTokenBalances(ethers, token, [challenger, arbiter], [BOND, -BOND]);
      expect(await arbiter.credits(challenger)).to.equal(0n);
      await expect(arbiter.connect(challenger).withdrawCredits())
        .to.be.revertedWithCustomError(arbiter, "ArbiterNoCredits")
        .withArgs(challenger.address);
      await expectSolvent(f);
    });
  });

  describe("parameters snapshotted at opening (THREATS #46)", () => {
    it("resolves an open challenge with the parameters it opened under", async () => {
      const f = await loadFixture(openFixture);
      const { arbiter, token, subject, challenger, defendant, v1, v2, v3 } = f;
      const next = withParams({
        commitPeriod: 3n * DAY,
        revealPeriod: 3n * DAY,
        minBond: E(1),
        quorumBps: BPS,
        burnBps: 0n,
        voterRewardBps: 0n,
        nonRevealSlashBps: BPS,
        verifierUnbondingPeriod: 6n * DAY,
      });
      await arbiter.setParams(next);
      const before = await arbiter.getChallenge(1n);
      expect([before.commitDeadline, before.revealDeadline, before.quorumBps, before.burnBps]).to.deep.equal([
        OPENED_AT + DAY,
        OPENED_AT + 2n * DAY,
        PARAMS.quorumBps,
        PARAMS.burnBps,
      ]);
      await commit(arbiter, 1n, v3, true);
      await vote(arbiter, 1n, [
        [v1, true],
        [v2, true],
      ]);
      // 700 of 1,000 revealed: quorum under the old 50%, not under the new 100%.
      await expect(arbiter.resolve(1n))
        .to.emit(arbiter, "ChallengeResolved")
        .withArgs(1n, Ruling.Upheld, E(700), 0n, CASE_STAKE, E(100), E(200));
      await expect(arbiter.slashNonRevealer(1n, v3)).to.emit(arbiter, "NonRevealerSlashed").withArgs(1n, v3, E(10));

      await token.approve(subject, ethers.MaxUint256);
      await subject.setCase(8n, defendant, E(1));
      await arbiter.connect(challenger).openChallenge(subject, 8n, "0x", E(1));
      const c2 = await arbiter.getChallenge(2n);
      expect([c2.quorumBps, c2.burnBps, c2.voterRewardBps, c2.nonRevealSlashBps]).to.deep.equal([BPS, 0n, 0n, BPS]);
      expect(c2.revealDeadline - c2.commitDeadline).to.equal(3n * DAY);
      await expectSolvent(f);
    });
  });

  describe("a hostile subject", () => {
    it("cannot re-enter resolve from onChallengeResolved, and finds the ruling already stored", async () => {
      const f = await loadFixture(deployFixture);
      const { arbiter, challenger } = f;
      const hostile = await ethers.deployContract("ReentrantChallengeableMock", [arbiter]);
      await arbiter.setSubject(hostile, true);
      await hostile.setReentry("0x", arbiter.interface.encodeFunctionData("resolve", [1n]), false);
      await arbiter.connect(challenger).openChallenge(hostile, 1n, EVIDENCE, BOND);
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.resolve(1n)).to.emit(arbiter, "ChallengeResolved");
      expect(await hostile.reentered()).to.equal(true);
      expect(await hostile.reentrySucceeded()).to.equal(false);
      expect(await hostile.reentryResult()).to.equal(
        arbiter.interface.encodeErrorResult("ReentrancyGuardReentrantCall"),
      );
      expect(await hostile.observedRuling()).to.equal(Ruling.NoQuorum);
      expect(await arbiter.credits(challenger)).to.equal(BOND);
      await expectSolvent(f);
    });

    it("cannot withdraw credits from inside onChallengeResolved", async () => {
      const { arbiter, challenger } = await loadFixture(deployFixture);
      const hostile = await ethers.deployContract("ReentrantChallengeableMock", [arbiter]);
      await arbiter.setSubject(hostile, true);
      await hostile.setReentry("0x", arbiter.interface.encodeFunctionData("withdrawCredits"), true);
      await arbiter.connect(challenger).openChallenge(hostile, 1n, EVIDENCE, BOND);
      await afterRevealPhase(arbiter, 1n);
      await expect(arbiter.resolve(1n)).to.be.revertedWithCustomError(arbiter, "ReentrancyGuardReentrantCall");
    });

    it("cannot re-enter openChallenge from onChallengeOpened", async () => {
      const { arbiter, challenger } = await loadFixture(deployFixture);
      const hostile = await ethers.deployContract("ReentrantChallengeableMock", [arbiter]);
      await arbiter.setSubject(hostile, true);
      const again = arbiter.interface.encodeFunctionData("openChallenge", [
        await hostile.getAddress(),
        2n,
        EVIDENCE,
        BOND,
      ]);
      await hostile.setReentry(again, "0x", true);
      await expect(
        arbiter.connect(challenger).openChallenge(hostile, 1n, EVIDENCE, BOND),
      ).to.be.revertedWithCustomError(arbiter, "ReentrancyGuardReentrantCall");
    });
  });
});
