import { expect } from "chai";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  type Receipt,
  receiptTypes,
  type SettlementDomain,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import { type Lane, type LaneState, SdkError } from "../../../../node/src/sdk/index.js";

/** Fixed keys, so failures are reproducible. */
export const PAYER_KEY = keccak256(toHex("sdk test: payer"));
export const SIGNER_KEY = keccak256(toHex("sdk test: signer"));
export const STRANGER_KEY = keccak256(toHex("sdk test: stranger"));
export const payerAccount = privateKeyToAccount(PAYER_KEY);
export const signerAccount = privateKeyToAccount(SIGNER_KEY);
export const strangerAccount = privateKeyToAccount(STRANGER_KEY);

export const NODE: Address = "0x4e0dE00000000000000000000000000000000001";
export const SETTLEMENT: Address = "0x5E7711E000000000000000000000000000000001";
export const DOMAIN: SettlementDomain = settlementDomain(31337n, SETTLEMENT);

/** A lane of the test payer with the test node; `over` changes fields. */
export function testLane(over: Partial<Lane> = {}): Lane {
  return { payer: payerAccount.address, node: NODE, versionId: 1n, lane: 0, ...over };
}

/** A receipt of `lane` at (seq, cumulative), with `value` and `requestHash` made up unless given. */
export function testReceipt(lane: Lane, seq: bigint, cumulative: bigint, over: Partial<Receipt> = {}): Receipt {
  return {
    ...lane,
    seq,
    requestHash: keccak256(toHex(`request ${seq}`)),
    value: cumulative < 10n ? cumulative : 10n,
    cumulative,
    ...over,
  };
}

/** Signs `receipt` under `domain` with `key` (the signer by default). */
export async function signReceipt(receipt: Receipt, key: Hex = SIGNER_KEY, domain = DOMAIN): Promise<Hex> {
  return privateKeyToAccount(key).signTypedData({
    domain,
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
  });
}

/** A valid stored state of `lane` at (seq, cumulative), signed by the signer. */
export async function signedState(lane: Lane, seq: bigint, cumulative: bigint): Promise<LaneState> {
  const receipt = testReceipt(lane, seq, cumulative);
  return { lane, seq, cumulative, last: { receipt, signature: await signReceipt(receipt) } };
}

/**
 * Awaits `work` (a promise, or a function that returns one or throws), expects an {@link SdkError} with `code`, checks
 * its context fields when given, and returns it.
 */
export async function expectRejectedWithCode<E extends SdkError<{ code: string }>>(
  work: Promise<unknown> | (() => unknown),
  code: string,
  context: Record<string, unknown> = {},
): Promise<E> {
  let thrown: unknown;
  try {
    await (typeof work === "function" ? work() : work);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected an SdkError ${code}`).to.be.instanceOf(SdkError);
  const error = thrown as E;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}
