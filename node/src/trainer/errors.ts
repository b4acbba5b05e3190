import type { Hex } from "viem";

/**
 * The codes the Python trainer reports in its `error` message (`trainer/olp_trainer/errors.py`, append-only), plus
 * `INTERNAL` for a bug there. The enum value is the Python code itself, so the node matches on what Python sends.
 */
export enum PythonErrorCode {
  MALFORMED_JSONL = "MALFORMED_JSONL",
  ROOT_MISMATCH = "ROOT_MISMATCH",
  CORPUS_INVALID = "CORPUS_INVALID",
  MODEL_NOT_FOUND = "MODEL_NOT_FOUND",
  MODEL_UNSUPPORTED = "MODEL_UNSUPPORTED",
  CONFIG_INVALID = "CONFIG_INVALID",
  CONFIG_HASH_MISMATCH = "CONFIG_HASH_MISMATCH",
  JOB_INVALID = "JOB_INVALID",
  LIBRARY_MISMATCH = "LIBRARY_MISMATCH",
  SAFETENSORS_INVALID = "SAFETENSORS_INVALID",
  CHECKPOINT_INVALID = "CHECKPOINT_INVALID",
  EVAL_SPLIT_MISMATCH = "EVAL_SPLIT_MISMATCH",
  BAD_REQUEST = "BAD_REQUEST",
  /** A step's loss was NaN or infinite: the run stopped (context `step`, `loss`). */
  LOSS_NOT_FINITE = "LOSS_NOT_FINITE",
  /** `verify` was asked for a segment outside 1 … n of the chain (context `k`, `checkpoints`). */
  SEGMENT_OUT_OF_RANGE = "SEGMENT_OUT_OF_RANGE",
  INTERNAL = "INTERNAL",
}

/** Why the node side of the trainer failed (the Python side's failures keep their {@link PythonErrorCode}). */
export enum TrainerErrorCode {
  // The Python process and its JSON-lines protocol.
  /** The trainer reported an `error` message: `pythonCode` is its code, `context` its fields. */
  PYTHON = "TRAINER_ERROR_PYTHON",
  /** The Python executable could not be started. */
  SPAWN_FAILED = "TRAINER_ERROR_SPAWN_FAILED",
  /** The process exited with a non-zero status (or a signal) without an `error` message. */
  EXITED = "TRAINER_ERROR_EXITED",
  /** The process exited with status 0 without a `result` message. */
  NO_RESULT = "TRAINER_ERROR_NO_RESULT",
  /** The run was aborted through its `AbortSignal`; the process is gone. */
  ABORTED = "TRAINER_ERROR_ABORTED",
  /** A stdout line grew past the bound without an LF. */
  LINE_TOO_LONG = "TRAINER_ERROR_LINE_TOO_LONG",
  /** A stdout line is not a protocol message of docs/trainer.md. */
  MALFORMED_MESSAGE = "TRAINER_ERROR_MALFORMED_MESSAGE",
  /** A `result` lacks a field, or a field has the wrong type. */
  MALFORMED_RESULT = "TRAINER_ERROR_MALFORMED_RESULT",
  // The corpus (DESIGN §7 "Training corpus").
  /** A training dataset's file does not build its registered root. */
  DATASET_ROOT_MISMATCH = "TRAINER_ERROR_DATASET_ROOT_MISMATCH",
  /** One dataset id given twice. */
  DUPLICATE_DATASET = "TRAINER_ERROR_DUPLICATE_DATASET",
  /** Two datasets claim one place in the commit order. */
  DUPLICATE_COMMIT_ORDER = "TRAINER_ERROR_DUPLICATE_COMMIT_ORDER",
  /** No training dataset, or a dataset id below 1. */
  INVALID_DATASETS = "TRAINER_ERROR_INVALID_DATASETS",
  /** A ShareGPT sample has no `gpt`/`assistant` turn to learn (docs/trainer.md "The corpus file"). */
  SAMPLE_NOT_TRAINABLE = "TRAINER_ERROR_SAMPLE_NOT_TRAINABLE",
  /** Every sample of the training datasets is owned by another dataset: nothing to train on. */
  EMPTY_CORPUS = "TRAINER_ERROR_EMPTY_CORPUS",
  // The config and the job.
  /** A config key is unknown, missing or has a bad value. */
  CONFIG_INVALID = "TRAINER_ERROR_CONFIG_INVALID",
  /** The eval file does not hash to `config.evalSplit`, or a file is given with no split pinned. */
  EVAL_SPLIT_MISMATCH = "TRAINER_ERROR_EVAL_SPLIT_MISMATCH",
  // The proof of training.
  /** The checkpoint messages are not exactly k = 0 … n with n the result's checkpoint count. */
  CHECKPOINTS_INCOMPLETE = "TRAINER_ERROR_CHECKPOINTS_INCOMPLETE",
  /** A checkpoint's head does not follow from the one before it (DESIGN §7 chain). */
  CHECKPOINT_CHAIN_BROKEN = "TRAINER_ERROR_CHECKPOINT_CHAIN_BROKEN",
  /** The checkpoint root recomputed from the heads differs from the result's. */
  CHECKPOINT_ROOT_MISMATCH = "TRAINER_ERROR_CHECKPOINT_ROOT_MISMATCH",
  /** The run's seed differs from `AdapterRegistry.seedOf(commitmentId)`. */
  SEED_MISMATCH = "TRAINER_ERROR_SEED_MISMATCH",
  /** A result field differs from the on-chain commitment or from its own other fields. */
  RESULT_MISMATCH = "TRAINER_ERROR_RESULT_MISMATCH",
  // The chain.
  /** A transaction reverted, in simulation or on-chain. */
  TX_FAILED = "TRAINER_ERROR_TX_FAILED",
  /** A receipt lacks the event the call must emit. */
  EVENT_MISSING = "TRAINER_ERROR_EVENT_MISSING",
  /** The chain did not reach the block a step waits for in time. */
  BLOCK_TIMEOUT = "TRAINER_ERROR_BLOCK_TIMEOUT",
  // Artifacts.
  /** A model file or a safetensors file is missing or malformed. */
  MODEL_FILE_INVALID = "TRAINER_ERROR_MODEL_FILE_INVALID",
  /** No stored artifacts for this version (or this commitment). */
  ARTIFACTS_NOT_FOUND = "TRAINER_ERROR_ARTIFACTS_NOT_FOUND",
  /** The target of a store operation already exists. */
  ARTIFACTS_EXIST = "TRAINER_ERROR_ARTIFACTS_EXIST",
  /** A segment outside 1 … n. */
  SEGMENT_OUT_OF_RANGE = "TRAINER_ERROR_SEGMENT_OUT_OF_RANGE",
  // The job queue.
  /** The queue holds its maximum of waiting jobs: the new job is refused (never a queued one dropped). */
  QUEUE_FULL = "TRAINER_ERROR_QUEUE_FULL",
  /** The queue was closed: no new job, and waiting jobs are refused. */
  QUEUE_CLOSED = "TRAINER_ERROR_QUEUE_CLOSED",
}

/** The code of a {@link TrainerError} with its context. */
export type TrainerErrorType =
  | {
      code: TrainerErrorCode.PYTHON;
      /** The Python code; a code this node does not know yet stays as sent. */
      pythonCode: PythonErrorCode | string;
      /** Python's message. */
      reason: string;
      /** The error message's other fields (`line`, `path`, `datasetId`, `expected`, `found`, `field`, …). */
      context: Record<string, unknown>;
      exitCode: number | null;
      stderrTail: string[];
    }
  | { code: TrainerErrorCode.SPAWN_FAILED; python: string }
  | { code: TrainerErrorCode.EXITED; exitCode: number | null; signal: string | null; stderrTail: string[] }
  | { code: TrainerErrorCode.NO_RESULT; stderrTail: string[] }
  | { code: TrainerErrorCode.ABORTED }
  | { code: TrainerErrorCode.LINE_TOO_LONG; maxLineBytes: number }
  | { code: TrainerErrorCode.MALFORMED_MESSAGE; reason: string; line: string }
  | { code: TrainerErrorCode.MALFORMED_RESULT; field: string; reason: string }
  | { code: TrainerErrorCode.DATASET_ROOT_MISMATCH; datasetId: bigint; expected: Hex; found: Hex }
  | { code: TrainerErrorCode.DUPLICATE_DATASET; datasetId: bigint }
  | { code: TrainerErrorCode.DUPLICATE_COMMIT_ORDER; commitOrder: bigint; datasetIds: [bigint, bigint] }
  | { code: TrainerErrorCode.INVALID_DATASETS; reason: string }
  | { code: TrainerErrorCode.SAMPLE_NOT_TRAINABLE; datasetId: bigint; line: number }
  | { code: TrainerErrorCode.EMPTY_CORPUS; datasetIds: bigint[] }
  | { code: TrainerErrorCode.CONFIG_INVALID; field: string; reason: string }
  | { code: TrainerErrorCode.EVAL_SPLIT_MISMATCH; expected: string; found: string }
  | { code: TrainerErrorCode.CHECKPOINTS_INCOMPLETE; expected: number; found: number[] }
  | { code: TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN; k: number; expected: Hex; found: Hex }
  | { code: TrainerErrorCode.CHECKPOINT_ROOT_MISMATCH; expected: Hex; found: Hex }
  | { code: TrainerErrorCode.SEED_MISMATCH; expected: Hex; found: Hex }
  | { code: TrainerErrorCode.RESULT_MISMATCH; field: string; expected: string; found: string }
  | { code: TrainerErrorCode.TX_FAILED; functionName: string; reason: string; txHash?: Hex }
  | { code: TrainerErrorCode.EVENT_MISSING; eventName: string; txHash: Hex }
  | { code: TrainerErrorCode.BLOCK_TIMEOUT; waitingFor: bigint; head: bigint }
  | { code: TrainerErrorCode.MODEL_FILE_INVALID; path: string; reason: string }
  | { code: TrainerErrorCode.ARTIFACTS_NOT_FOUND; what: string; id: bigint }
  | { code: TrainerErrorCode.ARTIFACTS_EXIST; path: string }
  | { code: TrainerErrorCode.SEGMENT_OUT_OF_RANGE; versionId: bigint; segment: number; checkpointCount: number }
  | { code: TrainerErrorCode.QUEUE_FULL; maxQueued: number }
  | { code: TrainerErrorCode.QUEUE_CLOSED };

/**
 * A failure of the node's trainer bridge, in Lodestar's shape: the code travels with its context (`err.type`), so the
 * compiler checks both. A failure Python reported keeps Python's code and fields in `type.pythonCode` and
 * `type.context`.
 *
 * @example
 * throw new TrainerError({ code: TrainerErrorCode.QUEUE_FULL, maxQueued: 4 });
 */
export class TrainerError extends Error {
  /** The code and its context. */
  readonly type: TrainerErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one
   */
  constructor(type: TrainerErrorType, options?: ErrorOptions) {
    super(describeTrainerError(type), options);
    this.name = "TrainerError";
    this.type = type;
  }
}

/** The message of a {@link TrainerError}: what was expected and what was found. */
function describeTrainerError(type: TrainerErrorType): string {
  switch (type.code) {
    case TrainerErrorCode.PYTHON:
      return `trainer reported ${type.pythonCode}: ${type.reason}`;
    case TrainerErrorCode.SPAWN_FAILED:
      return `could not start the trainer with ${type.python}`;
    case TrainerErrorCode.EXITED:
      return `trainer exited with ${type.signal ?? `status ${type.exitCode}`} without an error message`;
    case TrainerErrorCode.NO_RESULT:
      return "trainer exited with status 0 without a result message";
    case TrainerErrorCode.ABORTED:
      return "trainer run aborted";
    case TrainerErrorCode.LINE_TOO_LONG:
      return `expected stdout lines of at most ${type.maxLineBytes} bytes, found a longer one`;
    case TrainerErrorCode.MALFORMED_MESSAGE:
      return `expected a protocol message, found ${JSON.stringify(type.line.slice(0, 200))}: ${type.reason}`;
    case TrainerErrorCode.MALFORMED_RESULT:
      return `result field ${type.field}: ${type.reason}`;
    case TrainerErrorCode.DATASET_ROOT_MISMATCH:
      return `dataset ${type.datasetId}: expected its samples to build the registered root ${type.expected}, found ${type.found}`;
    case TrainerErrorCode.DUPLICATE_DATASET:
      return `expected each dataset once, found dataset ${type.datasetId} twice`;
    case TrainerErrorCode.DUPLICATE_COMMIT_ORDER:
      return `expected one dataset per commit order, found ${type.datasetIds.join(" and ")} at ${type.commitOrder}`;
    case TrainerErrorCode.INVALID_DATASETS:
      return `invalid training datasets: ${type.reason}`;
    case TrainerErrorCode.SAMPLE_NOT_TRAINABLE:
      return `dataset ${type.datasetId} line ${type.line}: expected a ShareGPT turn from gpt or assistant, found none`;
    case TrainerErrorCode.EMPTY_CORPUS:
      return `datasets ${type.datasetIds.join(", ")} own no sample: every one belongs to an earlier dataset`;
    case TrainerErrorCode.CONFIG_INVALID:
      return `config.${type.field}: ${type.reason}`;
    case TrainerErrorCode.EVAL_SPLIT_MISMATCH:
      return `expected an eval file hashing to config.evalSplit ${JSON.stringify(type.expected)}, found ${type.found}`;
    case TrainerErrorCode.CHECKPOINTS_INCOMPLETE:
      return `expected checkpoints 0…${type.expected}, found [${type.found.join(", ")}]`;
    case TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN:
      return `checkpoint ${type.k}: expected head ${type.expected}, found ${type.found}`;
    case TrainerErrorCode.CHECKPOINT_ROOT_MISMATCH:
      return `expected checkpointRoot ${type.expected} (recomputed from the heads), found ${type.found}`;
    case TrainerErrorCode.SEED_MISMATCH:
      return `expected the seed AdapterRegistry.seedOf states, ${type.expected}, found ${type.found}`;
    case TrainerErrorCode.RESULT_MISMATCH:
      return `result ${type.field}: expected ${type.expected}, found ${type.found}`;
    case TrainerErrorCode.TX_FAILED:
      return `${type.functionName} failed: ${type.reason}`;
    case TrainerErrorCode.EVENT_MISSING:
      return `expected a ${type.eventName} event in transaction ${type.txHash}, found none`;
    case TrainerErrorCode.BLOCK_TIMEOUT:
      return `waited for block ${type.waitingFor}, the chain is at ${type.head}`;
    case TrainerErrorCode.MODEL_FILE_INVALID:
      return `${type.path}: ${type.reason}`;
    case TrainerErrorCode.ARTIFACTS_NOT_FOUND:
      return `no stored artifacts for ${type.what} ${type.id}`;
    case TrainerErrorCode.ARTIFACTS_EXIST:
      return `${type.path} already exists`;
    case TrainerErrorCode.SEGMENT_OUT_OF_RANGE:
      return `version ${type.versionId}: expected a segment in 1…${type.checkpointCount}, found ${type.segment}`;
    case TrainerErrorCode.QUEUE_FULL:
      return `training queue full (${type.maxQueued} jobs waiting): job refused`;
    case TrainerErrorCode.QUEUE_CLOSED:
      return "training queue closed: job refused";
  }
}
