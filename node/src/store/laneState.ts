import { type Address, isAddressEqual } from "viem";
import { getLaneId, type Receipt } from "../protocol/index.js";
import type { LaneKey, LaneState } from "./types.js";

/** When a lane is worth redeeming: either threshold passed is enough. */
export type RedeemThresholds = {
  /** Only lanes this node serves (only `receipt.node` redeems). */
  node: Address;
  /** Redeem once the value not yet collected reaches this (wei). */
  minValue: bigint;
  /** Redeem once the oldest value not yet collected is this old (ms). */
  maxAgeMs: number;
};

/** The larger of two bigints (`Math.max` takes numbers only). */
export function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** A lane nothing has happened in yet. */
export function newLaneState(key: LaneKey): LaneState {
  return {
    laneId: getLaneId(key.payer, key.node, key.versionId, key.lane),
    payer: key.payer,
    node: key.node,
    versionId: key.versionId,
    lane: key.lane,
    lastSeq: 0n,
    cumulative: 0n,
    collected: 0n,
    lastRedeemedSeq: 0n,
    updatedAt: 0,
    unredeemedSince: 0,
  };
}

/** What the lane holds that the Settlement has not collected yet. */
export function getUnredeemedValue(lane: LaneState): bigint {
  return lane.cumulative > lane.collected ? lane.cumulative - lane.collected : 0n;
}

/**
 * The lane after accepting `receipt`, its next (continuity is checked by the caller). The age clock starts when the
 * lane goes from fully collected to owing.
 */
export function getLaneAfterReceipt(lane: LaneState, receipt: Receipt, now: number): LaneState {
  const owedBefore = getUnredeemedValue(lane) > 0n;
  const next = { ...lane, lastSeq: receipt.seq, cumulative: receipt.cumulative, updatedAt: now };
  if (!owedBefore && getUnredeemedValue(next) > 0n) next.unredeemedSince = now;
  return next;
}

/**
 * The lane after the chain shows it redeemed up to `seq` with `collected` in total (the Settlement's `Lane`). Both only
 * rise, so applying an older redemption again (an indexer resuming behind) changes nothing; with `set` both are
 * replaced (a reorg orphaned a redemption: the lane goes back to what the new chain holds). When value is still owed,
 * its age runs from `firstOwedAt` (when the first receipt after the redeemed one arrived; `now` when unknown).
 */
export function getLaneAfterRedemption(
  lane: LaneState,
  seq: bigint,
  collected: bigint,
  now: number,
  firstOwedAt: number | undefined,
  set = false,
): LaneState {
  const next = {
    ...lane,
    lastRedeemedSeq: set ? seq : maxBigint(seq, lane.lastRedeemedSeq),
    collected: set ? collected : maxBigint(collected, lane.collected),
    updatedAt: now,
  };
  if (getUnredeemedValue(next) === 0n) next.unredeemedSince = 0;
  else if (next.lastRedeemedSeq !== lane.lastRedeemedSeq || lane.unredeemedSince === 0) {
    next.unredeemedSince = firstOwedAt ?? now;
  }
  return next;
}

/** Whether `lane` is the node's and owes at least `minValue`, or has owed something for at least `maxAgeMs`. */
export function isDueForRedemption(lane: LaneState, thresholds: RedeemThresholds, now: number): boolean {
  if (!isAddressEqual(lane.node, thresholds.node)) return false;
  const owed = getUnredeemedValue(lane);
  if (owed === 0n) return false;
  return owed >= thresholds.minValue || now - lane.unredeemedSince >= thresholds.maxAgeMs;
}
