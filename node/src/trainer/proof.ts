import type { Hex } from "viem";
import { checkpointRoot, contributorsRoot, initialHead, nextHead } from "../protocol/index.js";
import { TrainerError, TrainerErrorCode } from "./errors.js";
import type { CheckpointEvent, TrainResult } from "./messages.js";

/** `IAdapterRegistry.VersionProof`, field for field (DESIGN §7): what `submitVersion` takes. */
export interface VersionProof {
  readonly contributorsRoot: Hex;
  readonly weightsHash: Hex;
  readonly checkpointRoot: Hex;
  readonly finalHead: Hex;
  readonly initialWeightsHash: Hex;
  readonly initialStateHash: Hex;
  readonly checkpointCount: number;
  readonly evalScore: number;
}

/** The on-chain training commitment a run must match (`AdapterRegistry.getCommitment`). */
export interface CommitmentFacts {
  readonly baseModelHash: Hex;
  readonly configHash: Hex;
  readonly datasetIds: readonly bigint[];
}

/** Inputs of {@link buildVersionProof}. */
export interface BuildVersionProofParameters {
  readonly result: TrainResult;
  /** The run's `checkpoint` messages, k = 0 … n, as received. */
  readonly checkpoints: readonly CheckpointEvent[];
  /** `AdapterRegistry.seedOf(commitmentId)`: the seed the run had to use. */
  readonly seed: Hex;
  /** The commitment the version will name; when given, the run must be of exactly that model, config and datasets. */
  readonly commitment?: CommitmentFacts;
}

/**
 * The `VersionProof` of a finished run, checked before anything is submitted: the chain is rebuilt from the checkpoint
 * messages with the protocol's `initialHead`/`nextHead`, its root recomputed with `checkpointRoot` and compared with the
 * result's, the seed compared with the registry's, the contributors root recomputed from the shares. A proof that
 * would fail a challenge is refused here, before the bond is at stake.
 *
 * @throws {TrainerError} `SEED_MISMATCH`, `CHECKPOINTS_INCOMPLETE`, `CHECKPOINT_CHAIN_BROKEN`,
 * `CHECKPOINT_ROOT_MISMATCH`, `RESULT_MISMATCH` (a field against the commitment or the result's other fields)
 */
export function buildVersionProof({
  result,
  checkpoints,
  seed,
  commitment,
}: BuildVersionProofParameters): VersionProof {
  // The seed is the registry's (DESIGN §7): a run under any other seed trained another batch order.
  if (result.seed.toLowerCase() !== seed.toLowerCase()) {
    throw new TrainerError({ code: TrainerErrorCode.SEED_MISMATCH, expected: seed, found: result.seed });
  }
  if (commitment !== undefined) {
    mustEqual("baseModelHash", commitment.baseModelHash.toLowerCase(), result.baseModelHash);
    mustEqual("configHash", commitment.configHash.toLowerCase(), result.configHash);
    mustEqual("datasetIds", commitment.datasetIds.join(","), result.datasetIds.join(","));
  }

  const n = result.checkpoints;
  const byK = [...checkpoints].sort((a, b) => a.k - b.k);
  if (byK.length !== n + 1 || byK.some((c, i) => c.k !== i)) {
    throw new TrainerError({ code: TrainerErrorCode.CHECKPOINTS_INCOMPLETE, expected: n, found: byK.map((c) => c.k) });
  }
  const [first] = byK as [CheckpointEvent, ...CheckpointEvent[]];
  mustEqual("initialWeightsHash", first.weightsHash, result.initialWeightsHash);
  mustEqual("initialStateHash", first.stateHash, result.initialStateHash);
  const heads: Hex[] = [];
  for (const checkpoint of byK) {
    let expected: Hex;
    if (checkpoint.k === 0) {
      // DESIGN §7: h_0 = keccak256(abi.encode(baseModelHash, configHash, seed, initialWeightsHash, initialStateHash)).
      expected = initialHead({
        baseModelHash: result.baseModelHash,
        configHash: result.configHash,
        seed,
        initialWeightsHash: result.initialWeightsHash,
        initialStateHash: result.initialStateHash,
      });
    } else {
      const prev = heads[checkpoint.k - 1] as Hex;
      const step = checkpoint.step;
      if (step === undefined || step.prevHead !== prev) {
        const found = step?.prevHead ?? checkpoint.head;
        throw new TrainerError({
          code: TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN,
          k: checkpoint.k,
          expected: prev,
          found,
        });
      }
      // DESIGN §7: h_k = keccak256(abi.encode(h_{k−1}, k, weightsHash_k, stateHash_k, batchHash_k, lossBits_k)).
      expected = nextHead({
        prevHead: prev,
        k: BigInt(checkpoint.k),
        weightsHash: checkpoint.weightsHash,
        stateHash: checkpoint.stateHash,
        batchHash: step.batchHash,
        lossBits: step.lossBits,
      });
    }
    if (checkpoint.head !== expected) {
      throw new TrainerError({
        code: TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN,
        k: checkpoint.k,
        expected,
        found: checkpoint.head,
      });
    }
    heads.push(expected);
  }
  // [DESIGN §7] checkpointRoot: standard tree over (k, h_k), k = 0 … n, recomputed here, never taken on trust.
  const root = checkpointRoot(heads);
  if (root !== result.checkpointRoot) {
    throw new TrainerError({
      code: TrainerErrorCode.CHECKPOINT_ROOT_MISMATCH,
      expected: root,
      found: result.checkpointRoot,
    });
  }
  const last = byK[n] as CheckpointEvent;
  mustEqual("finalHead", heads[n] as Hex, result.finalHead);
  mustEqual("weightsHash", last.weightsHash, result.weightsHash);

  // [DESIGN §7] the contributors root is the standard tree of the shares; only training datasets hold a share.
  const trained = new Set(result.datasetIds);
  const stray = result.shares.find((s) => !trained.has(s.datasetId));
  if (stray !== undefined) {
    mustEqual("shares", `datasets ${result.datasetIds.join(", ")}`, `a share for dataset ${stray.datasetId}`);
  }
  mustEqual("contributorsRoot", contributorsRoot(result.shares), result.contributorsRoot);

  return {
    contributorsRoot: result.contributorsRoot,
    weightsHash: result.weightsHash,
    checkpointRoot: root,
    finalHead: result.finalHead,
    initialWeightsHash: result.initialWeightsHash,
    initialStateHash: result.initialStateHash,
    checkpointCount: n,
    evalScore: result.evalScore,
  };
}

function mustEqual(field: string, expected: string, found: string): void {
  if (expected !== found) throw new TrainerError({ code: TrainerErrorCode.RESULT_MISMATCH, field, expected, found });
}
