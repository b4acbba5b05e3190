export { batchHash, batchOrder, batchOrderSlice, passPermutation } from "./batchOrder.js";
export {
  checkpointLeafEncoding,
  checkpointProof,
  checkpointRoot,
  float32Bits,
  type InitialHeadParameters,
  initialHead,
  type NextHeadParameters,
  nextHead,
  verifyCheckpointProof,
} from "./checkpointChain.js";
export { canonicalConfig, configHash } from "./configHash.js";
export {
  type ContributorShare,
  contributorLeafEncoding,
  contributorsProof,
  contributorsRoot,
  PPM,
  sharesPpm,
} from "./contributors.js";
export { TrainingProofError, type TrainingProofErrorCode } from "./errors.js";
export { hashDatasetIds, type TrainingSeedParameters, trainingSeed } from "./seed.js";
export { type BaseModelHashParameters, baseModelHash, tensorHashFromBytes } from "./tensorHash.js";
