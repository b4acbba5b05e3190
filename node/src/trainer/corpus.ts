import type { Hex } from "viem";
import { getDatasetRoot, parseDataset, readJsonlLines, type Sample } from "../protocol/index.js";
import { TrainerError, TrainerErrorCode } from "./errors.js";

/** A training dataset: its file (fetched and to be checked against its registered root) and its place in the order. */
export interface TrainingDatasetInput {
  readonly datasetId: bigint;
  /** The root `DatanetRegistry` registered. */
  readonly root: Hex;
  /** `DatanetRegistry` `Dataset.commitOrder`: the registration order (DESIGN §4 commit–reveal). */
  readonly commitOrder: bigint;
  /** The dataset file's bytes (DESIGN §4 JSONL). */
  readonly file: Uint8Array;
}

/**
 * A dataset that is not trained on but could own a sample: revealed before the training commitment. Only its sample
 * hashes matter. Datasets committed after every training dataset can own nothing and may be left out.
 */
export interface OwnerDatasetInput {
  readonly datasetId: bigint;
  readonly commitOrder: bigint;
  readonly sampleHashes: readonly Hex[];
}

/** Inputs of {@link buildTrainingCorpus}. */
export interface BuildTrainingCorpusParameters {
  /** The commitment's datasets, in any order (the corpus orders them by id). */
  readonly training: readonly TrainingDatasetInput[];
  /** Every other dataset revealed before the training commitment (the caller filters by reveal block). */
  readonly others?: readonly OwnerDatasetInput[];
}

/** One corpus line (docs/trainer.md "The corpus file"). */
export interface CorpusLine {
  readonly datasetId: bigint;
  readonly sampleHash: Hex;
  /** The canonical text (DESIGN §4, before `normalize`): the trainer counts its tokens for the training shares. */
  readonly text: string;
  readonly prompt: string;
  readonly response: string;
}

/** A training dataset as the job names it. */
export interface CorpusDataset {
  readonly datasetId: bigint;
  readonly root: Hex;
  /** Sample hashes of the root that an earlier-committed dataset owns, ascending. */
  readonly excludedSampleHashes: readonly Hex[];
}

/** The training corpus of DESIGN §7 and the job's dataset list. */
export interface TrainingCorpus {
  /** In index order: ascending by (datasetId, sampleHash), each sample hash once. */
  readonly lines: readonly CorpusLine[];
  /** Ascending by id. */
  readonly datasets: readonly CorpusDataset[];
}

/** ShareGPT `from` values of the model's turns (`trainer/olp_trainer/data.py` ASSISTANT_ROLES). */
const ASSISTANT_ROLES = new Set(["gpt", "assistant"]);

/**
 * The training corpus (DESIGN §7 "Training corpus"): the samples of the training datasets, each sample hash once,
 * belonging to the earliest-committed of all given datasets that hold it; a sample whose owner is not a training
 * dataset is left out. Each training dataset's hashes that it does not own become its `excludedSampleHashes`, so the
 * trainer can rebuild its root. Pure.
 *
 * @throws {TrainerError} `INVALID_DATASETS` (none, or an id below 1), `DUPLICATE_DATASET`, `DUPLICATE_COMMIT_ORDER`,
 * `DATASET_ROOT_MISMATCH` (a file that does not build its registered root), `SAMPLE_NOT_TRAINABLE`, `EMPTY_CORPUS`
 * @throws {DatasetError} for a file that breaks DESIGN §4
 */
export function buildTrainingCorpus({ training, others = [] }: BuildTrainingCorpusParameters): TrainingCorpus {
  if (training.length === 0) {
    throw new TrainerError({ code: TrainerErrorCode.INVALID_DATASETS, reason: "no training dataset" });
  }
  const all = [
    ...training.map((d) => ({ datasetId: d.datasetId, commitOrder: d.commitOrder })),
    ...others.map((d) => ({ datasetId: d.datasetId, commitOrder: d.commitOrder })),
  ];
  checkDistinct(all);

  const parsed = [...training]
    .sort((a, b) => compareBigint(a.datasetId, b.datasetId))
    .map((dataset) => {
      const samples = parseDataset(dataset.file);
      // [REJECT] DESIGN §4: the node checks fetched samples against the registered root.
      const found = getDatasetRoot(samples.map((s) => s.sampleHash));
      if (found.toLowerCase() !== dataset.root.toLowerCase()) {
        throw new TrainerError({
          code: TrainerErrorCode.DATASET_ROOT_MISMATCH,
          datasetId: dataset.datasetId,
          expected: dataset.root,
          found,
        });
      }
      return { dataset, samples };
    });

  // DESIGN §7: a sample hash belongs to the earliest-committed dataset that holds it.
  const owner = new Map<Hex, { datasetId: bigint; commitOrder: bigint }>();
  const claim = (sampleHash: Hex, candidate: { datasetId: bigint; commitOrder: bigint }) => {
    const key = sampleHash.toLowerCase() as Hex;
    const current = owner.get(key);
    if (current === undefined || candidate.commitOrder < current.commitOrder) owner.set(key, candidate);
  };
  for (const { dataset, samples } of parsed) for (const s of samples) claim(s.sampleHash, dataset);
  let latestTraining = 0n;
  for (const d of training) if (d.commitOrder > latestTraining) latestTraining = d.commitOrder;
  for (const other of others) {
    // A dataset committed after every training dataset can own none of their samples.
    if (other.commitOrder > latestTraining) continue;
    for (const sampleHash of other.sampleHashes)
      if (owner.has(sampleHash.toLowerCase() as Hex)) claim(sampleHash, other);
  }

  const lines: CorpusLine[] = [];
  const datasets: CorpusDataset[] = [];
  for (const { dataset, samples } of parsed) {
    const fields = sampleFields(dataset.file);
    const owned: CorpusLine[] = [];
    const excluded: Hex[] = [];
    for (const sample of samples) {
      const sampleHash = sample.sampleHash.toLowerCase() as Hex;
      // [DESIGN §7] a copy adds nothing: the sample is trained once, in its earliest dataset, or not at all.
      if (owner.get(sampleHash)?.datasetId !== dataset.datasetId) {
        excluded.push(sampleHash);
        continue;
      }
      const { prompt, response } = splitSample(sample, fields.get(sample.line), dataset.datasetId);
      owned.push({ datasetId: dataset.datasetId, sampleHash, text: sample.canonicalText, prompt, response });
    }
    // Index order (DESIGN §7): by sampleHash within a dataset; same-length lowercase hex sorts as the bytes do.
    owned.sort((a, b) => compareString(a.sampleHash, b.sampleHash));
    lines.push(...owned);
    datasets.push({
      datasetId: dataset.datasetId,
      root: dataset.root.toLowerCase() as Hex,
      excludedSampleHashes: excluded.sort(compareString),
    });
  }
  if (lines.length === 0) {
    throw new TrainerError({ code: TrainerErrorCode.EMPTY_CORPUS, datasetIds: datasets.map((d) => d.datasetId) });
  }
  return { lines, datasets };
}

/**
 * The corpus file's bytes: UTF-8 JSONL, LF after every line, exactly the keys `datasetId` (a JSON integer, written
 * from the bigint so no id loses precision), `sampleHash`, `text`, `prompt`, `response`.
 */
export function encodeCorpus(lines: readonly CorpusLine[]): Uint8Array {
  const text = lines
    .map(
      (l) =>
        `{"datasetId":${l.datasetId.toString()},"sampleHash":${JSON.stringify(l.sampleHash)},"text":${JSON.stringify(l.text)},"prompt":${JSON.stringify(l.prompt)},"response":${JSON.stringify(l.response)}}\n`,
    )
    .join("");
  return new TextEncoder().encode(text);
}

/**
 * What the model learns from a sample (docs/trainer.md "The corpus file"): Alpaca → `prompt` = the non-empty ones of
 * `system`, `instruction`, `input` joined by `"\n"`, `response` = `output`; ShareGPT → `response` = the value of the
 * last turn from `gpt` or `assistant`, `prompt` = the turns before it (the value alone for one turn, else
 * `from: value` lines joined by `"\n"`).
 *
 * @param value the sample's line as `JSON.parse` returned it, already checked by `parseDataset`
 * @returns `undefined` for a ShareGPT conversation without a turn to learn
 */
export function splitPromptResponse(value: unknown): { prompt: string; response: string } | undefined {
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "conversations")) {
    const turns = record.conversations as { from: string; value: string }[];
    let last = -1;
    for (let i = 0; i < turns.length; i++) if (ASSISTANT_ROLES.has((turns[i] as { from: string }).from)) last = i;
    if (last < 0) return undefined;
    const before = turns.slice(0, last);
    const prompt =
      before.length === 1
        ? (before[0] as { value: string }).value
        : before.map((t) => `${t.from}: ${t.value}`).join("\n");
    return { prompt, response: (turns[last] as { value: string }).value };
  }
  const read = (key: string): string => (Object.hasOwn(record, key) ? (record[key] as string) : "");
  const prompt = [read("system"), read("instruction"), read("input")].filter((part) => part !== "").join("\n");
  return { prompt, response: read("output") };
}

/** Each line's parsed JSON by line number; `parseDataset` already accepted the file, so every line parses. */
function sampleFields(file: Uint8Array): Map<number, unknown> {
  const fields = new Map<number, unknown>();
  for (const { line, text } of readJsonlLines(file)) fields.set(line, JSON.parse(text));
  return fields;
}

function splitSample(sample: Sample, value: unknown, datasetId: bigint): { prompt: string; response: string } {
  const split = splitPromptResponse(value);
  // A conversation without a model turn has nothing to learn, yet it is in the root: refuse the corpus rather than
  // silently drop a sample the trainer's root check (and a verifier) would miss.
  if (split === undefined) {
    throw new TrainerError({ code: TrainerErrorCode.SAMPLE_NOT_TRAINABLE, datasetId, line: sample.line });
  }
  return split;
}

function checkDistinct(datasets: readonly { datasetId: bigint; commitOrder: bigint }[]): void {
  const ids = new Set<bigint>();
  const orders = new Map<bigint, bigint>();
  for (const { datasetId, commitOrder } of datasets) {
    if (datasetId < 1n) {
      throw new TrainerError({ code: TrainerErrorCode.INVALID_DATASETS, reason: `dataset id ${datasetId} is below 1` });
    }
    if (ids.has(datasetId)) throw new TrainerError({ code: TrainerErrorCode.DUPLICATE_DATASET, datasetId });
    ids.add(datasetId);
    const other = orders.get(commitOrder);
    if (other !== undefined) {
      throw new TrainerError({
        code: TrainerErrorCode.DUPLICATE_COMMIT_ORDER,
        commitOrder,
        datasetIds: [other, datasetId],
      });
    }
    orders.set(commitOrder, datasetId);
  }
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
