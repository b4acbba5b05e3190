import type { Address, Hex } from "viem";
import type { InferenceRecord, Receipt } from "../protocol/index.js";

/** A value, or a promise of it: views may answer from memory or from a database. */
export type MaybePromise<T> = T | Promise<T>;

/** Where an adapter version stands in our chain view (`AdapterRegistry.statusOf`, with "not indexed" as UNKNOWN). */
export enum VersionStatus {
  /** Not in our chain view: not registered, or registered after our latest indexed block. */
  UNKNOWN = "UNKNOWN",
  /** Registered, challenge window open or not yet activated: it may become active. */
  PENDING = "PENDING",
  /** Active: payable (DESIGN §3). */
  ACTIVE = "ACTIVE",
  /** Rejected by an upheld challenge: never payable again. */
  REJECTED = "REJECTED",
}

/**
 * What validation reads from the chain, answered at our latest indexed block (backed by the chain indexer; an
 * in-memory fake in tests). Every method may throw: validation turns that into IGNORE (CHAIN_UNAVAILABLE).
 */
export interface ChainView {
  /** The chain id of the Settlement's EIP-712 domain. */
  readonly chainId: bigint;
  /** The Settlement contract: the `verifyingContract` of receipts and records. */
  readonly settlement: Address;
  /** Whether the indexer has caught up with the chain head (less its confirmations); if not, nothing is judged. */
  isSynced(): MaybePromise<boolean>;
  /** `PaymentEscrow.isAuthorizedSigner(payer, signer)`: the payer itself, or a signer it authorized and not revoked. */
  isAuthorizedSigner(payer: Address, signer: Address): MaybePromise<boolean>;
  /** `NodeRegistry.operatorOf(node)`: the address that signs the node's records; undefined when not registered. */
  operatorOf(node: Address): MaybePromise<Address | undefined>;
  /** `NodeRegistry.priceOf(node, versionId)`: the price per request in wei; 0n when the node has no price for it. */
  priceOf(node: Address, versionId: bigint): MaybePromise<bigint>;
  /** `AdapterRegistry.statusOf(versionId)`, UNKNOWN for a version id not indexed. */
  versionStatus(versionId: bigint): MaybePromise<VersionStatus>;
  /**
   * What the payer cannot take back from its escrow account with `node`: `balance − thawing` of
   * `PaymentEscrow.accountOf(payer, node)`. Thawing funds are left out because the payer may withdraw them once the
   * thaw ends, possibly before the node redeems (THREATS #23); 0n for an account that does not exist.
   */
  escrowCoverage(payer: Address, node: Address): MaybePromise<bigint>;
  /** `AdapterRegistry.datasetIdsOf(versionId)`: the version's training datasets (strictly ascending). */
  trainingDatasets(versionId: bigint): MaybePromise<readonly bigint[]>;
}

/** A lane's latest accepted receipt, as the lane store keeps it. */
export type LaneState = {
  /** The seq of the latest accepted receipt; the next must be seq + 1. */
  seq: bigint;
  /** Its cumulative; the next must be cumulative + its own value. */
  cumulative: bigint;
  /** Its EIP-712 digest. */
  receiptDigest: Hex;
};

/** A receipt with its signature, digest and recovered signer. */
export type SignedReceipt = {
  receipt: Receipt;
  /** The 65-byte signature as received. */
  signature: Hex;
  /** The receipt's EIP-712 digest. */
  digest: Hex;
  /** The address recovered from the signature. */
  signer: Address;
};

/** A record with its signature, id (its EIP-712 digest) and recovered signer. */
export type SignedRecord = {
  record: InferenceRecord;
  /** The 65-byte signature as received. */
  recordSig: Hex;
  /** The record's EIP-712 digest: its id. */
  recordId: Hex;
  /** The address recovered from the signature. */
  signer: Address;
};

/** A receipt the lane store holds, with the id of the record that answered it when one did (gossip). */
export type StoredReceipt = SignedReceipt & { recordId?: Hex };

/**
 * What validation reads from the lane store (backed by the level store; an in-memory fake in tests). A lane key is
 * the Settlement's lane id, `getLaneId(payer, node, versionId, lane)`. Every method may throw: validation turns that
 * into IGNORE (STORE_UNAVAILABLE).
 */
export interface LaneView {
  /** The lane's latest accepted receipt; undefined for a lane never seen. */
  getLane(laneKey: Hex): MaybePromise<LaneState | undefined>;
  /**
   * The receipt accepted at `seq` of the lane, for duplicate and equivocation checks. Must return the lane's latest
   * receipt (the one a redemption needs); older ones may have been pruned (then validation answers SEQ_STALE).
   */
  getReceiptAt(laneKey: Hex, seq: bigint): MaybePromise<StoredReceipt | undefined>;
  /**
   * Σ over the stored lanes of (payer, node) of `cumulative − collected`, `collected` being what the Settlement
   * collected for the lane as indexed: what the escrow still owes for receipts we accepted.
   */
  unredeemed(payer: Address, node: Address): MaybePromise<bigint>;
}

/** The state validation judges against. */
export type ValidationContext = {
  chain: ChainView;
  lanes: LaneView;
};

/**
 * A lane's change for the store to persist in its atomic batch. `previous` is the state validation judged against:
 * the store should write only if the lane still holds it (compare-and-set), so two concurrent validations of one lane
 * cannot both land.
 */
export type LaneUpdate = {
  laneKey: Hex;
  payer: Address;
  node: Address;
  versionId: bigint;
  lane: number;
  previous: LaneState | undefined;
  next: LaneState;
};

/** A receipt accepted on the HTTP path. */
export type AcceptedReceipt = SignedReceipt & {
  /** `getReceiptKey(digest, signer)`: the store's dedupe key, never the signature bytes (THREATS #22). */
  receiptKey: Hex;
  /** The lane's new state. */
  lane: LaneUpdate;
};

/** One new entry of an accepted records message. */
export type AcceptedEntry = SignedReceipt & {
  /** `getReceiptKey(digest, signer)`: the store's dedupe key. */
  receiptKey: Hex;
  laneKey: Hex;
  /** The record; its `signer` is the node's operator. */
  record: SignedRecord;
  outputText: string;
  /** The output text did not travel (private mode): the outputHash could not be recomputed. */
  private: boolean;
};

/** An accepted `/olp/records/1` message: what to persist, in one atomic batch. */
export type AcceptedRecords = {
  /** The node all entries are for. */
  node: Address;
  /** The peer that sent the message. */
  from: string;
  /** The entries not seen before, in message order. */
  entries: AcceptedEntry[];
  /** One update per lane the new entries advance. */
  lanes: LaneUpdate[];
  /** How many entries were already held (same receipt digest, same record) and were dropped. */
  duplicates: number;
};

/** Two different receipts for one (lane, seq): the first we held, the second that arrived (DESIGN §4). */
export type ReceiptEquivocation = {
  laneKey: Hex;
  seq: bigint;
  first: StoredReceipt;
  second: SignedReceipt;
};

/** Two different records for one receipt (DESIGN §6: a ground for a challenge); the first is in the store by id. */
export type RecordEquivocation = {
  laneKey: Hex;
  seq: bigint;
  receiptDigest: Hex;
  firstRecordId: Hex;
  second: SignedRecord;
};
