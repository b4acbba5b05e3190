import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DAY = 86_400n;
const WEI = 10n ** 18n;
const SUPPLY = 1_000_000n * WEI;
const THAWING_PERIOD = 7n * DAY;
const SIGNER_THAWING_PERIOD = 3n * DAY;
const REVOKE_GRACE_PERIOD = 3_600n;
const MAX_PERIOD = 90n * DAY;
/** secp256k1 group order: `n − s` is the high-s twin of a low-s signature (THREATS #22). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** DESIGN §4, byte for byte: the canonical type string of a signer authorization. */
const SIGNER_AUTHORIZATION_TYPE = "SignerAuthorization(address payer,address signer,uint256 nonce,uint256 deadline)";
const SIGNER_AUTHORIZATION_TYPES = {
  SignerAuthorization: [
    { name: "payer", type: "address" },
    { name: "signer", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

type Fixture = Awaited<ReturnType<typeof deployEscrow>>;
type PaymentEscrow = Fixture["escrow"];
type OpenToken = Fixture["token"];

interface Authorization {
  payer: string;
  signer: string;
  nonce: bigint;
  deadline: bigint;
}

async function deployEscrow() {
  const [owner, payer, payer2, node, node2, collector, stranger, signer, signer2] = await ethers.getSigners();
  if (!owner || !payer || !payer2 || !node || !node2 || !collector || !stranger || !signer || !signer2) {
    throw new Error("expected 9 accounts");
  }
  const token = await ethers.deployContract("OpenToken", [owner.address, SUPPLY]);
  const escrow = await ethers.deployContract("PaymentEscrow", [
    token,
    owner,
    THAWING_PERIOD,
    SIGNER_THAWING_PERIOD,
    REVOKE_GRACE_PERIOD,
  ]);
  for (const account of [payer, payer2, stranger]) {
    await token.transfer(account, 1_000n * WEI);
    await token.connect(account).approve(escrow, ethers.MaxUint256);
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { token, escrow, chainId, owner, payer, payer2, node, node2, collector, stranger, signer, signer2 };
}

async function deployWithCollector() {
  const fixture = await deployEscrow();
  await fixture.escrow.connect(fixture.owner).setCollector(fixture.collector);
  return fixture;
}

async function deployFunded() {
  const fixture = await deployWithCollector();
  await fixture.escrow.connect(fixture.payer).deposit(fixture.node, 100n);
  return fixture;
}

/** The signer's EIP-712 signature, produced by ethers from the typed data (never from our own digest). */
async function signAuthorization(
  signer: HardhatEthersSigner,
  escrow: PaymentEscrow,
  chainId: bigint,
  authorization: Authorization,
  domainOverrides: { chainId?: bigint; verifyingContract?: string } = {},
): Promise<string> {
  const domain = {
    name: "OLP PaymentEscrow",
    version: "1",
    chainId: domainOverrides.chainId ?? chainId,
    verifyingContract: domainOverrides.verifyingContract ?? (await escrow.getAddress()),
  };
  return signer.signTypedData(domain, SIGNER_AUTHORIZATION_TYPES, authorization);
}

/** Authorizes `signer` for `payer` with `nonce` and a deadline an hour away. */
async function authorize(
  escrow: PaymentEscrow,
  chainId: bigint,
  payer: HardhatEthersSigner,
  signer: HardhatEthersSigner,
  nonce = 1n,
) {
  const deadline = BigInt(await time.latest()) + 3_600n;
  const signature = await signAuthorization(signer, escrow, chainId, {
    payer: payer.address,
    signer: signer.address,
    nonce,
    deadline,
  });
  return escrow.connect(payer).authorizeSigner(signer, deadline, nonce, signature);
}

/** Mines the next transaction at exactly `timestamp`. */
async function at(timestamp: bigint) {
  await time.setNextBlockTimestamp(timestamp);
}

async function permitSignature(token: OpenToken, owner: HardhatEthersSigner, spender: string, value: bigint) {
  const deadline = BigInt(await time.latest()) + 3_600n;
  const domain = {
    name: "OpenLedger",
    version: "1",
    chainId: (await ethers.provider.getNetwork()).chainId,
    verifyingContract: await token.getAddress(),
  };
  const types = {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const nonce = await token.nonces(owner);
  const signature = ethers.Signature.from(
    await owner.signTypedData(domain, types, { owner: owner.address, spender, value, nonce, deadline }),
  );
  return { deadline, v: signature.v, r: signature.r, s: signature.s };
}

describe("PaymentEscrow", () => {
  describe("deployment and governance", () => {
    it("stores the token, the owner and the periods, and emits each period", async () => {
      const { token, escrow, owner } = await loadFixture(deployEscrow);
      expect(await escrow.token()).to.equal(await token.getAddress());
      expect(await escrow.owner()).to.equal(owner.address);
      expect(await escrow.collector()).to.equal(ethers.ZeroAddress);
      expect(await escrow.thawingPeriod()).to.equal(THAWING_PERIOD);
      expect(await escrow.signerThawingPeriod()).to.equal(SIGNER_THAWING_PERIOD);
      expect(await escrow.revokeGracePeriod()).to.equal(REVOKE_GRACE_PERIOD);
      expect(await escrow.MAX_PERIOD()).to.equal(MAX_PERIOD);
      const deployment = escrow.deploymentTransaction();
      await expect(deployment).to.emit(escrow, "ThawingPeriodSet").withArgs(THAWING_PERIOD);
      await expect(deployment).to.emit(escrow, "SignerThawingPeriodSet").withArgs(SIGNER_THAWING_PERIOD);
      await expect(deployment).to.emit(escrow, "RevokeGracePeriodSet").withArgs(REVOKE_GRACE_PERIOD);
    });

    it("exposes its EIP-712 domain (EIP-5267)", async () => {
      const { escrow, chainId } = await loadFixture(deployEscrow);
      const domain = await escrow.eip712Domain();
      expect(domain.name).to.equal("OLP PaymentEscrow");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(chainId);
      expect(domain.verifyingContract).to.equal(await escrow.getAddress());
    });

    it("accepts periods at the cap and rejects each one above it (THREATS #15)", async () => {
      const { token, escrow, owner } = await loadFixture(deployEscrow);
      const deploy = (a: bigint, b: bigint, c: bigint) =>
        ethers.deployContract("PaymentEscrow", [token, owner, a, b, c]);
      await deploy(MAX_PERIOD, MAX_PERIOD, MAX_PERIOD);
      await expect(deploy(MAX_PERIOD + 1n, 0n, 0n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowPeriodTooLong")
        .withArgs(MAX_PERIOD + 1n, MAX_PERIOD);
      await expect(deploy(0n, MAX_PERIOD + 1n, 0n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowPeriodTooLong")
        .withArgs(MAX_PERIOD + 1n, MAX_PERIOD);
      await expect(deploy(0n, 0n, 2n ** 64n - 1n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowPeriodTooLong")
        .withArgs(2n ** 64n - 1n, MAX_PERIOD);
    });

    it("rejects a zero token or owner at deployment", async () => {
      const { token, escrow, owner } = await loadFixture(deployEscrow);
      await expect(
        ethers.deployContract("PaymentEscrow", [ethers.ZeroAddress, owner, 0n, 0n, 0n]),
      ).to.be.revertedWithCustomError(escrow, "PaymentEscrowZeroAddress");
      await expect(ethers.deployContract("PaymentEscrow", [token, ethers.ZeroAddress, 0n, 0n, 0n]))
        .to.be.revertedWithCustomError(escrow, "OwnableInvalidOwner")
        .withArgs(ethers.ZeroAddress);
    });

    it("sets the collector once", async () => {
      const { escrow, owner, collector, stranger } = await loadFixture(deployEscrow);
      await expect(escrow.connect(owner).setCollector(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAddress",
      );
      await expect(escrow.connect(owner).setCollector(collector)).to.emit(escrow, "CollectorSet").withArgs(collector);
      expect(await escrow.collector()).to.equal(collector.address);
      await expect(escrow.connect(owner).setCollector(stranger))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowCollectorAlreadySet")
        .withArgs(collector.address);
    });

    it("sets each period within the cap, and only the owner does", async () => {
      const { escrow, owner, stranger } = await loadFixture(deployEscrow);
      const setters = [
        ["setThawingPeriod", "ThawingPeriodSet", "thawingPeriod"],
        ["setSignerThawingPeriod", "SignerThawingPeriodSet", "signerThawingPeriod"],
        ["setRevokeGracePeriod", "RevokeGracePeriodSet", "revokeGracePeriod"],
      ] as const;
      for (const [setter, event, getter] of setters) {
        await expect(escrow.connect(owner)[setter](MAX_PERIOD)).to.emit(escrow, event).withArgs(MAX_PERIOD);
        expect(await escrow[getter]()).to.equal(MAX_PERIOD);
        await expect(escrow.connect(owner)[setter](0n)).to.emit(escrow, event).withArgs(0n);
        expect(await escrow[getter]()).to.equal(0n);
        await expect(escrow.connect(owner)[setter](MAX_PERIOD + 1n))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowPeriodTooLong")
          .withArgs(MAX_PERIOD + 1n, MAX_PERIOD);
        await expect(escrow.connect(stranger)[setter](1n))
          .to.be.revertedWithCustomError(escrow, "OwnableUnauthorizedAccount")
          .withArgs(stranger.address);
      }
      await expect(escrow.connect(stranger).setCollector(stranger))
        .to.be.revertedWithCustomError(escrow, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
    });

    it("pauses and unpauses, only by the owner", async () => {
      const { escrow, owner, stranger } = await loadFixture(deployEscrow);
      await expect(escrow.connect(stranger).pause())
        .to.be.revertedWithCustomError(escrow, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await expect(escrow.connect(owner).unpause()).to.be.revertedWithCustomError(escrow, "ExpectedPause");
      await expect(escrow.connect(owner).pause()).to.emit(escrow, "Paused").withArgs(owner.address);
      expect(await escrow.paused()).to.equal(true);
      await expect(escrow.connect(owner).pause()).to.be.revertedWithCustomError(escrow, "EnforcedPause");
      await expect(escrow.connect(stranger).unpause())
        .to.be.revertedWithCustomError(escrow, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await expect(escrow.connect(owner).unpause()).to.emit(escrow, "Unpaused").withArgs(owner.address);
      expect(await escrow.paused()).to.equal(false);
    });
  });

  describe("deposits", () => {
    it("credits the caller's account with a node and pulls the tokens", async () => {
      const { token, escrow, payer, node } = await loadFixture(deployEscrow);
      const tx = await escrow.connect(payer).deposit(node, 100n);
      await expect(tx).to.emit(escrow, "Deposited").withArgs(payer.address, node.address, payer.address, 100n);
      await expect(tx).to.changeTokenBalances(ethers, token, [payer, escrow], [-100n, 100n]);
      const account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([100n, 0n, 0n]);
      expect(await escrow.collectable(payer, node)).to.equal(100n);
    });

    it("lets anyone top up a payer's account, pulling from the caller", async () => {
      const { token, escrow, payer, node, stranger } = await loadFixture(deployEscrow);
      const tx = await escrow.connect(stranger).depositTo(payer, node, 40n);
      await expect(tx).to.emit(escrow, "Deposited").withArgs(payer.address, node.address, stranger.address, 40n);
      await expect(tx).to.changeTokenBalances(ethers, token, [stranger, payer, escrow], [-40n, 0n, 40n]);
      expect((await escrow.accountOf(payer, node)).balance).to.equal(40n);
      expect((await escrow.accountOf(stranger, node)).balance).to.equal(0n);
    });

    it("rejects a zero deposit, a zero node and a zero payer", async () => {
      const { escrow, payer, node, stranger } = await loadFixture(deployEscrow);
      await expect(escrow.connect(payer).deposit(node, 0n)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAmount",
      );
      await expect(escrow.connect(stranger).depositTo(payer, node, 0n)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAmount",
      );
      await expect(escrow.connect(payer).deposit(ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAddress",
      );
      await expect(escrow.connect(stranger).depositTo(ethers.ZeroAddress, node, 1n)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAddress",
      );
    });

    it("rejects a deposit that takes a balance past 2^128 − 1", async () => {
      const { escrow, owner, node } = await loadFixture(deployEscrow);
      const limit = 2n ** 128n - 1n;
      const token = await ethers.deployContract("OpenToken", [owner.address, limit + 1n]);
      const big = await ethers.deployContract("PaymentEscrow", [token, owner, 0n, 0n, 0n]);
      await token.approve(big, ethers.MaxUint256);
      await big.deposit(node, limit);
      await expect(big.deposit(node, 1n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowBalanceOverflow")
        .withArgs(owner.address, node.address, limit + 1n);
    });

    it("deposits with a permit instead of an approval", async () => {
      const { token, escrow, owner, node } = await loadFixture(deployEscrow);
      const [, , , , , , , , , fresh] = await ethers.getSigners();
      if (!fresh) throw new Error("expected a tenth account");
      await token.connect(owner).transfer(fresh, 500n);
      const permit = await permitSignature(token, fresh, await escrow.getAddress(), 300n);
      const tx = await escrow
        .connect(fresh)
        .depositWithPermit(node, 300n, permit.deadline, permit.v, permit.r, permit.s);
      await expect(tx).to.emit(escrow, "Deposited").withArgs(fresh.address, node.address, fresh.address, 300n);
      await expect(tx).to.changeTokenBalances(ethers, token, [fresh, escrow], [-300n, 300n]);
      expect((await escrow.accountOf(fresh, node)).balance).to.equal(300n);
    });

    it("deposits for another payer with a permit", async () => {
      const { token, escrow, owner, payer, node } = await loadFixture(deployEscrow);
      const [, , , , , , , , , fresh] = await ethers.getSigners();
      if (!fresh) throw new Error("expected a tenth account");
      await token.connect(owner).transfer(fresh, 500n);
      const permit = await permitSignature(token, fresh, await escrow.getAddress(), 200n);
      await expect(
        escrow.connect(fresh).depositToWithPermit(payer, node, 200n, permit.deadline, permit.v, permit.r, permit.s),
      )
        .to.emit(escrow, "Deposited")
        .withArgs(payer.address, node.address, fresh.address, 200n);
      expect((await escrow.accountOf(payer, node)).balance).to.equal(200n);
    });

    it("still deposits when its permit was front-run, and fails on the allowance without one", async () => {
      const { token, escrow, owner, node, stranger } = await loadFixture(deployEscrow);
      const [, , , , , , , , , fresh] = await ethers.getSigners();
      if (!fresh) throw new Error("expected a tenth account");
      await token.connect(owner).transfer(fresh, 500n);
      const permit = await permitSignature(token, fresh, await escrow.getAddress(), 300n);
      // Someone submits the permit first: the nonce is spent, the permit in the deposit fails, the allowance holds.
      await token.connect(stranger).permit(fresh, escrow, 300n, permit.deadline, permit.v, permit.r, permit.s);
      await expect(escrow.connect(fresh).depositWithPermit(node, 300n, permit.deadline, permit.v, permit.r, permit.s))
        .to.emit(escrow, "Deposited")
        .withArgs(fresh.address, node.address, fresh.address, 300n);
      // The allowance is used up: the same (now invalid) permit cannot pay a second time.
      await expect(escrow.connect(fresh).depositWithPermit(node, 300n, permit.deadline, permit.v, permit.r, permit.s))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await escrow.getAddress(), 0n, 300n);
    });
  });

  describe("thawing and withdrawal", () => {
    it("thaws part of the balance until now + thawingPeriod", async () => {
      const { escrow, payer, node } = await loadFixture(deployFunded);
      const now = BigInt(await time.latest()) + 10n;
      await at(now);
      await expect(escrow.connect(payer).thaw(node, 60n))
        .to.emit(escrow, "ThawStarted")
        .withArgs(payer.address, node.address, 60n, now + THAWING_PERIOD);
      const account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([100n, 60n, now + THAWING_PERIOD]);
      expect(await escrow.withdrawable(payer, node)).to.equal(0n);
    });

    it("rejects a zero thaw and a thaw above the balance", async () => {
      const { escrow, payer, node } = await loadFixture(deployFunded);
      await expect(escrow.connect(payer).thaw(node, 0n)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAmount",
      );
      await expect(escrow.connect(payer).thaw(node, 101n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowInsufficientBalance")
        .withArgs(payer.address, node.address, 100n, 101n);
    });

    it("replaces the amount and restarts the timer when thawing again (THREATS #14)", async () => {
      const { escrow, payer, node } = await loadFixture(deployFunded);
      const first = BigInt(await time.latest()) + 10n;
      await at(first);
      await escrow.connect(payer).thaw(node, 60n);
      const second = first + DAY;
      await at(second);
      await expect(escrow.connect(payer).thaw(node, 30n))
        .to.emit(escrow, "ThawStarted")
        .withArgs(payer.address, node.address, 30n, second + THAWING_PERIOD);
      const account = await escrow.accountOf(payer, node);
      expect([account.thawing, account.thawEnd]).to.deep.equal([30n, second + THAWING_PERIOD]);
      // The first thaw's end has no effect any more.
      await at(first + THAWING_PERIOD + 1n);
      await expect(escrow.connect(payer).withdraw(node))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowStillThawing")
        .withArgs(payer.address, node.address, second + THAWING_PERIOD);
    });

    it("keeps a started thaw's end when governance changes the period (THREATS #25)", async () => {
      const { escrow, owner, payer, node, node2 } = await loadFixture(deployFunded);
      await escrow.connect(payer).deposit(node2, 100n);
      const start = BigInt(await time.latest()) + 10n;
      await at(start);
      await escrow.connect(payer).thaw(node, 100n);
      await escrow.connect(owner).setThawingPeriod(DAY);
      const later = start + 10n;
      await at(later);
      await escrow.connect(payer).thaw(node2, 100n);
      expect((await escrow.accountOf(payer, node)).thawEnd).to.equal(start + THAWING_PERIOD);
      expect((await escrow.accountOf(payer, node2)).thawEnd).to.equal(later + DAY);
      // The short request is not blocked behind the long one.
      await at(later + DAY + 1n);
      await expect(escrow.connect(payer).withdraw(node2))
        .to.emit(escrow, "Withdrawn")
        .withArgs(payer.address, node2.address, 100n);
    });

    it("cancels a thaw", async () => {
      const { escrow, payer, node } = await loadFixture(deployFunded);
      await expect(escrow.connect(payer).cancelThaw(node))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowNotThawing")
        .withArgs(payer.address, node.address);
      await escrow.connect(payer).thaw(node, 60n);
      await expect(escrow.connect(payer).cancelThaw(node))
        .to.emit(escrow, "ThawCanceled")
        .withArgs(payer.address, node.address);
      const account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([100n, 0n, 0n]);
    });

    it("withdraws strictly after the thaw end: at it reverts, one second later pays (THREATS #12)", async () => {
      const { token, escrow, payer, node } = await loadFixture(deployFunded);
      const start = BigInt(await time.latest()) + 10n;
      await at(start);
      await escrow.connect(payer).thaw(node, 60n);
      const thawEnd = start + THAWING_PERIOD;
      await at(thawEnd);
      await expect(escrow.connect(payer).withdraw(node))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowStillThawing")
        .withArgs(payer.address, node.address, thawEnd);
      await time.increaseTo(thawEnd + 1n);
      expect(await escrow.withdrawable(payer, node)).to.equal(60n);
      expect(await escrow.connect(payer).withdraw.staticCall(node)).to.equal(60n);
      const tx = await escrow.connect(payer).withdraw(node);
      await expect(tx).to.emit(escrow, "Withdrawn").withArgs(payer.address, node.address, 60n);
      await expect(tx).to.changeTokenBalances(ethers, token, [payer, escrow], [60n, -60n]);
      const account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([40n, 0n, 0n]);
      expect(await escrow.withdrawable(payer, node)).to.equal(0n);
    });

    it("refuses a withdrawal with nothing thawing", async () => {
      const { escrow, payer, node } = await loadFixture(deployFunded);
      await expect(escrow.connect(payer).withdraw(node))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowNotThawing")
        .withArgs(payer.address, node.address);
    });

    it("never lets a stranger's zero or 1-wei deposit reset or cancel a thaw (THREATS #11)", async () => {
      const { escrow, payer, node, stranger } = await loadFixture(deployFunded);
      await escrow.connect(payer).thaw(node, 100n);
      const before = await escrow.accountOf(payer, node);
      await time.increase(DAY);
      await expect(escrow.connect(stranger).depositTo(payer, node, 0n)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowZeroAmount",
      );
      await escrow.connect(stranger).depositTo(payer, node, 1n);
      const after = await escrow.accountOf(payer, node);
      expect([after.balance, after.thawing, after.thawEnd]).to.deep.equal([101n, 100n, before.thawEnd]);
      await time.increaseTo(before.thawEnd + 1n);
      await expect(escrow.connect(payer).withdraw(node))
        .to.emit(escrow, "Withdrawn")
        .withArgs(payer.address, node.address, 100n);
    });

    it("lets a stranger thaw only its own account (THREATS #24)", async () => {
      const { escrow, payer, node, stranger } = await loadFixture(deployFunded);
      await expect(escrow.connect(stranger).thaw(node, 1n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowInsufficientBalance")
        .withArgs(stranger.address, node.address, 0n, 1n);
      await expect(escrow.connect(stranger).cancelThaw(node))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowNotThawing")
        .withArgs(stranger.address, node.address);
      const account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([100n, 0n, 0n]);
    });
  });

  describe("collection", () => {
    it("pays the collector, holding the tokens for it, and returns what it paid", async () => {
      const { token, escrow, payer, node, collector } = await loadFixture(deployFunded);
      expect(await escrow.connect(collector).collect.staticCall(payer, node, 30n)).to.equal(30n);
      const tx = await escrow.connect(collector).collect(payer, node, 30n);
      await expect(tx).to.emit(escrow, "Collected").withArgs(payer.address, node.address, 30n);
      // No token moves: the 30 leave the account for the collector's unreleased total.
      await expect(tx).to.changeTokenBalances(ethers, token, [collector, escrow, payer], [0n, 0n, 0n]);
      expect(await escrow.collectedUnreleased()).to.equal(30n);
      expect(await escrow.collectable(payer, node)).to.equal(70n);
    });

    it("refuses anyone but the collector, and everyone before it is set (THREATS #2)", async () => {
      const { escrow, owner, payer, node, collector, stranger } = await loadFixture(deployEscrow);
      await escrow.connect(payer).deposit(node, 100n);
      await expect(escrow.connect(collector).collect(payer, node, 1n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowCallerNotCollector")
        .withArgs(collector.address);
      await escrow.connect(owner).setCollector(collector);
      for (const caller of [stranger, node, payer, owner]) {
        await expect(escrow.connect(caller).collect(payer, node, 1n))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowCallerNotCollector")
          .withArgs(caller.address);
      }
    });

    it("collects what an underfunded account holds, and the rest after a top-up (THREATS #9)", async () => {
      const { token, escrow, payer, node, collector } = await loadFixture(deployWithCollector);
      await escrow.connect(payer).deposit(node, 30n);
      // The collector is owed 100: it gets the 30 there is, and keeps the 70 as owed.
      expect(await escrow.connect(collector).collect.staticCall(payer, node, 100n)).to.equal(30n);
      await expect(escrow.connect(collector).collect(payer, node, 100n))
        .to.emit(escrow, "Collected")
        .withArgs(payer.address, node.address, 30n);
      expect(await escrow.collectable(payer, node)).to.equal(0n);
      await escrow.connect(payer).deposit(node, 500n);
      await expect(escrow.connect(collector).collect(payer, node, 70n))
        .to.emit(escrow, "Collected")
        .withArgs(payer.address, node.address, 70n);
      expect(await escrow.collectedUnreleased()).to.equal(100n);
      expect(await token.balanceOf(escrow)).to.equal(530n);
      expect(await escrow.collectable(payer, node)).to.equal(430n);
    });

    it("collects nothing, with no event, from an empty account or for 0", async () => {
      const { token, escrow, payer, payer2, node, collector } = await loadFixture(deployFunded);
      expect(await escrow.connect(collector).collect.staticCall(payer2, node, 50n)).to.equal(0n);
      const tx = await escrow.connect(collector).collect(payer2, node, 50n);
      await expect(tx).to.not.emit(escrow, "Collected");
      await expect(tx).to.changeTokenBalances(ethers, token, [collector, escrow], [0n, 0n]);
      await expect(escrow.connect(collector).collect(payer, node, 0n)).to.not.emit(escrow, "Collected");
      expect(await escrow.collectedUnreleased()).to.equal(0n);
      expect(await escrow.collectable(payer, node)).to.equal(100n);
    });

    it("pays the full amount after a stranger's 1-wei top-up (THREATS #10)", async () => {
      const { token, escrow, payer, node, collector, stranger } = await loadFixture(deployFunded);
      await escrow.connect(stranger).depositTo(payer, node, 1n);
      await escrow.connect(collector).collect(payer, node, 100n);
      expect(await escrow.collectedUnreleased()).to.equal(100n);
      await expect(escrow.connect(collector).release(collector, 100n)).to.changeTokenBalances(
        ethers,
        token,
        [collector],
        [100n],
      );
      expect(await escrow.collectable(payer, node)).to.equal(1n);
    });

    it("spends thawing funds, clamps the thaw to the balance, and ends it at 0 (THREATS #13)", async () => {
      const { escrow, payer, node, collector } = await loadFixture(deployFunded);
      await escrow.connect(payer).thaw(node, 80n);
      const { thawEnd } = await escrow.accountOf(payer, node);
      // 20 is not thawing: collecting 50 eats 30 of the thaw.
      await escrow.connect(collector).collect(payer, node, 50n);
      let account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([50n, 50n, thawEnd]);
      await escrow.connect(collector).collect(payer, node, 50n);
      account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([0n, 0n, 0n]);
      // A new deposit does not silently inherit the old thaw.
      await escrow.connect(payer).deposit(node, 40n);
      account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([40n, 0n, 0n]);
      await time.increaseTo(thawEnd + 1n);
      await expect(escrow.connect(payer).withdraw(node))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowNotThawing")
        .withArgs(payer.address, node.address);
    });

    it("leaves the thaw alone while the unthawed part covers a collection", async () => {
      const { escrow, payer, node, collector } = await loadFixture(deployFunded);
      await escrow.connect(payer).thaw(node, 60n);
      const { thawEnd } = await escrow.accountOf(payer, node);
      await escrow.connect(collector).collect(payer, node, 40n);
      const account = await escrow.accountOf(payer, node);
      expect([account.balance, account.thawing, account.thawEnd]).to.deep.equal([60n, 60n, thawEnd]);
    });

    it("races a withdrawal fairly: a collection first leaves the rest withdrawable (THREATS #27)", async () => {
      const { token, escrow, payer, node, collector } = await loadFixture(deployFunded);
      await escrow.connect(payer).thaw(node, 100n);
      const { thawEnd } = await escrow.accountOf(payer, node);
      await time.increaseTo(thawEnd + 1n);
      expect(await escrow.withdrawable(payer, node)).to.equal(100n);
      // Thawed but not withdrawn: still collectable.
      await escrow.connect(collector).collect(payer, node, 30n);
      expect(await escrow.withdrawable(payer, node)).to.equal(70n);
      await expect(escrow.connect(payer).withdraw(node)).to.changeTokenBalances(ethers, token, [payer], [70n]);
      expect(await escrow.collectable(payer, node)).to.equal(0n);
    });

    it("races a withdrawal fairly: a withdrawal first leaves nothing to collect", async () => {
      const { token, escrow, payer, node, collector } = await loadFixture(deployFunded);
      await escrow.connect(payer).thaw(node, 100n);
      const { thawEnd } = await escrow.accountOf(payer, node);
      await time.increaseTo(thawEnd + 1n);
      await escrow.connect(payer).withdraw(node);
      const tx = await escrow.connect(collector).collect(payer, node, 30n);
      await expect(tx).to.not.emit(escrow, "Collected");
      await expect(tx).to.changeTokenBalances(ethers, token, [collector], [0n]);
      expect(await escrow.collectedUnreleased()).to.equal(0n);
    });

    it("never lets one account's thaw or collection touch another node's or payer's (THREATS #16)", async () => {
      const { escrow, payer, payer2, node, node2, collector } = await loadFixture(deployFunded);
      await escrow.connect(payer).deposit(node2, 100n);
      await escrow.connect(payer2).deposit(node, 100n);
      await escrow.connect(payer).thaw(node2, 100n);
      await escrow.connect(payer2).thaw(node, 50n);
      const other = await escrow.accountOf(payer, node2);
      const otherPayer = await escrow.accountOf(payer2, node);
      await escrow.connect(payer).thaw(node, 100n);
      await escrow.connect(collector).collect(payer, node, 100n);
      expect(await escrow.accountOf(payer, node)).to.deep.equal([0n, 0n, 0n]);
      expect(await escrow.accountOf(payer, node2)).to.deep.equal(other);
      expect(await escrow.accountOf(payer2, node)).to.deep.equal(otherPayer);
      expect(other.thawing).to.equal(100n);
      expect(otherPayer.thawing).to.equal(50n);
    });
  });

  describe("release", () => {
    it("pays what was collected to any address, and emits Released", async () => {
      const { token, escrow, payer, node, collector, stranger } = await loadFixture(deployFunded);
      await escrow.connect(collector).collect(payer, node, 60n);
      const tx = await escrow.connect(collector).release(stranger, 25n);
      await expect(tx).to.emit(escrow, "Released").withArgs(stranger.address, 25n);
      await expect(tx).to.changeTokenBalances(ethers, token, [stranger, escrow, collector], [25n, -25n, 0n]);
      expect(await escrow.collectedUnreleased()).to.equal(35n);
      await escrow.connect(collector).release(collector, 35n);
      expect(await escrow.collectedUnreleased()).to.equal(0n);
      // What the payer did not spend stays in the escrow, and only that.
      expect(await token.balanceOf(escrow)).to.equal(40n);
      expect(await escrow.collectable(payer, node)).to.equal(40n);
    });

    it("never pays more than was collected and not released: a payer's balance is out of reach", async () => {
      const { escrow, payer, node, collector } = await loadFixture(deployFunded);
      await expect(escrow.connect(collector).release(collector, 1n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowReleaseExceedsCollected")
        .withArgs(1n, 0n);
      await escrow.connect(collector).collect(payer, node, 30n);
      await expect(escrow.connect(collector).release(collector, 31n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowReleaseExceedsCollected")
        .withArgs(31n, 30n);
    });

    it("refuses anyone but the collector (THREATS #2)", async () => {
      const { escrow, owner, payer, node, collector, stranger } = await loadFixture(deployFunded);
      await escrow.connect(collector).collect(payer, node, 30n);
      for (const caller of [stranger, node, payer, owner]) {
        await expect(escrow.connect(caller).release(caller, 1n))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowCallerNotCollector")
          .withArgs(caller.address);
      }
    });
  });

  describe("signers", () => {
    it("hashes the canonical type string, and its digest is ethers' typed-data hash (THREATS #7)", async () => {
      const { escrow, chainId, payer, signer } = await loadFixture(deployEscrow);
      const typeHash = ethers.keccak256(ethers.toUtf8Bytes(SIGNER_AUTHORIZATION_TYPE));
      expect(await escrow.SIGNER_AUTHORIZATION_TYPEHASH()).to.equal(typeHash);
      expect(ethers.TypedDataEncoder.from(SIGNER_AUTHORIZATION_TYPES).encodeType("SignerAuthorization")).to.equal(
        SIGNER_AUTHORIZATION_TYPE,
      );
      const value = { payer: payer.address, signer: signer.address, nonce: 7n, deadline: 1_000n };
      const domain = { name: "OLP PaymentEscrow", version: "1", chainId, verifyingContract: await escrow.getAddress() };
      expect(await escrow.signerAuthorizationDigest(payer, signer, 7n, 1_000n)).to.equal(
        ethers.TypedDataEncoder.hash(domain, SIGNER_AUTHORIZATION_TYPES, value),
      );
    });

    it("treats a payer's own address as its signer, and no one as the zero address's", async () => {
      const { escrow, payer, signer } = await loadFixture(deployEscrow);
      expect(await escrow.isAuthorizedSigner(payer, payer)).to.equal(true);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(false);
      expect(await escrow.isAuthorizedSigner(ethers.ZeroAddress, signer)).to.equal(false);
      expect(await escrow.isAuthorizedSigner(ethers.ZeroAddress, ethers.ZeroAddress)).to.equal(false);
      expect(await escrow.isAuthorizedSigner(payer, ethers.ZeroAddress)).to.equal(false);
      expect(await escrow.payerOfSigner(payer)).to.equal(ethers.ZeroAddress);
    });

    it("authorizes a signer with its typed-data signature", async () => {
      const { escrow, chainId, payer, payer2, signer } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + 100n;
      const signature = await signAuthorization(signer, escrow, chainId, {
        payer: payer.address,
        signer: signer.address,
        nonce: 42n,
        deadline,
      });
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 42n, signature))
        .to.emit(escrow, "SignerAuthorized")
        .withArgs(payer.address, signer.address, 42n);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(true);
      expect(await escrow.isAuthorizedSigner(payer2, signer)).to.equal(false);
      expect(await escrow.payerOfSigner(signer)).to.equal(payer.address);
      expect(await escrow.isNonceUsed(signer, 42n)).to.equal(true);
      expect(await escrow.isNonceUsed(signer, 41n)).to.equal(false);
      const state = await escrow.signerState(signer);
      expect([state.payer, state.revokedAt, state.thawEnd]).to.deep.equal([payer.address, 0n, 0n]);
    });

    it("accepts a proof on its deadline and refuses it one second later (THREATS #18)", async () => {
      const { escrow, chainId, payer, signer, signer2 } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + 100n;
      for (const [who, when] of [
        [signer, deadline],
        [signer2, deadline + 1n],
      ] as const) {
        const signature = await signAuthorization(who, escrow, chainId, {
          payer: payer.address,
          signer: who.address,
          nonce: 1n,
          deadline,
        });
        await at(when);
        const call = escrow.connect(payer).authorizeSigner(who, deadline, 1n, signature);
        if (when === deadline) {
          await expect(call).to.emit(escrow, "SignerAuthorized");
        } else {
          await expect(call)
            .to.be.revertedWithCustomError(escrow, "PaymentEscrowAuthorizationExpired")
            .withArgs(deadline);
        }
      }
    });

    it("refuses the zero signer and the payer's own address", async () => {
      const { escrow, chainId, payer } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + 100n;
      const own = await signAuthorization(payer, escrow, chainId, {
        payer: payer.address,
        signer: payer.address,
        nonce: 1n,
        deadline,
      });
      await expect(escrow.connect(payer).authorizeSigner(payer, deadline, 1n, own))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerIsPayer")
        .withArgs(payer.address);
      await expect(
        escrow.connect(payer).authorizeSigner(ethers.ZeroAddress, deadline, 1n, own),
      ).to.be.revertedWithCustomError(escrow, "PaymentEscrowZeroAddress");
    });

    it("fails when any signed field differs from the call (THREATS #6)", async () => {
      const { escrow, chainId, payer, payer2, signer, signer2 } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + 100n;
      const good = { payer: payer.address, signer: signer.address, nonce: 1n, deadline };
      const cases: [Partial<Authorization>, HardhatEthersSigner][] = [
        [{ payer: payer2.address }, payer], // signed for another payer
        [{ signer: signer2.address }, payer], // names another signer
        [{ nonce: 2n }, payer],
        [{ deadline: deadline + 1n }, payer],
      ];
      for (const [change, caller] of cases) {
        const signature = await signAuthorization(signer, escrow, chainId, { ...good, ...change });
        await expect(escrow.connect(caller).authorizeSigner(signer, deadline, 1n, signature))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignatureMismatch")
          .withArgs(signer.address, anyValue);
      }
      // Another key signing the right struct.
      const forged = await signAuthorization(signer2, escrow, chainId, good);
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, forged))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignatureMismatch")
        .withArgs(signer.address, signer2.address);
      // A payer cannot use a proof the signer gave to someone else.
      const forPayer = await signAuthorization(signer, escrow, chainId, good);
      await expect(escrow.connect(payer2).authorizeSigner(signer, deadline, 1n, forPayer))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignatureMismatch")
        .withArgs(signer.address, anyValue);
      expect(await escrow.payerOfSigner(signer)).to.equal(ethers.ZeroAddress);
    });

    it("fails under another chain id or another escrow (THREATS #8)", async () => {
      const { token, escrow, chainId, owner, payer, signer } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + 100n;
      const value = { payer: payer.address, signer: signer.address, nonce: 1n, deadline };
      const otherChain = await signAuthorization(signer, escrow, chainId, value, { chainId: chainId + 1n });
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, otherChain))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignatureMismatch")
        .withArgs(signer.address, anyValue);
      const twin = await ethers.deployContract("PaymentEscrow", [token, owner, 0n, 0n, 0n]);
      const forTwin = await signAuthorization(signer, escrow, chainId, value, {
        verifyingContract: await twin.getAddress(),
      });
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, forTwin))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignatureMismatch")
        .withArgs(signer.address, anyValue);
      // The same proof is good where it was meant to be.
      await expect(twin.connect(payer).authorizeSigner(signer, deadline, 1n, forTwin)).to.emit(
        twin,
        "SignerAuthorized",
      );
    });

    it("refuses the high-s twin, the 64-byte form and other lengths of a valid signature (THREATS #22)", async () => {
      const { escrow, chainId, payer, signer } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + 100n;
      const signature = ethers.Signature.from(
        await signAuthorization(signer, escrow, chainId, {
          payer: payer.address,
          signer: signer.address,
          nonce: 1n,
          deadline,
        }),
      );
      const highS = ethers.concat([
        signature.r,
        ethers.toBeHex(SECP256K1_N - BigInt(signature.s), 32),
        ethers.toBeHex(signature.v === 27 ? 28 : 27, 1),
      ]);
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, highS)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowInvalidSignature",
      );
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, signature.compactSerialized))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowInvalidSignatureLength")
        .withArgs(64n);
      await expect(
        escrow.connect(payer).authorizeSigner(signer, deadline, 1n, ethers.concat([signature.serialized, "0x00"])),
      )
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowInvalidSignatureLength")
        .withArgs(66n);
      const badV = ethers.concat([signature.r, signature.s, "0x01"]);
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, badV)).to.be.revertedWithCustomError(
        escrow,
        "PaymentEscrowInvalidSignature",
      );
      // The canonical form still works: the refusals were about the encoding only.
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 1n, signature.serialized)).to.emit(
        escrow,
        "SignerAuthorized",
      );
    });

    it("refuses an already-authorized signer, and re-pointing it to another payer (THREATS #5, #18)", async () => {
      const { escrow, chainId, payer, payer2, signer } = await loadFixture(deployEscrow);
      await authorize(escrow, chainId, payer, signer, 1n);
      await expect(authorize(escrow, chainId, payer, signer, 2n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerAlreadyAuthorized")
        .withArgs(payer.address, signer.address);
      await expect(authorize(escrow, chainId, payer2, signer, 3n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerOfAnotherPayer")
        .withArgs(signer.address, payer.address);
    });

    it("thaws a signer, which stays authorized, and restarts the timer when thawed again", async () => {
      const { escrow, chainId, payer, signer } = await loadFixture(deployEscrow);
      await authorize(escrow, chainId, payer, signer);
      const first = BigInt(await time.latest()) + 10n;
      await at(first);
      await expect(escrow.connect(payer).thawSigner(signer))
        .to.emit(escrow, "SignerThawStarted")
        .withArgs(payer.address, signer.address, first + SIGNER_THAWING_PERIOD);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(true);
      const second = first + DAY;
      await at(second);
      await expect(escrow.connect(payer).thawSigner(signer))
        .to.emit(escrow, "SignerThawStarted")
        .withArgs(payer.address, signer.address, second + SIGNER_THAWING_PERIOD);
      expect((await escrow.signerState(signer)).thawEnd).to.equal(second + SIGNER_THAWING_PERIOD);
    });

    it("cancels a signer's thaw", async () => {
      const { escrow, chainId, payer, signer } = await loadFixture(deployEscrow);
      await authorize(escrow, chainId, payer, signer);
      await expect(escrow.connect(payer).cancelThawSigner(signer))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerNotThawing")
        .withArgs(signer.address);
      await escrow.connect(payer).thawSigner(signer);
      await expect(escrow.connect(payer).cancelThawSigner(signer))
        .to.emit(escrow, "SignerThawCanceled")
        .withArgs(payer.address, signer.address);
      expect((await escrow.signerState(signer)).thawEnd).to.equal(0n);
      await expect(escrow.connect(payer).revokeSigner(signer))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerNotThawing")
        .withArgs(signer.address);
    });

    it("revokes a signer strictly after its thaw end, for ever (THREATS #18)", async () => {
      const { escrow, chainId, payer, signer } = await loadFixture(deployEscrow);
      await authorize(escrow, chainId, payer, signer);
      const start = BigInt(await time.latest()) + 10n;
      await at(start);
      await escrow.connect(payer).thawSigner(signer);
      const thawEnd = start + SIGNER_THAWING_PERIOD;
      await at(thawEnd);
      await expect(escrow.connect(payer).revokeSigner(signer))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerStillThawing")
        .withArgs(signer.address, thawEnd);
      // Receipts of a thawing signer are still good (THREATS #18).
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(true);
      await at(thawEnd + 1n);
      await expect(escrow.connect(payer).revokeSigner(signer))
        .to.emit(escrow, "SignerRevoked")
        .withArgs(payer.address, signer.address, thawEnd + 1n);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(false);
      expect(await escrow.payerOfSigner(signer)).to.equal(payer.address);
      const state = await escrow.signerState(signer);
      expect([state.payer, state.revokedAt, state.thawEnd]).to.deep.equal([payer.address, thawEnd + 1n, 0n]);
      // Revoked is final: no thaw, no cancel, no second revocation, no new authorization.
      for (const action of ["thawSigner", "cancelThawSigner", "revokeSigner", "emergencyRevokeSigner"] as const) {
        await expect(escrow.connect(payer)[action](signer))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerRevoked")
          .withArgs(signer.address, thawEnd + 1n);
      }
      await expect(authorize(escrow, chainId, payer, signer, 2n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerRevoked")
        .withArgs(signer.address, thawEnd + 1n);
    });

    it("refuses a revoked signer's proof replayed within its deadline, or re-pointed to a new payer (THREATS #5, #19)", async () => {
      const { escrow, chainId, payer, payer2, signer } = await loadFixture(deployEscrow);
      const deadline = BigInt(await time.latest()) + MAX_PERIOD;
      const proof = await signAuthorization(signer, escrow, chainId, {
        payer: payer.address,
        signer: signer.address,
        nonce: 9n,
        deadline,
      });
      await escrow.connect(payer).authorizeSigner(signer, deadline, 9n, proof);
      await escrow.connect(payer).emergencyRevokeSigner(signer);
      await time.increase(REVOKE_GRACE_PERIOD);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(false);
      await expect(escrow.connect(payer).authorizeSigner(signer, deadline, 9n, proof))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowNonceUsed")
        .withArgs(signer.address, 9n);
      await expect(authorize(escrow, chainId, payer2, signer, 10n))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerOfAnotherPayer")
        .withArgs(signer.address, payer.address);
      expect(await escrow.isAuthorizedSigner(payer2, signer)).to.equal(false);
    });

    it("keeps an emergency-revoked signer valid for the grace period only", async () => {
      const { escrow, chainId, payer, signer } = await loadFixture(deployEscrow);
      await authorize(escrow, chainId, payer, signer);
      await escrow.connect(payer).thawSigner(signer);
      const now = BigInt(await time.latest()) + 10n;
      await at(now);
      const revokedAt = now + REVOKE_GRACE_PERIOD;
      await expect(escrow.connect(payer).emergencyRevokeSigner(signer))
        .to.emit(escrow, "SignerRevoked")
        .withArgs(payer.address, signer.address, revokedAt);
      const state = await escrow.signerState(signer);
      expect([state.revokedAt, state.thawEnd]).to.deep.equal([revokedAt, 0n]);
      await time.increaseTo(revokedAt - 1n);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(true);
      await expect(escrow.connect(payer).thawSigner(signer))
        .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerRevoked")
        .withArgs(signer.address, revokedAt);
      await time.increaseTo(revokedAt);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(false);
    });

    it("revokes at once with a zero grace period", async () => {
      const { escrow, chainId, owner, payer, signer } = await loadFixture(deployEscrow);
      await escrow.connect(owner).setRevokeGracePeriod(0n);
      await authorize(escrow, chainId, payer, signer);
      await escrow.connect(payer).emergencyRevokeSigner(signer);
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(false);
    });

    it("lets only the signer's payer thaw, cancel or revoke it", async () => {
      const { escrow, chainId, payer, payer2, signer, signer2 } = await loadFixture(deployEscrow);
      await authorize(escrow, chainId, payer, signer);
      for (const action of ["thawSigner", "cancelThawSigner", "revokeSigner", "emergencyRevokeSigner"] as const) {
        await expect(escrow.connect(payer2)[action](signer))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerNotAuthorized")
          .withArgs(payer2.address, signer.address);
        await expect(escrow.connect(payer)[action](signer2))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerNotAuthorized")
          .withArgs(payer.address, signer2.address);
        await expect(escrow.connect(payer)[action](payer))
          .to.be.revertedWithCustomError(escrow, "PaymentEscrowSignerIsPayer")
          .withArgs(payer.address);
      }
      expect(await escrow.isAuthorizedSigner(payer, signer)).to.equal(true);
    });
  });

  describe("pause (THREATS #17)", () => {
    async function deployPaused() {
      const fixture = await deployFunded();
      const { escrow, chainId, owner, payer, node, signer } = fixture;
      await authorize(escrow, chainId, payer, signer);
      await escrow.connect(payer).thaw(node, 60n);
      await escrow.connect(owner).pause();
      return fixture;
    }

    it("stops deposits and signer authorizations", async () => {
      const { token, escrow, chainId, payer, node, stranger, signer2 } = await loadFixture(deployPaused);
      await expect(escrow.connect(payer).deposit(node, 1n)).to.be.revertedWithCustomError(escrow, "EnforcedPause");
      await expect(escrow.connect(stranger).depositTo(payer, node, 1n)).to.be.revertedWithCustomError(
        escrow,
        "EnforcedPause",
      );
      const permit = await permitSignature(token, payer, await escrow.getAddress(), 1n);
      await expect(
        escrow.connect(payer).depositWithPermit(node, 1n, permit.deadline, permit.v, permit.r, permit.s),
      ).to.be.revertedWithCustomError(escrow, "EnforcedPause");
      await expect(
        escrow.connect(payer).depositToWithPermit(payer, node, 1n, permit.deadline, permit.v, permit.r, permit.s),
      ).to.be.revertedWithCustomError(escrow, "EnforcedPause");
      await expect(authorize(escrow, chainId, payer, signer2)).to.be.revertedWithCustomError(escrow, "EnforcedPause");
    });

    it("keeps collection, thawing, withdrawal and signer revocation working, and resumes on unpause", async () => {
      const { token, escrow, owner, payer, node, collector, signer } = await loadFixture(deployPaused);
      await escrow.connect(collector).collect(payer, node, 10n);
      await expect(escrow.connect(collector).release(collector, 10n)).to.changeTokenBalances(
        ethers,
        token,
        [collector],
        [10n],
      );
      await escrow.connect(payer).cancelThaw(node);
      await escrow.connect(payer).thaw(node, 50n);
      const { thawEnd } = await escrow.accountOf(payer, node);
      await time.increaseTo(thawEnd + 1n);
      await expect(escrow.connect(payer).withdraw(node)).to.changeTokenBalances(ethers, token, [payer], [50n]);
      await escrow.connect(payer).thawSigner(signer);
      await escrow.connect(payer).cancelThawSigner(signer);
      await escrow.connect(payer).emergencyRevokeSigner(signer);
      await escrow.connect(owner).unpause();
      await expect(escrow.connect(payer).deposit(node, 1n)).to.emit(escrow, "Deposited");
    });
  });
});
