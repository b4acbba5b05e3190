import { expect } from "chai";
import type { Hex } from "viem";
import { checkpointRoot, contributorsRoot, initialHead, nextHead } from "../../../../node/src/protocol/index.js";
import {
  buildVersionProof,
  type CheckpointEvent,
  TrainerErrorCode,
  type TrainResult,
} from "../../../../node/src/trainer/index.js";
import { expectTrainerError, H } from "./helpers.js";

const SEED = H("5e");
const SHARES = [
  { datasetId: 1n, weightPpm: 600_000 },
  { datasetId: 2n, weightPpm: 400_000 },
];

/** A consistent run of n segments built with the protocol's own chain functions. */
function makeRun(n: number): { result: TrainResult; checkpoints: CheckpointEvent[] } {
  const base = {
    baseModelHash: H("01"),
    configHash: H("02"),
    seed: SEED,
    initialWeightsHash: H("03"),
    initialStateHash: H("04"),
  };
  const heads: Hex[] = [initialHead(base)];
  const checkpoints: CheckpointEvent[] = [
    {
      type: "checkpoint",
      k: 0,
      head: heads[0] as Hex,
      weightsHash: base.initialWeightsHash,
      stateHash: base.initialStateHash,
    },
  ];
  for (let k = 1; k <= n; k++) {
    const step = { prevHead: heads[k - 1] as Hex, batchHash: H(`b${k}`), lossBits: 0x40200000 + k, loss: 2.5 };
    const weightsHash = H(`a${k}`);
    const stateHash = H(`c${k}`);
    const head = nextHead({ ...step, k: BigInt(k), weightsHash, stateHash });
    heads.push(head);
    checkpoints.push({ type: "checkpoint", k, head, weightsHash, stateHash, step });
  }
  const result: TrainResult = {
    ...base,
    datasetIds: [1n, 2n],
    weightsHash: checkpoints[n]?.weightsHash as Hex,
    finalHead: heads[n] as Hex,
    checkpointRoot: checkpointRoot(heads),
    checkpoints: n,
    steps: n * 4,
    contributorsRoot: contributorsRoot(SHARES),
    shares: SHARES,
    evalScore: 5_922,
    trainableParameters: 78_848,
    trainSeconds: 1,
    tokensPerSecond: 1,
  };
  return { result, checkpoints };
}

describe("trainer/proof (train result → AdapterRegistry VersionProof)", () => {
  it("maps the result onto the VersionProof fields", () => {
    const { result, checkpoints } = makeRun(3);
    expect(buildVersionProof({ result, checkpoints, seed: SEED })).to.deep.equal({
      contributorsRoot: result.contributorsRoot,
      weightsHash: result.weightsHash,
      checkpointRoot: result.checkpointRoot,
      finalHead: result.finalHead,
      initialWeightsHash: H("03"),
      initialStateHash: H("04"),
      checkpointCount: 3,
      evalScore: 5_922,
    });
  });

  it("accepts the checkpoint messages in any order and a matching commitment", () => {
    const { result, checkpoints } = makeRun(2);
    const commitment = { baseModelHash: H("01"), configHash: H("02"), datasetIds: [1n, 2n] };
    const proof = buildVersionProof({ result, checkpoints: [...checkpoints].reverse(), seed: SEED, commitment });
    expect(proof.checkpointCount).to.equal(2);
  });

  it("refuses a checkpoint root that the heads do not build", () => {
    const { result, checkpoints } = makeRun(2);
    expectTrainerError(
      () => buildVersionProof({ result: { ...result, checkpointRoot: H("99") }, checkpoints, seed: SEED }),
      TrainerErrorCode.CHECKPOINT_ROOT_MISMATCH,
      { expected: result.checkpointRoot, found: H("99") },
    );
  });

  it("refuses a run whose seed is not AdapterRegistry.seedOf's", () => {
    const { result, checkpoints } = makeRun(2);
    expectTrainerError(
      () => buildVersionProof({ result, checkpoints, seed: H("77") }),
      TrainerErrorCode.SEED_MISMATCH,
      {
        expected: H("77"),
        found: SEED,
      },
    );
  });

  it("refuses a missing, a repeated or an extra checkpoint", () => {
    const { result, checkpoints } = makeRun(3);
    const cases = [
      checkpoints.filter((c) => c.k !== 2),
      [...checkpoints.slice(0, 3), checkpoints[2] as CheckpointEvent],
      [...checkpoints, { ...(checkpoints[3] as CheckpointEvent), k: 4 }],
    ];
    for (const given of cases) {
      expectTrainerError(
        () => buildVersionProof({ result, checkpoints: given, seed: SEED }),
        TrainerErrorCode.CHECKPOINTS_INCOMPLETE,
        { expected: 3 },
      );
    }
  });

  it("refuses a checkpoint whose head does not follow from its hashes or whose prevHead does not link", () => {
    const { result, checkpoints } = makeRun(3);
    const tampered = checkpoints.map((c) => (c.k === 2 ? { ...c, weightsHash: H("ff") } : c));
    expectTrainerError(
      () => buildVersionProof({ result, checkpoints: tampered, seed: SEED }),
      TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN,
      { k: 2, found: checkpoints[2]?.head },
    );
    const unlinked = checkpoints.map((c) =>
      c.k === 3 && c.step !== undefined ? { ...c, step: { ...c.step, prevHead: H("ee") } } : c,
    );
    expectTrainerError(
      () => buildVersionProof({ result, checkpoints: unlinked, seed: SEED }),
      TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN,
      { k: 3, expected: checkpoints[2]?.head, found: H("ee") },
    );
    const wrongStart = checkpoints.map((c) => (c.k === 0 ? { ...c, head: H("dd") } : c));
    expectTrainerError(
      () => buildVersionProof({ result, checkpoints: wrongStart, seed: SEED }),
      TrainerErrorCode.CHECKPOINT_CHAIN_BROKEN,
      { k: 0 },
    );
  });

  it("refuses a result that differs from its own chain: final head, final weights, initial hashes", () => {
    const { result, checkpoints } = makeRun(2);
    for (const [field, value] of [
      ["finalHead", H("31")],
      ["weightsHash", H("32")],
      ["initialWeightsHash", H("33")],
    ] as const) {
      expectTrainerError(
        () => buildVersionProof({ result: { ...result, [field]: value }, checkpoints, seed: SEED }),
        TrainerErrorCode.RESULT_MISMATCH,
        { field, found: value },
      );
    }
  });

  it("refuses a run of another model, config or dataset list than the commitment", () => {
    const { result, checkpoints } = makeRun(2);
    const commitment = { baseModelHash: H("01"), configHash: H("02"), datasetIds: [1n, 2n] };
    for (const [change, field] of [
      [{ baseModelHash: H("41") }, "baseModelHash"],
      [{ configHash: H("42") }, "configHash"],
      [{ datasetIds: [1n, 3n] }, "datasetIds"],
    ] as const) {
      expectTrainerError(
        () => buildVersionProof({ result, checkpoints, seed: SEED, commitment: { ...commitment, ...change } }),
        TrainerErrorCode.RESULT_MISMATCH,
        { field },
      );
    }
  });

  it("refuses a contributors root that the shares do not build, and a share of a dataset not trained on", () => {
    const { result, checkpoints } = makeRun(2);
    expectTrainerError(
      () => buildVersionProof({ result: { ...result, contributorsRoot: H("51") }, checkpoints, seed: SEED }),
      TrainerErrorCode.RESULT_MISMATCH,
      { field: "contributorsRoot", expected: contributorsRoot(SHARES), found: H("51") },
    );
    const stray = [
      { datasetId: 1n, weightPpm: 600_000 },
      { datasetId: 9n, weightPpm: 400_000 },
    ];
    expectTrainerError(
      () =>
        buildVersionProof({
          result: { ...result, shares: stray, contributorsRoot: contributorsRoot(stray) },
          checkpoints,
          seed: SEED,
        }),
      TrainerErrorCode.RESULT_MISMATCH,
      { field: "shares" },
    );
  });
});
