import { expect } from "chai";
import { type Address, concat, type Hex, hexToBigInt, keccak256, numberToHex, slice, toHex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import {
  type Entry,
  encodeRecordsMessage,
  getReceiptDigest,
  hashOutputText,
  hashRequestBody,
  type InferenceRecord,
  inferenceRecordTypes,
  type Receipt,
  receiptTypes,
  SECP256K1_N,
  type SettlementDomain,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import {
  type GossipAction,
  type LaneUpdate,
  type StoredReceipt,
  type ValidationContext,
  ValidationError,
  type ValidationErrorCode,
  VersionStatus,
  validateReceipt,
  validateRecordsMessage,
} from "../../../../node/src/validation/index.js";
import { ChainViewFake, LaneViewFake } from "./fakes.js";

/** The node's price for {@link VERSION}, in wei. */
export const PRICE = 100n;
/** An active version trained on {@link TRAINING_DATASETS}. */
export const VERSION = 7n;
export const REJECTED_VERSION = 8n;
export const PENDING_VERSION = 9n;
/** A version id our chain view has not indexed. */
export const UNKNOWN_VERSION = 10n;
export const TRAINING_DATASETS = [1n, 2n, 3n] as const;
/** The payer's escrow cover (balance − thawing) with each node. */
export const COVERAGE = 1_000n;
export const CHAIN_ID = 31337n;
export const SETTLEMENT: Address = "0x5e771e0000000000000000000000000000000001";

const actor = (name: string): PrivateKeyAccount => privateKeyToAccount(keccak256(toHex(`validation test: ${name}`)));

/** Real keys for every role. */
export const ACTORS = {
  payer: actor("payer"),
  /** Authorized by `payer`. */
  signer: actor("signer"),
  /** Authorized by `payer` too. */
  secondSigner: actor("second signer"),
  stranger: actor("stranger"),
  otherPayer: actor("other payer"),
  /** Node A: the node the receipts name (our node on the HTTP path). */
  node: actor("node"),
  operator: actor("operator"),
  /** Node B, registered with its own operator. */
  otherNode: actor("other node"),
  otherOperator: actor("other operator"),
  /** An address that never registered as a node (THREATS #1). */
  unregistered: actor("unregistered"),
};

export type World = {
  domain: SettlementDomain;
  chain: ChainViewFake;
  lanes: LaneViewFake;
  ctx: ValidationContext;
};

/**
 * A fresh chain and store: nodes A and B registered with their operators and priced at {@link PRICE} for every
 * version; versions active, rejected and pending; `payer` with two authorized signers and {@link COVERAGE} with both.
 */
export function newWorld(): World {
  const { payer, signer, secondSigner, otherPayer, node, operator, otherNode, otherOperator } = ACTORS;
  const chain = new ChainViewFake(CHAIN_ID, SETTLEMENT)
    .authorize(payer.address, signer.address)
    .authorize(payer.address, secondSigner.address)
    .register(node.address, operator.address)
    .register(otherNode.address, otherOperator.address)
    .setVersion(VERSION, VersionStatus.ACTIVE, TRAINING_DATASETS)
    .setVersion(REJECTED_VERSION, VersionStatus.REJECTED, TRAINING_DATASETS)
    .setVersion(PENDING_VERSION, VersionStatus.PENDING, TRAINING_DATASETS);
  for (const n of [node, otherNode]) {
    for (const v of [VERSION, REJECTED_VERSION, PENDING_VERSION]) chain.setPrice(n.address, v, PRICE);
    chain.setCoverage(payer.address, n.address, COVERAGE).setCoverage(otherPayer.address, n.address, COVERAGE);
  }
  const lanes = new LaneViewFake();
  return { domain: settlementDomain(CHAIN_ID, SETTLEMENT), chain, lanes, ctx: { chain, lanes } };
}

/** The request body a receipt at `seq` pays for. */
export function bodyOf(seq: bigint, lane = 0): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ model: "adapter", prompt: `lane ${lane} request ${seq}` }));
}

/**
 * A receipt of `payer` to node A for {@link VERSION}: seq 1 unless told, value {@link PRICE}, cumulative
 * `seq × value` (the lane so far at one price), requestHash of {@link bodyOf}.
 */
export function receiptOf(overrides: Partial<Receipt> = {}): Receipt {
  const seq = overrides.seq ?? 1n;
  const value = overrides.value ?? PRICE;
  const lane = overrides.lane ?? 0;
  return {
    payer: ACTORS.payer.address,
    node: ACTORS.node.address,
    versionId: VERSION,
    lane,
    seq,
    requestHash: hashRequestBody(bodyOf(seq, lane)),
    value,
    cumulative: seq * value,
    ...overrides,
  };
}

/** `account`'s EIP-712 signature of `receipt` under `domain` (ours unless told). */
export function signReceipt(
  account: PrivateKeyAccount,
  receipt: Receipt,
  domain: SettlementDomain = settlementDomain(CHAIN_ID, SETTLEMENT),
): Promise<Hex> {
  return account.signTypedData({ domain, types: receiptTypes, primaryType: "Receipt", message: receipt });
}

/** `account`'s EIP-712 signature of `record` under our domain. */
export function signRecord(account: PrivateKeyAccount, record: InferenceRecord): Promise<Hex> {
  const domain = settlementDomain(CHAIN_ID, SETTLEMENT);
  return account.signTypedData({
    domain,
    types: inferenceRecordTypes,
    primaryType: "InferenceRecord",
    message: record,
  });
}

/** The output text of the inference a receipt paid for. */
export function outputOf(receipt: Receipt): string {
  return `answer to lane ${receipt.lane} seq ${receipt.seq}`;
}

export type EntryOptions = {
  /** The output text that travels; "" for private mode. Default {@link outputOf}. */
  outputText?: string;
  /** Fields of the record to change before signing. */
  record?: Partial<InferenceRecord>;
  /** Who signs the record; node A's operator unless told. */
  recordSigner?: PrivateKeyAccount;
  /** A record signature to use as is. */
  recordSig?: Hex;
};

/** A gossip entry for `receipt`: a record that answers it, signed by node A's operator. */
export async function entryOf(receipt: Receipt, receiptSig: Hex, options: EntryOptions = {}): Promise<Entry> {
  const outputText = options.outputText ?? outputOf(receipt);
  const record: InferenceRecord = {
    receiptDigest: getReceiptDigest(settlementDomain(CHAIN_ID, SETTLEMENT), receipt),
    outputHash: hashOutputText(outputText === "" ? outputOf(receipt) : outputText),
    promptTokens: 12,
    outputTokens: 34,
    datasetIds: [1n, 3n],
    weightsPpm: [700_000, 300_000],
    ...options.record,
  };
  const recordSig = options.recordSig ?? (await signRecord(options.recordSigner ?? ACTORS.operator, record));
  return { receipt, receiptSig, record, recordSig, outputText };
}

/** A signed receipt and its one-entry records message. */
export async function messageOf(receipt: Receipt, options: EntryOptions = {}): Promise<Hex> {
  return encodeRecordsMessage([await entryOf(receipt, await signReceipt(ACTORS.payer, receipt), options)]);
}

/** What a path accepted, normalized for the store. */
export type Accepted = { lanes: LaneUpdate[]; receipts: StoredReceipt[]; receiptKeys: Hex[] };

/** One entry point into validation, for the shared suite. */
export type Subject = {
  name: string;
  /** Validates one signed receipt (for node A) through this path, and persists what it accepted. */
  submit(w: World, receipt: Receipt, signature: Hex): Promise<Accepted>;
};

/** The HTTP path: node A serving the request the receipt pays for. */
export const httpSubject: Subject = {
  name: "validateReceipt (HTTP)",
  async submit(w, receipt, signature) {
    const opts = { node: ACTORS.node.address, versionId: receipt.versionId, requestHash: receipt.requestHash };
    const accepted = await validateReceipt(receipt, signature, w.ctx, opts);
    const result = { lanes: [accepted.lane], receipts: [accepted], receiptKeys: [accepted.receiptKey] };
    w.lanes.apply(result.lanes, result.receipts);
    return result;
  },
};

/** The gossip path: a one-entry records message of node A, its record signed by A's operator. */
export const gossipSubject: Subject = {
  name: "validateRecordsMessage (gossip, one entry)",
  async submit(w, receipt, signature) {
    const payload = encodeRecordsMessage([await entryOf(receipt, signature)]);
    const accepted = await validateRecordsMessage(payload, "peer-1", w.ctx);
    const result = {
      lanes: accepted.lanes,
      receipts: accepted.entries.map((e) => ({
        receipt: e.receipt,
        signature: e.signature,
        digest: e.digest,
        signer: e.signer,
        recordId: e.record.recordId,
      })),
      receiptKeys: accepted.entries.map((e) => e.receiptKey),
    };
    w.lanes.apply(result.lanes, result.receipts);
    return result;
  },
};

/** Awaits `pending`, expects a {@link ValidationError} with `action`, `code` and `context`, and returns it. */
export async function expectValidationError(
  pending: Promise<unknown>,
  action: GossipAction,
  code: ValidationErrorCode,
  context: Record<string, unknown> = {},
): Promise<ValidationError> {
  let thrown: unknown;
  try {
    await pending;
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a ValidationError to be thrown").to.be.instanceOf(ValidationError);
  const error = thrown as ValidationError;
  expect(error.type.code, error.message).to.equal(code);
  expect(error.action, error.message).to.equal(action);
  expect(error.type).to.deep.include(context);
  return error;
}

/** The 64-byte EIP-2098 form of a 65-byte signature: r ‖ (yParity << 255 | s). */
export function toCompact(signature: Hex): Hex {
  const yParity = hexToBigInt(slice(signature, 64, 65)) === 28n ? 1n : 0n;
  const s = hexToBigInt(slice(signature, 32, 64)) | (yParity << 255n);
  return concat([slice(signature, 0, 32), numberToHex(s, { size: 32 })]);
}

/** The malleable twin of a low-s signature: s' = n − s with the other v; it recovers the same signer. */
export function toHighS(signature: Hex): Hex {
  const s = SECP256K1_N - hexToBigInt(slice(signature, 32, 64));
  const v = hexToBigInt(slice(signature, 64, 65)) === 27n ? 28 : 27;
  return concat([slice(signature, 0, 32), numberToHex(s, { size: 32 }), numberToHex(v, { size: 1 })]);
}

/** A signature with `v` replaced. */
export function withV(signature: Hex, v: number): Hex {
  return concat([slice(signature, 0, 64), numberToHex(v, { size: 1 })]);
}
