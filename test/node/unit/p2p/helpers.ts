import { expect } from "chai";
import { type Address, type Hex, keccak256, toHex } from "viem";
import type { Entry } from "../../../../node/src/protocol/index.js";

/** The lane every test entry belongs to unless told otherwise. */
export const TEST_LANE = {
  payer: "0xbBeF0D918239fa05b7aAB20f5d881dD958c36967" as Address,
  node: "0x4e0dE00000000000000000000000000000000001" as Address,
  versionId: 7n,
  lane: 3,
};

/** A fixed 65-byte `r‖s‖v` signature; p2p tests do not check signatures (the validator module does). */
const SIGNATURE: Hex = `0x${"11".repeat(32)}${"22".repeat(32)}1b`;

/**
 * A well-formed entry of `TEST_LANE` with `seq` (value 10 per request, cumulative 10·seq), distinct per seq and text.
 * Its signatures are placeholders: structure only.
 */
export function makeEntry(seq: bigint, outputText = `output ${seq}`, lane = TEST_LANE): Entry {
  return {
    receipt: {
      ...lane,
      seq,
      requestHash: keccak256(toHex(`request ${seq}`)),
      value: 10n,
      cumulative: 10n * seq,
    },
    receiptSig: SIGNATURE,
    record: {
      receiptDigest: keccak256(toHex(`receipt ${seq}`)),
      outputHash: keccak256(toHex(outputText)),
      promptTokens: 12,
      outputTokens: 34,
      datasetIds: [1n, 4n],
      weightsPpm: [700_000, 300_000],
    },
    recordSig: SIGNATURE,
    outputText,
  };
}

/** Runs `fn` (sync or async), expects an error of `type` whose `type.code` is `code`, and returns it. */
export async function expectRejectedWithCode<E extends Error & { type: { code: string } }>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  code: string,
  context: Record<string, unknown> = {},
): Promise<E> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected a ${type.name} to be thrown`).to.be.instanceOf(type);
  const error = thrown as E;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}
