import { type Address, getAddress, type Hex, isAddressEqual, parseEventLogs, zeroHash } from "viem";
import { openTokenAbi, settlementAbi } from "../chain/abi/index.js";
import type { AttributionMessage } from "../protocol/index.js";
import type { PoolKey, Store } from "../store/index.js";
import { SettleError, SettleErrorCode } from "./errors.js";
import { computePoolAttribution, type PoolAttribution } from "./poolAttribution.js";
import { atLeast, gatherPool, type OnChainPool, PoolStatus, readPool } from "./poolRedemptions.js";
import { type PostedRoots, PostedState } from "./postedRoots.js";
import type { CheckedShares } from "./shares.js";
import type { SettleLogger, SettleMetrics, SettleReader, TxRequest, TxSender } from "./types.js";

/** Default least credits worth a `withdraw` transaction: one OPEN. */
export const DEFAULT_WITHDRAW_MIN_WEI = 10n ** 18n;
/** Most pools handled per tick (posted, released), so one tick stays bounded. */
export const MAX_POOLS_PER_TICK = 1_000;

/** What the poster posts and withdraws, and for whom. */
export type EpochPosterOpts = {
  /** The node whose pools are posted. */
  node: Address;
  /** The address the transaction sender sends from (the node's operator key): it bonds and is credited. */
  operator: Address;
  settlement: Address;
  openToken: Address;
  deployBlock: bigint;
  /** Post roots (default true); when false only bonds are released and credits withdrawn. */
  postEpochs?: boolean;
  /** The bond of each root (default, and at least, the Settlement's `minRootBond`). */
  rootBond?: bigint;
  /** Withdraw credits once they reach this (default {@link DEFAULT_WITHDRAW_MIN_WEI}). */
  withdrawMinWei?: bigint;
  /** Versions to post for (default: every version the indexer stored). */
  versionIds?: readonly bigint[];
  /** Most records of one pool (see `gatherPool`). */
  maxPoolRecords?: number;
};

/** What the poster uses. */
export type EpochPosterModules = {
  store: Store;
  reader: SettleReader;
  txSender: TxSender;
  shares: CheckedShares;
  postedRoots: PostedRoots;
  logger?: SettleLogger;
  metrics?: Partial<SettleMetrics>;
  /** Called with each posted root's `/olp/attribution/1` payload, for gossip. */
  onPosted?: (payload: Hex, message: AttributionMessage) => void;
};

/** A root this node posted. */
export type PostedRoot = {
  key: PoolKey;
  message: AttributionMessage;
  /** The `/olp/attribution/1` payload (DESIGN §4), for gossip. */
  payload: Hex;
  attribution: PoolAttribution;
  /** Where the redemptions came from (see `gatherPool`). */
  source: "store" | "logs";
  hash: Hex;
};

/** What one tick did. */
export type PostTickResult = {
  posted: PostedRoot[];
  /** Pools whose bond was released to the operator. */
  released: PoolKey[];
  /** Credits withdrawn (0 when under the threshold). */
  withdrawn: bigint;
  /** Pools that failed, with the error. */
  failed: { key: PoolKey; error: unknown }[];
};

/**
 * Posts the attribution root of each of the node's pools once its epoch ended, within the post window (DESIGN §6):
 * gathers the pool's redemptions and the records each first covered, divides the pool with the protocol's maths,
 * writes the `/olp/attribution/1` message to disk, approves and sends `postAttributionRoot` with the bond, and hands
 * the payload to gossip. Then releases the bond of each final root (`releaseRootBond`) and withdraws the operator's
 * credits above a threshold.
 */
export class EpochPoster {
  /** Per version, the first epoch not known to be finished with. */
  private readonly cursor = new Map<bigint, bigint>();

  constructor(
    private readonly opts: EpochPosterOpts,
    private readonly modules: EpochPosterModules,
  ) {}

  /** Posts what is due, releases what is final, withdraws; never throws for one pool's failure. */
  async tick(): Promise<PostTickResult> {
    const result: PostTickResult = { posted: [], released: [], withdrawn: 0n, failed: [] };
    if (this.opts.postEpochs ?? true) await this.postDue(result);
    await this.releaseFinal(result);
    result.withdrawn = await this.withdraw();
    return result;
  }

  /** Posts the root of pool `key` now; throws when the pool is not in its post window or has no amount. */
  async post(key: PoolKey): Promise<PostedRoot> {
    const gathered = await gatherPool(
      { store: this.modules.store, reader: this.modules.reader },
      {
        settlement: this.opts.settlement,
        deployBlock: this.opts.deployBlock,
        ...(this.opts.maxPoolRecords === undefined ? {} : { maxPoolRecords: this.opts.maxPoolRecords }),
      },
      key,
    );
    const shares = await this.modules.shares.get(key.versionId);
    const attribution = computePoolAttribution(gathered.redemptions, shares);
    if (attribution.tree.total !== gathered.onChain.amount) {
      throw new SettleError({
        code: SettleErrorCode.POOL_INCOMPLETE,
        ...key,
        expected: gathered.onChain.amount,
        found: attribution.tree.total,
      });
    }
    const message: AttributionMessage = {
      node: getAddress(key.node),
      versionId: key.versionId,
      epoch: key.epoch,
      root: attribution.tree.root,
      leaves: attribution.tree.leaves,
      recordsRoot: attribution.recordsRoot,
      recordIds: attribution.recordIds,
    };
    // On disk before the transaction: a root on-chain always has its records' ids here to serve.
    const payload = await this.modules.postedRoots.put(message);
    const bond = await this.getBond();
    await this.approve(bond);
    const { hash, receipt } = await this.sendOk({
      label: "postAttributionRoot",
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "postAttributionRoot",
      args: [key.node, key.versionId, key.epoch, message.root, attribution.tree.total, message.recordsRoot, bond],
    });
    if (parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: "AttributionRootPosted" }).length === 0) {
      throw new SettleError({
        code: SettleErrorCode.EVENT_MISSING,
        label: "postAttributionRoot",
        hash,
        event: "AttributionRootPosted",
      });
    }
    this.modules.metrics?.rootsPosted?.inc();
    this.modules.logger?.info("attribution root posted", {
      ...key,
      root: message.root,
      total: attribution.tree.total,
      leaves: message.leaves.length,
      records: message.recordIds.length,
      missingSeqs: attribution.missingSeqs,
      source: gathered.source,
    });
    this.modules.onPosted?.(payload, message);
    return { key, message, payload, attribution, source: gathered.source, hash };
  }

  private async postDue(result: PostTickResult): Promise<void> {
    const current = await this.modules.reader.readContract({
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "currentEpoch",
    });
    let handled = 0;
    for (const versionId of await this.listVersions()) {
      const from = this.cursor.get(versionId);
      const pools = await this.modules.store.epochPools.listByVersion(
        this.opts.node,
        versionId,
        MAX_POOLS_PER_TICK,
        from === undefined ? undefined : from - 1n,
      );
      let finishedThrough = true;
      for (const pool of pools) {
        if (pool.epoch >= current || handled >= MAX_POOLS_PER_TICK) break;
        handled += 1;
        const key = { node: this.opts.node, versionId, epoch: pool.epoch };
        const status = await this.readStatus(key);
        if (status === PoolStatus.Posting) {
          const onChain = await readPool(this.modules.reader, this.opts.settlement, key);
          if (onChain.root === zeroHash && onChain.amount > 0n) {
            try {
              result.posted.push(await this.post(key));
            } catch (error) {
              this.modules.logger?.warn("posting an attribution root failed", key, error);
              result.failed.push({ key, error });
            }
          }
        }
        // A pool in its post window or later still has steps ahead (post, challenge, release); one claimable is done
        // for the poster once its bond is back, which releaseFinal sees from the posted files.
        const finished =
          status === PoolStatus.Fallback || status === PoolStatus.Expired || status === PoolStatus.Claimable;
        if (finished && finishedThrough) this.cursor.set(versionId, pool.epoch + 1n);
        else finishedThrough = false;
      }
    }
  }

  private async releaseFinal(result: PostTickResult): Promise<void> {
    for (const pool of await this.modules.postedRoots.list(PostedState.POSTED, MAX_POOLS_PER_TICK)) {
      const key = { node: pool.node, versionId: pool.versionId, epoch: pool.epoch };
      try {
        const status = await this.readStatus(key);
        if (status !== PoolStatus.Claimable && status !== PoolStatus.Expired && status !== PoolStatus.Fallback) {
          continue;
        }
        const onChain = await readPool(this.modules.reader, this.opts.settlement, key);
        if (status !== PoolStatus.Fallback && this.isOurs(onChain) && onChain.bond > 0n) {
          await this.sendOk({
            label: "releaseRootBond",
            address: this.opts.settlement,
            abi: settlementAbi,
            functionName: "releaseRootBond",
            args: [key.node, key.versionId, key.epoch],
          });
          this.modules.metrics?.bondsReleased?.inc();
          this.modules.logger?.info("root bond released", { ...key, bond: onChain.bond });
          result.released.push(key);
        } else if (status === PoolStatus.Fallback && onChain.fellBack) {
          this.modules.logger?.warn("our attribution root was rejected; its bond was slashed", key);
        }
        await this.modules.postedRoots.markFinal(key.node, key.versionId, key.epoch);
      } catch (error) {
        this.modules.logger?.warn("releasing a root bond failed", key, error);
        result.failed.push({ key, error });
      }
    }
  }

  private async withdraw(): Promise<bigint> {
    const credits = await this.modules.reader.readContract({
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "creditsOf",
      args: [this.opts.operator],
    });
    if (credits === 0n || credits < (this.opts.withdrawMinWei ?? DEFAULT_WITHDRAW_MIN_WEI)) return 0n;
    await this.sendOk({
      label: "withdraw",
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "withdraw",
      args: [],
    });
    this.modules.metrics?.withdrawals?.inc();
    this.modules.logger?.info("credits withdrawn", { operator: this.opts.operator, amount: credits });
    return credits;
  }

  private isOurs(pool: OnChainPool): boolean {
    return isAddressEqual(pool.poster, this.opts.operator) || isAddressEqual(pool.poster, this.opts.node);
  }

  private async listVersions(): Promise<readonly bigint[]> {
    if (this.opts.versionIds !== undefined) return this.opts.versionIds;
    const ids: bigint[] = [];
    let after: bigint | undefined;
    while (ids.length < MAX_POOLS_PER_TICK) {
      const page = await this.modules.store.adapters.list(256, after);
      ids.push(...page.map((version) => version.versionId));
      if (page.length < 256) break;
      after = page[page.length - 1]?.versionId;
    }
    return ids;
  }

  private async readStatus(key: PoolKey): Promise<PoolStatus> {
    return (await this.modules.reader.readContract({
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "poolStatus",
      args: [key.node, key.versionId, key.epoch],
    })) as PoolStatus;
  }

  private async getBond(): Promise<bigint> {
    const params = await this.modules.reader.readContract({
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "getParams",
    });
    // At least the Settlement's minimum: a smaller bond would only revert.
    return atLeast(this.opts.rootBond ?? params.minRootBond, params.minRootBond);
  }

  private async approve(amount: bigint): Promise<void> {
    const allowance = await this.modules.reader.readContract({
      address: this.opts.openToken,
      abi: openTokenAbi,
      functionName: "allowance",
      args: [this.opts.operator, this.opts.settlement],
    });
    if (allowance >= amount) return;
    await this.sendOk({
      label: "approve",
      address: this.opts.openToken,
      abi: openTokenAbi,
      functionName: "approve",
      args: [this.opts.settlement, amount],
    });
  }

  private async sendOk(request: TxRequest) {
    const sent = await this.modules.txSender.send(request);
    if (sent.receipt.status !== "success") {
      throw new SettleError({ code: SettleErrorCode.TX_REVERTED, label: request.label, hash: sent.hash });
    }
    return sent;
  }
}
