import type { Address, Chain, Hex, PublicClient, Transport } from "viem";
import type { ChainView } from "../validation/index.js";
import { VersionStatus } from "../validation/index.js";
import { adapterRegistryAbi, nodeRegistryAbi, paymentEscrowAbi } from "./abi/index.js";
import type { Deployment } from "./deployment.js";
import { ChainError, ChainErrorCode } from "./errors.js";

/** Where the reader reads: the indexer's cursor and whether it caught up ({@link ChainIndexer} fits). */
export type IndexedHead = {
  /** The last block the indexer wrote; undefined before its first range. */
  readonly indexedBlock: bigint | undefined;
  /** Its hash: a reorg can bring a new block of the same number, and the cache must not outlive it. */
  readonly indexedBlockHash?: Hex | undefined;
  isSynced(): boolean;
};

/** Options of a {@link ChainReader}. */
export type ChainReaderOpts = {
  readonly deployment: Deployment;
  /** `chain.confirmations`: without an indexer, reads are at head − confirmations. */
  readonly confirmations: number;
  /** Most answers cached for the current block (default 4,096; the cache empties when the block moves). */
  readonly maxCacheEntries?: number;
  /** Without an indexer: how long a head block number is reused (default 1,000 ms; viem's block cache). */
  readonly headCacheMs?: number;
};

/** What a {@link ChainReader} uses. */
export type ChainReaderModules = {
  readonly client: PublicClient<Transport, Chain | undefined>;
  /** The event indexer: reads are at its cursor, and `isSynced` is its. Without it: head − confirmations. */
  readonly indexer?: IndexedHead;
};

/** `IAdapterRegistry.VersionStatus` as validation names it. */
const VERSION_STATUS: Record<number, VersionStatus> = {
  0: VersionStatus.UNKNOWN,
  1: VersionStatus.PENDING,
  2: VersionStatus.ACTIVE,
  3: VersionStatus.REJECTED,
};

/**
 * Validation's {@link ChainView} for one node: every answer is the contracts' state at our latest indexed and
 * confirmed block (the indexer's cursor, or head − confirmations without one), read with `readContract` at that block.
 * So a price change, a signer revocation or a deposit applies once it is indexed (DESIGN §4), and two questions about
 * one request see one block. Answers are cached per block (bounded, emptied when the block moves), concurrent
 * identical questions share one call.
 */
export class ChainReader implements ChainView {
  readonly chainId: bigint;
  readonly settlement: Address;
  private readonly deployment: Deployment;
  private readonly client: PublicClient<Transport, Chain | undefined>;
  private readonly indexer: IndexedHead | undefined;
  private readonly confirmations: bigint;
  private readonly maxCacheEntries: number;
  private readonly headCacheMs: number;
  private cacheBlock: string | undefined;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(opts: ChainReaderOpts, modules: ChainReaderModules) {
    if (!Number.isSafeInteger(opts.confirmations) || opts.confirmations < 0) {
      throw new ChainError({
        code: ChainErrorCode.INVALID_ARGUMENT,
        name: "confirmations",
        reason: `to be a non-negative integer, found ${opts.confirmations}`,
      });
    }
    this.deployment = opts.deployment;
    this.chainId = BigInt(opts.deployment.chainId);
    this.settlement = opts.deployment.contracts.settlement;
    this.client = modules.client;
    this.indexer = modules.indexer;
    this.confirmations = BigInt(opts.confirmations);
    this.maxCacheEntries = opts.maxCacheEntries ?? 4_096;
    this.headCacheMs = opts.headCacheMs ?? 1_000;
  }

  /** The indexer's verdict; without an indexer, whether the RPC answers. */
  async isSynced(): Promise<boolean> {
    if (this.indexer !== undefined) return this.indexer.isSynced();
    try {
      await this.client.getBlockNumber({ cacheTime: 0 });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The block every answer is read at: the indexer's cursor, or head − confirmations.
   *
   * @throws {ChainError} `INVALID_ARGUMENT` when the indexer has not indexed a block yet (validation checks
   *   `isSynced` first, so it never asks then)
   */
  async getBlockNumber(): Promise<bigint> {
    if (this.indexer !== undefined) {
      const block = this.indexer.indexedBlock;
      if (block === undefined) {
        throw new ChainError({
          code: ChainErrorCode.INVALID_ARGUMENT,
          name: "indexer",
          reason: "to have indexed a block",
        });
      }
      return block;
    }
    const head = await this.client.getBlockNumber({ cacheTime: this.headCacheMs });
    return head > this.confirmations ? head - this.confirmations : 0n;
  }

  isAuthorizedSigner(payer: Address, signer: Address): Promise<boolean> {
    return this.read(`auth:${payer}:${signer}`, (blockNumber) =>
      this.client.readContract({
        address: this.deployment.contracts.paymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "isAuthorizedSigner",
        args: [payer, signer],
        blockNumber,
      }),
    );
  }

  operatorOf(node: Address): Promise<Address | undefined> {
    return this.read(`operator:${node}`, async (blockNumber) => {
      const operator = await this.client.readContract({
        address: this.deployment.contracts.nodeRegistry,
        abi: nodeRegistryAbi,
        functionName: "operatorOf",
        args: [node],
        blockNumber,
      });
      return BigInt(operator) === 0n ? undefined : operator;
    });
  }

  priceOf(node: Address, versionId: bigint): Promise<bigint> {
    return this.read(`price:${node}:${versionId}`, (blockNumber) =>
      this.client.readContract({
        address: this.deployment.contracts.nodeRegistry,
        abi: nodeRegistryAbi,
        functionName: "priceOf",
        args: [node, versionId],
        blockNumber,
      }),
    );
  }

  versionStatus(versionId: bigint): Promise<VersionStatus> {
    return this.read(`status:${versionId}`, async (blockNumber) => {
      const status = await this.client.readContract({
        address: this.deployment.contracts.adapterRegistry,
        abi: adapterRegistryAbi,
        functionName: "statusOf",
        args: [versionId],
        blockNumber,
      });
      return VERSION_STATUS[status] ?? VersionStatus.UNKNOWN;
    });
  }

  escrowCoverage(payer: Address, node: Address): Promise<bigint> {
    return this.read(`coverage:${payer}:${node}`, async (blockNumber) => {
      const account = await this.client.readContract({
        address: this.deployment.contracts.paymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "accountOf",
        args: [payer, node],
        blockNumber,
      });
      // THREATS #23: thawing funds may leave before we redeem; the escrow keeps thawing ≤ balance.
      return account.balance > account.thawing ? account.balance - account.thawing : 0n;
    });
  }

  trainingDatasets(versionId: bigint): Promise<readonly bigint[]> {
    return this.read(`datasets:${versionId}`, (blockNumber) =>
      this.client.readContract({
        address: this.deployment.contracts.adapterRegistry,
        abi: adapterRegistryAbi,
        functionName: "datasetIdsOf",
        args: [versionId],
        blockNumber,
      }),
    );
  }

  /** One answer at the current block, from the cache or the chain; a failed read is not cached. */
  private async read<T>(key: string, fetch: (blockNumber: bigint) => Promise<T>): Promise<T> {
    const blockNumber = await this.getBlockNumber();
    const block = `${blockNumber}:${this.indexer?.indexedBlockHash ?? ""}`;
    if (block !== this.cacheBlock) {
      this.cache.clear();
      this.cacheBlock = block;
    }
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit as Promise<T>;
    const answer = fetch(blockNumber);
    if (this.cache.size >= this.maxCacheEntries) {
      // Drop the oldest: Maps iterate in insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, answer);
    answer.catch(() => {
      if (this.cache.get(key) === answer) this.cache.delete(key);
    });
    return answer;
  }
}
