import type { BatchOp, Database } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import { getUnredeemedValue } from "./laneState.js";
import { getOwedLockKey } from "./owed.js";
import { LaneRepository } from "./repositories/lane.js";
import { MetaRepository } from "./repositories/meta.js";
import { type OwedKey, OwedRepository } from "./repositories/owed.js";
import type { StoreLogger } from "./types.js";

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = 2;

/** Lanes one read of a migration scan holds. */
const MIGRATION_PAGE = 1_000;

/**
 * One step of the schema, from `version − 1` to `version`. `run` may write batches of its own (to move more data than
 * one batch should hold), but those must be idempotent, because only the batch it returns, written together with the
 * version bump, marks the step done: a crash anywhere before it re-runs the step from the start on the next open.
 * A step deletes keys in its batches, never with `clear()` (THREATS #50).
 */
export type Migration = {
  /** The version the database is at after this step. */
  version: number;
  /** What the step changes, for the log. */
  description: string;
  /** Does the step's work; returns the writes to commit atomically with the version bump. */
  run(db: Database, logger?: StoreLogger): Promise<BatchOp[]>;
};

/**
 * Schema 2: the `owed` bucket, built from every stored lane (Σ `cumulative − collected` per (payer, node)). Rows of
 * the bucket already there (none, on a schema 1 database) are deleted first, so the step gives the same totals however
 * often it runs. Its only batch is the one it returns: one row per (payer, node) owing, with the version bump. The
 * `receipts` bucket needs no rewrite: schema 2's decoder reads schema 1's values (without digest and signer).
 */
export const buildOwedTotals: Migration = {
  version: 2,
  description: "owed bucket: what each (payer, node) owes over its stored lanes",
  async run(db: Database, logger?: StoreLogger): Promise<BatchOp[]> {
    const lanes = new LaneRepository(db);
    const owed = new OwedRepository(db);
    const ops: BatchOp[] = [];
    for (let page = await owed.list(MIGRATION_PAGE); page.length > 0; ) {
      for (const row of page) ops.push(owed.delOp(row.key));
      const last = page[page.length - 1];
      page = page.length < MIGRATION_PAGE || last === undefined ? [] : await owed.list(MIGRATION_PAGE, last.key);
    }
    const totals = new Map<string, { key: OwedKey; total: bigint }>();
    let scanned = 0;
    for (let page = await lanes.list(MIGRATION_PAGE); page.length > 0; ) {
      for (const lane of page) {
        const id = getOwedLockKey(lane.payer, lane.node);
        const row = totals.get(id) ?? { key: { payer: lane.payer, node: lane.node }, total: 0n };
        row.total += getUnredeemedValue(lane);
        totals.set(id, row);
      }
      scanned += page.length;
      const last = page[page.length - 1];
      page = page.length < MIGRATION_PAGE || last === undefined ? [] : await lanes.list(MIGRATION_PAGE, last.laneId);
    }
    // Deletes first: a (payer, node) both deleted and put keeps its new total.
    for (const { key, total } of totals.values()) if (total > 0n) ops.push(owed.putOp(key, total));
    logger?.info("Built owed totals", { lanes: scanned, pairs: totals.size });
    return ops;
  },
};

/**
 * The steps of the schema, in order. Version 1 is where the schema starts: a new database is written at the current
 * version directly. A step is appended here (never edited once released) when a bucket or its encoding changes.
 */
export const MIGRATIONS: readonly Migration[] = [buildOwedTotals];

/** What {@link migrate} did. */
export type MigrateResult = { from: number; to: number; steps: number };

/**
 * Brings the database to `target`: a database without a schema version is at version 0 when it holds data (written
 * before versions were stored) and is stamped `target` when empty; one at an older version runs each step of
 * `migrations` in order; one newer than `target` is refused with SCHEMA_TOO_NEW naming both versions.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  target: number = SCHEMA_VERSION,
  logger?: StoreLogger,
): Promise<MigrateResult> {
  const meta = new MetaRepository(db);
  const stored = await meta.getSchemaVersion();
  if (stored === undefined && (await db.isEmpty())) {
    await db.write([meta.schemaVersionOp(target)]);
    return { from: target, to: target, steps: 0 };
  }
  const from = stored ?? 0;
  if (from > target) {
    throw new StoreError({ code: StoreErrorCode.SCHEMA_TOO_NEW, found: from, supported: target });
  }
  let version = from;
  let steps = 0;
  while (version < target) {
    const step = migrations.find((migration) => migration.version === version + 1);
    if (step === undefined) throw new StoreError({ code: StoreErrorCode.MIGRATION_MISSING, from: version, to: target });
    logger?.info("Migrating store schema", { from: version, to: step.version, description: step.description });
    const ops = await step.run(db, logger);
    await db.write([...ops, meta.schemaVersionOp(step.version)]);
    version = step.version;
    steps++;
  }
  return { from, to: version, steps };
}
