import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Hex } from "viem";
import { getDatasetRoot, parseDataset } from "../../../../node/src/protocol/index.js";
import { TrainerError, type TrainerErrorCode } from "../../../../node/src/trainer/index.js";

/** A JSONL file of the given objects, LF after each line. */
export function jsonlFile(rows: readonly object[]): Uint8Array {
  return new TextEncoder().encode(rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

/** An Alpaca row that is unique per `tag`. */
export function alpaca(tag: string, extra: Record<string, string> = {}): Record<string, string> {
  return { instruction: "Write ad copy.", input: `item: ${tag}`, output: `Meet the ${tag}.`, ...extra };
}

/** The sample hashes of a file, in file order, and its root. */
export function hashesOf(file: Uint8Array): { hashes: Hex[]; root: Hex } {
  const hashes = parseDataset(file).map((s) => s.sampleHash);
  return { hashes, root: getDatasetRoot(hashes) };
}

/** Runs `fn`, expects a {@link TrainerError} with `code` (and `context`, when given), and returns it. */
export function expectTrainerError(fn: () => unknown, code: TrainerErrorCode, context: object = {}): TrainerError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  return checkTrainerError(thrown, code, context);
}

/** Awaits `promise`, expects it to reject with a {@link TrainerError} with `code` (and `context`), and returns it. */
export async function expectRejectedWithCode(
  promise: Promise<unknown>,
  code: TrainerErrorCode,
  context: object = {},
): Promise<TrainerError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  return checkTrainerError(thrown, code, context);
}

function checkTrainerError(thrown: unknown, code: TrainerErrorCode, context: object): TrainerError {
  expect(thrown, "expected a TrainerError").to.be.instanceOf(TrainerError);
  const error = thrown as TrainerError;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}

/** A temporary folder for one test. */
export function tempDir(prefix = "olnode-trainer-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A stand-in for `python3`: a shell script run with the trainer's arguments (`-m olp_trainer <command> …`, ignored),
 * whose stdout, stderr and exit status the test writes. `exec` the last long command, so a kill reaches it.
 */
export async function fakePython(script: string): Promise<string> {
  const path = join(await tempDir("olnode-fake-python-"), "python3");
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

/** A bytes32 hex of one repeated byte. */
export const H = (byte: string): Hex => `0x${byte.repeat(32)}`;

/** A train result as the trainer writes it (docs/trainer.md "train result"). */
export function trainResultJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    baseModelHash: H("01"),
    configHash: H("02"),
    seed: H("03"),
    datasetIds: [1, 2],
    initialWeightsHash: H("04"),
    initialStateHash: H("05"),
    weightsHash: H("06"),
    finalHead: H("07"),
    checkpointRoot: H("08"),
    checkpoints: 2,
    steps: 8,
    contributorsRoot: H("09"),
    shares: { "2": 400_000, "1": 600_000 },
    evalScore: 0,
    trainableParameters: 78848,
    trainSeconds: 3.5,
    tokensPerSecond: 250.5,
    ...overrides,
  };
}
