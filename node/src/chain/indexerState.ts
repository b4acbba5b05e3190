import {
  type Abi,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  type Hex,
  type Log,
  type ParseEventLogsReturnType,
  type PublicClient,
  parseEventLogs,
  type Transport,
  zeroAddress,
  zeroHash,
} from "viem";
import { getPoolId, type SplitBps, splitCollected } from "../protocol/index.js";
import type {
  AdapterVersion,
  ChainCursor,
  ChainUpdate,
  Challenge,
  EpochPool,
  EpochRedemption,
  LaneKey,
  LaneRedemption,
  PoolKey,
  RedemptionKey,
  Store,
} from "../store/index.js";
import {
  adapterRegistryAbi,
  arbiterAbi,
  datanetRegistryAbi,
  nodeRegistryAbi,
  paymentEscrowAbi,
  settlementAbi,
} from "./abi/index.js";
import type { Deployment } from "./deployment.js";

/** What the indexer needs of the store ({@link Store} fits). */
export type ChainIndexStore = Pick<Store, "getChainCursor" | "applyChainUpdate" | "getEpochPool">;

/** Lodestar-shaped logger, until every module takes the logger module's. */
export type ChainLogger = {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
};

/** A decoded log of `TAbi`. */
export type LogOf<TAbi extends Abi> = ParseEventLogsReturnType<TAbi, undefined, true>[number];

/**
 * One decoded contract event, typed by its contract: narrow on `contract` then `log.eventName` and `log.args` is
 * typed (`e.contract === "settlement" && e.log.eventName === "Redeemed"` → `e.log.args.collected: bigint`).
 */
export type IndexedEvent =
  | { readonly contract: "datanetRegistry"; readonly log: LogOf<typeof datanetRegistryAbi> }
  | { readonly contract: "nodeRegistry"; readonly log: LogOf<typeof nodeRegistryAbi> }
  | { readonly contract: "adapterRegistry"; readonly log: LogOf<typeof adapterRegistryAbi> }
  | { readonly contract: "arbiter"; readonly log: LogOf<typeof arbiterAbi> }
  | { readonly contract: "paymentEscrow"; readonly log: LogOf<typeof paymentEscrowAbi> }
  | { readonly contract: "settlement"; readonly log: LogOf<typeof settlementAbi> };

/** The keys of everything a range touched: re-read at the range's last block. */
export type Touched = {
  versions: Set<bigint>;
  pools: Map<bigint, PoolKey>;
  challenges: Set<bigint>;
  lanes: Map<string, LaneKey>;
  /** The redemption rows written (by their store key): a reorg that orphans them deletes them. */
  redemptions: Map<string, RedemptionKey>;
};

/** Decodes the protocol's logs, each with its own contract's ABI, in chain order. */
export function decodeEvents(contracts: Deployment["contracts"], logs: readonly Log[]): IndexedEvent[] {
  const c = contracts;
  const of = (address: Address) => logs.filter((l) => l.address.toLowerCase() === address.toLowerCase());
  const events: IndexedEvent[] = [
    ...parseEventLogs({ abi: datanetRegistryAbi, logs: of(c.datanetRegistry) }).map(
      (log) => ({ contract: "datanetRegistry", log }) as const,
    ),
    ...parseEventLogs({ abi: nodeRegistryAbi, logs: of(c.nodeRegistry) }).map(
      (log) => ({ contract: "nodeRegistry", log }) as const,
    ),
    ...parseEventLogs({ abi: adapterRegistryAbi, logs: of(c.adapterRegistry) }).map(
      (log) => ({ contract: "adapterRegistry", log }) as const,
    ),
    ...parseEventLogs({ abi: arbiterAbi, logs: of(c.arbiter) }).map((log) => ({ contract: "arbiter", log }) as const),
    ...parseEventLogs({ abi: paymentEscrowAbi, logs: of(c.paymentEscrow) }).map(
      (log) => ({ contract: "paymentEscrow", log }) as const,
    ),
    ...parseEventLogs({ abi: settlementAbi, logs: of(c.settlement) }).map(
      (log) => ({ contract: "settlement", log }) as const,
    ),
  ];
  return events.sort((a, b) =>
    a.log.blockNumber === b.log.blockNumber
      ? a.log.logIndex - b.log.logIndex
      : a.log.blockNumber < b.log.blockNumber
        ? -1
        : 1,
  );
}

/**
 * Reads, at one block, the whole state of everything a range touched, as the store's records: the indexer's writes
 * are overwrites of these, never sums of event arguments.
 */
export class ChainStateReader {
  constructor(
    private readonly deployment: Deployment,
    private readonly client: PublicClient<Transport, Chain | undefined>,
    private readonly store: ChainIndexStore,
    private readonly cursorName: string | undefined,
    private readonly logger: ChainLogger | undefined,
  ) {}

  /**
   * Reads the state of everything touched at block `to`. `rewound` is what ranges orphaned by a reorg touched (empty
   * when none): their redemption rows not written again are deleted, and their lanes are set to the chain's state
   * (which may be lower), not merged by maximum.
   */
  async readUpdate(
    to: bigint,
    blockHash: Hex,
    touched: Touched,
    recordsRoots: Map<bigint, Hex>,
    redeemed: readonly LogOf<typeof settlementAbi>[],
    rewound: Touched = emptyTouched(),
  ): Promise<ChainUpdate> {
    const c = this.deployment.contracts;
    const blockNumber = to;
    const adapters: AdapterVersion[] = [];
    for (const versionId of touched.versions) adapters.push(await this.readVersion(versionId, blockNumber));

    const pools: EpochPool[] = [];
    const splits = new Map<bigint, SplitBps>();
    for (const [id, key] of touched.pools) {
      const pool = await this.client.readContract({
        address: c.settlement,
        abi: settlementAbi,
        functionName: "getPool",
        args: [key.node, key.versionId, key.epoch],
        blockNumber,
      });
      splits.set(id, {
        nodeBps: BigInt(pool.nodeBps),
        ownerBps: BigInt(pool.ownerBps),
        datasetsBps: BigInt(pool.datasetsBps),
      });
      const recordsRoot = recordsRoots.get(id) ?? (await this.store.getEpochPool(key))?.recordsRoot ?? zeroHash;
      pools.push({
        node: key.node,
        versionId: key.versionId,
        epoch: key.epoch,
        amount: pool.amount,
        claimed: pool.claimed,
        root: pool.root,
        recordsRoot: pool.root === zeroHash ? zeroHash : recordsRoot,
        poster: pool.poster,
        challengeEnd: pool.challengeEnd,
        openChallenges: pool.openChallenges,
        fellBack: pool.fellBack,
        bond: pool.bond,
      });
    }

    const redemptions: EpochRedemption[] = redeemed.map((log) => {
      if (log.eventName !== "Redeemed") throw new Error("unreachable: only Redeemed logs are collected");
      const a = log.args;
      const split = splits.get(getPoolId(a.node, a.versionId, a.epoch)) ?? {
        nodeBps: 0n,
        ownerBps: 0n,
        datasetsBps: 0n,
      };
      return {
        node: a.node,
        versionId: a.versionId,
        epoch: a.epoch,
        payer: a.payer,
        lane: a.lane,
        fromSeq: a.fromSeq,
        toSeq: a.toSeq,
        cumulative: a.cumulative,
        collected: a.collected,
        datasetsPart: splitCollected(a.collected, split).datasets,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
      };
    });

    const written = new Set(redemptions.map(redemptionKeyOf));
    const deleteRedemptions = [...rewound.redemptions].flatMap(([k, key]) => (written.has(k) ? [] : [key]));

    const challenges: Challenge[] = [];
    const deleteChallenges: bigint[] = [];
    for (const challengeId of touched.challenges) {
      let ch: Awaited<ReturnType<typeof this.getChallenge>>;
      try {
        ch = await this.getChallenge(challengeId, blockNumber);
      } catch (err) {
        if (!isRevert(err)) throw err;
        // Only an orphaned block held it: the store keeps no way to delete one (docs/chain.md, gaps).
        this.logger?.warn("chain index: a challenge is gone from the chain after a reorg", { challengeId });
        deleteChallenges.push(challengeId);
        continue;
      }
      challenges.push({
        challengeId,
        subject: ch.subject,
        subjectId: ch.subjectId,
        challenger: ch.challenger,
        defendant: ch.defendant,
        bond: ch.bond,
        evidenceHash: ch.evidenceHash,
        commitDeadline: ch.commitDeadline,
        revealDeadline: ch.revealDeadline,
        ruling: ch.ruling,
      });
    }

    const lanes: LaneRedemption[] = [];
    for (const [k, lane] of touched.lanes) {
      const state = await this.client.readContract({
        address: c.settlement,
        abi: settlementAbi,
        functionName: "getLane",
        args: [lane.payer, lane.node, lane.versionId, lane.lane],
        blockNumber,
      });
      // A lane an orphaned range touched takes the new chain's state as it is, which may be lower.
      lanes.push({
        lane,
        seq: state.lastSeq,
        collected: state.collected,
        ...(rewound.lanes.has(k) ? { set: true } : {}),
      });
    }

    const cursor: ChainCursor = { blockNumber: to, blockHash };
    return {
      cursor,
      ...(this.cursorName === undefined ? {} : { cursorName: this.cursorName }),
      adapters,
      pools,
      redemptions,
      challenges,
      lanes,
      ...(deleteRedemptions.length === 0 ? {} : { deleteRedemptions }),
      ...(deleteChallenges.length === 0 ? {} : { deleteChallenges }),
    };
  }

  /** A version with its owner and datasets; a version the chain does not have (orphaned by a reorg) is status 0. */
  private async readVersion(versionId: bigint, blockNumber: bigint): Promise<AdapterVersion> {
    const registry = this.deployment.contracts.adapterRegistry;
    let version: Awaited<ReturnType<typeof this.getVersion>>;
    try {
      version = await this.getVersion(versionId, blockNumber);
    } catch (err) {
      if (!isRevert(err)) throw err;
      return absentVersion(versionId);
    }
    if (version.status === 0) return absentVersion(versionId);
    const [adapter, datasetIds] = await Promise.all([
      this.client.readContract({
        address: registry,
        abi: adapterRegistryAbi,
        functionName: "getAdapter",
        args: [version.adapterId],
        blockNumber,
      }),
      this.client.readContract({
        address: registry,
        abi: adapterRegistryAbi,
        functionName: "datasetIdsOf",
        args: [versionId],
        blockNumber,
      }),
    ]);
    return {
      versionId,
      adapterId: version.adapterId,
      owner: adapter.owner,
      commitmentId: version.commitmentId,
      datasetIds,
      status: version.status,
      bond: version.bond,
      challengeEnd: version.challengeEnd,
      submitBlock: version.submitBlock,
      openChallenges: version.openChallenges,
      proof: { ...version.proof },
    };
  }

  private getChallenge(challengeId: bigint, blockNumber: bigint) {
    return this.client.readContract({
      address: this.deployment.contracts.arbiter,
      abi: arbiterAbi,
      functionName: "getChallenge",
      args: [challengeId],
      blockNumber,
    });
  }

  private getVersion(versionId: bigint, blockNumber: bigint) {
    return this.client.readContract({
      address: this.deployment.contracts.adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "getVersion",
      args: [versionId],
      blockNumber,
    });
  }
}

function isRevert(err: unknown): boolean {
  return err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
}

/** Nothing touched yet. */
export function emptyTouched(): Touched {
  return { versions: new Set(), pools: new Map(), challenges: new Set(), lanes: new Map(), redemptions: new Map() };
}

/** Adds what `from` touched to `into`. */
export function mergeTouched(into: Touched, from: Touched): void {
  for (const v of from.versions) into.versions.add(v);
  for (const [k, v] of from.pools) into.pools.set(k, v);
  for (const v of from.challenges) into.challenges.add(v);
  for (const [k, v] of from.lanes) into.lanes.set(k, v);
  for (const [k, v] of from.redemptions) into.redemptions.set(k, v);
}

/** A redemption row's store key, as a string to compare by. */
export function redemptionKeyOf(key: RedemptionKey): string {
  return `${key.node.toLowerCase()}:${key.versionId}:${key.epoch}:${key.blockNumber}:${key.logIndex}`;
}

/** A version id the chain does not hold (any more): status 0, "None", every field zero. */
function absentVersion(versionId: bigint): AdapterVersion {
  return {
    versionId,
    adapterId: 0n,
    owner: zeroAddress,
    commitmentId: 0n,
    datasetIds: [],
    status: 0,
    bond: 0n,
    challengeEnd: 0n,
    submitBlock: 0n,
    openChallenges: 0,
    proof: {
      contributorsRoot: zeroHash,
      weightsHash: zeroHash,
      checkpointRoot: zeroHash,
      finalHead: zeroHash,
      initialWeightsHash: zeroHash,
      initialStateHash: zeroHash,
      checkpointCount: 0,
      evalScore: 0,
    },
  };
}
