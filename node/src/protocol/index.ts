export { type CanonicalSample, type SampleShape, toCanonicalText } from "./canonicalText.js";
export { parseDataset, type Sample } from "./dataset.js";
export {
  buildDatasetTree,
  type DatasetTree,
  getDatasetRoot,
  getSampleProof,
  hashSampleLeaf,
  SAMPLE_LEAF_ENCODING,
  verifySampleProof,
} from "./datasetRoot.js";
export { DatasetError, DatasetErrorCode, type DatasetErrorType, type JsonKind } from "./errors.js";
export { type JsonlLine, readJsonlLines } from "./jsonl.js";
export { normalize } from "./normalize.js";
export { hashNormalizedText, hashSample } from "./sampleHash.js";
export {
  baseModelHash,
  batchHash,
  batchOrder,
  batchOrderSlice,
  type ContributorShare,
  canonicalConfig,
  checkpointProof,
  checkpointRoot,
  configHash,
  contributorsProof,
  contributorsRoot,
  float32Bits,
  hashDatasetIds,
  initialHead,
  nextHead,
  PPM,
  sharesPpm,
  TrainingProofError,
  tensorHashFromBytes,
  trainingSeed,
  verifyCheckpointProof,
} from "./training/index.js";
