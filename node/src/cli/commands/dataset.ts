import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Hex } from "viem";
import { DatasetError, getDatasetRoot, parseDataset, type Sample, type SampleShape } from "../../protocol/index.js";
import { CliError, type Command, ExitCode, writeJson } from "../command.js";

/** What `olnode dataset inspect` reports. */
export interface DatasetSummary {
  readonly file: string;
  readonly bytes: number;
  readonly samples: number;
  readonly shapes: Readonly<Record<SampleShape, number>>;
  /** Attribution tokens (DESIGN §8) of the normalized texts: an estimate of the model's token count. */
  readonly tokens: number;
  readonly datasetRoot: Hex;
}

/**
 * The Unicode version of the Node.js the protocol pins (DESIGN §4; test/node/unit/protocol/purity.test.ts checks it):
 * another one may accept or normalize code points differently, and so compute another dataset root.
 */
export const PINNED_UNICODE_VERSION = "17.0";

/**
 * DESIGN §8's tokens: maximal runs of letters, marks and digits, and single other non-space characters. Counted on
 * normalized text, where the only space left is U+0020.
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+|[^\p{L}\p{M}\p{N} ]/gu;

/** Counts DESIGN §8 attribution tokens in a normalized text. */
export function countTokens(normalizedText: string): number {
  let count = 0;
  for (const _ of normalizedText.matchAll(TOKEN)) count++;
  return count;
}

/** Summarizes parsed samples: counts per shape, tokens, and the dataset root they commit to. */
export function summarizeDataset(file: string, bytes: number, samples: readonly Sample[]): DatasetSummary {
  const shapes: Record<SampleShape, number> = { alpaca: 0, sharegpt: 0 };
  let tokens = 0;
  for (const sample of samples) {
    shapes[sample.shape] += 1;
    tokens += countTokens(sample.normalizedText);
  }
  const datasetRoot = getDatasetRoot(samples.map((s) => s.sampleHash));
  return { file, bytes, samples: samples.length, shapes, tokens, datasetRoot };
}

/** `olnode dataset inspect <file.jsonl>`. */
export const datasetInspectCommand: Command = {
  path: ["dataset", "inspect"],
  summary: "check a dataset file: samples, shapes, tokens, dataset root",
  description: [
    "Parses a dataset file exactly as the protocol does (DESIGN §4: UTF-8 JSONL, Alpaca or ShareGPT lines) and",
    "prints its sample count, the count of each shape, an estimate of its tokens (DESIGN §8 attribution tokens)",
    "and its dataset root, the value registered on chain. A malformed file prints the line number and the",
    "problem, and exits 1.",
  ].join("\n"),
  positionals: [{ name: "file.jsonl", description: "the dataset file" }],
  options: {},
  configFlags: false,
  examples: ["olnode dataset inspect data/train.jsonl", "olnode dataset inspect data/train.jsonl --json"],
  async run(context) {
    const file = context.args.positionals[0] as string;
    const unicode = process.versions.unicode;
    if (unicode !== PINNED_UNICODE_VERSION) {
      throw new CliError(
        `this Node.js has Unicode ${unicode} tables, the protocol pins ${PINNED_UNICODE_VERSION}: its dataset root could differ from the network's; run bin/olnode, which uses the project's Node.js`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_UNICODE_VERSION",
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(resolve(context.io.cwd, file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const problem =
        code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a file" : (code ?? "unreadable");
      throw new CliError(`${file}: ${problem}`, ExitCode.USER_ERROR, "CLI_ERROR_FILE_NOT_READABLE");
    }
    let samples: Sample[];
    try {
      samples = parseDataset(bytes);
    } catch (err) {
      if (err instanceof DatasetError) throw new DatasetFileError(file, err);
      throw err;
    }
    const summary = summarizeDataset(file, bytes.length, samples);
    if (context.json) {
      writeJson(context.io.stdout, summary);
      return;
    }
    const lines = [
      `file         ${summary.file}`,
      `bytes        ${summary.bytes}`,
      `samples      ${summary.samples} (alpaca ${summary.shapes.alpaca}, sharegpt ${summary.shapes.sharegpt})`,
      `tokens       ~${summary.tokens} (DESIGN §8 attribution tokens)`,
      `datasetRoot  ${summary.datasetRoot}`,
    ];
    context.io.stdout.write(`${lines.join("\n")}\n`);
  },
};

/** A {@link DatasetError} with the file it was found in, for the CLI's message and `--json` output. */
export class DatasetFileError extends CliError {
  /**
   * @param file the file as the user named it
   * @param error the protocol's error (its `type` has the code and the line)
   */
  constructor(
    readonly file: string,
    readonly error: DatasetError,
  ) {
    super(`${file}: ${error.message}`, ExitCode.USER_ERROR, error.type.code);
    this.name = "DatasetFileError";
  }
}
