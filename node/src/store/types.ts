import type { Address, Hex } from "viem";
import type { Entry } from "../protocol/index.js";

/** What the store logs through, in Lodestar's `(msg, ctx, err)` shape, until the logger module lands. */
export type StoreLogger = {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
};

/** A counter as the store uses it; a prom-client `Counter` fits. */
export type StoreCounter = { inc(value?: number): void };

/** The store's counters, so it runs with or without the metrics module (see `createStoreMetrics`). */
export type StoreMetrics = {
  /** Atomic batches written (each one fsynced). */
  batchesWritten: StoreCounter;
  /** Bytes of keys and values in those batches. */
  bytesWritten: StoreCounter;
  /** Entries newly stored. */
  entriesAccepted: StoreCounter;
  /** Entries that were already stored (replays), not written again. */
  entriesDuplicate: StoreCounter;
  /** Equivocation evidence newly kept. */
  equivocationsRecorded: StoreCounter;
  /** Writes refused because too many were waiting. */
  writesDropped: StoreCounter;
};

/** A lane (DESIGN §4): one adapter version's sequence of receipts from one payer to one node. */
export type LaneKey = {
  payer: Address;
  node: Address;
  versionId: bigint;
  /** uint32 */
  lane: number;
};

/** What the store keeps per lane. Times are milliseconds since the Unix epoch, by the store's clock. */
export type LaneState = LaneKey & {
  /** `getLaneId(payer, node, versionId, lane)`: the Settlement's key of the lane. */
  laneId: Hex;
  /** The seq of the latest stored entry (0: none); every seq from 1 to it is stored. */
  lastSeq: bigint;
  /** The cumulative of the latest stored entry (0: none). */
  cumulative: bigint;
  /** What the Settlement has collected from this lane over its life (its `Lane.collected`). */
  collected: bigint;
  /** The seq of the receipt last redeemed on-chain (0: never). */
  lastRedeemedSeq: bigint;
  /** When the lane last changed. */
  updatedAt: number;
  /** When the oldest value not yet collected arrived (0: nothing uncollected): the age redemption waits on. */
  unredeemedSince: number;
};

/** An entry as stored: the gossiped entry, its ids and when this node accepted it. */
export type StoredRecord = {
  /** The record's EIP-712 digest (DESIGN §4). */
  recordId: Hex;
  laneId: Hex;
  entry: Entry;
  /** When this node stored it (ms). */
  receivedAt: number;
};

/** The latest receipt of a lane, with its signature: what a redemption sends. */
export type LatestReceipt = {
  receipt: Entry["receipt"];
  receiptSig: Hex;
  recordId: Hex;
  /** The receipt's EIP-712 digest under the store's domain (lower-case); absent on values written before schema 2. */
  receiptDigest?: Hex;
  /** Who signed the receipt, when the writer was given it (the validator recovered it); absent otherwise. */
  signer?: Address;
};

/** The two kinds of equivocation (DESIGN §4, §6). The numbers are stored: append-only. */
export enum EquivocationKind {
  /** Two different receipts for one (lane, seq): the payer's signer signed both. */
  RECEIPT = 1,
  /** Two different records for one receipt: the node's operator signed both. */
  RECORD = 2,
}

/** Evidence of an equivocation: both signed entries. */
export type Equivocation = {
  kind: EquivocationKind;
  laneId: Hex;
  seq: bigint;
  /** The entry stored first. */
  first: Entry;
  /** The conflicting entry. */
  second: Entry;
  /** When it was detected (ms). */
  detectedAt: number;
};

/** Where the event indexer stopped: the last block it fully applied. */
export type ChainCursor = { blockNumber: bigint; blockHash: Hex };

/** The proof of training of a version, as `IAdapterRegistry.VersionProof`. */
export type VersionProof = {
  contributorsRoot: Hex;
  weightsHash: Hex;
  checkpointRoot: Hex;
  finalHead: Hex;
  initialWeightsHash: Hex;
  initialStateHash: Hex;
  checkpointCount: number;
  evalScore: number;
};

/** An adapter version as the indexer last saw it (`IAdapterRegistry.Version` plus what it joins to it). */
export type AdapterVersion = {
  versionId: bigint;
  adapterId: bigint;
  /** The adapter's owner, who earns the owner's part. */
  owner: Address;
  commitmentId: bigint;
  /** The training datasets of the commitment, strictly ascending. */
  datasetIds: readonly bigint[];
  /** `IAdapterRegistry.VersionStatus`: 1 Pending, 2 Active, 3 Rejected. */
  status: number;
  bond: bigint;
  challengeEnd: bigint;
  submitBlock: bigint;
  openChallenges: number;
  proof: VersionProof;
};

/** The dataset pool of (node, versionId, epoch) as the indexer last saw it (`ISettlement.Pool` plus its key). */
export type EpochPool = {
  node: Address;
  versionId: bigint;
  epoch: bigint;
  amount: bigint;
  claimed: bigint;
  /** The posted attribution root (zero: none). */
  root: Hex;
  /** The posted records root (zero: none). */
  recordsRoot: Hex;
  poster: Address;
  challengeEnd: bigint;
  openChallenges: number;
  fellBack: boolean;
  bond: bigint;
};

/** One `Redeemed` event of a pool, with the dataset part the split gave it. */
export type EpochRedemption = {
  node: Address;
  versionId: bigint;
  epoch: bigint;
  payer: Address;
  lane: number;
  fromSeq: bigint;
  toSeq: bigint;
  cumulative: bigint;
  /** This redemption's amount (the event's `collected`). */
  collected: bigint;
  /** The dataset part of `collected` under the split in force at the block. */
  datasetsPart: bigint;
  blockNumber: bigint;
  logIndex: number;
};

/** An Arbiter challenge as the indexer last saw it. */
export type Challenge = {
  challengeId: bigint;
  /** The subject contract (AdapterRegistry or Settlement). */
  subject: Address;
  /** A version id (AdapterRegistry) or a pool id (Settlement). */
  subjectId: bigint;
  challenger: Address;
  defendant: Address;
  bond: bigint;
  /** keccak256 of the evidence bytes. */
  evidenceHash: Hex;
  commitDeadline: bigint;
  revealDeadline: bigint;
  /** `Ruling`: 0 None (open), 1 Upheld, 2 Dismissed, 3 NoQuorum. */
  ruling: number;
};
