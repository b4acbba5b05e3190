import type { Abi, Address, Hex, PublicClient } from "viem";
import { adapterRegistryAbi, arbiterAbi, datanetRegistryAbi, settlementAbi } from "../chain/abi/index.js";
import type { Deployment } from "../chain/index.js";
import type { Logger } from "../logger/index.js";
import { getPoolId, splitCollected } from "../protocol/index.js";
import { ChainEvents } from "./chainEvents.js";
import {
  type AdapterView,
  type AttributionView,
  type ChainSnapshot,
  type ChallengeSubjectKind,
  type ChallengeView,
  type DatanetView,
  type DatasetAttributionView,
  type DatasetView,
  type EpochView,
  type ExplorerRecord,
  type ExplorerRecordPage,
  type ExplorerRecordSource,
  POOL_STATUS,
  type PoolView,
  type RedemptionView,
  RULING,
  type SplitView,
  VERSION_STATUS,
  type VersionView,
} from "./types.js";

/** Options of {@link ExplorerSource}; every bound has a default. */
export type ExplorerSourceOpts = {
  readonly deployment: Deployment;
  /** Most events kept per list (redemptions, duplicate proofs, roots, claims, challenges); the oldest are dropped. */
  readonly maxEvents?: number;
  /** Most datanets, datasets, adapters and versions read per snapshot: the latest ids. */
  readonly maxEntities?: number;
  /** Most blocks asked of the RPC in one `eth_getLogs`. */
  readonly maxBlockRange?: bigint;
  /** Most records the attribution view scans. */
  readonly maxScannedRecords?: number;
};

/** What {@link ExplorerSource} reads from. */
export type ExplorerSourceModules = {
  readonly client: PublicClient;
  /** The node's records; without it the explorer shows the chain only. */
  readonly records?: ExplorerRecordSource;
  readonly logger?: Pick<Logger, "debug" | "warn">;
};

/** Defaults of {@link ExplorerSourceOpts}: enough for a devnet and a busy epoch, small enough to build in memory. */
export const EXPLORER_DEFAULTS = {
  maxEvents: 10_000,
  maxEntities: 1_000,
  maxBlockRange: 10_000n,
  maxScannedRecords: 2_000,
} as const;

/** Most records one {@link ExplorerSource.listRecords} page returns. */
export const MAX_RECORDS_PAGE = 100;

const PPM = 1_000_000n;

/**
 * Reads what the explorer shows: chain facts straight from the chain (events through `getContractEvents` from the
 * deployment block on, scanned incrementally; state through `readContract` at the head), rebuilt at most once per
 * block and cached; and the node's own records through an injected {@link ExplorerRecordSource}.
 */
export class ExplorerSource {
  private readonly deployment: Deployment;
  private readonly client: PublicClient;
  private readonly records: ExplorerRecordSource | undefined;
  private readonly logger: Pick<Logger, "debug" | "warn"> | undefined;
  private readonly maxEntities: number;
  private readonly maxScannedRecords: number;

  private readonly events: ChainEvents;
  /** Entity lists cut at `maxEntities` in the last build. */
  private readonly truncated = new Set<string>();
  private snapshot: ChainSnapshot | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(opts: ExplorerSourceOpts, modules: ExplorerSourceModules) {
    this.deployment = opts.deployment;
    this.client = modules.client;
    this.records = modules.records;
    this.logger = modules.logger;
    this.maxEntities = positive("maxEntities", opts.maxEntities ?? EXPLORER_DEFAULTS.maxEntities);
    this.maxScannedRecords = positive(
      "maxScannedRecords",
      opts.maxScannedRecords ?? EXPLORER_DEFAULTS.maxScannedRecords,
    );
    const maxBlockRange = opts.maxBlockRange ?? EXPLORER_DEFAULTS.maxBlockRange;
    if (maxBlockRange <= 0n) throw new RangeError(`maxBlockRange must be positive, found ${maxBlockRange}`);
    this.events = new ChainEvents(
      {
        deployment: this.deployment,
        maxEvents: positive("maxEvents", opts.maxEvents ?? EXPLORER_DEFAULTS.maxEvents),
        maxBlockRange,
      },
      modules,
    );
  }

  /** Whether records (inferences) can be shown. */
  get hasRecords(): boolean {
    return this.records !== undefined;
  }

  /** The chain as of its latest block; built once per block, concurrent callers share the build. */
  async getSnapshot(): Promise<ChainSnapshot> {
    if (this.closed) throw new Error("the explorer source is closed");
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    if (this.snapshot !== undefined && this.snapshot.blockNumber === head) return this.snapshot;
    const build = this.queue.then(async () => {
      if (this.snapshot !== undefined && this.snapshot.blockNumber === head) return this.snapshot;
      await this.events.resetIfChanged(head);
      this.snapshot = await this.build(head);
      return this.snapshot;
    });
    this.queue = build.catch(() => undefined);
    return build;
  }

  /** A page of the node's records (at most {@link MAX_RECORDS_PAGE}); empty without a record source. */
  async listRecords(page: { after?: Hex; limit: number }): Promise<ExplorerRecordPage> {
    if (this.records === undefined) return { records: [] };
    const limit = Math.max(1, Math.min(page.limit, MAX_RECORDS_PAGE));
    return this.records.listRecords(page.after === undefined ? { limit } : { after: page.after, limit });
  }

  /** One record, or undefined. */
  async getRecord(recordId: Hex): Promise<ExplorerRecord | undefined> {
    return this.records?.getRecord(recordId);
  }

  /**
   * Attribution per dataset: what each dataset's owner claimed from pools (chain), and what the node's records
   * attribute to it (the first `maxScannedRecords` records).
   */
  async getAttribution(): Promise<AttributionView> {
    const snapshot = await this.getSnapshot();
    const rows = new Map<
      bigint,
      { uri: string; claimed: bigint; records: number; attributedValue: bigint; spans: number }
    >();
    const row = (datasetId: bigint) => {
      let r = rows.get(datasetId);
      if (r === undefined) {
        r = {
          uri: snapshot.datasets.find((d) => d.id === datasetId)?.uri ?? "",
          claimed: 0n,
          records: 0,
          attributedValue: 0n,
          spans: 0,
        };
        rows.set(datasetId, r);
      }
      return r;
    };
    for (const d of snapshot.datasets) row(d.id);
    for (const c of snapshot.claims) row(c.datasetId).claimed += c.amount;
    let scanned = 0;
    let truncated = false;
    if (this.records !== undefined) {
      let after: Hex | undefined;
      for (;;) {
        const limit = Math.min(MAX_RECORDS_PAGE, this.maxScannedRecords - scanned);
        if (limit <= 0) {
          truncated = after !== undefined;
          break;
        }
        const page = await this.records.listRecords(after === undefined ? { limit } : { after, limit });
        for (const r of page.records) {
          const { record, receipt } = r.entry;
          record.datasetIds.forEach((id, i) => {
            const entry = row(id);
            entry.records += 1;
            entry.attributedValue += (receipt.value * BigInt(record.weightsPpm[i] ?? 0)) / PPM;
          });
          for (const span of r.spans ?? []) for (const d of span.datasets) row(d.datasetId).spans += d.count;
        }
        scanned += page.records.length;
        if (page.next === undefined || page.records.length === 0) break;
        after = page.next;
      }
    }
    const datasets: DatasetAttributionView[] = [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([datasetId, r]) => ({ datasetId, ...r }));
    return { datasets, recordsScanned: scanned, recordsTruncated: truncated };
  }

  /** Stops serving; a build in flight finishes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async build(head: bigint): Promise<ChainSnapshot> {
    const started = Date.now();
    await this.events.scan(head);
    const ev = this.events;
    const { contracts } = this.deployment;
    const read = <const TAbi extends Abi>(
      address: Address,
      abi: TAbi,
      functionName: string,
      args: readonly unknown[] = [],
    ) =>
      // Each call names a function of the ABI it passes; viem checks the rest at run time.
      this.client.readContract({ address, abi, functionName, args, blockNumber: head } as never) as Promise<unknown>;

    const [chainId, block, params, genesisTime, epochLength, challengeWindow] = await Promise.all([
      this.client.getChainId(),
      this.client.getBlock({ blockNumber: head }),
      read(contracts.settlement, settlementAbi, "getParams") as Promise<{
        nodeBps: number;
        ownerBps: number;
        datasetsBps: number;
        protocolBps: number;
      }>,
      read(contracts.settlement, settlementAbi, "genesisTime") as Promise<bigint>,
      read(contracts.settlement, settlementAbi, "epochLength") as Promise<bigint>,
      read(contracts.adapterRegistry, adapterRegistryAbi, "challengeWindow") as Promise<bigint>,
    ]);

    this.truncated.clear();
    // Datanets and datasets: the latest `maxEntities` of each.
    const datanetCount = (await read(contracts.datanetRegistry, datanetRegistryAbi, "datanetCount")) as bigint;
    const datasetCount = (await read(contracts.datanetRegistry, datanetRegistryAbi, "datasetCount")) as bigint;
    const datasets: DatasetView[] = await Promise.all(
      this.latestIds(datasetCount, "datasets").map(async (id) => {
        const [d, eligible] = await Promise.all([
          read(contracts.datanetRegistry, datanetRegistryAbi, "getDataset", [id]) as Promise<{
            owner: Address;
            commitBlock: bigint;
            duplicateCount: number;
            datanetId: bigint;
            root: Hex;
            commitOrder: bigint;
            sampleCount: bigint;
            tokenCount: bigint;
            stake: bigint;
            unbonding: bigint;
            uri: string;
          }>,
          read(contracts.datanetRegistry, datanetRegistryAbi, "isEligible", [id]) as Promise<boolean>,
        ]);
        return {
          id,
          datanetId: d.datanetId,
          owner: d.owner,
          root: d.root,
          uri: d.uri,
          sampleCount: d.sampleCount,
          tokenCount: d.tokenCount,
          stake: d.stake,
          unbonding: d.unbonding,
          commitOrder: d.commitOrder,
          commitBlock: d.commitBlock,
          duplicateCount: d.duplicateCount,
          eligible,
        };
      }),
    );
    const datanets: DatanetView[] = await Promise.all(
      this.latestIds(datanetCount, "datanets").map(async (id) => {
        const n = (await read(contracts.datanetRegistry, datanetRegistryAbi, "getDatanet", [id])) as {
          curator: Address;
          minStake: bigint;
          stakePerSample: bigint;
          metadataURI: string;
        };
        return {
          id,
          curator: n.curator,
          metadataURI: n.metadataURI,
          minStake: n.minStake,
          stakePerSample: n.stakePerSample,
          datasetIds: datasets.filter((d) => d.datanetId === id).map((d) => d.id),
        };
      }),
    );

    // Adapters and versions with their proofs.
    const adapterCount = (await read(contracts.adapterRegistry, adapterRegistryAbi, "adapterCount")) as bigint;
    const versionCount = (await read(contracts.adapterRegistry, adapterRegistryAbi, "versionCount")) as bigint;
    const versions: VersionView[] = await Promise.all(
      this.latestIds(versionCount, "versions").map(async (id) => {
        const [v, status, datasetIds] = await Promise.all([
          read(contracts.adapterRegistry, adapterRegistryAbi, "getVersion", [id]) as Promise<{
            adapterId: bigint;
            commitmentId: bigint;
            bond: bigint;
            challengeEnd: bigint;
            submitBlock: bigint;
            openChallenges: number;
            proof: {
              contributorsRoot: Hex;
              weightsHash: Hex;
              checkpointRoot: Hex;
              finalHead: Hex;
              checkpointCount: number;
              evalScore: number;
            };
          }>,
          read(contracts.adapterRegistry, adapterRegistryAbi, "statusOf", [id]) as Promise<number>,
          read(contracts.adapterRegistry, adapterRegistryAbi, "datasetIdsOf", [id]) as Promise<readonly bigint[]>,
        ]);
        return {
          id,
          adapterId: v.adapterId,
          commitmentId: v.commitmentId,
          status: VERSION_STATUS[status] ?? "None",
          bond: v.bond,
          challengeEnd: v.challengeEnd,
          submitBlock: v.submitBlock,
          openChallenges: v.openChallenges,
          datasetIds: [...datasetIds],
          proof: {
            contributorsRoot: v.proof.contributorsRoot,
            weightsHash: v.proof.weightsHash,
            checkpointRoot: v.proof.checkpointRoot,
            finalHead: v.proof.finalHead,
            checkpointCount: v.proof.checkpointCount,
            evalScore: v.proof.evalScore,
          },
          prices: [...ev.prices.values()]
            .filter((p) => p.versionId === id)
            .map((p) => ({ node: p.node, price: p.price })),
        };
      }),
    );
    const adapters: AdapterView[] = await Promise.all(
      this.latestIds(adapterCount, "adapters").map(async (id) => {
        const a = (await read(contracts.adapterRegistry, adapterRegistryAbi, "getAdapter", [id])) as {
          owner: Address;
          name: string;
        };
        return {
          id,
          owner: a.owner,
          name: a.name,
          versionIds: versions.filter((v) => v.adapterId === id).map((v) => v.id),
        };
      }),
    );

    // Redemptions, split by their pool's bps (fixed by the pool's first redemption), grouped per pool and per epoch.
    const poolKeys = new Map<string, { node: Address; versionId: bigint; epoch: bigint }>();
    for (const r of ev.redeemed) poolKeys.set(poolKey(r.node, r.versionId, r.epoch), r);
    const poolState = new Map<
      string,
      {
        amount: bigint;
        claimed: bigint;
        root: Hex;
        fellBack: boolean;
        status: number;
        bps: { nodeBps: bigint; ownerBps: bigint; datasetsBps: bigint };
      }
    >();
    await Promise.all(
      [...poolKeys.entries()].map(async ([key, p]) => {
        const [pool, status] = await Promise.all([
          read(contracts.settlement, settlementAbi, "getPool", [p.node, p.versionId, p.epoch]) as Promise<{
            amount: bigint;
            claimed: bigint;
            nodeBps: number;
            ownerBps: number;
            datasetsBps: number;
            root: Hex;
            fellBack: boolean;
          }>,
          read(contracts.settlement, settlementAbi, "poolStatus", [p.node, p.versionId, p.epoch]) as Promise<number>,
        ]);
        const opened = pool.nodeBps + pool.ownerBps + pool.datasetsBps > 0;
        const bps = opened ? pool : params;
        poolState.set(key, {
          amount: pool.amount,
          claimed: pool.claimed,
          root: pool.root,
          fellBack: pool.fellBack,
          status,
          bps: { nodeBps: BigInt(bps.nodeBps), ownerBps: BigInt(bps.ownerBps), datasetsBps: BigInt(bps.datasetsBps) },
        });
      }),
    );
    const redemptions: RedemptionView[] = ev.redeemed.map((r) => {
      const state = poolState.get(poolKey(r.node, r.versionId, r.epoch));
      const bps = state?.bps ?? {
        nodeBps: BigInt(params.nodeBps),
        ownerBps: BigInt(params.ownerBps),
        datasetsBps: BigInt(params.datasetsBps),
      };
      const s = splitCollected(r.collected, bps);
      return { ...r, parts: { burn: s.protocol, node: s.node, owner: s.owner, datasets: s.datasets } };
    });
    const pools = new Map<string, PoolView>();
    const epochs = new Map<bigint, EpochView>();
    for (const r of redemptions) {
      const key = poolKey(r.node, r.versionId, r.epoch);
      const state = poolState.get(key);
      const pool = pools.get(key);
      pools.set(key, {
        poolId: getPoolId(r.node, r.versionId, r.epoch),
        node: r.node,
        versionId: r.versionId,
        epoch: r.epoch,
        collected: (pool?.collected ?? 0n) + r.collected,
        inferences: (pool?.inferences ?? 0n) + (r.toSeq - r.fromSeq),
        redemptions: (pool?.redemptions ?? 0) + 1,
        parts: addParts(pool?.parts, r.parts),
        amount: state?.amount ?? 0n,
        claimed: state?.claimed ?? 0n,
        status: POOL_STATUS[state?.status ?? 0] ?? "Collecting",
        root: state?.root ?? ZERO_HASH,
        fellBack: state?.fellBack ?? false,
      });
      const epoch = epochs.get(r.epoch);
      epochs.set(r.epoch, {
        epoch: r.epoch,
        startTime: genesisTime + r.epoch * epochLength,
        inferences: (epoch?.inferences ?? 0n) + (r.toSeq - r.fromSeq),
        revenue: (epoch?.revenue ?? 0n) + r.collected,
        parts: addParts(epoch?.parts, r.parts),
      });
    }

    const challenges: ChallengeView[] = await Promise.all(
      ev.opened.map(async (c) => {
        const onChain = (await read(contracts.arbiter, arbiterAbi, "getChallenge", [c.id])) as {
          ruling: number;
          upheldWeight: bigint;
          dismissedWeight: bigint;
        };
        const resolved = ev.resolved.get(c.id);
        return {
          ...c,
          subjectKind: this.subjectKindOf(c.subject),
          ruling: RULING[onChain.ruling] ?? "None",
          upheldWeight: onChain.upheldWeight,
          dismissedWeight: onChain.dismissedWeight,
          pot: resolved?.pot ?? 0n,
          burned: resolved?.burned ?? 0n,
          voterReward: resolved?.voterReward ?? 0n,
        };
      }),
    );

    const snapshot: ChainSnapshot = {
      chainId,
      blockNumber: head,
      blockTimestamp: block.timestamp,
      contracts: { ...contracts },
      params: {
        split: {
          nodeBps: params.nodeBps,
          ownerBps: params.ownerBps,
          datasetsBps: params.datasetsBps,
          protocolBps: params.protocolBps,
        },
        genesisTime,
        epochLength,
        challengeWindow,
      },
      datanets,
      datasets,
      duplicates: [...ev.duplicates],
      adapters,
      versions,
      redemptions,
      pools: [...pools.values()],
      epochs: [...epochs.values()].sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0)),
      roots: [...ev.roots],
      claims: [...ev.claims],
      challenges,
      truncated: [...new Set([...this.truncated, ...ev.truncated])].sort(),
    };
    this.logger?.debug("explorer snapshot built", { block: head, ms: Date.now() - started });
    return snapshot;
  }

  /** Ids `1 … count`, the latest `maxEntities` of them. */
  private latestIds(count: bigint, name: string): bigint[] {
    const first = count > BigInt(this.maxEntities) ? count - BigInt(this.maxEntities) + 1n : 1n;
    if (first > 1n) this.truncated.add(name);
    const ids: bigint[] = [];
    for (let id = first; id <= count; id++) ids.push(id);
    return ids;
  }

  private subjectKindOf(subject: Address): ChallengeSubjectKind {
    const { contracts } = this.deployment;
    const s = subject.toLowerCase();
    if (s === contracts.adapterRegistry.toLowerCase()) return "adapterVersion";
    if (s === contracts.settlement.toLowerCase()) return "attributionRoot";
    if (s === contracts.nodeRegistry.toLowerCase()) return "node";
    return "other";
  }
}

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;

function poolKey(node: Address, versionId: bigint, epoch: bigint): string {
  return `${node.toLowerCase()}:${versionId}:${epoch}`;
}

function addParts(a: SplitView | undefined, b: SplitView): SplitView {
  return {
    burn: (a?.burn ?? 0n) + b.burn,
    node: (a?.node ?? 0n) + b.node,
    owner: (a?.owner ?? 0n) + b.owner,
    datasets: (a?.datasets ?? 0n) + b.datasets,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, found ${value}`);
  return value;
}
