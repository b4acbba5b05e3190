export { ArtifactStore, type StoredCheckpoint, VERSION_FILE, type VersionRecord } from "./artifacts.js";
export {
  type CommitmentParameters,
  type CommitTrainingParameters,
  type CommitTrainingReturnType,
  commitTraining,
  getTrainingCommitment,
  getTrainingSeed,
  getVersionProof,
  type SealCommitmentParameters,
  type SealCommitmentReturnType,
  type SubmitVersionParameters,
  type SubmitVersionReturnType,
  sealCommitment,
  submitVersion,
  type TrainerChainClients,
  type TrainingCommitment,
  type VersionParameters,
} from "./chain.js";
export {
  type CheckpointBytesRange,
  type CheckpointHandler,
  createCheckpointHandler,
  decodeCheckpoint,
  encodeCheckpoint,
} from "./checkpoints.js";
export {
  createTrainConfig,
  DEFAULT_TRAIN_CONFIG,
  DEVICES,
  getConfigHash,
  getEvalSplit,
  LR_SCHEDULES,
  PRECISIONS,
  PROJECTIONS,
  TEMPLATES,
  TRAIN_METHODS,
  type TrainConfig,
} from "./config.js";
export {
  type BuildTrainingCorpusParameters,
  buildTrainingCorpus,
  type CorpusDataset,
  type CorpusLine,
  encodeCorpus,
  type OwnerDatasetInput,
  splitPromptResponse,
  type TrainingCorpus,
  type TrainingDatasetInput,
} from "./corpus.js";
export { DatasetStore, MAX_SAMPLES_PER_READ, type ServedSample } from "./datasetStore.js";
export { PythonErrorCode, TrainerError, TrainerErrorCode, type TrainerErrorType } from "./errors.js";
export {
  type BuildTrainingJobParameters,
  buildTrainingJob,
  CORPUS_FILE,
  EVAL_FILE,
  encodeJobFile,
  JOB_FILE,
  RUN_DIR,
  type TrainingJob,
  type WrittenJob,
  writeTrainingJob,
} from "./job.js";
export { LineDecoder } from "./lineDecoder.js";
export { silentLogger, type TrainerLogger } from "./logger.js";
export {
  type ArtifactEvent,
  type CheckpointEvent,
  type ErrorEvent,
  isTrainProgress,
  type MetricEvent,
  type PhaseProgressEvent,
  parseTrainerMessage,
  parseTrainResult,
  parseVerifyResult,
  type ResultEvent,
  type TrainerEvent,
  type TrainProgressEvent,
  type TrainResult,
  type VerifyCheck,
  type VerifyResult,
} from "./messages.js";
export { createTrainerMetrics, type QueueDropReason, type TrainerMetrics, type TrainerRunOutcome } from "./metrics.js";
export {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_PYTHON,
  DEFAULT_TRAINER_DIR,
  type TrainerCommand,
  TrainerProcess,
  type TrainerProcessModules,
  type TrainerProcessOptions,
  type TrainerRunOptions,
  type VerifyCommandParameters,
} from "./process.js";
export {
  type ProgressBarOptions,
  renderProgressBar,
  TrainingProgress,
  type TrainingProgressOptions,
  type TrainingProgressSnapshot,
} from "./progress.js";
export {
  type BuildVersionProofParameters,
  buildVersionProof,
  type CommitmentFacts,
  type VersionProof,
} from "./proof.js";
export {
  type PushOptions,
  TrainingJobQueue,
  type TrainingJobQueueModules,
  type TrainingJobQueueOptions,
} from "./queue.js";
export { decodeSafetensors, getBaseModelHash, hashSafetensors } from "./safetensors.js";
export {
  type SegmentVerification,
  type TrainedRun,
  TrainerService,
  type TrainerServiceModules,
  type TrainerServiceOptions,
  type TrainOptions,
} from "./service.js";
