import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { Hex } from "viem";
import { hashDatasetIds } from "../protocol/index.js";
import { getConfigHash, getEvalSplit, type TrainConfig } from "./config.js";
import { encodeCorpus, type TrainingCorpus } from "./corpus.js";
import { TrainerError, TrainerErrorCode } from "./errors.js";

/** The job file's name in a job folder. */
export const JOB_FILE = "job.json";
/** The corpus file's name in a job folder. */
export const CORPUS_FILE = "corpus.jsonl";
/** The eval file's name in a job folder (a copy of the held-out split). */
export const EVAL_FILE = "eval.jsonl";
/** The run folder (the trainer's `out`) in a job folder. */
export const RUN_DIR = "run";

/** Inputs of {@link buildTrainingJob}. */
export interface BuildTrainingJobParameters {
  /** A full config ({@link createTrainConfig}); the one whose hash was committed. */
  readonly config: TrainConfig;
  readonly corpus: TrainingCorpus;
  /** The hash `sealCommitment` stored. */
  readonly commitBlockhash: Hex;
  /** The base model folder, absolute (models are shared between jobs, so never copied). */
  readonly modelDir: string;
  /** The held-out split's bytes; required when `config.evalSplit` names one, refused when it does not. */
  readonly evalFile?: Uint8Array;
}

/** A training job, ready to be written: the job file's content and the files beside it. */
export interface TrainingJob {
  readonly config: TrainConfig;
  /** `configHash` of `config`, computed here (the node is the reference). */
  readonly configHash: Hex;
  /** The training datasets, strictly ascending (what the commitment names). */
  readonly datasetIds: readonly bigint[];
  readonly commitBlockhash: Hex;
  readonly modelDir: string;
  readonly corpus: TrainingCorpus;
  /** The corpus file's bytes. */
  readonly corpusFile: Uint8Array;
  readonly evalFile?: Uint8Array;
}

/** Where a written job lives. */
export interface WrittenJob {
  readonly dir: string;
  readonly jobPath: string;
  /** The trainer's `out`: checkpoints, chain, adapter, result. */
  readonly runDir: string;
}

/**
 * A training job from a committed config, a corpus and the seal's block hash (docs/trainer.md "The job file"). Pure.
 *
 * @throws {TrainerError} `EVAL_SPLIT_MISMATCH` when the eval file does not hash to `config.evalSplit`, when the
 * config names a split and no file is given, or when a file is given and the config pins none (its score would be
 * bound to nothing in the commitment, yet submitted on-chain); `CONFIG_INVALID` for a relative model path
 */
export function buildTrainingJob(p: BuildTrainingJobParameters): TrainingJob {
  const { config, corpus, commitBlockhash, modelDir, evalFile } = p;
  if (!isAbsolute(modelDir)) {
    throw new TrainerError({
      code: TrainerErrorCode.CONFIG_INVALID,
      field: "model",
      reason: "must be an absolute path",
    });
  }
  if (evalFile !== undefined || config.evalSplit !== "") {
    const found = evalFile === undefined ? "no eval file" : getEvalSplit(evalFile);
    if (found !== config.evalSplit) {
      throw new TrainerError({ code: TrainerErrorCode.EVAL_SPLIT_MISMATCH, expected: config.evalSplit, found });
    }
  }
  const datasetIds = corpus.datasets.map((d) => d.datasetId);
  hashDatasetIds(datasetIds); // DESIGN §7: non-empty, strictly ascending, ≥ 1 (throws TrainingProofError)
  return {
    config,
    configHash: getConfigHash(config),
    datasetIds,
    commitBlockhash,
    modelDir,
    corpus,
    corpusFile: encodeCorpus(corpus.lines),
    ...(evalFile === undefined ? {} : { evalFile }),
  };
}

/**
 * The job file's text: every config field, `configHash`, and paths relative to the job file (the model's absolute),
 * so a job folder can move as a whole (the artifact store renames it when the version id is known).
 */
export function encodeJobFile(job: TrainingJob): string {
  const file = {
    config: job.config,
    configHash: job.configHash,
    model: job.modelDir,
    corpus: CORPUS_FILE,
    datasets: job.corpus.datasets.map((d) => ({
      datasetId: toJsonInteger(d.datasetId),
      root: d.root,
      excludedSampleHashes: d.excludedSampleHashes,
    })),
    commitBlockhash: job.commitBlockhash,
    ...(job.evalFile === undefined ? {} : { eval: EVAL_FILE }),
    out: RUN_DIR,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Writes a job folder: `job.json`, `corpus.jsonl`, `eval.jsonl` (when the job has a split) and the empty `run/`.
 *
 * @throws {TrainerError} `ARTIFACTS_EXIST` when `dir` exists (a job folder is written once, never over another)
 */
export async function writeTrainingJob(dir: string, job: TrainingJob): Promise<WrittenJob> {
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new TrainerError({ code: TrainerErrorCode.ARTIFACTS_EXIST, path: dir }, { cause: err });
    }
    throw err;
  }
  const jobPath = join(dir, JOB_FILE);
  const runDir = join(dir, RUN_DIR);
  await writeFile(join(dir, CORPUS_FILE), job.corpusFile);
  if (job.evalFile !== undefined) await writeFile(join(dir, EVAL_FILE), job.evalFile);
  await mkdir(runDir);
  // The job file last: its presence means the folder is complete.
  await writeFile(jobPath, encodeJobFile(job));
  return { dir, jobPath, runDir };
}

/** Dataset ids are counters from 1: far below 2^53, but a JSON number past it would silently round. */
function toJsonInteger(id: bigint): number {
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TrainerError({ code: TrainerErrorCode.INVALID_DATASETS, reason: `dataset id ${id} exceeds 2^53 - 1` });
  }
  return Number(id);
}
