import { type Address, type Hex, parseEventLogs } from "viem";
import { paymentEscrowAbi, settlementAbi } from "../chain/abi/index.js";
import { getLaneId, type Receipt } from "../protocol/index.js";
import type { LaneState, Store } from "../store/index.js";
import { SettleError, SettleErrorCode } from "./errors.js";
import type { SettleLogger, SettleMetrics, SettleReader, TxSender } from "./types.js";

/** Default most lanes per `redeemMany`: well inside the 2^24 gas cap per transaction (docs/payments.md: ~500). */
export const DEFAULT_MAX_LANES_PER_TX = 100;
/** Default time a lane whose redemption failed waits before it is tried again. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;
/** Most lanes remembered as failing; the oldest is forgotten first (it is then simply tried again). */
export const MAX_FAILED_LANES = 10_000;

/** When and how the redeemer redeems. */
export type RedeemerOpts = {
  /** The node whose lanes are redeemed (`receipt.node`). */
  node: Address;
  settlement: Address;
  paymentEscrow: Address;
  /** Redeem a lane once its unredeemed value reaches this (wei). */
  minValue: bigint;
  /** Redeem a lane once its oldest unredeemed value is this old (ms, by the store's clock). */
  maxAgeMs: number;
  /** Most lanes per transaction (default {@link DEFAULT_MAX_LANES_PER_TX}). */
  maxLanesPerTx?: number;
  /** How long a failing lane waits (default {@link DEFAULT_RETRY_AFTER_MS}). */
  retryAfterMs?: number;
  /** Most lanes handled per tick (default 1,000: one store page). */
  maxLanesPerTick?: number;
};

/** What the redeemer uses. */
export type RedeemerModules = {
  store: Store;
  reader: SettleReader;
  txSender: TxSender;
  logger?: SettleLogger;
  metrics?: Partial<SettleMetrics>;
  /** Milliseconds since the Unix epoch (default `Date.now`), for retry waits. */
  clock?: () => number;
};

/** One lane's redemption as the chain recorded it. */
export type LaneRedeemed = { laneId: Hex; toSeq: bigint; collected: bigint; collectedTotal: bigint; hash: Hex };

/** What one tick did. */
export type RedeemTickResult = {
  /** Lanes redeemed by our transactions this tick. */
  redeemed: LaneRedeemed[];
  /** Lanes the chain had already redeemed (e.g. before a crash): marked without a transaction. */
  alreadyRedeemed: Hex[];
  /** Lanes skipped: the payer's escrow is empty, or the lane failed recently. */
  skipped: Hex[];
  /** Lanes whose redemption failed this tick. */
  failed: Hex[];
};

type Candidate = { lane: LaneState; receipt: Receipt; signature: Hex; collectedBefore: bigint };

/**
 * Redeems the node's lanes (DESIGN §6): every tick, the lanes whose unredeemed value or age passed the thresholds
 * (`store.listLanesToRedeem`) are redeemed with their latest stored receipt, many per `redeemMany`, and each
 * `Redeemed` event marks its lane (`store.markRedeemed`). Exactly once: before sending, the lane is read from
 * `Settlement.getLane`; a lane the chain already collected up to the receipt's cumulative (a crash between the
 * transaction and the mark) is marked from the chain and never sent again (the contract would refuse it anyway,
 * `SettlementNothingOwed`). A batch that fails is retried lane by lane, so one bad receipt never blocks the others.
 */
export class Redeemer {
  private readonly failedAt = new Map<Hex, number>();

  constructor(
    private readonly opts: RedeemerOpts,
    private readonly modules: RedeemerModules,
  ) {
    const max = opts.maxLanesPerTx ?? DEFAULT_MAX_LANES_PER_TX;
    if (!Number.isInteger(max) || max < 1 || max > 500) {
      throw new SettleError({
        code: SettleErrorCode.INVALID_OPTION,
        name: "maxLanesPerTx",
        reason: `from 1 to 500, found ${max}`,
      });
    }
    if (opts.minValue < 0n) {
      throw new SettleError({
        code: SettleErrorCode.INVALID_OPTION,
        name: "minValue",
        reason: `≥ 0, found ${opts.minValue}`,
      });
    }
  }

  /** Redeems every lane due now; returns what it did. Never throws for one lane's failure. */
  async tick(): Promise<RedeemTickResult> {
    const result: RedeemTickResult = { redeemed: [], alreadyRedeemed: [], skipped: [], failed: [] };
    const due = await this.modules.store.listLanesToRedeem(
      { node: this.opts.node, minValue: this.opts.minValue, maxAgeMs: this.opts.maxAgeMs },
      this.opts.maxLanesPerTick ?? 1_000,
    );
    const candidates: Candidate[] = [];
    for (const lane of due) {
      if (this.isWaiting(lane.laneId)) {
        result.skipped.push(lane.laneId);
        continue;
      }
      const candidate = await this.prepare(lane, result);
      if (candidate !== undefined) candidates.push(candidate);
    }
    const size = this.opts.maxLanesPerTx ?? DEFAULT_MAX_LANES_PER_TX;
    for (let i = 0; i < candidates.length; i += size) {
      const batch = candidates.slice(i, i + size);
      try {
        result.redeemed.push(...(await this.send(batch)));
      } catch (err) {
        if (batch.length === 1) {
          this.fail(batch[0] as Candidate, result, err);
          continue;
        }
        this.modules.logger?.warn("redeemMany failed, redeeming lane by lane", { lanes: batch.length }, err);
        for (const candidate of batch) {
          try {
            // Read the lane again: part of the batch may have been mined before the failure.
            const fresh = await this.prepare(candidate.lane, result);
            if (fresh !== undefined) result.redeemed.push(...(await this.send([fresh])));
          } catch (laneErr) {
            this.fail(candidate, result, laneErr);
          }
        }
      }
    }
    return result;
  }

  /**
   * Reads the lane on-chain and decides: already collected up to the receipt (mark it, send nothing), escrow empty
   * (skip: the contract would revert the whole batch), or redeem.
   */
  private async prepare(lane: LaneState, result: RedeemTickResult): Promise<Candidate | undefined> {
    const latest = await this.modules.store.getLatestReceipt(lane.laneId);
    if (latest === undefined) return undefined;
    const { receipt } = latest;
    const onChain = await this.modules.reader.readContract({
      address: this.opts.settlement,
      abi: settlementAbi,
      functionName: "getLane",
      args: [receipt.payer, receipt.node, receipt.versionId, receipt.lane],
    });
    if (onChain.collected >= receipt.cumulative || onChain.lastSeq > receipt.seq) {
      // [DESIGN §6, THREATS #3] the chain already holds this receipt's money: mark, never pay twice.
      await this.modules.store.markRedeemed(lane, onChain.lastSeq, onChain.collected);
      this.modules.metrics?.lanesAlreadyRedeemed?.inc();
      this.modules.logger?.info("lane already redeemed on-chain, marked", {
        laneId: lane.laneId,
        lastSeq: onChain.lastSeq,
        collected: onChain.collected,
      });
      result.alreadyRedeemed.push(lane.laneId);
      return undefined;
    }
    if (onChain.collected > lane.collected)
      await this.modules.store.markRedeemed(lane, onChain.lastSeq, onChain.collected);
    const account = await this.modules.reader.readContract({
      address: this.opts.paymentEscrow,
      abi: paymentEscrowAbi,
      functionName: "accountOf",
      args: [receipt.payer, receipt.node],
    });
    if (account.balance === 0n) {
      this.modules.logger?.debug("escrow empty, lane waits for a deposit", { laneId: lane.laneId });
      result.skipped.push(lane.laneId);
      return undefined;
    }
    return { lane, receipt, signature: latest.receiptSig, collectedBefore: onChain.collected };
  }

  /** Sends one `redeem` or `redeemMany` and marks every lane its `Redeemed` events name. */
  private async send(batch: readonly Candidate[]): Promise<LaneRedeemed[]> {
    const single = batch.length === 1;
    const label = single ? "redeem" : "redeemMany";
    const { hash, receipt } = await this.modules.txSender.send(
      single
        ? {
            label,
            address: this.opts.settlement,
            abi: settlementAbi,
            functionName: "redeem",
            args: [(batch[0] as Candidate).receipt, (batch[0] as Candidate).signature],
          }
        : {
            label,
            address: this.opts.settlement,
            abi: settlementAbi,
            functionName: "redeemMany",
            args: [batch.map((c) => c.receipt), batch.map((c) => c.signature)],
          },
    );
    if (receipt.status !== "success") throw new SettleError({ code: SettleErrorCode.TX_REVERTED, label, hash });
    const events = parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: "Redeemed" });
    const byLane = new Map(batch.map((c) => [c.lane.laneId.toLowerCase(), c] as const));
    const redeemed: LaneRedeemed[] = [];
    for (const { args } of events) {
      const laneId = getLaneId(args.payer, args.node, args.versionId, args.lane).toLowerCase() as Hex;
      const candidate = byLane.get(laneId);
      if (candidate === undefined) continue;
      const collectedTotal = candidate.collectedBefore + args.collected;
      await this.modules.store.markRedeemed(candidate.lane, args.toSeq, collectedTotal);
      this.failedAt.delete(candidate.lane.laneId);
      this.modules.metrics?.lanesRedeemed?.inc();
      redeemed.push({
        laneId: candidate.lane.laneId,
        toSeq: args.toSeq,
        collected: args.collected,
        collectedTotal,
        hash,
      });
    }
    if (redeemed.length !== batch.length) {
      throw new SettleError({ code: SettleErrorCode.EVENT_MISSING, label, hash, event: "Redeemed" });
    }
    this.modules.logger?.info("lanes redeemed", { hash, lanes: redeemed.length });
    return redeemed;
  }

  private fail(candidate: Candidate, result: RedeemTickResult, err: unknown): void {
    const laneId = candidate.lane.laneId;
    if (this.failedAt.size >= MAX_FAILED_LANES && !this.failedAt.has(laneId)) {
      const oldest = this.failedAt.keys().next().value;
      if (oldest !== undefined) this.failedAt.delete(oldest);
    }
    this.failedAt.set(laneId, this.now());
    this.modules.metrics?.redeemFailures?.inc();
    this.modules.logger?.warn("lane redemption failed", { laneId, seq: candidate.receipt.seq }, err);
    result.failed.push(laneId);
  }

  private isWaiting(laneId: Hex): boolean {
    const at = this.failedAt.get(laneId);
    return at !== undefined && this.now() - at < (this.opts.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
  }

  private now(): number {
    return (this.modules.clock ?? Date.now)();
  }
}
