import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  encodeAbiParameters,
  type Hash,
  type Hex,
  hashTypedData,
  keccak256,
  parseEventLogs,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getTransactionReceipt, readContract, writeContract } from "viem/actions";
import ProtocolModule from "../../ignition/modules/Protocol.js";
import { openTokenAbi, paymentEscrowAbi, settlementAbi } from "../../node/src/chain/abi/index.js";
import {
  contributorsRoot,
  getLaneId,
  getReceiptDigest,
  paymentEscrowDomain,
  type Receipt,
  settlementDomain,
  signerAuthorizationTypes,
} from "../../node/src/protocol/index.js";
import {
  authorizeSigner,
  deposit,
  depositWithPermit,
  EscrowErrorCode,
  type Lane,
  type LaneStore,
  nextReceipt,
  openLevelLaneStore,
  resumeLane,
  signSignerAuthorization,
} from "../../node/src/sdk/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time, setBalance } = networkHelpers;

const E = (n: number | string): bigint => ethers.parseEther(String(n));
const HOUR = 3_600n;
/** The node's price for version 1: what every receipt's value is. */
const PRICE = E("0.01");

/** The dapp's keys: the payer holds the funds, the signer (a hot key) signs the receipts. */
const payerAccount = privateKeyToAccount(keccak256(toHex("sdk on-chain test: payer")));
const signerAccount = privateKeyToAccount(keccak256(toHex("sdk on-chain test: signer")));
const strangerAccount = privateKeyToAccount(keccak256(toHex("sdk on-chain test: stranger")));

/** viem over Hardhat's EVM: the dapp's clients are what a real dapp builds over its RPC URL. */
const transport = custom(connection.provider);
const publicClient = createPublicClient({ transport, pollingInterval: 10 });
const payerClient = createWalletClient({ account: payerAccount, transport });
const signerClient = createWalletClient({ account: signerAccount, transport });
const strangerClient = createWalletClient({ account: strangerAccount, transport });

const directories: string[] = [];
function laneDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), "olp-sdk-chain-"));
  directories.push(dir);
  return dir;
}

/** Waits for a transaction (automine: it is in the block already) and expects it to have succeeded. */
async function mined(hash: Hash) {
  const receipt = await getTransactionReceipt(publicClient, { hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

async function deployFixture() {
  const [, node, operator, adapterOwner, curator, alice] = await ethers.getSigners();
  if (!node || !operator || !adapterOwner || !curator || !alice) throw new Error("expected 6 signers");
  // The whole protocol, deployed and wired as an operator deploys it (the escrow's collector is the Settlement).
  const deployed = await connection.ignition.deploy(ProtocolModule);
  const at = async (contract: { getAddress(): Promise<string> }) => (await contract.getAddress()) as Address;
  const token = await ethers.getContractAt("OpenToken", await at(deployed.token));
  const escrow = await ethers.getContractAt("PaymentEscrow", await at(deployed.paymentEscrow));
  const settlement = await ethers.getContractAt("Settlement", await at(deployed.settlement));
  const nodes = await ethers.getContractAt("NodeRegistry", await at(deployed.nodeRegistry));
  const adapters = await ethers.getContractAt("AdapterRegistry", await at(deployed.adapterRegistry));
  const datanets = await ethers.getContractAt("DatanetRegistry", await at(deployed.datanetRegistry));
  for (const who of [node, adapterOwner, curator, alice]) await token.transfer(who, E(100_000));

  // One dataset (a real commit–reveal registration) and an active adapter version trained on it.
  await datanets.connect(curator).createDatanet("olp://datanets/sdk", E(10), 0n);
  const root = keccak256(toHex("sdk test dataset"));
  const salt = keccak256(toHex("sdk test salt"));
  await datanets
    .connect(alice)
    .commitDataset(
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }],
          [root, alice.address as Address, salt],
        ),
      ),
    );
  await token.connect(alice).approve(datanets, E(10));
  await datanets.connect(alice).revealDataset({
    datanetId: 1n,
    root,
    sampleCount: 10n,
    tokenCount: 1_000n,
    uri: "olp://datasets/sdk",
    salt,
    stake: E(10),
  });
  const datasetId = await datanets.datasetIdOfRoot(root);
  await token.connect(adapterOwner).approve(adapters, ethers.MaxUint256);
  await adapters.connect(adapterOwner).createAdapter("legal-7b");
  await adapters.connect(adapterOwner).commitTraining(1n, ethers.id("base"), ethers.id("config"), [datasetId]);
  await adapters.sealCommitment(1n);
  await adapters.connect(adapterOwner).submitVersion(
    1n,
    {
      contributorsRoot: contributorsRoot([{ datasetId, weightPpm: 1_000_000 }]),
      weightsHash: ethers.id("weights"),
      checkpointRoot: ethers.id("checkpoints"),
      finalHead: ethers.id("head"),
      initialWeightsHash: ethers.id("initial weights"),
      initialStateHash: ethers.id("initial state"),
      checkpointCount: 4n,
      evalScore: 4_000n,
    },
    await adapters.minBond(),
  );
  await time.increase(await adapters.challengeWindow());
  await adapters.activate(1n);

  // A registered node, priced for version 1.
  await token.connect(node).approve(nodes, ethers.MaxUint256);
  await nodes.connect(node).register(operator.address, await nodes.minStake(), "12D3KooWNode", "http://127.0.0.1:8545");
  await nodes.connect(operator).setPrice(1n, PRICE);

  // The dapp: OPEN and gas for the payer, gas for the signer (it only signs, but tests send from it too).
  for (const account of [payerAccount, signerAccount, strangerAccount]) await setBalance(account.address, E(10));
  await token.transfer(payerAccount.address, E(10_000));

  const chainId = (await ethers.provider.getNetwork()).chainId;
  const addresses = {
    token: (await token.getAddress()) as Address,
    escrow: (await escrow.getAddress()) as Address,
    settlement: (await settlement.getAddress()) as Address,
    node: node.address as Address,
    operator: operator.address as Address,
  };
  const domain = settlementDomain(chainId, addresses.settlement);
  const operatorClient = createWalletClient({ account: addresses.operator, transport });
  const lane: Lane = { payer: payerAccount.address, node: addresses.node, versionId: 1n, lane: 0 };
  return { token, escrow, settlement, nodes, operator, chainId, addresses, domain, operatorClient, lane };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** The dapp's set-up: deposit with a permit, authorize the signer. */
async function fundAndAuthorize(f: Fixture, amount = E(100)): Promise<void> {
  const deadline = BigInt(await time.latest()) + HOUR;
  await mined(
    await depositWithPermit(payerClient, { escrow: f.addresses.escrow, node: f.addresses.node, amount, deadline }),
  );
  const authorization = await signSignerAuthorization(signerClient, {
    escrow: f.addresses.escrow,
    payer: payerAccount.address,
    deadline,
  });
  await mined(await authorizeSigner(payerClient, { escrow: f.addresses.escrow, authorization }));
}

/** Signs `count` receipts in the lane, one per request body, at the node's price. */
async function signReceipts(store: LaneStore, lane: Lane, count: number, from = 0) {
  let last: Awaited<ReturnType<typeof nextReceipt>> | undefined;
  for (let i = from; i < from + count; i++) {
    const requestBody = new TextEncoder().encode(
      JSON.stringify({ model: "legal-7b", messages: [{ role: "user", content: `question ${i}` }] }),
    );
    last = await nextReceipt(signerClient, { store, lane, requestBody, value: PRICE });
  }
  if (last === undefined) throw new Error("expected at least one receipt");
  return last;
}

/** The node's operator redeems a receipt with viem and the generated ABI; returns the `Redeemed` event's args. */
async function redeem(f: Fixture, receipt: Receipt, signature: Hex) {
  const hash = await writeContract(f.operatorClient, {
    address: f.addresses.settlement,
    abi: settlementAbi,
    functionName: "redeem",
    args: [receipt, signature],
    account: f.addresses.operator,
    chain: null,
  });
  const { logs } = await mined(hash);
  const [redeemed] = parseEventLogs({ abi: settlementAbi, logs, eventName: "Redeemed" });
  if (redeemed === undefined) throw new Error("expected a Redeemed event");
  return redeemed.args;
}

describe("SDK on Hardhat's EVM (deposit, signer, receipts, redemption)", () => {
  after(() => {
    for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  });

  it("deposits with a permit: one transaction, no approval left behind", async () => {
    const f = await loadFixture(deployFixture);
    const deadline = BigInt(await time.latest()) + HOUR;
    await mined(
      await depositWithPermit(payerClient, {
        escrow: f.addresses.escrow,
        node: f.addresses.node,
        amount: E(100),
        deadline,
      }),
    );
    expect((await f.escrow.accountOf(payerAccount.address, f.addresses.node)).balance).to.equal(E(100));
    expect(await f.token.allowance(payerAccount.address, f.addresses.escrow)).to.equal(0n);
    expect(await f.token.nonces(payerAccount.address)).to.equal(1n);
  });

  it("deposits after an approval, and refuses a zero amount before sending anything", async () => {
    const f = await loadFixture(deployFixture);
    await mined(
      await writeContract(payerClient, {
        address: f.addresses.token,
        abi: openTokenAbi,
        functionName: "approve",
        args: [f.addresses.escrow, E(5)],
        chain: null,
      }),
    );
    await mined(await deposit(payerClient, { escrow: f.addresses.escrow, node: f.addresses.node, amount: E(5) }));
    expect((await f.escrow.accountOf(payerAccount.address, f.addresses.node)).balance).to.equal(E(5));
    const nonce = await publicClient.getTransactionCount({ address: payerAccount.address });
    let code: unknown;
    await deposit(payerClient, { escrow: f.addresses.escrow, node: f.addresses.node, amount: 0n }).catch(
      (err: { code?: unknown }) => {
        code = err.code;
      },
    );
    expect(code).to.equal(EscrowErrorCode.ZERO_AMOUNT);
    expect(await publicClient.getTransactionCount({ address: payerAccount.address })).to.equal(nonce);
  });

  it("authorizes a signer with the escrow's own EIP-712 digest (THREATS #7), and refuses another payer's authorization", async () => {
    const f = await loadFixture(deployFixture);
    const deadline = BigInt(await time.latest()) + HOUR;
    const authorization = await signSignerAuthorization(signerClient, {
      escrow: f.addresses.escrow,
      payer: payerAccount.address,
      deadline,
      nonce: 7n,
    });
    const digest = hashTypedData({
      domain: paymentEscrowDomain(f.chainId, f.addresses.escrow),
      types: signerAuthorizationTypes,
      primaryType: "SignerAuthorization",
      message: { payer: payerAccount.address, signer: signerAccount.address, nonce: 7n, deadline },
    });
    expect(
      await f.escrow.signerAuthorizationDigest(payerAccount.address, signerAccount.address, 7n, deadline),
    ).to.equal(digest);
    let code: unknown;
    await authorizeSigner(strangerClient, { escrow: f.addresses.escrow, authorization }).catch(
      (err: { code?: unknown }) => {
        code = err.code;
      },
    );
    expect(code).to.equal(EscrowErrorCode.PAYER_MISMATCH);
    await mined(await authorizeSigner(payerClient, { escrow: f.addresses.escrow, authorization }));
    expect(
      await readContract(publicClient, {
        address: f.addresses.escrow,
        abi: paymentEscrowAbi,
        functionName: "isAuthorizedSigner",
        args: [payerAccount.address, signerAccount.address],
      }),
    ).to.equal(true);
    expect(await f.escrow.isNonceUsed(signerAccount.address, 7n)).to.equal(true);
  });

  it("signs N receipts; the operator redeems the latest and collects exactly its cumulative; a replay collects nothing (THREATS #3)", async () => {
    const f = await loadFixture(deployFixture);
    await fundAndAuthorize(f);
    const store = await openLevelLaneStore({ location: laneDirectory(), domain: f.domain });
    const N = 25;
    const { receipt, signature } = await signReceipts(store, f.lane, N);
    await store.close();
    expect([receipt.seq, receipt.cumulative]).to.deep.equal([BigInt(N), BigInt(N) * PRICE]);
    // The SDK signs the digest the contract computes (THREATS #7).
    expect(await f.settlement.receiptDigest(receipt)).to.equal(getReceiptDigest(f.domain, receipt));

    const escrowBefore = (await f.escrow.accountOf(payerAccount.address, f.addresses.node)).balance;
    const event = await redeem(f, receipt, signature);
    expect(event).to.deep.include({
      payer: payerAccount.address,
      node: f.addresses.node,
      versionId: 1n,
      lane: 0,
      fromSeq: 0n,
      toSeq: BigInt(N),
      cumulative: BigInt(N) * PRICE,
      collected: BigInt(N) * PRICE,
    });
    const laneState = await f.settlement.getLane(payerAccount.address, f.addresses.node, 1n, 0);
    expect([laneState.collected, laneState.lastSeq]).to.deep.equal([BigInt(N) * PRICE, BigInt(N)]);
    const escrowAfter = (await f.escrow.accountOf(payerAccount.address, f.addresses.node)).balance;
    expect(escrowBefore - escrowAfter).to.equal(BigInt(N) * PRICE);

    const laneId = getLaneId(payerAccount.address, f.addresses.node, 1n, 0);
    await expect(f.settlement.connect(f.operator).redeem(receipt, signature))
      .to.be.revertedWithCustomError(f.settlement, "SettlementNothingOwed")
      .withArgs(laneId, BigInt(N) * PRICE, BigInt(N) * PRICE);
    expect((await f.escrow.accountOf(payerAccount.address, f.addresses.node)).balance).to.equal(escrowAfter);
  });

  it("continues a lane at the right seq after a restart over the same level directory, and the next receipt redeems the delta", async () => {
    const f = await loadFixture(deployFixture);
    await fundAndAuthorize(f);
    const location = laneDirectory();
    const first = await openLevelLaneStore({ location, domain: f.domain });
    const three = await signReceipts(first, f.lane, 3);
    await first.close();
    await redeem(f, three.receipt, three.signature);

    const restarted = await openLevelLaneStore({ location, domain: f.domain });
    const { receipt, signature } = await signReceipts(restarted, f.lane, 1, 3);
    await restarted.close();
    expect([receipt.seq, receipt.cumulative]).to.deep.equal([4n, 4n * PRICE]);
    const event = await redeem(f, receipt, signature);
    expect(event).to.deep.include({ fromSeq: 3n, toSeq: 4n, cumulative: 4n * PRICE, collected: PRICE });
  });

  it("resumes from the node's view after losing its directory, and the continued lane redeems", async () => {
    const f = await loadFixture(deployFixture);
    await fundAndAuthorize(f);
    const lost = await openLevelLaneStore({ location: laneDirectory(), domain: f.domain });
    const five = await signReceipts(lost, f.lane, 5);
    await lost.close();
    await redeem(f, five.receipt, five.signature);

    // A fresh directory: the node's 402 says it last saw seq 5, and shows the receipt we signed.
    const fresh = await openLevelLaneStore({ location: laneDirectory(), domain: f.domain });
    const view = { seq: 5n, cumulative: 5n * PRICE, receipt: five.receipt, signature: five.signature };
    expect((await resumeLane(signerClient, { store: fresh, lane: f.lane, view })).outcome).to.equal("adopted");
    const { receipt, signature } = await signReceipts(fresh, f.lane, 1, 5);
    await fresh.close();
    expect([receipt.seq, receipt.cumulative]).to.deep.equal([6n, 6n * PRICE]);
    const event = await redeem(f, receipt, signature);
    expect(event).to.deep.include({ fromSeq: 5n, toSeq: 6n, cumulative: 6n * PRICE, collected: PRICE });
    const laneState = await f.settlement.getLane(payerAccount.address, f.addresses.node, 1n, 0);
    expect(laneState.collected).to.equal(6n * PRICE);
  });

  it("has receipts of a signer the payer never authorized refused on-chain", async () => {
    const f = await loadFixture(deployFixture);
    await fundAndAuthorize(f);
    const store = await openLevelLaneStore({ location: laneDirectory(), domain: f.domain });
    const requestBody = new TextEncoder().encode("{}");
    const { receipt, signature } = await nextReceipt(strangerClient, {
      store,
      lane: f.lane,
      requestBody,
      value: PRICE,
    });
    await store.close();
    await expect(f.settlement.connect(f.operator).redeem(receipt, signature))
      .to.be.revertedWithCustomError(f.settlement, "SettlementSignerNotAuthorized")
      .withArgs(payerAccount.address, strangerAccount.address);
  });

  it("has receipts from a store of another Settlement refused here (THREATS #8)", async () => {
    const f = await loadFixture(deployFixture);
    await fundAndAuthorize(f);
    const elsewhere = settlementDomain(f.chainId, f.addresses.escrow);
    const store = await openLevelLaneStore({ location: laneDirectory(), domain: elsewhere });
    const { receipt, signature } = await signReceipts(store, f.lane, 1);
    await store.close();
    await expect(f.settlement.connect(f.operator).redeem(receipt, signature)).to.be.revertedWithCustomError(
      f.settlement,
      "SettlementSignerNotAuthorized",
    );
  });
});
