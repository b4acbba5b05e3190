import { readFileSync } from "node:fs";
import { expect } from "chai";
import { hexToBytes } from "viem";
import { DatasetError, type DatasetErrorCode } from "../../../../node/src/protocol/index.js";
import type { DatasetRootVector, FileInput, SampleVector } from "./vectors.js";
import { DATASET_ROOTS_PATH, SAMPLES_PATH } from "./vectors.js";

/** test/vectors/samples.json, the pinned truth. */
export function loadSampleVectors(): SampleVector[] {
  return JSON.parse(readFileSync(SAMPLES_PATH, "utf8")) as SampleVector[];
}

/** test/vectors/dataset-roots.json, the pinned truth. */
export function loadDatasetRootVectors(): DatasetRootVector[] {
  return JSON.parse(readFileSync(DATASET_ROOTS_PATH, "utf8")) as DatasetRootVector[];
}

/** The bytes of a vector's dataset file. */
export function fileBytes(input: FileInput): Uint8Array {
  return "utf8" in input ? new TextEncoder().encode(input.utf8) : hexToBytes(input.hex);
}

/** Runs `fn`, expects a {@link DatasetError}, checks its code (and context, when given) and returns it. */
export function expectDatasetError(
  fn: () => unknown,
  code: DatasetErrorCode,
  context: Record<string, unknown> = {},
): DatasetError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a DatasetError to be thrown").to.be.instanceOf(DatasetError);
  const error = thrown as DatasetError;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}
