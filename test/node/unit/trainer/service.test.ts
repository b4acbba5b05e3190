import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import {
  ArtifactStore,
  buildTrainingCorpus,
  buildTrainingJob,
  createTrainConfig,
  TrainerErrorCode,
  type TrainerEvent,
  TrainerService,
  type TrainingJob,
  type VersionProof,
  writeTrainingJob,
} from "../../../../node/src/trainer/index.js";
import {
  alpaca,
  expectRejectedWithCode,
  expectTrainerError,
  fakePython,
  H,
  hashesOf,
  jsonlFile,
  tempDir,
  trainResultJson,
} from "./helpers.js";

const file = jsonlFile([alpaca("coat"), alpaca("scarf")]);
const JOB: TrainingJob = buildTrainingJob({
  config: createTrainConfig({ steps: 8, checkpointInterval: 4, warmupSteps: 2 }),
  corpus: buildTrainingCorpus({ training: [{ datasetId: 1n, commitOrder: 1n, file, root: hashesOf(file).root }] }),
  commitBlockhash: H("11"),
  modelDir: "/models/builtin",
});
const PROOF: VersionProof = {
  contributorsRoot: H("01"),
  weightsHash: H("02"),
  checkpointRoot: H("03"),
  finalHead: H("04"),
  initialWeightsHash: H("05"),
  initialStateHash: H("06"),
  checkpointCount: 2,
  evalScore: 0,
};

/** A trained commitment folder with checkpoints 0 … 2, promoted to version `versionId`. */
async function storedVersion(store: ArtifactStore, commitmentId: bigint, versionId: bigint): Promise<void> {
  const { runDir } = await writeTrainingJob(store.commitmentDir(commitmentId), JOB);
  for (const k of [0, 1, 2]) {
    const dir = join(runDir, "checkpoints", String(k));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "weights.safetensors"), `weights ${k}`);
    await writeFile(join(dir, "state.safetensors"), `state ${k}`);
  }
  await store.promote({ versionId, commitmentId, proof: PROOF, txHash: H("aa") });
}

describe("trainer/ArtifactStore (a folder per version, checkpoints for req–resp)", () => {
  it("moves a commitment's folder to its version's and records the version", async () => {
    const store = new ArtifactStore({ dir: await tempDir() });
    await storedVersion(store, 4n, 9n);
    expect((await readdir(store.versionDir(9n))).sort()).to.deep.equal([
      "corpus.jsonl",
      "job.json",
      "run",
      "version.json",
    ]);
    expect(await store.readVersion(9n)).to.deep.equal({
      versionId: 9n,
      commitmentId: 4n,
      proof: PROOF,
      txHash: H("aa"),
    });
    expect(await store.readVersion(10n)).to.equal(null);
    await expectRejectedWithCode(
      store.promote({ versionId: 10n, commitmentId: 4n, proof: PROOF, txHash: H("aa") }),
      TrainerErrorCode.ARTIFACTS_NOT_FOUND,
      { what: "commitment", id: 4n },
    );
  });

  it("never promotes over an existing version folder", async () => {
    const store = new ArtifactStore({ dir: await tempDir() });
    await storedVersion(store, 1n, 1n);
    await writeTrainingJob(store.commitmentDir(2n), JOB);
    await expectRejectedWithCode(
      store.promote({ versionId: 1n, commitmentId: 2n, proof: PROOF, txHash: H("bb") }),
      TrainerErrorCode.ARTIFACTS_EXIST,
      { path: store.versionDir(1n) },
    );
    expect((await store.readVersion(1n))?.txHash).to.equal(H("aa"));
  });

  it("serves checkpoint k of 0 … n, and null for what it does not hold", async () => {
    const store = new ArtifactStore({ dir: await tempDir() });
    await storedVersion(store, 1n, 3n);
    const checkpoint = await store.getCheckpoint(3n, 2);
    expect(checkpoint?.k).to.equal(2);
    expect(Buffer.from(checkpoint?.weights ?? []).toString()).to.equal("weights 2");
    expect(Buffer.from(checkpoint?.state ?? []).toString()).to.equal("state 2");
    expect(await store.getCheckpoint(3n, 3)).to.equal(null);
    expect(await store.getCheckpoint(3n, -1)).to.equal(null);
    expect(await store.getCheckpoint(3n, 0.5)).to.equal(null);
    expect(await store.getCheckpoint(4n, 0)).to.equal(null);
    expect(await store.getCheckpoint(0n, 0)).to.equal(null);
    await rm(join(store.versionDir(3n), "run", "checkpoints", "1", "state.safetensors"));
    expect(await store.getCheckpoint(3n, 1)).to.equal(null);
  });

  it("refuses ids below 1 for folders", async () => {
    const store = new ArtifactStore({ dir: await tempDir() });
    expect(() => store.versionDir(0n)).to.throw(RangeError);
  });
});

describe("trainer/TrainerService", function () {
  this.timeout(20_000);

  it("trains through the queue into the commitment's folder and collects the checkpoint messages", async () => {
    const checkpoint = JSON.stringify({
      type: "checkpoint",
      k: 0,
      head: H("a0"),
      weightsHash: H("b0"),
      stateHash: H("c0"),
    });
    const result = JSON.stringify({ type: "result", command: "train", ...trainResultJson() });
    const python = await fakePython(`test -f "$5" || exit 3\necho '${checkpoint}'\necho '${result}'`);
    const service = new TrainerService({ python, artifactsDir: await tempDir() });
    const events: TrainerEvent[] = [];
    const run = await service.train(5n, JOB, { onEvent: (e) => events.push(e) });
    expect(run.job.dir).to.equal(service.store.commitmentDir(5n));
    expect(run.checkpoints.map((c) => c.k)).to.deep.equal([0]);
    expect(run.result.checkpoints).to.equal(2);
    expect(events.map((e) => e.type)).to.deep.equal(["checkpoint", "result"]);
    await service.close();
  });

  it("refuses a training job past the queue's bound", async () => {
    const python = await fakePython("exec sleep 30");
    const service = new TrainerService({ python, artifactsDir: await tempDir(), maxQueuedJobs: 1 });
    const first = service.train(1n, JOB).catch((err: unknown) => err);
    const second = service.train(2n, JOB).catch((err: unknown) => err);
    expectTrainerError(() => service.train(3n, JOB), TrainerErrorCode.QUEUE_FULL, { maxQueued: 1 });
    await service.close();
    expect(await first).to.have.nested.property("type.code", TrainerErrorCode.ABORTED);
    expect(await second).to.have.nested.property("type.code", TrainerErrorCode.QUEUE_CLOSED);
  });

  it("verifies a stored segment with the version's job, run folder and registered checkpoint root", async () => {
    const python = await fakePython(
      `printf '{"type":"result","command":"verify","match":true,"segment":2,"mismatches":[],"checks":[{"check":"args","ok":true,"expected":null,"found":"%s"}]}\\n' "$*"`,
    );
    const service = new TrainerService({ python, artifactsDir: await tempDir() });
    await storedVersion(service.store, 1n, 7n);
    const verification = await service.verifySegment(7n, 2);
    const { jobPath, runDir } = service.store.versionPaths(7n);
    expect(verification.match).to.equal(true);
    expect(verification.checks[0]?.found).to.equal(
      `-m olp_trainer verify --job ${jobPath} --run ${runDir} --segment 2 --root ${PROOF.checkpointRoot}`,
    );
    expect(JSON.parse(await readFile(jobPath, "utf8")).out).to.equal("run");
  });

  it("reports a chain that does not link as a mismatch, not as a failure", async () => {
    const error = { type: "error", code: "CHECKPOINT_INVALID", message: "chain step 2: prevHead is not h_1", k: 2 };
    const python = await fakePython(`echo '${JSON.stringify(error)}'\nexit 1`);
    const service = new TrainerService({ python, artifactsDir: await tempDir() });
    await storedVersion(service.store, 1n, 1n);
    expect(await service.verifySegment(1n, 1)).to.deep.equal({
      match: false,
      segment: 1,
      mismatches: ["chain"],
      checks: [{ check: "chain", ok: false, expected: "a chain whose steps link", found: error.message }],
    });
  });

  it("refuses a segment outside 1 … n and a version it does not hold, without starting Python", async () => {
    const python = await fakePython("exit 9");
    const service = new TrainerService({ python, artifactsDir: await tempDir() });
    await storedVersion(service.store, 1n, 1n);
    for (const k of [0, 3, 1.5]) {
      await expectRejectedWithCode(service.verifySegment(1n, k), TrainerErrorCode.SEGMENT_OUT_OF_RANGE, {
        versionId: 1n,
        segment: k,
        checkpointCount: 2,
      });
    }
    await expectRejectedWithCode(service.verifySegment(2n, 1), TrainerErrorCode.ARTIFACTS_NOT_FOUND, {
      what: "version",
      id: 2n,
    });
    expect(await service.getCheckpoint(1n, 0)).to.not.equal(null);
  });
});
