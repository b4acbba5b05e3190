import {
  type Abi,
  type Account,
  type Address,
  BaseError,
  type Chain,
  type ContractEventName,
  ContractFunctionRevertedError,
  type Hex,
  type PublicClient,
  parseEventLogs,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { adapterRegistryAbi, openTokenAbi } from "../chain/abi/index.js";
import { TrainerError, TrainerErrorCode } from "./errors.js";
import type { VersionProof } from "./proof.js";

/** The clients the chain steps use: reads and receipts through `publicClient`, transactions from `walletClient`. */
export interface TrainerChainClients {
  readonly publicClient: PublicClient<Transport, Chain | undefined>;
  /** Its account sends and pays for every transaction (the adapter owner for commit and submit). */
  readonly walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

/** Inputs of {@link commitTraining}. */
export interface CommitTrainingParameters {
  readonly adapterRegistry: Address;
  readonly adapterId: bigint;
  readonly baseModelHash: Hex;
  readonly configHash: Hex;
  /** Strictly ascending (the registry refuses anything else). */
  readonly datasetIds: readonly bigint[];
}

/** What {@link commitTraining} returns. */
export interface CommitTrainingReturnType {
  readonly commitmentId: bigint;
  /** The block whose hash will seed the run. */
  readonly commitBlock: bigint;
  readonly txHash: Hex;
}

/**
 * `AdapterRegistry.commitTraining`: commits to a run before it starts (DESIGN §7). Waits for the receipt and returns the
 * commitment id from `TrainingCommitted`.
 *
 * @throws {TrainerError} `TX_FAILED` (with the registry's custom error name), `EVENT_MISSING`
 */
export async function commitTraining(
  clients: TrainerChainClients,
  p: CommitTrainingParameters,
): Promise<CommitTrainingReturnType> {
  const receipt = await send(clients, {
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "commitTraining",
    args: [p.adapterId, p.baseModelHash, p.configHash, [...p.datasetIds]],
  });
  const event = findEvent(receipt, adapterRegistryAbi, "TrainingCommitted", p.adapterRegistry);
  return {
    commitmentId: event.args.commitmentId,
    commitBlock: event.args.commitBlock,
    txHash: receipt.transactionHash,
  };
}

/** Inputs of {@link sealCommitment}. */
export interface SealCommitmentParameters {
  readonly adapterRegistry: Address;
  readonly commitmentId: bigint;
  /** How long to wait for a block after the commitment's (default 60 s); polled at the client's interval. */
  readonly timeoutMs?: number;
}

/** What {@link sealCommitment} returns. */
export interface SealCommitmentReturnType {
  /** The hash of the commitment's block, now stored: the job's `commitBlockhash`. */
  readonly commitBlockhash: Hex;
  /** The run's seed as the registry computed it (DESIGN §7). */
  readonly seed: Hex;
  readonly txHash: Hex;
}

/**
 * `AdapterRegistry.sealCommitment`: stores the hash of the commitment's own block, which nobody knew when the
 * commitment was sent. The registry only seals from the block after the commitment's on, so this first waits until the
 * chain's head is past it (a bounded poll), then returns `commitBlockhash` and `seed` from `CommitmentSealed`.
 *
 * @throws {TrainerError} `BLOCK_TIMEOUT`, `TX_FAILED` (`AdapterRegistrySealTooLate` after 256 blocks), `EVENT_MISSING`
 */
export async function sealCommitment(
  clients: TrainerChainClients,
  p: SealCommitmentParameters,
): Promise<SealCommitmentReturnType> {
  const { commitBlock } = await getTrainingCommitment(clients.publicClient, p);
  await waitForBlock(clients.publicClient, commitBlock + 1n, p.timeoutMs ?? 60_000);
  const receipt = await send(clients, {
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "sealCommitment",
    args: [p.commitmentId],
  });
  const event = findEvent(receipt, adapterRegistryAbi, "CommitmentSealed", p.adapterRegistry);
  return { commitBlockhash: event.args.commitBlockhash, seed: event.args.seed, txHash: receipt.transactionHash };
}

/** Which commitment to read. */
export interface CommitmentParameters {
  readonly adapterRegistry: Address;
  readonly commitmentId: bigint;
}

/** `IAdapterRegistry.Commitment`. */
export interface TrainingCommitment {
  readonly adapterId: bigint;
  readonly baseModelHash: Hex;
  readonly configHash: Hex;
  readonly commitBlock: bigint;
  readonly abandoned: boolean;
  /** Zero until sealed. */
  readonly commitBlockhash: Hex;
  readonly versionId: bigint;
  readonly datasetIds: readonly bigint[];
}

/** `AdapterRegistry.getCommitment` (reverts, as a viem error, for an unknown id). */
export async function getTrainingCommitment(
  publicClient: PublicClient<Transport, Chain | undefined>,
  p: CommitmentParameters,
): Promise<TrainingCommitment> {
  return publicClient.readContract({
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "getCommitment",
    args: [p.commitmentId],
  });
}

/** `AdapterRegistry.seedOf`: the seed of a sealed commitment, the one the run must use (DESIGN §7). */
export async function getTrainingSeed(
  publicClient: PublicClient<Transport, Chain | undefined>,
  p: CommitmentParameters,
): Promise<Hex> {
  return publicClient.readContract({
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "seedOf",
    args: [p.commitmentId],
  });
}

/** Inputs of {@link submitVersion}. */
export interface SubmitVersionParameters {
  readonly adapterRegistry: Address;
  readonly commitmentId: bigint;
  readonly proof: VersionProof;
  /** OPEN wei held against a challenge; at least `minBond`. */
  readonly bond: bigint;
}

/** What {@link submitVersion} returns. */
export interface SubmitVersionReturnType {
  readonly versionId: bigint;
  /** Challenges can open strictly before this time. */
  readonly challengeEnd: bigint;
  readonly txHash: Hex;
  /** The approval sent first, when the allowance was short. */
  readonly approveTxHash?: Hex;
}

/**
 * `AdapterRegistry.submitVersion` with its bond: approves the registry for exactly `bond` OPEN when the allowance is
 * short (never an unlimited approval), submits, and returns the version id from `VersionSubmitted`.
 *
 * @throws {TrainerError} `TX_FAILED` (e.g. `AdapterRegistryBondTooLow`, `AdapterRegistryInvalidCommitmentStatus`),
 * `EVENT_MISSING`
 */
export async function submitVersion(
  clients: TrainerChainClients,
  p: SubmitVersionParameters,
): Promise<SubmitVersionReturnType> {
  const { publicClient, walletClient } = clients;
  const token = await publicClient.readContract({
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "token",
  });
  const allowance = await publicClient.readContract({
    address: token,
    abi: openTokenAbi,
    functionName: "allowance",
    args: [walletClient.account.address, p.adapterRegistry],
  });
  let approveTxHash: Hex | undefined;
  if (allowance < p.bond) {
    const approval = await send(clients, {
      address: token,
      abi: openTokenAbi,
      functionName: "approve",
      args: [p.adapterRegistry, p.bond],
    });
    approveTxHash = approval.transactionHash;
  }
  const receipt = await send(clients, {
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "submitVersion",
    args: [p.commitmentId, { ...p.proof }, p.bond],
  });
  const event = findEvent(receipt, adapterRegistryAbi, "VersionSubmitted", p.adapterRegistry);
  return {
    versionId: event.args.versionId,
    challengeEnd: event.args.challengeEnd,
    txHash: receipt.transactionHash,
    ...(approveTxHash === undefined ? {} : { approveTxHash }),
  };
}

/** Which version to read. */
export interface VersionParameters {
  readonly adapterRegistry: Address;
  readonly versionId: bigint;
}

/** `AdapterRegistry.getVersion(versionId).proof`: the proof as registered (reverts for an unknown id). */
export async function getVersionProof(
  publicClient: PublicClient<Transport, Chain | undefined>,
  p: VersionParameters,
): Promise<VersionProof> {
  const version = await publicClient.readContract({
    address: p.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "getVersion",
    args: [p.versionId],
  });
  return { ...version.proof };
}

interface SendParameters {
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
}

/** Simulates (so a revert names its custom error before any gas is spent), sends, and waits for a successful receipt. */
async function send(clients: TrainerChainClients, p: SendParameters): Promise<TransactionReceipt> {
  const { publicClient, walletClient } = clients;
  let txHash: Hex | undefined;
  try {
    const { request } = await publicClient.simulateContract({
      address: p.address,
      abi: p.abi,
      functionName: p.functionName,
      args: p.args,
      account: walletClient.account,
    });
    txHash = await walletClient.writeContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success") throw new Error(`transaction ${txHash} reverted`);
    return receipt;
  } catch (err) {
    throw new TrainerError(
      {
        code: TrainerErrorCode.TX_FAILED,
        functionName: p.functionName,
        reason: revertReason(err),
        ...(txHash === undefined ? {} : { txHash }),
      },
      { cause: err },
    );
  }
}

function findEvent<const abi extends Abi, eventName extends ContractEventName<abi>>(
  receipt: TransactionReceipt,
  abi: abi,
  eventName: eventName,
  address: Address,
) {
  const [event] = parseEventLogs({
    abi,
    eventName,
    logs: receipt.logs.filter((log) => log.address.toLowerCase() === address.toLowerCase()),
  });
  if (event === undefined) {
    throw new TrainerError({ code: TrainerErrorCode.EVENT_MISSING, eventName, txHash: receipt.transactionHash });
  }
  return event;
}

/** Polls the head until it reaches `block`, within `timeoutMs` (a bounded loop, never an unbounded wait). */
async function waitForBlock(
  publicClient: PublicClient<Transport, Chain | undefined>,
  block: bigint,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (head >= block) return;
    if (Date.now() >= deadline)
      throw new TrainerError({ code: TrainerErrorCode.BLOCK_TIMEOUT, waitingFor: block, head });
    await new Promise((resolve) => setTimeout(resolve, publicClient.pollingInterval));
  }
}

/** The custom error's name and arguments when the contract reverted with one, else viem's short message. */
function revertReason(err: unknown): string {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) {
      const args = (reverted.data.args ?? []).map((a) => String(a)).join(", ");
      return `${reverted.data.errorName}(${args})`;
    }
    return err.shortMessage;
  }
  return err instanceof Error ? err.message : String(err);
}
