import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { keccak256, toBytes } from "viem";
import { canonicalConfig, configHash } from "../../../../node/src/protocol/index.js";
import {
  buildTrainingCorpus,
  buildTrainingJob,
  CORPUS_FILE,
  createTrainConfig,
  DEFAULT_TRAIN_CONFIG,
  encodeJobFile,
  getConfigHash,
  getEvalSplit,
  JOB_FILE,
  type TrainConfig,
  TrainerErrorCode,
  writeTrainingJob,
} from "../../../../node/src/trainer/index.js";
import { alpaca, expectRejectedWithCode, expectTrainerError, hashesOf, jsonlFile, tempDir } from "./helpers.js";

const file1 = jsonlFile([alpaca("coat"), alpaca("scarf")]);
const file2 = jsonlFile([alpaca("table")]);
const corpus = buildTrainingCorpus({
  training: [
    { datasetId: 7n, commitOrder: 2n, file: file2, root: hashesOf(file2).root },
    { datasetId: 3n, commitOrder: 1n, file: file1, root: hashesOf(file1).root },
  ],
});
const BLOCKHASH = `0x${"11".repeat(32)}` as const;
const evalFile = jsonlFile([alpaca("held out")]);

describe("trainer/config", () => {
  it("fills every field with the trainer's defaults", () => {
    const config = createTrainConfig();
    expect(config).to.deep.equal(DEFAULT_TRAIN_CONFIG);
    expect(Object.keys(config)).to.have.length(27);
    expect(config).to.deep.include({ method: "qlora", rank: 8, steps: 400, checkpointInterval: 20, threads: 1 });
  });

  it("applies overrides without touching the frozen defaults", () => {
    const config = createTrainConfig({ steps: 8, checkpointInterval: 4, warmupSteps: 2, targetModules: ["q_proj"] });
    config.targetModules.push("v_proj");
    expect(DEFAULT_TRAIN_CONFIG.targetModules).to.have.length(7);
    expect(config.steps).to.equal(8);
  });

  it("refuses an unknown key, a bad value and steps that are not a multiple of K, naming the field", () => {
    expectTrainerError(
      () => createTrainConfig({ learningrate: 0.1 } as Partial<TrainConfig>),
      TrainerErrorCode.CONFIG_INVALID,
      { field: "learningrate" },
    );
    expectTrainerError(() => createTrainConfig({ rank: 8.5 }), TrainerErrorCode.CONFIG_INVALID, { field: "rank" });
    expectTrainerError(() => createTrainConfig({ method: "sgd" as "qlora" }), TrainerErrorCode.CONFIG_INVALID, {
      field: "method",
    });
    expectTrainerError(() => createTrainConfig({ steps: 30 }), TrainerErrorCode.CONFIG_INVALID, { field: "steps" });
    expectTrainerError(() => createTrainConfig({ evalSplit: "0xAB" }), TrainerErrorCode.CONFIG_INVALID, {
      field: "evalSplit",
    });
    expectTrainerError(() => createTrainConfig({ targetModules: ["lm_head"] }), TrainerErrorCode.CONFIG_INVALID, {
      field: "targetModules",
    });
    expectTrainerError(() => createTrainConfig({ libraryVersions: { numpy: "1" } }), TrainerErrorCode.CONFIG_INVALID, {
      field: "libraryVersions",
    });
  });

  it("hashes the config with the protocol's RFC 8785 configHash, and every field changes the hash", () => {
    const config = createTrainConfig();
    expect(getConfigHash(config)).to.equal(configHash(config));
    expect(getConfigHash(config)).to.equal(keccak256(toBytes(canonicalConfig(config))));
    const changed: Partial<TrainConfig>[] = [
      { rank: 16 },
      { learningRate: 0.001 },
      { minSpan: 9 },
      { device: "cuda" },
      { libraryVersions: { torch: "2.3.0" } },
      { evalSplit: getEvalSplit(evalFile) },
    ];
    for (const override of changed) {
      expect(getConfigHash(createTrainConfig(override)), JSON.stringify(override)).to.not.equal(getConfigHash(config));
    }
  });

  it("names the eval split by keccak256 of the file's bytes", () => {
    expect(getEvalSplit(evalFile)).to.equal(keccak256(evalFile));
  });
});

describe("trainer/job", () => {
  it("builds the job: every config field, the node's configHash, datasets ascending with their exclusions", () => {
    const config = createTrainConfig({ steps: 8, checkpointInterval: 4, warmupSteps: 2 });
    const job = buildTrainingJob({ config, corpus, commitBlockhash: BLOCKHASH, modelDir: "/models/builtin" });
    expect(job.configHash).to.equal(configHash(config));
    expect(job.datasetIds).to.deep.equal([3n, 7n]);
    const file = JSON.parse(encodeJobFile(job));
    expect(Object.keys(file)).to.deep.equal([
      "config",
      "configHash",
      "model",
      "corpus",
      "datasets",
      "commitBlockhash",
      "out",
    ]);
    expect(Object.keys(file.config).sort()).to.deep.equal(Object.keys(DEFAULT_TRAIN_CONFIG).sort());
    expect(file).to.deep.include({
      configHash: job.configHash,
      model: "/models/builtin",
      corpus: CORPUS_FILE,
      commitBlockhash: BLOCKHASH,
      out: "run",
    });
    expect(file.datasets).to.deep.equal([
      { datasetId: 3, root: hashesOf(file1).root, excludedSampleHashes: [] },
      { datasetId: 7, root: hashesOf(file2).root, excludedSampleHashes: [] },
    ]);
  });

  it("carries the eval file when the config pins its split", () => {
    const config = createTrainConfig({ evalSplit: getEvalSplit(evalFile) });
    const job = buildTrainingJob({ config, corpus, commitBlockhash: BLOCKHASH, modelDir: "/m", evalFile });
    expect(JSON.parse(encodeJobFile(job)).eval).to.equal("eval.jsonl");
  });

  it("refuses an eval file that does not hash to the pinned split, a missing one, and one no split pins", () => {
    const pinned = createTrainConfig({ evalSplit: getEvalSplit(evalFile) });
    const other = jsonlFile([alpaca("other")]);
    const base = { corpus, commitBlockhash: BLOCKHASH, modelDir: "/m" } as const;
    expectTrainerError(
      () => buildTrainingJob({ ...base, config: pinned, evalFile: other }),
      TrainerErrorCode.EVAL_SPLIT_MISMATCH,
      { expected: pinned.evalSplit, found: keccak256(other) },
    );
    expectTrainerError(() => buildTrainingJob({ ...base, config: pinned }), TrainerErrorCode.EVAL_SPLIT_MISMATCH, {
      found: "no eval file",
    });
    expectTrainerError(
      () => buildTrainingJob({ ...base, config: createTrainConfig(), evalFile }),
      TrainerErrorCode.EVAL_SPLIT_MISMATCH,
      { expected: "" },
    );
  });

  it("refuses a relative model path", () => {
    expectTrainerError(
      () => buildTrainingJob({ config: createTrainConfig(), corpus, commitBlockhash: BLOCKHASH, modelDir: "models/x" }),
      TrainerErrorCode.CONFIG_INVALID,
      { field: "model" },
    );
  });

  it("writes the job folder once: job.json, corpus.jsonl, eval.jsonl and run/", async () => {
    const config = createTrainConfig({ evalSplit: getEvalSplit(evalFile) });
    const job = buildTrainingJob({ config, corpus, commitBlockhash: BLOCKHASH, modelDir: "/m", evalFile });
    const dir = join(await tempDir(), "commitments", "1");
    const written = await writeTrainingJob(dir, job);
    expect(written).to.deep.equal({ dir, jobPath: join(dir, JOB_FILE), runDir: join(dir, "run") });
    expect((await readdir(dir)).sort()).to.deep.equal(["corpus.jsonl", "eval.jsonl", "job.json", "run"]);
    expect(new Uint8Array(await readFile(join(dir, CORPUS_FILE)))).to.deep.equal(job.corpusFile);
    expect(await readFile(written.jobPath, "utf8")).to.equal(encodeJobFile(job));
    await expectRejectedWithCode(writeTrainingJob(dir, job), TrainerErrorCode.ARTIFACTS_EXIST, { path: dir });
  });
});
