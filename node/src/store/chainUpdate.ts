import type { BatchOp } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import type { LaneRedemption } from "./laneWriter.js";
import type { AdapterRepository } from "./repositories/adapter.js";
import type { ChainCursorRepository } from "./repositories/chainCursor.js";
import type { ChallengeBySubjectRepository, ChallengeRepository } from "./repositories/challenge.js";
import type { EpochPoolRepository } from "./repositories/epochPool.js";
import type { EpochRedemptionRepository, RedemptionKey } from "./repositories/epochRedemption.js";
import type { AdapterVersion, ChainCursor, Challenge, EpochPool, EpochRedemption } from "./types.js";

/** Most items one chain update writes, so its batch stays a few MiB at most. */
export const MAX_CHAIN_UPDATE_ITEMS = 10_000;

/** The cursor name used when none is given. */
export const DEFAULT_CURSOR_NAME = "events";

/** What the event indexer found in a range of blocks, written with its cursor as one atomic batch. */
export type ChainUpdate = {
  /** The last block the update covers. */
  cursor: ChainCursor;
  /** Which indexer's cursor (default {@link DEFAULT_CURSOR_NAME}). */
  cursorName?: string;
  adapters?: readonly AdapterVersion[];
  pools?: readonly EpochPool[];
  redemptions?: readonly EpochRedemption[];
  challenges?: readonly Challenge[];
  /**
   * Lanes redeemed, under the lanes' locks: merged into lane states (only rising), or, with `set`, replacing the
   * lane's redeemed seq and collected amount (a lane re-read after a reorg may go down).
   */
  lanes?: readonly LaneRedemption[];
  /**
   * Redemption rows to delete (orphaned by a reorg). Deletes come before every put of the update in its batch, so a
   * row both deleted and put is kept; a key not stored is a no-op.
   */
  deleteRedemptions?: readonly RedemptionKey[];
  /** Challenges to delete, with their subject index entry (gone from the chain after a reorg); absent ones are no-ops. */
  deleteChallenges?: readonly bigint[];
};

/** The repositories a chain update writes, besides lanes. */
export type ChainRepositories = {
  adapters: AdapterRepository;
  epochPools: EpochPoolRepository;
  epochRedemptions: EpochRedemptionRepository;
  challenges: ChallengeRepository;
  challengesBySubject: ChallengeBySubjectRepository;
  chainCursors: ChainCursorRepository;
};

/** Refuses an update of more than {@link MAX_CHAIN_UPDATE_ITEMS} items with INVALID_ARGUMENT. */
export function checkChainUpdateSize(update: ChainUpdate): void {
  const items =
    (update.adapters?.length ?? 0) +
    (update.pools?.length ?? 0) +
    (update.redemptions?.length ?? 0) +
    (update.challenges?.length ?? 0) +
    (update.lanes?.length ?? 0) +
    (update.deleteRedemptions?.length ?? 0) +
    (update.deleteChallenges?.length ?? 0);
  if (items > MAX_CHAIN_UPDATE_ITEMS) {
    throw new StoreError({
      code: StoreErrorCode.INVALID_ARGUMENT,
      name: "update",
      reason: `to hold at most ${MAX_CHAIN_UPDATE_ITEMS} items, found ${items}`,
    });
  }
}

/**
 * The deletes of an update, which go first in its batch: each orphaned redemption row, and each stored challenge of
 * `deleteChallenges` (`stored`, read by the caller, in the same order; undefined where absent) with its subject index
 * entry.
 */
export function getChainUpdateDeleteOps(
  update: ChainUpdate,
  repos: ChainRepositories,
  stored: readonly (Challenge | undefined)[],
): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const key of update.deleteRedemptions ?? []) ops.push(repos.epochRedemptions.delOp(key));
  for (const challenge of stored) {
    if (challenge === undefined) continue;
    ops.push(repos.challenges.delOp(challenge.challengeId));
    ops.push(repos.challengesBySubject.delOp(challenge));
  }
  return ops;
}

/**
 * The batch writes of an update but its lanes and deletes: each record overwrites its key (so an update applied twice leaves the
 * same state), each challenge also gets its subject index entry, and the cursor comes last.
 */
export function getChainUpdateOps(update: ChainUpdate, repos: ChainRepositories): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const version of update.adapters ?? []) ops.push(repos.adapters.putOp(version.versionId, version));
  for (const pool of update.pools ?? []) ops.push(repos.epochPools.putOp(pool, pool));
  for (const redemption of update.redemptions ?? []) ops.push(repos.epochRedemptions.putOp(redemption, redemption));
  for (const challenge of update.challenges ?? []) {
    ops.push(repos.challenges.putOp(challenge.challengeId, challenge));
    ops.push(repos.challengesBySubject.putOp(challenge, true));
  }
  ops.push(repos.chainCursors.putOp(update.cursorName ?? DEFAULT_CURSOR_NAME, update.cursor));
  return ops;
}
