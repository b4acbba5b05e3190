import type { BatchOp, Database } from "./database.js";
import { StoreError, StoreErrorCode } from "./errors.js";
import { MetaRepository } from "./repositories/meta.js";
import type { StoreLogger } from "./types.js";

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = 1;

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
 * The steps of the schema, in order. Version 1 is where the schema starts: a new database is written at it directly,
 * so there is no step yet. A step is appended here (never edited once released) when a bucket's encoding changes.
 */
export const MIGRATIONS: readonly Migration[] = [];

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
