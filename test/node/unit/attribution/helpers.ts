import { expect } from "chai";
import type { Hex } from "viem";
import {
  type AttributionError,
  type AttributionErrorCode,
  AttributionIndex,
  type AttributionSample,
} from "../../../../node/src/attribution/index.js";
import { type ContributorShare, hashSample } from "../../../../node/src/protocol/index.js";

/** A corpus sample of `text` (canonical text) in dataset `datasetId`. */
export function sample(datasetId: bigint, text: string): AttributionSample {
  return { datasetId, sampleHash: hashSample(text), text };
}

/** Shares from `[datasetId, ppm]` pairs. */
export function shares(...pairs: [bigint, number][]): ContributorShare[] {
  return pairs.map(([datasetId, weightPpm]) => ({ datasetId, weightPpm }));
}

/** An index of version 1 over `samples`. */
export function buildIndex(
  samples: readonly AttributionSample[],
  trainingShares: readonly ContributorShare[],
  minSpan = 8,
  versionId = 1n,
): AttributionIndex {
  return AttributionIndex.build({ versionId, samples, trainingShares, minSpan });
}

/** A JSONL file of the given objects, LF after each line. */
export function jsonlFile(rows: readonly object[]): Uint8Array {
  return new TextEncoder().encode(rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

/** A deterministic PRNG (mulberry32): the same seed, the same numbers. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn`, expects an {@link AttributionError} with `code` (and `context`, when given), and returns it. */
export function expectAttributionError(
  fn: () => unknown,
  code: AttributionErrorCode,
  context: object = {},
): AttributionError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  return check(thrown, code, context);
}

/** Awaits `promise`, expects an {@link AttributionError} with `code` (and `context`), and returns it. */
export async function expectRejectedWithCode(
  promise: Promise<unknown>,
  code: AttributionErrorCode,
  context: object = {},
): Promise<AttributionError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  return check(thrown, code, context);
}

function check(thrown: unknown, code: AttributionErrorCode, context: object): AttributionError {
  expect(thrown, `expected an AttributionError ${code}`).to.be.instanceOf(Error);
  const err = thrown as AttributionError;
  expect(err.name).to.equal("AttributionError");
  expect(err.type.code).to.equal(code);
  expect(err.type).to.deep.include(context);
  return err;
}

/** Lowercase hex of a sample hash, as the index keeps them. */
export function lower(hash: Hex): Hex {
  return hash.toLowerCase() as Hex;
}
