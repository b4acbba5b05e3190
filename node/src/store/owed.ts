import type { Address } from "viem";
import type { BatchOp } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import { getUnredeemedValue } from "./laneState.js";
import type { OwedKey, OwedRepository } from "./repositories/owed.js";
import type { LaneState } from "./types.js";

/** A lane write: the lane before it (undefined for a lane not stored yet) and after. */
export type LaneChange = { before: LaneState | undefined; after: LaneState };

/**
 * The lock key of the owed total of (payer, node). Every lane write takes it besides its lanes' keys, so two writes
 * to different lanes of one (payer, node) cannot both read the same total and lose one change.
 */
export function getOwedLockKey(payer: Address, node: Address): string {
  return `owed:${payer.toLowerCase()}:${node.toLowerCase()}`;
}

/**
 * The batch writes that move the owed totals by `changes`: for each (payer, node) touched, the stored total plus the
 * sum over its changed lanes of (owed after − owed before). Callers hold the totals' lock keys and put these ops in
 * the same batch as the lane writes. A total that would go below zero means the bucket disagrees with the lanes:
 * CORRUPT_VALUE naming its key, and nothing is written.
 */
export async function getOwedOps(repo: OwedRepository, changes: Iterable<LaneChange>): Promise<BatchOp[]> {
  const deltas = new Map<string, { key: OwedKey; delta: bigint }>();
  for (const { before, after } of changes) {
    const delta = getUnredeemedValue(after) - (before === undefined ? 0n : getUnredeemedValue(before));
    if (delta === 0n) continue;
    const id = getOwedLockKey(after.payer, after.node);
    const row = deltas.get(id);
    if (row === undefined) deltas.set(id, { key: { payer: after.payer, node: after.node }, delta });
    else row.delta += delta;
  }
  const rows = [...deltas.values()].filter((row) => row.delta !== 0n);
  const stored = await repo.getMany(rows.map((row) => row.key));
  return rows.map((row, index) => {
    const total = (stored[index] ?? 0n) + row.delta;
    if (total < 0n) {
      throw new StoreError({ code: StoreErrorCode.CORRUPT_VALUE, bucket: "owed", key: repo.getDbKeyHex(row.key) });
    }
    return repo.setOp(row.key, total);
  });
}
