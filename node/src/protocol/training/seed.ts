import { encodeAbiParameters, type Hex, keccak256 } from "viem";
import { TrainingProofError } from "./errors.js";

/** Inputs of {@link trainingSeed}: the on-chain training commitment and the hash of its block. */
export type TrainingSeedParameters = {
  /** keccak256 of the RFC 8785 canonical config ({@link configHash}). */
  configHash: Hex;
  /** The commitment's dataset ids: non-empty, strictly ascending, each ≥ 1 (as the registry requires). */
  datasetIds: readonly bigint[];
  /** Hash of the commitment's own block, stored by `sealCommitment`. */
  commitBlockhash: Hex;
};

/**
 * `keccak256(abi.encode(uint256[] datasetIds))`: the dataset ids as the seed binds them.
 * Throws `BAD_DATASET_IDS` unless the ids are non-empty, strictly ascending and ≥ 1.
 */
export function hashDatasetIds(datasetIds: readonly bigint[]): Hex {
  // [DESIGN §7] datasetIds are strictly ascending: another order would silently give another seed.
  if (datasetIds.length === 0) throw new TrainingProofError("BAD_DATASET_IDS", "no dataset ids");
  let prev = 0n;
  for (const id of datasetIds) {
    if (id <= prev) throw new TrainingProofError("BAD_DATASET_IDS", "dataset ids must be ≥ 1 and strictly ascending");
    prev = id;
  }
  return keccak256(encodeAbiParameters([{ type: "uint256[]" }], [datasetIds]));
}

/**
 * The run's seed (DESIGN §7), fixed before the work by the commitment and a block hash nobody knew
 * when it was sent: `keccak256(abi.encode(configHash, keccak256(abi.encode(uint256[] datasetIds)), commitBlockhash))`.
 */
export function trainingSeed({ configHash, datasetIds, commitBlockhash }: TrainingSeedParameters): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }],
      [configHash, hashDatasetIds(datasetIds), commitBlockhash],
    ),
  );
}
