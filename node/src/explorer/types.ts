import type { Address, Hex } from "viem";
import type { Entry } from "../protocol/index.js";

/** A span of an output matched in the training corpus (DESIGN §8), with the datasets that hold it. */
export type ExplorerSpan = {
  /** The span's text as the attribution module reports it (normalized, DESIGN §4). */
  readonly text: string;
  /** Each dataset holding the span and how many times (`n_d`). */
  readonly datasets: readonly { readonly datasetId: bigint; readonly count: number }[];
};

/**
 * One inference as the node holds it: the accepted entry (receipt, record, output text) and, when the attribution
 * module computed them, the matched spans.
 */
export type ExplorerRecord = {
  /** The record's EIP-712 digest (DESIGN §4). */
  readonly recordId: Hex;
  readonly entry: Entry;
  /** When the node stored it (ms since the Unix epoch), when known. */
  readonly receivedAt?: number;
  readonly spans?: readonly ExplorerSpan[];
};

/** A page of records in the source's own order (the store's is by record id). */
export type ExplorerRecordPage = {
  readonly records: readonly ExplorerRecord[];
  /** Pass as `after` to read the next page; absent on the last page. */
  readonly next?: Hex;
};

/**
 * The node's own data the explorer shows. The store satisfies it through {@link storeRecordSource}; a test may pass
 * any object of this shape.
 */
export interface ExplorerRecordSource {
  listRecords(page: { readonly after?: Hex; readonly limit: number }): Promise<ExplorerRecordPage>;
  getRecord(recordId: Hex): Promise<ExplorerRecord | undefined>;
}

/** A datanet (DESIGN §3) and the ids of its datasets. */
export type DatanetView = {
  readonly id: bigint;
  readonly curator: Address;
  readonly metadataURI: string;
  readonly minStake: bigint;
  readonly stakePerSample: bigint;
  readonly datasetIds: readonly bigint[];
};

/** A dataset with its stake and how many duplicate proofs slashed it. */
export type DatasetView = {
  readonly id: bigint;
  readonly datanetId: bigint;
  readonly owner: Address;
  readonly root: Hex;
  readonly uri: string;
  readonly sampleCount: bigint;
  readonly tokenCount: bigint;
  readonly stake: bigint;
  readonly unbonding: bigint;
  readonly commitOrder: bigint;
  readonly commitBlock: bigint;
  readonly duplicateCount: number;
  /** Whether it may be named in a new training commitment (stake at or above its requirement). */
  readonly eligible: boolean;
};

/** A `DuplicateProven` event: `sampleHash` is in both roots, the later dataset was slashed. */
export type DuplicateProofView = {
  readonly sampleHash: Hex;
  readonly earlierDatasetId: bigint;
  readonly laterDatasetId: bigint;
  readonly prover: Address;
  readonly slashed: bigint;
  readonly reward: bigint;
  readonly burned: bigint;
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
};

/** `IAdapterRegistry.VersionStatus` names. */
export const VERSION_STATUS = ["None", "Pending", "Active", "Rejected"] as const;
/** `Ruling` names (IChallengeable). */
export const RULING = ["None", "Upheld", "Dismissed", "NoQuorum"] as const;
/** `ISettlement.PoolStatus` names. */
export const POOL_STATUS = ["Collecting", "Posting", "Challenging", "Claimable", "Fallback", "Expired"] as const;

/** An adapter version with its proof of training (DESIGN §7). */
export type VersionView = {
  readonly id: bigint;
  readonly adapterId: bigint;
  readonly commitmentId: bigint;
  readonly status: (typeof VERSION_STATUS)[number];
  readonly bond: bigint;
  /** End of the challenge window (unix seconds). */
  readonly challengeEnd: bigint;
  readonly submitBlock: bigint;
  readonly openChallenges: number;
  readonly datasetIds: readonly bigint[];
  readonly proof: {
    readonly contributorsRoot: Hex;
    readonly weightsHash: Hex;
    readonly checkpointRoot: Hex;
    readonly finalHead: Hex;
    readonly checkpointCount: number;
    /** ROUGE-L F1 in basis points. */
    readonly evalScore: number;
  };
  /** The latest price per node (`PriceSet`), in wei. */
  readonly prices: readonly { readonly node: Address; readonly price: bigint }[];
};

export type AdapterView = {
  readonly id: bigint;
  readonly owner: Address;
  readonly name: string;
  readonly versionIds: readonly bigint[];
};

/** The four parts of a collection (DESIGN §6); they sum exactly to what was collected. */
export type SplitView = {
  readonly burn: bigint;
  readonly node: bigint;
  readonly owner: bigint;
  readonly datasets: bigint;
};

/** A `Redeemed` event with its split. */
export type RedemptionView = {
  readonly payer: Address;
  readonly node: Address;
  readonly versionId: bigint;
  readonly lane: number;
  readonly fromSeq: bigint;
  readonly toSeq: bigint;
  readonly cumulative: bigint;
  readonly collected: bigint;
  readonly epoch: bigint;
  readonly parts: SplitView;
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
};

/** A pool (node, versionId, epoch): what its redemptions collected, its split and its root. */
export type PoolView = {
  readonly poolId: bigint;
  readonly node: Address;
  readonly versionId: bigint;
  readonly epoch: bigint;
  readonly collected: bigint;
  readonly inferences: bigint;
  readonly redemptions: number;
  readonly parts: SplitView;
  /** The dataset pool on chain and what was claimed of it. */
  readonly amount: bigint;
  readonly claimed: bigint;
  readonly status: (typeof POOL_STATUS)[number];
  readonly root: Hex;
  readonly fellBack: boolean;
};

/** Totals of one epoch over every node and version: the "over time" series. */
export type EpochView = {
  readonly epoch: bigint;
  /** Unix seconds of the epoch's start: genesisTime + epoch × epochLength. */
  readonly startTime: bigint;
  /** Requests paid for: Σ (toSeq − fromSeq) of its redemptions. */
  readonly inferences: bigint;
  readonly revenue: bigint;
  readonly parts: SplitView;
};

/** An `AttributionRootPosted` event. */
export type AttributionRootView = {
  readonly poolId: bigint;
  readonly node: Address;
  readonly versionId: bigint;
  readonly epoch: bigint;
  readonly root: Hex;
  readonly total: bigint;
  readonly recordsRoot: Hex;
  readonly poster: Address;
  readonly bond: bigint;
  readonly challengeEnd: bigint;
};

/** A `Claimed` or `FallbackClaimed` event. */
export type ClaimView = {
  readonly poolId: bigint;
  readonly datasetId: bigint;
  readonly owner: Address;
  readonly amount: bigint;
  readonly fallback: boolean;
};

/** What a challenge is about, from its subject contract. */
export type ChallengeSubjectKind = "adapterVersion" | "attributionRoot" | "node" | "other";

/** An Arbiter challenge and its outcome. */
export type ChallengeView = {
  readonly id: bigint;
  readonly subject: Address;
  readonly subjectKind: ChallengeSubjectKind;
  readonly subjectId: bigint;
  readonly challenger: Address;
  readonly defendant: Address;
  readonly bond: bigint;
  readonly evidence: Hex;
  readonly commitDeadline: bigint;
  readonly revealDeadline: bigint;
  readonly ruling: (typeof RULING)[number];
  readonly upheldWeight: bigint;
  readonly dismissedWeight: bigint;
  /** From `ChallengeResolved`; 0 until resolved. */
  readonly pot: bigint;
  readonly burned: bigint;
  readonly voterReward: bigint;
};

/** Everything the explorer shows from the chain, as of one block. */
export type ChainSnapshot = {
  readonly chainId: number;
  readonly blockNumber: bigint;
  readonly blockTimestamp: bigint;
  readonly contracts: Readonly<Record<string, Address>>;
  readonly params: {
    readonly split: {
      readonly nodeBps: number;
      readonly ownerBps: number;
      readonly datasetsBps: number;
      readonly protocolBps: number;
    };
    readonly genesisTime: bigint;
    readonly epochLength: bigint;
    /** The AdapterRegistry's challenge window (seconds). */
    readonly challengeWindow: bigint;
  };
  readonly datanets: readonly DatanetView[];
  readonly datasets: readonly DatasetView[];
  readonly duplicates: readonly DuplicateProofView[];
  readonly adapters: readonly AdapterView[];
  readonly versions: readonly VersionView[];
  readonly redemptions: readonly RedemptionView[];
  readonly pools: readonly PoolView[];
  readonly epochs: readonly EpochView[];
  readonly roots: readonly AttributionRootView[];
  readonly claims: readonly ClaimView[];
  readonly challenges: readonly ChallengeView[];
  /** Lists cut at their bound (oldest dropped), by name: the page says so. */
  readonly truncated: readonly string[];
};

/** Attribution of one dataset: on chain (claims) and in the node's records. */
export type DatasetAttributionView = {
  readonly datasetId: bigint;
  readonly uri: string;
  /** Paid to the dataset's owner from pools (claims and fallback claims). */
  readonly claimed: bigint;
  /** Records (of those scanned) whose weights name the dataset. */
  readonly records: number;
  /** Σ value × weightPpm / 1e6 over those records (wei): the fees attributed to it before the split. */
  readonly attributedValue: bigint;
  /** Σ of span credits naming it, over scanned records with spans. */
  readonly spans: number;
};

export type AttributionView = {
  readonly datasets: readonly DatasetAttributionView[];
  readonly recordsScanned: number;
  /** Whether the scan stopped at its bound before the last record. */
  readonly recordsTruncated: boolean;
};
