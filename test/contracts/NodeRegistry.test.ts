import { expect } from "chai";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/** IChallengeable's `Ruling`. */
const Ruling = { None: 0, Upheld: 1, Dismissed: 2, NoQuorum: 3 } as const;

const SUPPLY = ethers.parseEther("1000000000");
const MIN_STAKE = ethers.parseEther("1000");
const UNBONDING_PERIOD = 7n * 24n * 3600n;
const SLASH_BPS = 2500n;
const MAX_UNBONDING_PERIOD = 365n * 24n * 3600n;
const PEER_ID = "12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf";
const ENDPOINT = "https://node.example.org";

/** The subject id of a node in the IChallengeable callbacks. */
function subjectOf(address: string): bigint {
  return BigInt(address);
}

async function deploy() {
  const [owner, arbiter, node, node2, operator, operator2, other] = await ethers.getSigners();
  if (!owner || !arbiter || !node || !node2 || !operator || !operator2 || !other) throw new Error("signers");
  const token = await ethers.deployContract("OpenToken", [owner.address, SUPPLY]);
  const registry = await ethers.deployContract("NodeRegistry", [
    await token.getAddress(),
    arbiter.address,
    owner.address,
    MIN_STAKE,
    UNBONDING_PERIOD,
    SLASH_BPS,
  ]);
  const registryAddress = await registry.getAddress();
  for (const who of [node, node2, operator, operator2, other]) {
    await token.transfer(who.address, ethers.parseEther("100000"));
    await token.connect(who).approve(registryAddress, ethers.MaxUint256);
  }
  return { token, registry, registryAddress, owner, arbiter, node, node2, operator, operator2, other };
}

/** One node registered with twice the minimum stake, operated by `operator`. */
async function registered() {
  const f = await deploy();
  await f.registry.connect(f.node).register(f.operator.address, 2n * MIN_STAKE, PEER_ID, ENDPOINT);
  return f;
}

/** As {registered}, with challenge 7 open against the node. */
async function challenged() {
  const f = await registered();
  await f.registry.connect(f.arbiter).onChallengeOpened(subjectOf(f.node.address), 7n, f.other.address, "0x");
  return f;
}

describe("NodeRegistry", () => {
  describe("constructor", () => {
    it("stores the token, the arbiter, the owner and the parameters, announcing each parameter", async () => {
      const { token, registry, arbiter, owner } = await loadFixture(deploy);
      expect(await registry.token()).to.equal(await token.getAddress());
      expect(await registry.arbiter()).to.equal(arbiter.address);
      expect(await registry.owner()).to.equal(owner.address);
      expect(await registry.minStake()).to.equal(MIN_STAKE);
      expect(await registry.unbondingPeriod()).to.equal(UNBONDING_PERIOD);
      expect(await registry.slashBps()).to.equal(SLASH_BPS);
      const deployment = registry.deploymentTransaction();
      if (!deployment) throw new Error("no deployment transaction");
      await expect(deployment).to.emit(registry, "MinStakeSet").withArgs(MIN_STAKE);
      await expect(deployment).to.emit(registry, "UnbondingPeriodSet").withArgs(UNBONDING_PERIOD);
      await expect(deployment).to.emit(registry, "SlashBpsSet").withArgs(SLASH_BPS);
    });

    it("rejects a zero token or arbiter", async () => {
      const { token, registry, arbiter, owner } = await loadFixture(deploy);
      const factory = await ethers.getContractFactory("NodeRegistry");
      const tokenAddress = await token.getAddress();
      await expect(
        factory.deploy(ethers.ZeroAddress, arbiter.address, owner.address, MIN_STAKE, UNBONDING_PERIOD, SLASH_BPS),
      ).to.be.revertedWithCustomError(registry, "NodeRegistryZeroAddress");
      await expect(
        factory.deploy(tokenAddress, ethers.ZeroAddress, owner.address, MIN_STAKE, UNBONDING_PERIOD, SLASH_BPS),
      ).to.be.revertedWithCustomError(registry, "NodeRegistryZeroAddress");
    });

    // THREATS.md 15: the constructor rejects a period above the cap.
    it("rejects a zero minimum stake, an unbonding period of 0 or above a year, and a slash above 100 %", async () => {
      const { token, registry, arbiter, owner } = await loadFixture(deploy);
      const factory = await ethers.getContractFactory("NodeRegistry");
      const t = await token.getAddress();
      await expect(factory.deploy(t, arbiter.address, owner.address, 0n, UNBONDING_PERIOD, SLASH_BPS))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidMinStake")
        .withArgs(0n);
      await expect(factory.deploy(t, arbiter.address, owner.address, MIN_STAKE, 0n, SLASH_BPS))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidUnbondingPeriod")
        .withArgs(0n, MAX_UNBONDING_PERIOD);
      await expect(factory.deploy(t, arbiter.address, owner.address, MIN_STAKE, MAX_UNBONDING_PERIOD + 1n, SLASH_BPS))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidUnbondingPeriod")
        .withArgs(MAX_UNBONDING_PERIOD + 1n, MAX_UNBONDING_PERIOD);
      await expect(factory.deploy(t, arbiter.address, owner.address, MIN_STAKE, UNBONDING_PERIOD, 10_001n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSlashBps")
        .withArgs(10_001n);
    });

    it("rejects a zero owner", async () => {
      const { token, registry, arbiter } = await loadFixture(deploy);
      const factory = await ethers.getContractFactory("NodeRegistry");
      await expect(
        factory.deploy(
          await token.getAddress(),
          arbiter.address,
          ethers.ZeroAddress,
          MIN_STAKE,
          UNBONDING_PERIOD,
          SLASH_BPS,
        ),
      )
        .to.be.revertedWithCustomError(registry, "OwnableInvalidOwner")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("register", () => {
    it("pulls the stake and records the node, its operator, peer id and endpoint", async () => {
      const { token, registry, registryAddress, node, operator } = await loadFixture(deploy);
      const stake = 2n * MIN_STAKE;
      const tx = registry.connect(node).register(operator.address, stake, PEER_ID, ENDPOINT);
      await expect(tx)
        .to.emit(registry, "NodeRegistered")
        .withArgs(node.address, operator.address, stake, PEER_ID, ENDPOINT);
      await expect(tx).to.changeTokenBalances(ethers, token, [node, registryAddress], [-stake, stake]);
      const record = await registry.getNode(node.address);
      expect(record.operator).to.equal(operator.address);
      expect(record.stake).to.equal(stake);
      expect(record.unbonding).to.equal(0n);
      expect(record.unbondingEnd).to.equal(0n);
      expect(record.openChallenges).to.equal(0n);
      expect(record.registered).to.equal(true);
      expect(record.peerId).to.equal(PEER_ID);
      expect(record.endpoint).to.equal(ENDPOINT);
      expect(await registry.operatorOf(node.address)).to.equal(operator.address);
      expect(await registry.nodeOfOperator(operator.address)).to.equal(node.address);
      expect(await registry.isActive(node.address)).to.equal(true);
    });

    it("accepts the node's own address as its operator", async () => {
      const { registry, node } = await loadFixture(deploy);
      await registry.connect(node).register(node.address, MIN_STAKE, PEER_ID, ENDPOINT);
      expect(await registry.operatorOf(node.address)).to.equal(node.address);
      expect(await registry.nodeOfOperator(node.address)).to.equal(node.address);
    });

    it("reverts when the node registers twice", async () => {
      const { registry, node, operator } = await loadFixture(registered);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryAlreadyRegistered")
        .withArgs(node.address);
    });

    it("reverts when the operator already belongs to another node", async () => {
      const { registry, node, node2, operator } = await loadFixture(registered);
      await expect(registry.connect(node2).register(operator.address, MIN_STAKE, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryOperatorTaken")
        .withArgs(operator.address, node.address);
    });

    it("reverts when the operator is another registered node", async () => {
      const { registry, node, node2 } = await loadFixture(registered);
      await expect(registry.connect(node2).register(node.address, MIN_STAKE, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryOperatorTaken")
        .withArgs(node.address, node.address);
    });

    it("reverts when the caller is already another node's operator", async () => {
      const { registry, node, operator, operator2 } = await loadFixture(registered);
      await expect(registry.connect(operator).register(operator2.address, MIN_STAKE, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryCallerIsOperator")
        .withArgs(operator.address, node.address);
    });

    it("reverts on a zero operator", async () => {
      const { registry, node } = await loadFixture(deploy);
      await expect(
        registry.connect(node).register(ethers.ZeroAddress, MIN_STAKE, PEER_ID, ENDPOINT),
      ).to.be.revertedWithCustomError(registry, "NodeRegistryZeroOperator");
    });

    it("reverts when the stake is below the minimum", async () => {
      const { registry, node, operator } = await loadFixture(deploy);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE - 1n, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryStakeTooLow")
        .withArgs(MIN_STAKE - 1n, MIN_STAKE);
    });

    it("reverts on an empty or too long peer id", async () => {
      const { registry, node, operator } = await loadFixture(deploy);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE, "", ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidPeerId")
        .withArgs(0n, 128n);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE, "p".repeat(129), ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidPeerId")
        .withArgs(129n, 128n);
    });

    it("reverts on an empty or too long endpoint", async () => {
      const { registry, node, operator } = await loadFixture(deploy);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE, PEER_ID, ""))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidEndpoint")
        .withArgs(0n, 256n);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE, PEER_ID, "e".repeat(257)))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidEndpoint")
        .withArgs(257n, 256n);
    });

    it("reverts when the stake is not approved", async () => {
      const { token, registry, registryAddress, node, operator } = await loadFixture(deploy);
      await token.connect(node).approve(registryAddress, 0n);
      await expect(registry.connect(node).register(operator.address, MIN_STAKE, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(registryAddress, 0n, MIN_STAKE);
    });
  });

  describe("update", () => {
    it("changes the operator, peer id and endpoint, releasing the old operator", async () => {
      const { registry, node, node2, operator, operator2 } = await loadFixture(registered);
      await expect(registry.connect(node).update(operator2.address, "peer2", "https://b.example.org"))
        .to.emit(registry, "NodeUpdated")
        .withArgs(node.address, operator2.address, "peer2", "https://b.example.org");
      expect(await registry.operatorOf(node.address)).to.equal(operator2.address);
      expect(await registry.nodeOfOperator(operator2.address)).to.equal(node.address);
      expect(await registry.nodeOfOperator(operator.address)).to.equal(ethers.ZeroAddress);
      const record = await registry.getNode(node.address);
      expect(record.peerId).to.equal("peer2");
      expect(record.endpoint).to.equal("https://b.example.org");
      // The released operator can join another node.
      await registry.connect(node2).register(operator.address, MIN_STAKE, PEER_ID, ENDPOINT);
      expect(await registry.nodeOfOperator(operator.address)).to.equal(node2.address);
    });

    it("keeps the same operator when only the strings change", async () => {
      const { registry, node, operator } = await loadFixture(registered);
      await expect(registry.connect(node).update(operator.address, PEER_ID, "https://c.example.org"))
        .to.emit(registry, "NodeUpdated")
        .withArgs(node.address, operator.address, PEER_ID, "https://c.example.org");
      expect(await registry.nodeOfOperator(operator.address)).to.equal(node.address);
    });

    it("reverts for an unregistered caller", async () => {
      const { registry, other, operator2 } = await loadFixture(registered);
      await expect(registry.connect(other).update(operator2.address, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotRegistered")
        .withArgs(other.address);
    });

    it("reverts when the new operator is taken by another node", async () => {
      const { registry, node, node2, operator2 } = await loadFixture(registered);
      await registry.connect(node2).register(operator2.address, MIN_STAKE, PEER_ID, ENDPOINT);
      await expect(registry.connect(node).update(operator2.address, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryOperatorTaken")
        .withArgs(operator2.address, node2.address);
      await expect(registry.connect(node).update(node2.address, PEER_ID, ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryOperatorTaken")
        .withArgs(node2.address, node2.address);
      await expect(registry.connect(node).update(ethers.ZeroAddress, PEER_ID, ENDPOINT)).to.be.revertedWithCustomError(
        registry,
        "NodeRegistryZeroOperator",
      );
    });

    it("reverts on invalid strings", async () => {
      const { registry, node, operator } = await loadFixture(registered);
      await expect(registry.connect(node).update(operator.address, "", ENDPOINT))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidPeerId")
        .withArgs(0n, 128n);
      await expect(registry.connect(node).update(operator.address, PEER_ID, ""))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidEndpoint")
        .withArgs(0n, 256n);
    });
  });

  describe("setPrice", () => {
    it("lets the node set a price per version", async () => {
      const { registry, node } = await loadFixture(registered);
      await expect(registry.connect(node).setPrice(3n, 1234n))
        .to.emit(registry, "PriceSet")
        .withArgs(node.address, 3n, 1234n);
      expect(await registry.priceOf(node.address, 3n)).to.equal(1234n);
      expect(await registry.priceOf(node.address, 4n)).to.equal(0n);
    });

    it("lets the operator set a price for its node, and 0 withdraws the offer", async () => {
      const { registry, node, operator } = await loadFixture(registered);
      await expect(registry.connect(operator).setPrice(3n, 99n))
        .to.emit(registry, "PriceSet")
        .withArgs(node.address, 3n, 99n);
      expect(await registry.priceOf(node.address, 3n)).to.equal(99n);
      await expect(registry.connect(operator).setPrice(3n, 0n))
        .to.emit(registry, "PriceSet")
        .withArgs(node.address, 3n, 0n);
      expect(await registry.priceOf(node.address, 3n)).to.equal(0n);
    });

    it("reverts for a caller that is neither a node nor an operator, including a released operator", async () => {
      const { registry, node, other, operator, operator2 } = await loadFixture(registered);
      await expect(registry.connect(other).setPrice(3n, 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotNodeOrOperator")
        .withArgs(other.address);
      await registry.connect(node).update(operator2.address, PEER_ID, ENDPOINT);
      await expect(registry.connect(operator).setPrice(3n, 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotNodeOrOperator")
        .withArgs(operator.address);
    });

    it("reverts for version 0 and for a price that no receipt value can match", async () => {
      const { registry, node } = await loadFixture(registered);
      await expect(registry.connect(node).setPrice(0n, 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidVersion")
        .withArgs(0n);
      const tooHigh = 2n ** 128n;
      await expect(registry.connect(node).setPrice(1n, tooHigh))
        .to.be.revertedWithCustomError(registry, "NodeRegistryPriceTooHigh")
        .withArgs(tooHigh);
      await registry.connect(node).setPrice(1n, tooHigh - 1n);
      expect(await registry.priceOf(node.address, 1n)).to.equal(tooHigh - 1n);
    });
  });

  describe("addStake", () => {
    it("pulls the amount and adds it to the stake", async () => {
      const { token, registry, registryAddress, node } = await loadFixture(registered);
      const tx = registry.connect(node).addStake(5n);
      await expect(tx)
        .to.emit(registry, "StakeAdded")
        .withArgs(node.address, 5n, 2n * MIN_STAKE + 5n);
      await expect(tx).to.changeTokenBalances(ethers, token, [node, registryAddress], [-5n, 5n]);
    });

    it("reverts for an unregistered caller or a zero amount", async () => {
      const { registry, node, other } = await loadFixture(registered);
      await expect(registry.connect(other).addStake(5n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotRegistered")
        .withArgs(other.address);
      await expect(registry.connect(node).addStake(0n)).to.be.revertedWithCustomError(
        registry,
        "NodeRegistryZeroAmount",
      );
    });
  });

  describe("requestUnbond", () => {
    it("moves stake into unbonding until now + period, and deactivates a node that falls below the minimum", async () => {
      const { registry, node } = await loadFixture(registered);
      const tx = await registry.connect(node).requestUnbond(MIN_STAKE);
      const at = BigInt(await time.latest());
      await expect(tx)
        .to.emit(registry, "UnbondRequested")
        .withArgs(node.address, MIN_STAKE, MIN_STAKE, at + UNBONDING_PERIOD);
      expect(await registry.isActive(node.address)).to.equal(true);
      const operator = await registry.operatorOf(node.address);
      expect(operator).to.not.equal(ethers.ZeroAddress);
      expect(await registry.operatorAndActive(node.address)).to.deep.equal([operator, true]);
      await registry.connect(node).requestUnbond(1n);
      expect(await registry.isActive(node.address)).to.equal(false);
      expect(await registry.operatorAndActive(node.address)).to.deep.equal([operator, false]);
      const record = await registry.getNode(node.address);
      expect(record.stake).to.equal(2n * MIN_STAKE);
      expect(record.unbonding).to.equal(MIN_STAKE + 1n);
    });

    // THREATS.md 14: successive requests reset the timer (documented in docs/nodes-and-adapters.md).
    it("restarts the timer for the whole unbonding part on a second request", async () => {
      const { registry, node } = await loadFixture(registered);
      await registry.connect(node).requestUnbond(10n);
      await time.increase(UNBONDING_PERIOD - 10n);
      const tx = await registry.connect(node).requestUnbond(5n);
      const at = BigInt(await time.latest());
      await expect(tx)
        .to.emit(registry, "UnbondRequested")
        .withArgs(node.address, 5n, 15n, at + UNBONDING_PERIOD);
      // The first request's end has passed, but the restarted timer holds both parts.
      await time.increase(20n);
      await expect(registry.connect(node).withdraw())
        .to.be.revertedWithCustomError(registry, "NodeRegistryStillUnbonding")
        .withArgs(node.address, at + UNBONDING_PERIOD);
    });

    // THREATS.md 25: one unbonding part per node, timed by the period at its latest request.
    it("uses the unbonding period in force at the latest request (a governance change applies from then on)", async () => {
      const { registry, owner, node } = await loadFixture(registered);
      await registry.connect(node).requestUnbond(10n);
      await registry.connect(owner).setUnbondingPeriod(1n);
      const tx = await registry.connect(node).requestUnbond(5n);
      const at = BigInt(await time.latest());
      await expect(tx)
        .to.emit(registry, "UnbondRequested")
        .withArgs(node.address, 5n, 15n, at + 1n);
    });

    it("reverts when more than the stake not yet unbonding is asked for", async () => {
      const { registry, node } = await loadFixture(registered);
      await expect(registry.connect(node).requestUnbond(2n * MIN_STAKE + 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnbondTooHigh")
        .withArgs(2n * MIN_STAKE + 1n, 2n * MIN_STAKE);
      await registry.connect(node).requestUnbond(MIN_STAKE);
      await expect(registry.connect(node).requestUnbond(MIN_STAKE + 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnbondTooHigh")
        .withArgs(MIN_STAKE + 1n, MIN_STAKE);
    });

    // THREATS.md 24: nobody can create or reset unbonding requests for another node.
    it("reverts for a zero amount, and acts only on the caller's own node", async () => {
      const { registry, node, operator, other } = await loadFixture(registered);
      await expect(registry.connect(node).requestUnbond(0n)).to.be.revertedWithCustomError(
        registry,
        "NodeRegistryZeroAmount",
      );
      // Neither a stranger nor the node's own operator can start (or reset) the node's unbonding.
      for (const caller of [other, operator]) {
        await expect(registry.connect(caller).requestUnbond(1n))
          .to.be.revertedWithCustomError(registry, "NodeRegistryNotRegistered")
          .withArgs(caller.address);
      }
    });
  });

  describe("withdraw", () => {
    // THREATS.md 12: both sides of the boundary.
    it("reverts at exactly the unbonding end and pays one second later", async () => {
      const { token, registry, registryAddress, node } = await loadFixture(registered);
      await registry.connect(node).requestUnbond(MIN_STAKE);
      const end = (await registry.getNode(node.address)).unbondingEnd;
      await time.increaseTo(end - 1n);
      // The next block is at `end`.
      await expect(registry.connect(node).withdraw())
        .to.be.revertedWithCustomError(registry, "NodeRegistryStillUnbonding")
        .withArgs(node.address, end);
      await time.setNextBlockTimestamp(end + 1n);
      const tx = registry.connect(node).withdraw();
      await expect(tx).to.emit(registry, "Withdrawn").withArgs(node.address, MIN_STAKE, MIN_STAKE);
      await expect(tx).to.changeTokenBalances(ethers, token, [node, registryAddress], [MIN_STAKE, -MIN_STAKE]);
      const record = await registry.getNode(node.address);
      expect(record.stake).to.equal(MIN_STAKE);
      expect(record.unbonding).to.equal(0n);
      expect(record.unbondingEnd).to.equal(0n);
    });

    // THREATS.md 27: the view equals what withdraw pays.
    it("pays exactly what withdrawableOf announced, across successive requests", async () => {
      const { token, registry, node } = await loadFixture(registered);
      let paid = 0n;
      for (const amount of [3n, 7n, 11n]) {
        await registry.connect(node).requestUnbond(amount);
        expect(await registry.withdrawableOf(node.address)).to.equal(0n);
        await time.increase(UNBONDING_PERIOD + 1n);
        const announced = await registry.withdrawableOf(node.address);
        expect(announced).to.equal(amount);
        const before = await token.balanceOf(node.address);
        await registry.connect(node).withdraw();
        paid += (await token.balanceOf(node.address)) - before;
        expect((await token.balanceOf(node.address)) - before).to.equal(announced);
      }
      expect(paid).to.equal(21n);
    });

    it("lets a node withdraw everything, stay registered and come back with addStake", async () => {
      const { registry, node } = await loadFixture(registered);
      await registry.connect(node).requestUnbond(2n * MIN_STAKE);
      await time.increase(UNBONDING_PERIOD + 1n);
      await registry.connect(node).withdraw();
      expect((await registry.getNode(node.address)).stake).to.equal(0n);
      expect(await registry.isActive(node.address)).to.equal(false);
      await registry.connect(node).addStake(MIN_STAKE);
      expect(await registry.isActive(node.address)).to.equal(true);
    });

    it("reverts when nothing is unbonding or the caller is not a node", async () => {
      const { registry, node, other } = await loadFixture(registered);
      await expect(registry.connect(node).withdraw())
        .to.be.revertedWithCustomError(registry, "NodeRegistryNothingUnbonding")
        .withArgs(node.address);
      await expect(registry.connect(other).withdraw())
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotRegistered")
        .withArgs(other.address);
    });

    // THREATS.md 28: unstaking to dodge a pending challenge fails.
    it("cannot dodge a pending challenge: unbonded stake stays locked until the ruling", async () => {
      const { registry, arbiter, node } = await loadFixture(registered);
      await registry.connect(node).requestUnbond(2n * MIN_STAKE);
      await time.increase(UNBONDING_PERIOD - 5n);
      // The challenge opens just before the unbonding ends.
      await registry.connect(arbiter).onChallengeOpened(subjectOf(node.address), 1n, arbiter.address, "0x");
      await time.increase(10n);
      expect(await registry.withdrawableOf(node.address)).to.equal(0n);
      await expect(registry.connect(node).withdraw())
        .to.be.revertedWithCustomError(registry, "NodeRegistryChallenged")
        .withArgs(node.address, 1n);
      // Upheld: the slash lands on the unbonding stake too, and what is left is withdrawable.
      await registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 1n, Ruling.Upheld);
      const left = 2n * MIN_STAKE - (2n * MIN_STAKE * SLASH_BPS) / 10_000n;
      expect(await registry.withdrawableOf(node.address)).to.equal(left);
      await expect(registry.connect(node).withdraw()).to.emit(registry, "Withdrawn").withArgs(node.address, left, 0n);
    });

    it("stays blocked until every open challenge is ruled on", async () => {
      const { registry, arbiter, node } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeOpened(subjectOf(node.address), 8n, arbiter.address, "0x");
      await registry.connect(node).requestUnbond(1n);
      await time.increase(UNBONDING_PERIOD + 1n);
      await registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Dismissed);
      await expect(registry.connect(node).withdraw())
        .to.be.revertedWithCustomError(registry, "NodeRegistryChallenged")
        .withArgs(node.address, 1n);
      await registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 8n, Ruling.NoQuorum);
      await expect(registry.connect(node).withdraw()).to.emit(registry, "Withdrawn");
    });
  });

  describe("onChallengeOpened", () => {
    it("locks the node, counts the challenge and names the node as defendant", async () => {
      const { registry, arbiter, node, other } = await loadFixture(registered);
      const subject = subjectOf(node.address);
      expect(await registry.connect(arbiter).onChallengeOpened.staticCall(subject, 1n, other.address, "0x")).to.equal(
        node.address,
      );
      await expect(registry.connect(arbiter).onChallengeOpened(subject, 1n, other.address, "0xabcd"))
        .to.emit(registry, "ChallengeOpened")
        .withArgs(node.address, 1n, other.address);
      expect((await registry.getNode(node.address)).openChallenges).to.equal(1n);
    });

    it("reverts for any caller but the arbiter", async () => {
      const { registry, node, other } = await loadFixture(registered);
      await expect(registry.connect(other).onChallengeOpened(subjectOf(node.address), 1n, other.address, "0x"))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotArbiter")
        .withArgs(other.address);
      await expect(registry.connect(node).onChallengeOpened(subjectOf(node.address), 1n, other.address, "0x"))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotArbiter")
        .withArgs(node.address);
    });

    it("reverts for an unregistered address or a subject id wider than an address", async () => {
      const { registry, arbiter, other, node } = await loadFixture(registered);
      await expect(registry.connect(arbiter).onChallengeOpened(subjectOf(other.address), 1n, arbiter.address, "0x"))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnknownSubject")
        .withArgs(subjectOf(other.address));
      const wide = subjectOf(node.address) + 2n ** 160n;
      await expect(registry.connect(arbiter).onChallengeOpened(wide, 1n, arbiter.address, "0x"))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnknownSubject")
        .withArgs(wide);
    });

    it("reverts when the challenge id was already used, even after its ruling", async () => {
      const { registry, arbiter, node } = await loadFixture(challenged);
      await expect(registry.connect(arbiter).onChallengeOpened(subjectOf(node.address), 7n, arbiter.address, "0x"))
        .to.be.revertedWithCustomError(registry, "NodeRegistryChallengeExists")
        .withArgs(7n);
      await registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Dismissed);
      await expect(registry.connect(arbiter).onChallengeOpened(subjectOf(node.address), 7n, arbiter.address, "0x"))
        .to.be.revertedWithCustomError(registry, "NodeRegistryChallengeExists")
        .withArgs(7n);
    });
  });

  describe("onChallengeResolved", () => {
    it("on Upheld slashes the share of the whole stake, unbonding included, and sends it to the arbiter", async () => {
      const { token, registry, registryAddress, arbiter, node } = await loadFixture(challenged);
      await registry.connect(node).requestUnbond(MIN_STAKE + 500n);
      const stake = 2n * MIN_STAKE;
      const slashed = (stake * SLASH_BPS) / 10_000n;
      const subject = subjectOf(node.address);
      expect(await registry.connect(arbiter).onChallengeResolved.staticCall(subject, 7n, Ruling.Upheld)).to.equal(
        slashed,
      );
      const tx = registry.connect(arbiter).onChallengeResolved(subject, 7n, Ruling.Upheld);
      // 1500 OPEN left; the unbonding part (1000 OPEN + 500 wei) still fits.
      await expect(tx)
        .to.emit(registry, "NodeSlashed")
        .withArgs(node.address, 7n, slashed, stake - slashed, MIN_STAKE + 500n);
      await expect(tx).to.emit(registry, "ChallengeResolved").withArgs(node.address, 7n, Ruling.Upheld, slashed);
      await expect(tx).to.changeTokenBalances(ethers, token, [arbiter, registryAddress], [slashed, -slashed]);
      const record = await registry.getNode(node.address);
      expect(record.stake).to.equal(stake - slashed);
      expect(record.openChallenges).to.equal(0n);
    });

    // THREATS.md 26: unbonding ≤ stake after a slash; the last withdrawal succeeds.
    it("clamps the unbonding part to what is left when the slash eats into it", async () => {
      const { registry, arbiter, node } = await loadFixture(challenged);
      const stake = 2n * MIN_STAKE;
      await registry.connect(node).requestUnbond(stake);
      const slashed = (stake * SLASH_BPS) / 10_000n;
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Upheld))
        .to.emit(registry, "NodeSlashed")
        .withArgs(node.address, 7n, slashed, stake - slashed, stake - slashed);
      await time.increase(UNBONDING_PERIOD + 1n);
      await expect(registry.connect(node).withdraw())
        .to.emit(registry, "Withdrawn")
        .withArgs(node.address, stake - slashed, 0n);
    });

    // THREATS.md 46: parameters are snapshotted when a challenge opens.
    it("slashes at the share set when the challenge opened, not a later governance change", async () => {
      const { registry, owner, arbiter, node } = await loadFixture(challenged);
      await registry.connect(owner).setSlashBps(10_000n);
      const slashed = (2n * MIN_STAKE * SLASH_BPS) / 10_000n;
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Upheld))
        .to.emit(registry, "ChallengeResolved")
        .withArgs(node.address, 7n, Ruling.Upheld, slashed);
    });

    it("slashes nothing with a zero share, and moves no token", async () => {
      const { token, registry, registryAddress, owner, arbiter, node } = await loadFixture(registered);
      await registry.connect(owner).setSlashBps(0n);
      await registry.connect(arbiter).onChallengeOpened(subjectOf(node.address), 1n, arbiter.address, "0x");
      const tx = registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 1n, Ruling.Upheld);
      await expect(tx).to.emit(registry, "ChallengeResolved").withArgs(node.address, 1n, Ruling.Upheld, 0n);
      await expect(tx).not.to.emit(registry, "NodeSlashed");
      await expect(tx).to.changeTokenBalances(ethers, token, [arbiter, registryAddress], [0n, 0n]);
    });

    it("on Dismissed and NoQuorum slashes nothing and releases the lock", async () => {
      const { token, registry, registryAddress, arbiter, node } = await loadFixture(challenged);
      await registry.connect(arbiter).onChallengeOpened(subjectOf(node.address), 8n, arbiter.address, "0x");
      for (const [id, ruling] of [
        [7n, Ruling.Dismissed],
        [8n, Ruling.NoQuorum],
      ] as const) {
        const tx = registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), id, ruling);
        await expect(tx).to.emit(registry, "ChallengeResolved").withArgs(node.address, id, ruling, 0n);
        await expect(tx).to.changeTokenBalances(ethers, token, [arbiter, registryAddress], [0n, 0n]);
      }
      const record = await registry.getNode(node.address);
      expect(record.openChallenges).to.equal(0n);
      expect(record.stake).to.equal(2n * MIN_STAKE);
    });

    it("reverts for any caller but the arbiter", async () => {
      const { registry, node, other } = await loadFixture(challenged);
      await expect(registry.connect(other).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotArbiter")
        .withArgs(other.address);
      await expect(registry.connect(node).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Dismissed))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotArbiter")
        .withArgs(node.address);
    });

    it("reverts for an unknown challenge, a second ruling, or the wrong subject", async () => {
      const { registry, arbiter, node, node2, operator2 } = await loadFixture(challenged);
      await registry.connect(node2).register(operator2.address, MIN_STAKE, PEER_ID, ENDPOINT);
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 8n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnknownChallenge")
        .withArgs(subjectOf(node.address), 8n);
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node2.address), 7n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnknownChallenge")
        .withArgs(subjectOf(node2.address), 7n);
      await registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Upheld);
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Upheld))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnknownChallenge")
        .withArgs(subjectOf(node.address), 7n);
    });

    it("reverts on a ruling that is not final", async () => {
      const { registry, arbiter, node } = await loadFixture(challenged);
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.None))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidRuling")
        .withArgs(Ruling.None);
    });

    // THREATS.md 28: the slash lands on stake slashable at the opening.
    it("still slashes stake whose unbonding was requested after the challenge opened (front-run)", async () => {
      const { registry, arbiter, node } = await loadFixture(challenged);
      await registry.connect(node).requestUnbond(2n * MIN_STAKE);
      const slashed = (2n * MIN_STAKE * SLASH_BPS) / 10_000n;
      await expect(registry.connect(arbiter).onChallengeResolved(subjectOf(node.address), 7n, Ruling.Upheld))
        .to.emit(registry, "ChallengeResolved")
        .withArgs(node.address, 7n, Ruling.Upheld, slashed);
    });
  });

  describe("governance", () => {
    it("lets the owner set the minimum stake, which applies to activity at once", async () => {
      const { registry, owner, node } = await loadFixture(registered);
      await expect(registry.connect(owner).setMinStake(3n * MIN_STAKE))
        .to.emit(registry, "MinStakeSet")
        .withArgs(3n * MIN_STAKE);
      expect(await registry.isActive(node.address)).to.equal(false);
      await expect(registry.connect(owner).setMinStake(0n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidMinStake")
        .withArgs(0n);
    });

    it("lets the owner set the unbonding period within its bounds", async () => {
      const { registry, owner } = await loadFixture(deploy);
      await expect(registry.connect(owner).setUnbondingPeriod(MAX_UNBONDING_PERIOD))
        .to.emit(registry, "UnbondingPeriodSet")
        .withArgs(MAX_UNBONDING_PERIOD);
      expect(await registry.unbondingPeriod()).to.equal(MAX_UNBONDING_PERIOD);
      await expect(registry.connect(owner).setUnbondingPeriod(MAX_UNBONDING_PERIOD + 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidUnbondingPeriod")
        .withArgs(MAX_UNBONDING_PERIOD + 1n, MAX_UNBONDING_PERIOD);
    });

    it("lets the owner set the slash share up to 100 %", async () => {
      const { registry, owner } = await loadFixture(deploy);
      await expect(registry.connect(owner).setSlashBps(10_000n)).to.emit(registry, "SlashBpsSet").withArgs(10_000n);
      expect(await registry.slashBps()).to.equal(10_000n);
      await expect(registry.connect(owner).setSlashBps(10_001n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSlashBps")
        .withArgs(10_001n);
    });

    it("refuses every setter to anyone but the owner", async () => {
      const { registry, other } = await loadFixture(deploy);
      for (const call of [
        registry.connect(other).setMinStake(1n),
        registry.connect(other).setUnbondingPeriod(1n),
        registry.connect(other).setSlashBps(1n),
      ]) {
        await expect(call)
          .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
          .withArgs(other.address);
      }
    });

    it("hands ownership over in two steps", async () => {
      const { registry, owner, other } = await loadFixture(deploy);
      await registry.connect(owner).transferOwnership(other.address);
      expect(await registry.owner()).to.equal(owner.address);
      await registry.connect(other).acceptOwnership();
      expect(await registry.owner()).to.equal(other.address);
    });
  });

  describe("views", () => {
    it("answers zeros for an address that never registered", async () => {
      const { registry, other } = await loadFixture(registered);
      const record = await registry.getNode(other.address);
      expect(record.registered).to.equal(false);
      expect(record.operator).to.equal(ethers.ZeroAddress);
      expect(await registry.operatorOf(other.address)).to.equal(ethers.ZeroAddress);
      expect(await registry.nodeOfOperator(other.address)).to.equal(ethers.ZeroAddress);
      expect(await registry.priceOf(other.address, 1n)).to.equal(0n);
      expect(await registry.isActive(other.address)).to.equal(false);
      expect(await registry.operatorAndActive(other.address)).to.deep.equal([ethers.ZeroAddress, false]);
      expect(await registry.withdrawableOf(other.address)).to.equal(0n);
    });
  });
});
