import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import {
  type Account,
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  type Hex,
  keccak256,
  type LocalAccount,
  type PublicClient,
  parseEventLogs,
  type TransactionReceipt,
  toHex,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { adapterRegistryAbi, settlementAbi } from "../../../node/src/chain/abi/index.js";
import { deployProtocol, type Protocol } from "../../../node/src/devnet/index.js";
import {
  BPS,
  type ContributorShare,
  contributorsRoot,
  type Entry,
  getReceiptDigest,
  hashOutputText,
  hashRequestBody,
  inferenceRecordTypes,
  type Receipt,
  receiptTypes,
  type SettlementDomain,
  settlementDomain,
} from "../../../node/src/protocol/index.js";
import type { TrainingSharesSource, TxRequest, TxResult, TxSender } from "../../../node/src/settle/index.js";
import type { EpochPool, EpochRedemption, Store } from "../../../node/src/store/index.js";

export const OPEN = 10n ** 18n;
/** The node's price per request of version 1. */
export const PRICE = OPEN / 100n;

/**
 * A `TxSender` over a viem wallet client: sends, waits for the receipt. The chain module's real sender adds nonces,
 * fee bumping and retries; this one is enough on Hardhat's automining EVM.
 */
export class WalletTxSender implements TxSender {
  /** Labels of every transaction sent, in order. */
  readonly sent: string[] = [];
  /** Receipts of every transaction sent, in order (what the indexer would read). */
  readonly receipts: TransactionReceipt[] = [];

  constructor(
    private readonly wallet: WalletClient,
    private readonly reader: PublicClient,
  ) {}

  async send(request: TxRequest): Promise<TxResult> {
    const account = this.wallet.account as Account;
    const hash = await this.wallet.writeContract({
      account,
      chain: null,
      address: request.address,
      abi: request.abi,
      functionName: request.functionName,
      args: request.args,
      ...(request.value === undefined ? {} : { value: request.value }),
    } as unknown as Parameters<WalletClient["writeContract"]>[0]);
    this.sent.push(request.label);
    const receipt = await this.reader.waitForTransactionReceipt({ hash, pollingInterval: 5 });
    this.receipts.push(receipt);
    return { hash, receipt };
  }
}

/** A sender whose transaction is mined, then "crashes" before the caller sees the receipt. */
export class CrashAfterSendTxSender implements TxSender {
  constructor(private readonly inner: TxSender) {}

  async send(request: TxRequest): Promise<TxResult> {
    await this.inner.send(request);
    throw new Error(`crashed after ${request.label} was mined`);
  }
}

/** Training shares handed over as the version's proof artifacts would. */
export class StaticShares implements TrainingSharesSource {
  constructor(private readonly shares: ReadonlyMap<bigint, readonly ContributorShare[]>) {}

  async getTrainingShares(versionId: bigint): Promise<readonly ContributorShare[]> {
    const shares = this.shares.get(versionId);
    if (shares === undefined) throw new Error(`no shares for version ${versionId}`);
    return shares;
  }
}

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Everything the settle tests need on one chain. */
export type SettleWorld = Awaited<ReturnType<typeof buildSettleWorld>>;

/**
 * Deploys the protocol with Ignition and sets up: two datasets (alice 60 %, bob 40 % training shares), an active
 * adapter version, a registered node whose operator is a viem key, a payer with an escrow deposit, and three staked
 * verifiers.
 */
export async function buildSettleWorld(conn: NetworkConnection) {
  const { ethers, networkHelpers } = conn;
  const protocol: Protocol = await deployProtocol(conn);
  const { token, datanetRegistry, adapterRegistry, nodeRegistry, arbiter, deployment } = protocol;
  const [treasury, nodeSigner, adapterOwner, curator, alice, bob, v1, v2, v3] = await ethers.getSigners();
  if (!treasury || !nodeSigner || !adapterOwner || !curator || !alice || !bob || !v1 || !v2 || !v3) {
    throw new Error("expected 9 signers");
  }
  const operatorAccount = privateKeyToAccount(keccak256(toHex("settle test: operator")));
  const auditorAccount = privateKeyToAccount(keccak256(toHex("settle test: auditor")));
  const payerAccount = privateKeyToAccount(keccak256(toHex("settle test: payer")));
  for (const account of [operatorAccount, auditorAccount, payerAccount]) {
    await networkHelpers.setBalance(account.address, 10n * OPEN);
  }
  for (const who of [nodeSigner, adapterOwner, curator, alice, bob, v1, v2, v3])
    await token.transfer(who, 100_000n * OPEN);
  for (const address of [operatorAccount.address, auditorAccount.address, payerAccount.address]) {
    await token.transfer(address, 10_000n * OPEN);
  }

  await datanetRegistry.connect(curator).createDatanet("olp://datanets/settle", 10n * OPEN, 0n);
  const register = async (owner: typeof alice, label: string): Promise<bigint> => {
    const root = keccak256(toHex(`settle dataset ${label}`));
    const salt = keccak256(toHex(`settle salt ${label}`));
    const commitment = ethers.keccak256(
      ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "address", "bytes32"], [root, owner.address, salt]),
    );
    await datanetRegistry.connect(owner).commitDataset(commitment);
    await token.connect(owner).approve(datanetRegistry, 10n * OPEN);
    await datanetRegistry.connect(owner).revealDataset({
      datanetId: 1n,
      root,
      sampleCount: 10n,
      tokenCount: 1_000n,
      uri: `olp://datasets/${label}`,
      salt,
      stake: 10n * OPEN,
    });
    return datanetRegistry.datasetIdOfRoot(root);
  };
  const aliceId = await register(alice, "alice");
  const bobId = await register(bob, "bob");
  const shares: ContributorShare[] = [
    { datasetId: aliceId, weightPpm: 600_000 },
    { datasetId: bobId, weightPpm: 400_000 },
  ];

  await token.connect(adapterOwner).approve(adapterRegistry, ethers.MaxUint256);
  await adapterRegistry.connect(adapterOwner).createAdapter("settle-7b");
  await adapterRegistry
    .connect(adapterOwner)
    .commitTraining(1n, ethers.id("base"), ethers.id("config"), [aliceId, bobId]);
  await adapterRegistry.sealCommitment(1n);
  await adapterRegistry.connect(adapterOwner).submitVersion(
    1n,
    {
      contributorsRoot: contributorsRoot(shares),
      weightsHash: ethers.id("weights"),
      checkpointRoot: ethers.id("checkpoints"),
      finalHead: ethers.id("head"),
      initialWeightsHash: ethers.id("initial weights"),
      initialStateHash: ethers.id("initial state"),
      checkpointCount: 4n,
      evalScore: 4_000n,
    },
    await adapterRegistry.minBond(),
  );
  await networkHelpers.time.increase(await adapterRegistry.challengeWindow());
  await adapterRegistry.activate(1n);

  await token.connect(nodeSigner).approve(nodeRegistry, ethers.MaxUint256);
  await nodeRegistry
    .connect(nodeSigner)
    .register(operatorAccount.address, await nodeRegistry.minStake(), "12D3KooWSettle", "http://127.0.0.1:1");
  const transport = custom(conn.provider);
  const reader = createPublicClient({ transport, pollingInterval: 5 }) as PublicClient;
  const operatorWallet = createWalletClient({ account: operatorAccount, transport });
  const auditorWallet = createWalletClient({ account: auditorAccount, transport });
  const payerWallet = createWalletClient({ account: payerAccount, transport });
  const operatorSender = new WalletTxSender(operatorWallet, reader);
  await operatorSender.send({
    label: "setPrice",
    address: deployment.contracts.nodeRegistry,
    abi: (await import("../../../node/src/chain/abi/index.js")).nodeRegistryAbi,
    functionName: "setPrice",
    args: [1n, PRICE],
  });

  for (const verifier of [v1, v2, v3]) {
    await token.connect(verifier).approve(arbiter, 1_000n * OPEN);
    await arbiter.connect(verifier).stake(1_000n * OPEN);
  }

  const chainId = BigInt(deployment.chainId);
  const domain = settlementDomain(chainId, deployment.contracts.settlement);
  return {
    conn,
    protocol,
    deployment,
    reader,
    domain,
    node: getAddress(nodeSigner.address),
    adapterOwner: getAddress(adapterOwner.address),
    operatorAccount,
    operatorWallet,
    operatorSender,
    auditorAccount,
    auditorWallet,
    payerAccount,
    payerWallet,
    datasets: { alice: aliceId, bob: bobId },
    owners: { alice, bob },
    verifiers: [v1, v2, v3] as const,
    shares,
    trainingShares: new StaticShares(new Map([[1n, shares]])),
  };
}

/** The payer deposits `amount` for the node. */
export async function depositFor(world: SettleWorld, amount: bigint): Promise<void> {
  const sender = new WalletTxSender(world.payerWallet, world.reader);
  const { openTokenAbi, paymentEscrowAbi } = await import("../../../node/src/chain/abi/index.js");
  const { contracts } = world.deployment;
  await sender.send({
    label: "approve",
    address: contracts.openToken,
    abi: openTokenAbi,
    functionName: "approve",
    args: [contracts.paymentEscrow, amount],
  });
  await sender.send({
    label: "deposit",
    address: contracts.paymentEscrow,
    abi: paymentEscrowAbi,
    functionName: "deposit",
    args: [world.node, amount],
  });
}

/** What one request of a lane is: its weights and whether its output travelled. */
export type RequestSpec = { datasetIds: bigint[]; weightsPpm: number[]; isPrivate?: boolean; value?: bigint };

/** Builds a lane's signed entries (receipts by the payer, records by the operator), as gossip carries them. */
export class LaneSigner {
  seq = 0n;
  cumulative = 0n;

  /** @param signWith who signs the receipts (default the payer; another key makes receipts the chain refuses) */
  constructor(
    private readonly world: SettleWorld,
    readonly lane: number,
    private readonly signWith: LocalAccount = world.payerAccount,
  ) {}

  async next(spec: RequestSpec): Promise<Entry> {
    const { world } = this;
    const value = spec.value ?? PRICE;
    this.seq += 1n;
    this.cumulative += value;
    const receipt: Receipt = {
      payer: world.payerAccount.address,
      node: world.node,
      versionId: 1n,
      lane: this.lane,
      seq: this.seq,
      requestHash: hashRequestBody(new TextEncoder().encode(`request ${this.lane}/${this.seq}`)),
      value,
      cumulative: this.cumulative,
    };
    const receiptSig = await this.signWith.signTypedData({
      domain: world.domain,
      types: receiptTypes,
      primaryType: "Receipt",
      message: receipt,
    });
    const outputText = spec.isPrivate ? "" : `answer ${this.lane}/${this.seq}`;
    const record = {
      receiptDigest: getReceiptDigest(world.domain as SettlementDomain, receipt),
      outputHash: hashOutputText(outputText === "" ? "private answer" : outputText),
      promptTokens: 10,
      outputTokens: 20,
      datasetIds: spec.datasetIds,
      weightsPpm: spec.weightsPpm,
    };
    const recordSig = await world.operatorAccount.signTypedData({
      domain: world.domain,
      types: inferenceRecordTypes,
      primaryType: "InferenceRecord",
      message: record,
    });
    return { receipt, receiptSig, record, recordSig, outputText };
  }
}

/**
 * What the chain indexer would write for our transactions: each `Redeemed` event as a pool redemption (its dataset
 * part by the pool's split), each touched pool as `getPool` reads it now, and version 1. Not the indexer: a test helper.
 */
export async function indexReceipts(
  world: SettleWorld,
  stores: readonly Store[],
  receipts: readonly TransactionReceipt[],
): Promise<void> {
  const settlement = world.deployment.contracts.settlement;
  const redemptions: EpochRedemption[] = [];
  const touched = new Map<string, { node: Address; versionId: bigint; epoch: bigint }>();
  for (const receipt of receipts) {
    const logs = receipt.logs.filter((log) => log.address.toLowerCase() === settlement.toLowerCase());
    for (const event of parseEventLogs({ abi: settlementAbi, logs, eventName: "Redeemed" })) {
      const { args } = event;
      const pool = await world.reader.readContract({
        address: settlement,
        abi: settlementAbi,
        functionName: "getPool",
        args: [args.node, args.versionId, args.epoch],
      });
      redemptions.push({
        node: args.node,
        versionId: args.versionId,
        epoch: args.epoch,
        payer: args.payer,
        lane: args.lane,
        fromSeq: args.fromSeq,
        toSeq: args.toSeq,
        cumulative: args.cumulative,
        collected: args.collected,
        datasetsPart: (args.collected * BigInt(pool.datasetsBps)) / BPS,
        blockNumber: event.blockNumber,
        logIndex: event.logIndex,
      });
      touched.set(`${args.node}:${args.versionId}:${args.epoch}`, {
        node: args.node,
        versionId: args.versionId,
        epoch: args.epoch,
      });
    }
    for (const event of parseEventLogs({ abi: settlementAbi, logs, eventName: "AttributionRootPosted" })) {
      const { node, versionId, epoch } = event.args;
      touched.set(`${node}:${versionId}:${epoch}`, { node, versionId, epoch });
    }
  }
  await indexPools(world, stores, [...touched.values()], redemptions, receipts.at(-1));
}

/** Writes the pools as the chain holds them now (and version 1), with `redemptions`. */
export async function indexPools(
  world: SettleWorld,
  stores: readonly Store[],
  keys: readonly { node: Address; versionId: bigint; epoch: bigint }[],
  redemptions: readonly EpochRedemption[] = [],
  last?: TransactionReceipt,
): Promise<void> {
  const settlement = world.deployment.contracts.settlement;
  const pools: EpochPool[] = [];
  for (const key of keys) {
    const pool = await world.reader.readContract({
      address: settlement,
      abi: settlementAbi,
      functionName: "getPool",
      args: [key.node, key.versionId, key.epoch],
    });
    const posted = await world.reader.getContractEvents({
      address: settlement,
      abi: settlementAbi,
      eventName: "AttributionRootPosted",
      args: { node: key.node, versionId: key.versionId },
      fromBlock: world.deployment.deployBlock,
      strict: true,
    });
    const recordsRoot = posted.find((event) => event.args.epoch === key.epoch)?.args.recordsRoot;
    pools.push({
      ...key,
      amount: pool.amount,
      claimed: pool.claimed,
      root: pool.root,
      recordsRoot: recordsRoot ?? `0x${"0".repeat(64)}`,
      poster: pool.poster,
      challengeEnd: pool.challengeEnd,
      openChallenges: pool.openChallenges,
      fellBack: pool.fellBack,
      bond: pool.bond,
    });
  }
  const version = await world.reader.readContract({
    address: world.deployment.contracts.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "getVersion",
    args: [1n],
  });
  const block =
    last === undefined ? await world.reader.getBlock() : await world.reader.getBlock({ blockNumber: last.blockNumber });
  for (const store of stores) {
    await store.applyChainUpdate({
      cursor: { blockNumber: block.number as bigint, blockHash: block.hash as Hex },
      adapters: [
        {
          versionId: 1n,
          adapterId: version.adapterId,
          owner: world.adapterOwner,
          commitmentId: version.commitmentId,
          datasetIds: [world.datasets.alice, world.datasets.bob],
          status: Number(version.status),
          bond: version.bond,
          challengeEnd: version.challengeEnd,
          submitBlock: version.submitBlock,
          openChallenges: Number(version.openChallenges),
          proof: {
            ...version.proof,
            checkpointCount: Number(version.proof.checkpointCount),
            evalScore: Number(version.proof.evalScore),
          },
        },
      ],
      pools,
      redemptions,
    });
  }
}
