import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import type { Hex } from "viem";
import { getDatasetRoot, parseDataset } from "../../../node/src/protocol/index.js";
import {
  buildTrainingCorpus,
  buildTrainingJob,
  createTrainConfig,
  DEFAULT_TRAIN_CONFIG,
  DEFAULT_TRAINER_DIR,
  encodeCorpus,
  encodeJobFile,
  getBaseModelHash,
  getConfigHash,
  PythonErrorCode,
  type TrainConfig,
  TrainerError,
  TrainerErrorCode,
  TrainerProcess,
  type TrainingCorpus,
} from "../../../node/src/trainer/index.js";
import { expectRejectedWithCode, tempDir } from "../unit/trainer/helpers.js";

const PYTHON = "/usr/bin/python3";
const DATA = join(DEFAULT_TRAINER_DIR, "data", "advertise");

/**
 * Python, with the trainer's own code: reads the corpus the node wrote with `read_corpus`, checks it against the roots
 * with `check_roots` (with and without the exclusions), re-splits the source files with `read_samples`, checks configs
 * with `TrainConfig.from_json`, and builds a tiny model folder for the base model hash.
 */
const AGREEMENT_SCRIPT = `
import json, sys
from pathlib import Path
from olp_trainer import proof
from olp_trainer.config import TrainConfig
from olp_trainer.data import DatasetRef, check_roots, read_corpus, read_samples
from olp_trainer.errors import TrainerError
from olp_trainer.modelio import load_base_model

args = json.loads(Path(sys.argv[1]).read_text())
corpus = read_corpus(args["corpus"])
def refs(with_excluded):
    return [DatasetRef(d["datasetId"], bytes.fromhex(d["root"][2:]),
                       tuple(bytes.fromhex(h[2:]) for h in d["excludedSampleHashes"]) if with_excluded else ())
            for d in args["datasets"]]
check_roots(corpus, refs(True))
try:
    check_roots(corpus, refs(False))
    without = None
except TrainerError as err:
    without = err.fields()
split = {}
for path in args["files"]:
    for s in read_samples(path):
        split[s.text] = [s.prompt, s.response]
disagree = [s.text for s in corpus if split.get(s.text) != [s.prompt, s.response]]
def config_error(obj):
    try:
        TrainConfig.from_json(obj)
        return None
    except TrainerError as err:
        return err.fields().get("field")
sys.path.insert(0, str(Path(args["trainerDir"]) / "tests"))
from helpers import make_tiny_model
model = make_tiny_model(Path(args["modelDir"]))
print(json.dumps({
    "samples": len(corpus),
    "perDataset": {str(d): sum(1 for s in corpus if s.dataset_id == d) for d in sorted({s.dataset_id for s in corpus})},
    "withoutExclusions": without,
    "disagree": disagree[:3],
    "defaults": TrainConfig().to_json(),
    "defaultConfigHash": "0x" + proof.config_hash(TrainConfig().to_json()).hex(),
    "configHash": "0x" + proof.config_hash(args["config"]).hex(),
    "configErrors": [config_error(c) for c in args["badConfigs"]],
    "baseModelHash": "0x" + load_base_model(model).base_model_hash.hex(),
}))
`;

/** Overrides that break one rule each of `TrainConfig.validate`; both sides must refuse them on the same field. */
const BAD_OVERRIDES: Record<string, unknown>[] = [
  { rank: 0 },
  { rank: 257 },
  { dropout: 1 },
  { learningRate: 0 },
  { lrSchedule: "step" },
  { warmupSteps: 401 },
  { batchSize: 0 },
  { maxSeqLen: 7 },
  { steps: 30 },
  { template: "chatml" },
  { evalSplit: "0x12" },
  { device: "tpu" },
  { threads: 0 },
  { targetModules: [] },
  { targetModules: ["q_proj", "q_proj"] },
  { targetModules: ["embed_tokens"] },
  { libraryVersions: { numpy: "2.0" } },
  { unknownKey: 1 },
];

interface Agreement {
  samples: number;
  perDataset: Record<string, number>;
  withoutExclusions: Record<string, unknown> | null;
  disagree: string[];
  defaults: TrainConfig;
  defaultConfigHash: Hex;
  configHash: Hex;
  configErrors: (string | null)[];
  baseModelHash: Hex;
}

describe("trainer bridge ↔ Python trainer (integration, real /usr/bin/python3)", function () {
  this.timeout(120_000);

  let dir: string;
  let corpus: TrainingCorpus;
  let config: TrainConfig;
  let agreement: Agreement;
  const files = {
    ads1: join(DATA, "ads-1.jsonl"),
    ads3: join(DATA, "ads-3.sharegpt.jsonl"),
  };

  before(async () => {
    dir = await tempDir();
    const ads1 = new Uint8Array(await readFile(files.ads1));
    const ads3 = new Uint8Array(await readFile(files.ads3));
    // A copycat (committed between the two originals) holding 5 lines of each plus 2 of its own, and a dataset
    // outside the run, committed first, holding 3 samples of ads-1.
    const lines = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trimEnd().split("\n");
    const own = [0, 1].map((i) =>
      JSON.stringify({ instruction: "Write ad copy.", input: `own ${i}`, output: `Own ${i}.` }),
    );
    const copyText = [...lines(ads1).slice(10, 15), ...lines(ads3).slice(20, 25), ...own].join("\n");
    const copyPath = join(dir, "copy.jsonl");
    await writeFile(copyPath, `${copyText}\n`);
    const copy = new TextEncoder().encode(`${copyText}\n`);
    const root = (bytes: Uint8Array) => getDatasetRoot(parseDataset(bytes).map((s) => s.sampleHash));
    corpus = buildTrainingCorpus({
      training: [
        { datasetId: 1n, commitOrder: 2n, file: ads1, root: root(ads1) },
        { datasetId: 2n, commitOrder: 3n, file: copy, root: root(copy) },
        { datasetId: 3n, commitOrder: 4n, file: ads3, root: root(ads3) },
      ],
      others: [
        {
          datasetId: 4n,
          commitOrder: 1n,
          sampleHashes: parseDataset(ads1)
            .slice(100, 103)
            .map((s) => s.sampleHash),
        },
      ],
    });
    config = createTrainConfig({
      steps: 40,
      checkpointInterval: 10,
      precision: "fp32",
      dropout: 0.05,
      adamEpsilon: 1e-7,
    });
    const corpusPath = join(dir, "corpus.jsonl");
    await writeFile(corpusPath, encodeCorpus(corpus.lines));
    const argsPath = join(dir, "args.json");
    await writeFile(
      argsPath,
      JSON.stringify({
        corpus: corpusPath,
        datasets: corpus.datasets.map((d) => ({ ...d, datasetId: Number(d.datasetId) })),
        files: [files.ads1, files.ads3, copyPath],
        config,
        badConfigs: BAD_OVERRIDES.map((o) => ({ ...DEFAULT_TRAIN_CONFIG, ...o })),
        trainerDir: DEFAULT_TRAINER_DIR,
        modelDir: join(dir, "tiny-model"),
      }),
    );
    const { stdout } = await promisify(execFile)(PYTHON, ["-c", AGREEMENT_SCRIPT, argsPath], {
      env: { ...process.env, PYTHONPATH: DEFAULT_TRAINER_DIR },
      maxBuffer: 1 << 20,
    });
    agreement = JSON.parse(stdout) as Agreement;
  });

  it("the trainer's read_corpus and check_roots accept the corpus the node built, owned as DESIGN §7 says", () => {
    // ads-1: 400 − 3 owned by the earlier outside dataset; the copy: its 5 ads-3 lines and 2 own ones (its ads-1
    // lines belong to ads-1, committed earlier); ads-3: 400 − the 5 the earlier-committed copy holds.
    expect(agreement.perDataset).to.deep.equal({ "1": 397, "2": 7, "3": 395 });
    expect(agreement.samples).to.equal(corpus.lines.length);
    expect(corpus.datasets.map((d) => d.excludedSampleHashes.length)).to.deep.equal([3, 5, 5]);
  });

  it("the exclusions are what make the roots rebuild: without them the trainer reports ROOT_MISMATCH", () => {
    expect(agreement.withoutExclusions).to.include({ code: "ROOT_MISMATCH", datasetId: 1 });
  });

  it("splits every sample into the same prompt and response as the trainer's own Alpaca/ShareGPT reader", () => {
    expect(agreement.disagree).to.deep.equal([]);
  });

  it("has the trainer's defaults and computes the same configHash", () => {
    expect(agreement.defaults).to.deep.equal(DEFAULT_TRAIN_CONFIG);
    expect(agreement.defaultConfigHash).to.equal(getConfigHash(createTrainConfig()));
    expect(agreement.configHash).to.equal(getConfigHash(config));
  });

  it("refuses the same bad configs as the trainer, on the same field", () => {
    const fieldOf = (override: Record<string, unknown>) => {
      try {
        createTrainConfig(override as Partial<TrainConfig>);
        return null;
      } catch (err) {
        return err instanceof TrainerError && err.type.code === TrainerErrorCode.CONFIG_INVALID ? err.type.field : "?";
      }
    };
    expect(BAD_OVERRIDES.map(fieldOf)).to.deep.equal(agreement.configErrors);
    expect(agreement.configErrors.every((f) => f !== null)).to.equal(true);
  });

  it("computes the same baseModelHash of a model folder as the trainer", async () => {
    expect(await getBaseModelHash(join(dir, "tiny-model"))).to.equal(agreement.baseModelHash);
  });

  it("maps the real trainer's CONFIG_HASH_MISMATCH to a TrainerError with expected and found", async () => {
    const job = buildTrainingJob({
      config,
      corpus,
      commitBlockhash: `0x${"11".repeat(32)}`,
      modelDir: join(dir, "tiny-model"),
    });
    const jobPath = join(dir, "bad-hash-job.json");
    const file = JSON.parse(encodeJobFile(job));
    await writeFile(jobPath, JSON.stringify({ ...file, configHash: `0x${"00".repeat(32)}` }));
    await expectRejectedWithCode(new TrainerProcess({ python: PYTHON }).train(jobPath), TrainerErrorCode.PYTHON, {
      pythonCode: PythonErrorCode.CONFIG_HASH_MISMATCH,
      context: { expected: `0x${"00".repeat(32)}`, found: job.configHash },
      exitCode: 1,
    });
  });

  it("maps the real trainer's MODEL_NOT_FOUND to a TrainerError with the path", async () => {
    const job = buildTrainingJob({
      config,
      corpus,
      commitBlockhash: `0x${"11".repeat(32)}`,
      modelDir: join(dir, "no-model"),
    });
    const jobPath = join(dir, "no-model-job.json");
    await writeFile(join(dir, "corpus.jsonl"), job.corpusFile);
    await writeFile(jobPath, encodeJobFile(job));
    await expectRejectedWithCode(new TrainerProcess({ python: PYTHON }).train(jobPath), TrainerErrorCode.PYTHON, {
      pythonCode: PythonErrorCode.MODEL_NOT_FOUND,
      context: { path: join(dir, "no-model") },
    });
  });
});
