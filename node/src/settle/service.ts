import type { Address, Hex } from "viem";
import type { AttributionMessage } from "../protocol/index.js";
import type { PoolKey, Store } from "../store/index.js";
import { type AuditOutcome, Auditor, type RecomputeWeights } from "./auditor.js";
import { EpochPoster, type PostTickResult } from "./epochPoster.js";
import { SettleError, SettleErrorCode } from "./errors.js";
import { PostedRoots } from "./postedRoots.js";
import { Redeemer, type RedeemTickResult } from "./redeemer.js";
import { CheckedShares } from "./shares.js";
import type {
  SettleContracts,
  SettleLogger,
  SettleMetrics,
  SettleReader,
  TrainingSharesSource,
  TxSender,
} from "./types.js";

/** Default time between ticks. */
export const DEFAULT_TICK_INTERVAL_MS = 15_000;

/** The settle service's options (`settle.*` of the config, the deployment, the keys). */
export type SettleServiceOpts = {
  /** The node this service settles for (`receipt.node`). */
  node: Address;
  /** The address the transaction sender sends from (the operator key). */
  operator: Address;
  contracts: SettleContracts;
  /** The deployment's first block (log scans start there). */
  deployBlock: bigint;
  /** Settle's own folder: posted roots and the record ids behind them. */
  dataDir: string;
  /** `settle.redeemValueWei`. */
  redeemValueWei: bigint;
  /** `settle.redeemAgeSeconds`. */
  redeemAgeSeconds: number;
  /** `settle.postEpochs`. */
  postEpochs: boolean;
  /** Most lanes per `redeemMany` (default 100). */
  maxLanesPerTx?: number;
  /** The bond of each root (default the Settlement's `minRootBond`). */
  rootBond?: bigint;
  /** Withdraw credits once they reach this (default 1 OPEN). */
  withdrawMinWei?: bigint;
  /** Time between ticks (default {@link DEFAULT_TICK_INTERVAL_MS}). */
  tickIntervalMs?: number;
  /** Auditor mode: audit other nodes' posted roots and challenge the wrong ones. */
  auditor?: {
    enabled: boolean;
    /** Nodes to audit (default: every node whose records we hold). */
    nodes?: readonly Address[];
    challengeBond?: bigint;
    challengeIncomplete?: boolean;
  };
  /** Most records of one pool held in memory. */
  maxPoolRecords?: number;
};

/** What the service uses but does not own. */
export type SettleServiceModules = {
  store: Store;
  reader: SettleReader;
  txSender: TxSender;
  trainingShares: TrainingSharesSource;
  logger?: SettleLogger;
  metrics?: Partial<SettleMetrics>;
  /** Called with each posted root's `/olp/attribution/1` payload, for gossip. */
  onAttributionPosted?: (payload: Hex, message: AttributionMessage) => void;
  /** Gossiped attribution messages by pool, for the auditor to compare leaves. */
  getPostedAttribution?: (key: PoolKey) => Promise<AttributionMessage | undefined>;
  /** The auditor recomputes public records' weights with it (DESIGN §8) instead of trusting the signed ones. */
  recomputeWeights?: RecomputeWeights;
  /** Milliseconds since the Unix epoch (default `Date.now`). */
  clock?: () => number;
};

/** What one tick did. */
export type SettleTickResult = {
  redeem: RedeemTickResult;
  post: PostTickResult;
  audit: AuditOutcome[];
};

/**
 * Settles the node's money (DESIGN §6): each tick redeems the lanes that passed the thresholds, posts the ended
 * epochs' attribution roots, releases final bonds, withdraws credits, and (auditor mode) audits other nodes' roots and
 * challenges the wrong ones. One tick runs at a time; `close()` stops the loop and waits for the tick in flight.
 *
 * @example
 * const settle = new SettleService(opts, { store, reader, txSender, trainingShares, logger });
 * settle.start(signal);
 * await settle.close();
 */
export class SettleService {
  readonly redeemer: Redeemer;
  readonly shares: CheckedShares;
  private poster: EpochPoster | undefined;
  private auditor: Auditor | undefined;
  private postedRoots: PostedRoots | undefined;
  private running: Promise<SettleTickResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly opts: SettleServiceOpts,
    private readonly modules: SettleServiceModules,
  ) {
    if (!Number.isInteger(opts.redeemAgeSeconds) || opts.redeemAgeSeconds < 0) {
      throw new SettleError({
        code: SettleErrorCode.INVALID_OPTION,
        name: "redeemAgeSeconds",
        reason: `a whole number ≥ 0, found ${opts.redeemAgeSeconds}`,
      });
    }
    const { contracts } = opts;
    this.shares = new CheckedShares(contracts.adapterRegistry, modules);
    this.redeemer = new Redeemer(
      {
        node: opts.node,
        settlement: contracts.settlement,
        paymentEscrow: contracts.paymentEscrow,
        minValue: opts.redeemValueWei,
        maxAgeMs: opts.redeemAgeSeconds * 1000,
        ...(opts.maxLanesPerTx === undefined ? {} : { maxLanesPerTx: opts.maxLanesPerTx }),
      },
      modules,
    );
  }

  /** The posted roots on disk (opened by the first tick), to serve the records behind a `recordsRoot`. */
  async getPostedRoots(): Promise<PostedRoots> {
    await this.ready();
    return this.postedRoots as PostedRoots;
  }

  /** Starts ticking every `tickIntervalMs` until `signal` aborts or {@link close} is called. */
  start(signal?: AbortSignal): void {
    if (this.closed) throw new SettleError({ code: SettleErrorCode.CLOSED });
    if (signal?.aborted) {
      void this.close();
      return;
    }
    signal?.addEventListener("abort", () => void this.close(), { once: true });
    const loop = async (): Promise<void> => {
      if (this.closed) return;
      try {
        await this.tick();
      } catch (err) {
        this.modules.logger?.error("settle tick failed", {}, err);
      }
      if (!this.closed) this.timer = setTimeout(loop, this.opts.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS);
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Runs one tick now (or waits for the one in flight): redeem, post, release, withdraw, audit. */
  async tick(): Promise<SettleTickResult> {
    if (this.closed) throw new SettleError({ code: SettleErrorCode.CLOSED });
    if (this.running !== undefined) return this.running;
    this.running = this.runTick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the loop and waits for the tick in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async runTick(): Promise<SettleTickResult> {
    await this.ready();
    const redeem = await this.redeemer.tick();
    const post = await (this.poster as EpochPoster).tick();
    const audit = this.auditor === undefined ? [] : await this.auditor.tick();
    return { redeem, post, audit };
  }

  private async ready(): Promise<void> {
    if (this.postedRoots !== undefined) return;
    const { opts, modules } = this;
    const postedRoots = await PostedRoots.open(opts.dataDir);
    this.poster = new EpochPoster(
      {
        node: opts.node,
        operator: opts.operator,
        settlement: opts.contracts.settlement,
        openToken: opts.contracts.openToken,
        deployBlock: opts.deployBlock,
        postEpochs: opts.postEpochs,
        ...(opts.rootBond === undefined ? {} : { rootBond: opts.rootBond }),
        ...(opts.withdrawMinWei === undefined ? {} : { withdrawMinWei: opts.withdrawMinWei }),
        ...(opts.maxPoolRecords === undefined ? {} : { maxPoolRecords: opts.maxPoolRecords }),
      },
      {
        ...modules,
        shares: this.shares,
        postedRoots,
        ...(modules.onAttributionPosted === undefined ? {} : { onPosted: modules.onAttributionPosted }),
      },
    );
    if (opts.auditor?.enabled) {
      const { auditor } = opts;
      this.auditor = new Auditor(
        {
          settlement: opts.contracts.settlement,
          deployBlock: opts.deployBlock,
          challenger: opts.operator,
          arbiter: opts.contracts.arbiter,
          openToken: opts.contracts.openToken,
          ...(auditor.nodes === undefined ? {} : { nodes: auditor.nodes }),
          ...(auditor.challengeBond === undefined ? {} : { challengeBond: auditor.challengeBond }),
          ...(auditor.challengeIncomplete === undefined ? {} : { challengeIncomplete: auditor.challengeIncomplete }),
          ...(opts.maxPoolRecords === undefined ? {} : { maxPoolRecords: opts.maxPoolRecords }),
        },
        {
          ...modules,
          shares: this.shares,
          ...(modules.getPostedAttribution === undefined ? {} : { getPosted: modules.getPostedAttribution }),
          ...(modules.recomputeWeights === undefined ? {} : { recompute: modules.recomputeWeights }),
        },
      );
    }
    this.postedRoots = postedRoots;
  }
}
