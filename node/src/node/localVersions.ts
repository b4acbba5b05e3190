import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { Hex } from "viem";
import type { ContributorShare } from "../protocol/index.js";
import { CORPUS_FILE, JOB_FILE, parseTrainResult, RUN_DIR } from "../trainer/index.js";

/** A trained version this node holds, as `olnode train` (or an install copy) left it under `<store.dir>/trainer`. */
export type LocalVersion = {
  readonly versionId: bigint;
  /** `<trainer dir>/versions/<versionId>`. */
  readonly dir: string;
  /** The base model folder the job named. */
  readonly modelDir: string;
  /** The adapter in PEFT's format (`run/adapter`). */
  readonly adapterDir: string;
  /** The training shares (DESIGN §7), ascending by dataset id. */
  readonly shares: readonly ContributorShare[];
  /** The attribution minimum span the training config committed to (DESIGN §8). */
  readonly minSpan: number;
  /** The corpus file (`corpus.jsonl`): the attribution index is built from it. */
  readonly corpusPath: string;
};

/** A corpus line as the attribution index takes it. */
export type LocalCorpusSample = { datasetId: bigint; sampleHash: Hex; text: string };

/** A version folder that cannot be served; the message names the folder and the file. */
export class LocalVersionError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: string,
  ) {
    super(`version folder ${dir}: ${problem}`);
    this.name = "LocalVersionError";
  }
}

const ADAPTER_DIR = "adapter";
const RESULT_FILE = "result.json";
/** DESIGN §8's default, for a job whose config predates the key. */
const DEFAULT_MIN_SPAN = 8;

/**
 * The versions under `<trainerDir>/versions/`, ascending by id. A folder without a finished run (no `run/result.json`
 * or adapter) is skipped: it is a run in progress or an aborted one, nothing to serve. A folder whose files are there
 * but broken is an error naming it, so a node never serves a version it cannot account for.
 */
export async function listLocalVersions(trainerDir: string): Promise<LocalVersion[]> {
  const root = join(trainerDir, "versions");
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const versions: LocalVersion[] = [];
  for (const name of names) {
    if (!/^[1-9][0-9]*$/.test(name)) continue;
    const dir = join(root, name);
    const adapterDir = join(dir, RUN_DIR, ADAPTER_DIR);
    const resultPath = join(dir, RUN_DIR, RESULT_FILE);
    if (!(await exists(resultPath)) || !(await exists(adapterDir))) continue;
    const job = await readJson(join(dir, JOB_FILE), dir);
    const result = parseTrainResult(await readJson(resultPath, dir));
    const model = job.model;
    if (typeof model !== "string" || model === "") throw new LocalVersionError(dir, `${JOB_FILE} names no model`);
    const config = job.config as Record<string, unknown> | undefined;
    const minSpan = typeof config?.minSpan === "number" ? config.minSpan : DEFAULT_MIN_SPAN;
    versions.push({
      versionId: BigInt(name),
      dir,
      modelDir: isAbsolute(model) ? model : resolve(dir, model),
      adapterDir,
      shares: result.shares.map((s) => ({ datasetId: s.datasetId, weightPpm: s.weightPpm })),
      minSpan,
      corpusPath: join(dir, CORPUS_FILE),
    });
  }
  return versions.sort((a, b) => (a.versionId < b.versionId ? -1 : 1));
}

/** The samples of a version's corpus file, in index order. */
export async function readCorpusSamples(version: LocalVersion): Promise<LocalCorpusSample[]> {
  const text = await readFile(version.corpusPath, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line, i) => {
      const row = JSON.parse(line) as { datasetId?: unknown; sampleHash?: unknown; text?: unknown };
      if (typeof row.datasetId !== "number" || typeof row.sampleHash !== "string" || typeof row.text !== "string") {
        throw new LocalVersionError(version.dir, `${CORPUS_FILE} line ${i + 1}: expected datasetId, sampleHash, text`);
      }
      return { datasetId: BigInt(row.datasetId), sampleHash: row.sampleHash as Hex, text: row.text };
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string, dir: string): Promise<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new LocalVersionError(dir, `cannot read ${path} (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new LocalVersionError(dir, `${path} is not a JSON object`);
  }
  return json as Record<string, unknown>;
}
