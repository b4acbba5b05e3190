import type { Account, Address, Chain, Client, Hex, Transport } from "viem";
import type { Receipt } from "../protocol/index.js";

/**
 * A lane (DESIGN §4): the payer's sequence of receipts with one node for one adapter version. The Settlement keys what
 * it collected by these four fields; a dapp runs several lanes with one node by numbering them.
 */
export type Lane = {
  /** Whose escrow account pays. */
  payer: Address;
  /** The node that serves the requests and redeems the receipts. */
  node: Address;
  /** The adapter version served. */
  versionId: bigint;
  /** The payer's lane number (uint32). */
  lane: number;
};

/** A receipt and its 65-byte low-s signature, as they travel in the `OLP-Receipt` header. */
export type SignedReceipt = {
  receipt: Receipt;
  /** `r‖s‖v`, `v` ∈ {27, 28}, `s` ≤ n/2 (DESIGN §4). */
  signature: Hex;
};

/**
 * What the SDK keeps durably about one lane: the last receipt it signed (or adopted with its signature, see
 * `resumeLane`). A lane without receipts has no state. `seq` and `cumulative` are the last receipt's.
 */
export type LaneState = {
  lane: Lane;
  /** The seq of the last receipt (≥ 1). */
  seq: bigint;
  /** The cumulative of the last receipt. */
  cumulative: bigint;
  /** The last receipt and its signature: what a node that missed it can be sent again. */
  last: SignedReceipt;
};

/**
 * What a node last saw of a lane, as it reports it (in a 402 body or a status reply). `receipt` and `signature` are
 * the node's proof: the receipt of `seq`, signed by the payer or its signer. Without them the view is the node's word.
 */
export type NodeLaneView = {
  seq: bigint;
  cumulative: bigint;
  receipt?: Receipt;
  signature?: Hex;
};

/** A viem client with an account: the account signs (receipts, authorizations) or sends (deposits). */
export type AccountClient = Client<Transport, Chain | undefined, Account>;
