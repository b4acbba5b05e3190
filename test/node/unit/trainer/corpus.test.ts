import { expect } from "chai";
import type { Hex } from "viem";
import { getDatasetRoot, parseDataset } from "../../../../node/src/protocol/index.js";
import {
  buildTrainingCorpus,
  type CorpusLine,
  encodeCorpus,
  splitPromptResponse,
  TrainerErrorCode,
  type TrainingCorpus,
} from "../../../../node/src/trainer/index.js";
import { alpaca, expectTrainerError, hashesOf, jsonlFile } from "./helpers.js";

const A = [alpaca("linen shirt"), alpaca("wool coat"), alpaca("silk scarf")];
const fileA = jsonlFile(A);
const rootA = hashesOf(fileA).root;

function training(datasetId: bigint, commitOrder: bigint, file: Uint8Array) {
  return { datasetId, commitOrder, file, root: hashesOf(file).root };
}

function hashesIn(corpus: TrainingCorpus, datasetId: bigint): Hex[] {
  return corpus.lines.filter((l) => l.datasetId === datasetId).map((l) => l.sampleHash);
}

/** Every corpus line once, in (datasetId, sampleHash) order: what the trainer's `read_corpus` demands. */
function expectIndexOrder(lines: readonly CorpusLine[]): void {
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1] as CorpusLine;
    const b = lines[i] as CorpusLine;
    const ascending = a.datasetId < b.datasetId || (a.datasetId === b.datasetId && a.sampleHash < b.sampleHash);
    expect(ascending, `line ${i} follows line ${i - 1}`).to.equal(true);
  }
  expect(new Set(lines.map((l) => l.sampleHash)).size).to.equal(lines.length);
}

/** A dataset's corpus part plus its exclusions build its registered root (the trainer's root check). */
function expectRootsRebuild(corpus: TrainingCorpus): void {
  for (const d of corpus.datasets) {
    expect(getDatasetRoot([...hashesIn(corpus, d.datasetId), ...d.excludedSampleHashes])).to.equal(d.root);
  }
}

describe("trainer/corpus (DESIGN §7 training corpus)", () => {
  it("lists one dataset's samples in sampleHash order with canonical text, prompt and response", () => {
    const corpus = buildTrainingCorpus({ training: [training(1n, 1n, fileA)] });
    const samples = parseDataset(fileA);
    expect(corpus.lines.map((l) => l.sampleHash)).to.deep.equal(samples.map((s) => s.sampleHash).sort());
    const coat = corpus.lines.find((l) => l.text.includes("wool coat"));
    expect(coat).to.deep.include({
      datasetId: 1n,
      text: "Write ad copy.\nitem: wool coat\nMeet the wool coat.",
      prompt: "Write ad copy.\nitem: wool coat",
      response: "Meet the wool coat.",
    });
    expect(corpus.datasets).to.deep.equal([{ datasetId: 1n, root: rootA, excludedSampleHashes: [] }]);
  });

  it("gives a copy's samples to the earlier-committed dataset and excludes them from the copy", () => {
    const copy = jsonlFile([A[0] as object, A[2] as object, alpaca("oak table")]);
    const corpus = buildTrainingCorpus({ training: [training(2n, 2n, copy), training(1n, 1n, fileA)] });
    const shared = [hashesOf(fileA).hashes[0], hashesOf(fileA).hashes[2]].sort() as Hex[];
    expect(hashesIn(corpus, 1n)).to.deep.equal([...hashesOf(fileA).hashes].sort());
    expect(hashesIn(corpus, 2n)).to.deep.equal([hashesOf(copy).hashes[2]]);
    expect(corpus.datasets[1]?.excludedSampleHashes).to.deep.equal(shared);
    expect(corpus.lines).to.have.length(4);
    expectIndexOrder(corpus.lines);
    expectRootsRebuild(corpus);
  });

  it("orders ownership by commit order, not by dataset id", () => {
    // Dataset 5 was committed first; dataset 2, committed later, copied one of its samples.
    const copy = jsonlFile([A[1] as object, alpaca("glass vase")]);
    const corpus = buildTrainingCorpus({ training: [training(5n, 1n, fileA), training(2n, 7n, copy)] });
    const copied = hashesOf(fileA).hashes[1] as Hex;
    expect(hashesIn(corpus, 5n)).to.include(copied);
    expect(hashesIn(corpus, 2n)).to.not.include(copied);
    expect(corpus.datasets.map((d) => d.datasetId)).to.deep.equal([2n, 5n]);
    expect(corpus.lines[0]?.datasetId).to.equal(2n);
    expectIndexOrder(corpus.lines);
    expectRootsRebuild(corpus);
  });

  it("leaves out a sample whose earliest owner is not a training dataset", () => {
    const stolen = hashesOf(fileA).hashes[0] as Hex;
    const corpus = buildTrainingCorpus({
      training: [training(3n, 4n, fileA)],
      others: [
        { datasetId: 1n, commitOrder: 2n, sampleHashes: [stolen, hashesOf(jsonlFile([alpaca("x")])).hashes[0] as Hex] },
      ],
    });
    expect(hashesIn(corpus, 3n)).to.not.include(stolen);
    expect(corpus.lines).to.have.length(2);
    expect(corpus.datasets[0]?.excludedSampleHashes).to.deep.equal([stolen]);
    expectRootsRebuild(corpus);
  });

  it("ignores a non-training dataset committed after the training datasets", () => {
    const corpus = buildTrainingCorpus({
      training: [training(1n, 1n, fileA)],
      others: [{ datasetId: 9n, commitOrder: 9n, sampleHashes: hashesOf(fileA).hashes }],
    });
    expect(corpus.lines).to.have.length(3);
    expect(corpus.datasets[0]?.excludedSampleHashes).to.deep.equal([]);
  });

  it("refuses a dataset file that does not build its registered root", () => {
    const wrong = hashesOf(jsonlFile([alpaca("other")])).root;
    expectTrainerError(
      () => buildTrainingCorpus({ training: [{ datasetId: 1n, commitOrder: 1n, file: fileA, root: wrong }] }),
      TrainerErrorCode.DATASET_ROOT_MISMATCH,
      { datasetId: 1n, expected: wrong, found: rootA },
    );
  });

  it("refuses a ShareGPT conversation without a gpt or assistant turn, naming its line", () => {
    const file = jsonlFile([alpaca("a"), { conversations: [{ from: "human", value: "hello" }] }]);
    expectTrainerError(
      () => buildTrainingCorpus({ training: [training(4n, 1n, file)] }),
      TrainerErrorCode.SAMPLE_NOT_TRAINABLE,
      { datasetId: 4n, line: 2 },
    );
  });

  it("refuses a corpus in which an earlier dataset owns every sample", () => {
    expectTrainerError(
      () =>
        buildTrainingCorpus({
          training: [training(2n, 5n, fileA)],
          others: [{ datasetId: 1n, commitOrder: 1n, sampleHashes: hashesOf(fileA).hashes }],
        }),
      TrainerErrorCode.EMPTY_CORPUS,
      { datasetIds: [2n] },
    );
  });

  it("refuses no datasets, a dataset id twice, an id below 1 and two datasets at one commit order", () => {
    expectTrainerError(() => buildTrainingCorpus({ training: [] }), TrainerErrorCode.INVALID_DATASETS);
    expectTrainerError(
      () => buildTrainingCorpus({ training: [training(0n, 1n, fileA)] }),
      TrainerErrorCode.INVALID_DATASETS,
    );
    expectTrainerError(
      () =>
        buildTrainingCorpus({
          training: [training(1n, 1n, fileA)],
          others: [{ datasetId: 1n, commitOrder: 2n, sampleHashes: [] }],
        }),
      TrainerErrorCode.DUPLICATE_DATASET,
      { datasetId: 1n },
    );
    expectTrainerError(
      () =>
        buildTrainingCorpus({
          training: [training(1n, 3n, fileA)],
          others: [{ datasetId: 2n, commitOrder: 3n, sampleHashes: [] }],
        }),
      TrainerErrorCode.DUPLICATE_COMMIT_ORDER,
      { commitOrder: 3n, datasetIds: [1n, 2n] },
    );
  });
});

describe("trainer/corpus prompt and response (docs/trainer.md)", () => {
  it("joins the non-empty ones of system, instruction and input for Alpaca, output as response", () => {
    expect(
      splitPromptResponse({ system: "Be brief.", instruction: "Describe", input: "", output: "A coat." }),
    ).to.deep.equal({
      prompt: "Be brief.\nDescribe",
      response: "A coat.",
    });
    expect(splitPromptResponse({ instruction: "Describe", output: "x" })).to.deep.equal({
      prompt: "Describe",
      response: "x",
    });
  });

  it("takes the last gpt or assistant turn as response and the turns before it as prompt for ShareGPT", () => {
    const one = {
      conversations: [
        { from: "human", value: "hi" },
        { from: "gpt", value: "hello" },
      ],
    };
    expect(splitPromptResponse(one)).to.deep.equal({ prompt: "hi", response: "hello" });
    const many = {
      conversations: [
        { from: "system", value: "s" },
        { from: "human", value: "q1" },
        { from: "gpt", value: "a1" },
        { from: "human", value: "q2" },
        { from: "assistant", value: "a2" },
        { from: "human", value: "thanks" },
      ],
    };
    expect(splitPromptResponse(many)).to.deep.equal({
      prompt: "system: s\nhuman: q1\ngpt: a1\nhuman: q2",
      response: "a2",
    });
    expect(splitPromptResponse({ conversations: [{ from: "gpt", value: "only" }] })).to.deep.equal({
      prompt: "",
      response: "only",
    });
    expect(splitPromptResponse({ conversations: [{ from: "GPT", value: "case matters" }] })).to.equal(undefined);
  });
});

describe("trainer/corpus file", () => {
  it("writes exactly the five keys per line, LF-terminated, with a dataset id of any size as a JSON integer", () => {
    const line: CorpusLine = {
      datasetId: 2n ** 64n + 1n,
      sampleHash: `0x${"ab".repeat(32)}`,
      text: 'a "quoted"\nline',
      prompt: "p",
      response: "r",
    };
    const text = new TextDecoder().decode(encodeCorpus([line, { ...line, datasetId: 3n }]));
    const lines = text.split("\n");
    expect(lines).to.have.length(3);
    expect(lines[2]).to.equal("");
    expect(lines[0]).to.equal(
      `{"datasetId":18446744073709551617,"sampleHash":"0x${"ab".repeat(32)}","text":"a \\"quoted\\"\\nline","prompt":"p","response":"r"}`,
    );
    expect(Object.keys(JSON.parse(lines[1] as string))).to.deep.equal([
      "datasetId",
      "sampleHash",
      "text",
      "prompt",
      "response",
    ]);
  });
});
