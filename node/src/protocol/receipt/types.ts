import type { Address, Hex } from "viem";

/**
 * A dapp's promise to pay for one request (DESIGN §4), signed with EIP-712 by the payer or a signer it authorized.
 * Integers of up to 32 bits are `number`, wider ones `bigint`, as viem maps Solidity types.
 */
export type Receipt = {
  /** Whose escrow account (payer, node) pays. */
  payer: Address;
  /** The node that serves the request and alone redeems the receipt (or its operator). */
  node: Address;
  /** The adapter version served; one version per lane. */
  versionId: bigint;
  /** The payer's lane number (uint32). */
  lane: number;
  /** 1 for the first request of the lane, then +1 per request (uint64). */
  seq: bigint;
  /** keccak256 of the raw HTTP request body, as sent. */
  requestHash: Hex;
  /** This request's price (uint128, > 0). */
  value: bigint;
  /** Σ value over the lane up to and including this request (uint128). */
  cumulative: bigint;
};

/** A node's signed account of one inference (DESIGN §4); its EIP-712 digest is the record's id. */
export type InferenceRecord = {
  /** The full EIP-712 digest of the receipt it answers. */
  receiptDigest: Hex;
  /** keccak256 of the UTF-8 output text of the first choice. */
  outputHash: Hex;
  /** Prompt tokens, by the served model (uint32). */
  promptTokens: number;
  /** Output tokens, by the served model (uint32). */
  outputTokens: number;
  /** The credited datasets, strictly ascending. */
  datasetIds: readonly bigint[];
  /** Each dataset's weight in ppm, > 0, summing to exactly 1,000,000 (uint32 each). */
  weightsPpm: readonly number[];
};

/** One entry of a `/olp/records/1` gossip message (DESIGN §4). */
export type Entry = {
  receipt: Receipt;
  /** 65-byte `r‖s‖v` signature of the receipt by its payer or authorized signer. */
  receiptSig: Hex;
  record: InferenceRecord;
  /** 65-byte `r‖s‖v` signature of the record by the node's operator. */
  recordSig: Hex;
  /** The output text; empty in private mode. */
  outputText: string;
};

/** The EIP-712 domain of receipts and records: the Settlement contract on one chain. */
export type SettlementDomain = {
  name: "OLP Settlement";
  version: "1";
  chainId: bigint;
  verifyingContract: Address;
};

/** One leaf of an attribution tree: `amount` of a pool attributed to `datasetId`. */
export type AttributionLeaf = {
  datasetId: bigint;
  amount: bigint;
};

/** The `/olp/attribution/1` message (DESIGN §4): a pool's root, its leaves and the records it counted. */
export type AttributionMessage = {
  node: Address;
  versionId: bigint;
  epoch: bigint;
  root: Hex;
  /** Ascending by dataset id, no zero amounts. */
  leaves: readonly AttributionLeaf[];
  recordsRoot: Hex;
  /** Ascending. */
  recordIds: readonly Hex[];
};
