import type { Hex } from "viem";
import { ArtifactStore, type StoredCheckpoint } from "./artifacts.js";
import { PythonErrorCode, TrainerError, TrainerErrorCode } from "./errors.js";
import { type TrainingJob, type WrittenJob, writeTrainingJob } from "./job.js";
import { silentLogger, type TrainerLogger } from "./logger.js";
import type { CheckpointEvent, TrainerEvent, TrainResult, VerifyResult } from "./messages.js";
import type { TrainerMetrics } from "./metrics.js";
import { TrainerProcess, type TrainerProcessOptions } from "./process.js";
import { TrainingJobQueue } from "./queue.js";

/** Options of {@link TrainerService}. */
export interface TrainerServiceOptions extends TrainerProcessOptions {
  /** The artifact store's root folder. */
  readonly artifactsDir: string;
  /** Training jobs that may wait while one runs (default 4); more are refused with `QUEUE_FULL`. */
  readonly maxQueuedJobs?: number;
}

/** What {@link TrainerService} writes to. */
export interface TrainerServiceModules {
  readonly logger?: TrainerLogger;
  readonly metrics?: TrainerMetrics;
}

/** Per-run options of {@link TrainerService.train}. */
export interface TrainOptions {
  readonly signal?: AbortSignal;
  /** Every trainer event as it arrives: feed a `TrainingProgress` here. */
  readonly onEvent?: (event: TrainerEvent) => void;
}

/** A finished training run: the result, the checkpoint messages that prove it, and its folder. */
export interface TrainedRun {
  readonly result: TrainResult;
  /** k = 0 … n, as the trainer sent them. */
  readonly checkpoints: readonly CheckpointEvent[];
  readonly job: WrittenJob;
}

/** The outcome of {@link TrainerService.verifySegment}. */
export type SegmentVerification = VerifyResult;

interface QueuedTraining {
  readonly commitmentId: bigint;
  readonly job: TrainingJob;
  readonly onEvent: ((event: TrainerEvent) => void) | undefined;
}

/**
 * The node's trainer: training jobs through a bounded queue, one at a time, into the artifact store; segment
 * verification of stored versions; checkpoints for the req–resp handler. Built as `new TrainerService(opts, modules)`,
 * closed with {@link close}.
 */
export class TrainerService {
  /** Where runs and versions are stored. */
  readonly store: ArtifactStore;
  private readonly process: TrainerProcess;
  private readonly queue: TrainingJobQueue<QueuedTraining, TrainedRun>;
  private readonly logger: TrainerLogger;

  constructor(opts: TrainerServiceOptions, modules: TrainerServiceModules = {}) {
    this.logger = modules.logger ?? silentLogger;
    this.store = new ArtifactStore({ dir: opts.artifactsDir });
    this.process = new TrainerProcess(opts, modules);
    this.queue = new TrainingJobQueue<QueuedTraining, TrainedRun>(
      { maxQueued: opts.maxQueuedJobs ?? 4 },
      { run: (queued, signal) => this.runTraining(queued, signal), logger: this.logger, ...optional(modules.metrics) },
    );
  }

  /**
   * Queues a training job for a sealed commitment. The job folder is written when the job starts, into the store's
   * folder for the commitment.
   *
   * @throws {TrainerError} synchronously `QUEUE_FULL` or `QUEUE_CLOSED`; later whatever the run fails with
   */
  train(commitmentId: bigint, job: TrainingJob, options: TrainOptions = {}): Promise<TrainedRun> {
    return this.queue.push(
      { commitmentId, job, onEvent: options.onEvent },
      options.signal === undefined ? {} : { signal: options.signal },
    );
  }

  /**
   * Re-runs segment k of a stored version with the trainer's `verify` against its stored checkpoints and the
   * registered checkpoint root (`options.root`, read from the chain by the caller; else the one stored with the version), and says match or mismatch with the failed checks. A chain that does not link (the
   * trainer's `CHECKPOINT_INVALID`) is a mismatch too: it is a failed proof, not a failure of the verifier.
   *
   * @throws {TrainerError} `ARTIFACTS_NOT_FOUND` when this node holds no such version, `SEGMENT_OUT_OF_RANGE` for k
   * outside 1 … n, and the trainer's other failures
   */
  async verifySegment(
    versionId: bigint,
    k: number,
    options: { readonly signal?: AbortSignal; readonly root?: Hex } = {},
  ): Promise<SegmentVerification> {
    const record = await this.store.readVersion(versionId);
    if (record === null)
      throw new TrainerError({ code: TrainerErrorCode.ARTIFACTS_NOT_FOUND, what: "version", id: versionId });
    const checkpointCount = record.proof.checkpointCount;
    if (!Number.isSafeInteger(k) || k < 1 || k > checkpointCount) {
      throw new TrainerError({ code: TrainerErrorCode.SEGMENT_OUT_OF_RANGE, versionId, segment: k, checkpointCount });
    }
    const { jobPath, runDir } = this.store.versionPaths(versionId);
    try {
      const root = options.root ?? record.proof.checkpointRoot;
      return await this.process.verify(
        { jobPath, runDir, segment: k, root },
        options.signal === undefined ? {} : { signal: options.signal },
      );
    } catch (err) {
      if (
        err instanceof TrainerError &&
        err.type.code === TrainerErrorCode.PYTHON &&
        err.type.pythonCode === PythonErrorCode.CHECKPOINT_INVALID
      ) {
        this.logger.info("segment does not verify: the chain is broken", { versionId, k, reason: err.type.reason });
        return {
          match: false,
          segment: k,
          mismatches: ["chain"],
          checks: [{ check: "chain", ok: false, expected: "a chain whose steps link", found: err.type.reason }],
        };
      }
      throw err;
    }
  }

  /** Checkpoint k of a stored version, or `null` (see {@link ArtifactStore.getCheckpoint}). */
  getCheckpoint(versionId: bigint, k: number): Promise<StoredCheckpoint | null> {
    return this.store.getCheckpoint(versionId, k);
  }

  /** Refuses new jobs, drops the waiting ones and stops the running one. */
  async close(): Promise<void> {
    await this.queue.close();
  }

  private async runTraining({ commitmentId, job, onEvent }: QueuedTraining, signal: AbortSignal): Promise<TrainedRun> {
    const written = await writeTrainingJob(this.store.commitmentDir(commitmentId), job);
    const checkpoints: CheckpointEvent[] = [];
    this.logger.info("training started", { commitmentId, steps: job.config.steps, samples: job.corpus.lines.length });
    const result = await this.process.train(written.jobPath, {
      signal,
      onEvent: (event) => {
        if (event.type === "checkpoint") checkpoints.push(event);
        onEvent?.(event);
      },
    });
    this.logger.info("training finished", { commitmentId, checkpointRoot: result.checkpointRoot });
    return { result, checkpoints, job: written };
  }
}

function optional(metrics: TrainerMetrics | undefined): { metrics?: TrainerMetrics } {
  return metrics === undefined ? {} : { metrics };
}
