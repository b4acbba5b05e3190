import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import { TrainerError, TrainerErrorCode } from "./errors.js";
import { JOB_FILE, RUN_DIR } from "./job.js";
import type { VersionProof } from "./proof.js";

/** The record of a submitted version, beside its artifacts. */
export interface VersionRecord {
  readonly versionId: bigint;
  readonly commitmentId: bigint;
  readonly proof: VersionProof;
  /** The `submitVersion` transaction. */
  readonly txHash: Hex;
}

/** A stored checkpoint, as `/olp/req/checkpoints/1` serves it. */
export interface StoredCheckpoint {
  readonly versionId: bigint;
  readonly k: number;
  /** `checkpoints/<k>/weights.safetensors`: its tensor hash is the chain's `weightsHash_k`. */
  readonly weights: Uint8Array;
  /** `checkpoints/<k>/state.safetensors`: its tensor hash is the chain's `stateHash_k`. */
  readonly state: Uint8Array;
}

/** The version record's file in a version folder. */
export const VERSION_FILE = "version.json";

/**
 * Where training artifacts live, one folder per run:
 *
 * ```
 * <dir>/commitments/<commitmentId>/   a job being trained: job.json, corpus.jsonl, eval.jsonl, run/
 * <dir>/versions/<versionId>/         the same folder once submitted, plus version.json
 *   run/checkpoints/<k>/{weights,state}.safetensors, run/chain.json, run/adapter/, run/result.json
 * ```
 *
 * A job folder holds only paths relative to itself (the model's excepted), so {@link promote} moves it whole.
 */
export class ArtifactStore {
  private readonly dir: string;

  /** @param opts `dir`: the root folder (created on first write) */
  constructor(opts: { readonly dir: string }) {
    this.dir = opts.dir;
  }

  /** The job folder of a commitment (before a version exists). */
  commitmentDir(commitmentId: bigint): string {
    return join(this.dir, "commitments", checkId(commitmentId));
  }

  /** The folder of a submitted version. */
  versionDir(versionId: bigint): string {
    return join(this.dir, "versions", checkId(versionId));
  }

  /** The job file and run folder of a submitted version. */
  versionPaths(versionId: bigint): { readonly jobPath: string; readonly runDir: string } {
    const dir = this.versionDir(versionId);
    return { jobPath: join(dir, JOB_FILE), runDir: join(dir, RUN_DIR) };
  }

  /**
   * Moves a trained commitment's folder to its version's and writes the version record into it.
   *
   * @throws {TrainerError} `ARTIFACTS_NOT_FOUND` when the commitment has no folder; `ARTIFACTS_EXIST` when the version
   * already has one
   */
  async promote(record: VersionRecord): Promise<string> {
    const from = this.commitmentDir(record.commitmentId);
    const to = this.versionDir(record.versionId);
    await mkdir(join(this.dir, "versions"), { recursive: true });
    try {
      await readFile(join(from, JOB_FILE));
    } catch (cause) {
      throw new TrainerError(
        { code: TrainerErrorCode.ARTIFACTS_NOT_FOUND, what: "commitment", id: record.commitmentId },
        { cause },
      );
    }
    // rename(2) would silently replace an empty target folder: refuse any existing one first.
    if (await exists(to)) throw new TrainerError({ code: TrainerErrorCode.ARTIFACTS_EXIST, path: to });
    await rename(from, to);
    await writeFile(join(to, VERSION_FILE), `${JSON.stringify(encodeRecord(record), null, 2)}\n`);
    return to;
  }

  /** The record of a stored version, or `null` when this node holds none. */
  async readVersion(versionId: bigint): Promise<VersionRecord | null> {
    let text: string;
    try {
      text = await readFile(join(this.versionDir(versionId), VERSION_FILE), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    return decodeRecord(JSON.parse(text));
  }

  /**
   * Checkpoint k of a stored version, for the `/olp/req/checkpoints/1` handler; `null` when this node does not hold it
   * (unknown version, k outside 0 … n, or a file missing). The requester checks the bytes against the gossiped chain.
   */
  async getCheckpoint(versionId: bigint, k: number): Promise<StoredCheckpoint | null> {
    if (versionId < 1n || !Number.isSafeInteger(k) || k < 0) return null;
    const record = await this.readVersion(versionId);
    if (record === null || k > record.proof.checkpointCount) return null;
    const folder = join(this.versionDir(versionId), RUN_DIR, "checkpoints", String(k));
    try {
      const [weights, state] = await Promise.all([
        readFile(join(folder, "weights.safetensors")),
        readFile(join(folder, "state.safetensors")),
      ]);
      return { versionId, k, weights, state };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }
}

function checkId(id: bigint): string {
  if (id < 1n) throw new RangeError(`ids count from 1, found ${id}`);
  return id.toString();
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** JSON carries bigints as decimal strings. */
function encodeRecord(r: VersionRecord): object {
  return {
    versionId: r.versionId.toString(),
    commitmentId: r.commitmentId.toString(),
    txHash: r.txHash,
    proof: r.proof,
  };
}

function decodeRecord(json: unknown): VersionRecord {
  const r = json as { versionId: string; commitmentId: string; txHash: Hex; proof: VersionProof };
  return { versionId: BigInt(r.versionId), commitmentId: BigInt(r.commitmentId), txHash: r.txHash, proof: r.proof };
}
