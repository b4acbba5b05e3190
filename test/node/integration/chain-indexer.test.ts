import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  type Address,
  type Chain,
  createPublicClient,
  custom,
  type PublicClient,
  type Transport,
  zeroHash,
} from "viem";
import {
  ChainIndexer,
  type ChainIndexStore,
  ChainReader,
  type IndexedRange,
  type IndexerMetrics,
} from "../../../node/src/chain/index.js";
import { getLaneId, settlementDomain } from "../../../node/src/protocol/index.js";
import { type ChainUpdate, Store } from "../../../node/src/store/index.js";
import { VersionStatus } from "../../../node/src/validation/index.js";
import { type Lifecycle, liveLifecycle } from "./chainHelpers.js";

/** Counts what the indexer writes, and passes it on to the real store. */
class CountingStore implements ChainIndexStore {
  readonly updates: ChainUpdate[] = [];
  constructor(readonly store: Store) {}
  getChainCursor(name?: string) {
    return this.store.getChainCursor(name);
  }
  getEpochPool(pool: Parameters<Store["getEpochPool"]>[0]) {
    return this.store.getEpochPool(pool);
  }
  async applyChainUpdate(update: ChainUpdate): Promise<void> {
    this.updates.push(update);
    await this.store.applyChainUpdate(update);
  }
}

function counters(): IndexerMetrics & { values: Record<string, number> } {
  const values: Record<string, number> = {};
  const counter = (name: string) => ({
    inc: (v = 1) => {
      values[name] = (values[name] ?? 0) + v;
    },
  });
  const gauge = (name: string) => ({
    set: (v: number) => {
      values[name] = v;
    },
  });
  return {
    values,
    headBlock: gauge("head"),
    indexedBlock: gauge("indexed"),
    lagBlocks: gauge("lag"),
    rangesIndexed: counter("ranges"),
    eventsIndexed: counter("events"),
    reorgs: counter("reorgs"),
    pollErrors: counter("pollErrors"),
  };
}

describe("chain indexer and reader (Hardhat EVM, level store on disk)", function () {
  this.timeout(60_000);
  let conn: NetworkConnection;
  let life: Lifecycle;
  let client: PublicClient<Transport, Chain>;
  let snapshot: string;
  let dir: string;
  let store: Store;

  before(async () => {
    conn = await network.create();
    life = await liveLifecycle(conn);
    client = createPublicClient({ transport: custom(conn.provider), pollingInterval: 50 }) as PublicClient<
      Transport,
      Chain
    >;
    snapshot = (await conn.provider.request({ method: "evm_snapshot" })) as string;
  });

  beforeEach(async () => {
    await conn.provider.request({ method: "evm_revert", params: [snapshot] });
    snapshot = (await conn.provider.request({ method: "evm_snapshot" })) as string;
    dir = await mkdtemp(join(tmpdir(), "olnode-chain-"));
    store = await openStore();
  });

  afterEach(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  after(async () => {
    await conn.close();
  });

  function openStore(): Promise<Store> {
    const { chainId, contracts } = life.protocol.deployment;
    return Store.open({ dir, domain: settlementDomain(BigInt(chainId), contracts.settlement) });
  }

  function indexer(s: ChainIndexStore, confirmations = 0, metrics?: IndexerMetrics): ChainIndexer {
    return new ChainIndexer(
      { deployment: life.protocol.deployment, confirmations, pollIntervalMs: 50, maxBlockRange: 16 },
      { client, store: s, ...(metrics === undefined ? {} : { metrics }) },
    );
  }

  async function head(): Promise<bigint> {
    return client.getBlockNumber({ cacheTime: 0 });
  }

  it("follows a real lifecycle into the store: versions, challenges, a redemption with its lane and pool, a root", async () => {
    const metrics = counters();
    const ix = indexer(store, 0, metrics);
    const ranges: IndexedRange[] = [];
    ix.onUpdate((r) => ranges.push(r));
    await ix.syncOnce();
    expect(ix.indexedBlock).to.equal(await head());
    expect(ix.isSynced()).to.equal(true);

    // Versions: v1 survived its challenge and is Active, v2 lost and is Rejected (the tour's story).
    const v1 = await store.getAdapterVersion(1n);
    const v2 = await store.getAdapterVersion(2n);
    expect(v1?.status).to.equal(2);
    expect(v2?.status).to.equal(3);
    expect(v1?.owner).to.equal(life.actors.adapterOwner.address);
    expect(v1?.datasetIds).to.deep.equal(await life.protocol.adapterRegistry.datasetIdsOf(1n));
    const registry = life.protocol.deployment.contracts.adapterRegistry;
    const [c1] = await store.listChallenges(registry, 1n);
    const [c2] = await store.listChallenges(registry, 2n);
    // Arbiter rulings: 2 Dismissed (v1 stands), 1 Upheld (v2 rejected).
    expect([c1?.ruling, c2?.ruling]).to.deep.equal([2, 1]);
    expect(c1?.challenger).to.equal(life.actors.challenger.address);

    // The redemption: its pool, its row, its lane's collected amount.
    const key = { node: life.node, versionId: 1n, epoch: life.epoch };
    const pool = await store.getEpochPool(key);
    const onChain = await life.protocol.settlement.getPool(life.node, 1n, life.epoch);
    expect(pool?.amount).to.equal(onChain.amount);
    expect(pool?.root).to.equal(zeroHash);
    const [row] = await store.listEpochRedemptions(key);
    expect(row?.collected).to.equal(life.price);
    expect(row?.payer).to.equal(life.payer);
    expect(row?.datasetsPart).to.equal(onChain.amount);
    const lane = await store.getLane(getLaneId(life.payer, life.node, 1n, 0));
    expect(lane?.collected).to.equal(life.price);
    expect(lane?.lastRedeemedSeq).to.equal(1n);

    // Typed events reached the listener in chain order.
    const names = ranges.flatMap((r) => r.events.map((e) => `${e.contract}.${e.log.eventName}`));
    for (const expected of [
      "datanetRegistry.DatasetRegistered",
      "adapterRegistry.VersionSubmitted",
      "adapterRegistry.VersionActivated",
      "arbiter.ChallengeOpened",
      "arbiter.ChallengeResolved",
      "nodeRegistry.PriceSet",
      "paymentEscrow.Deposited",
      "settlement.Redeemed",
    ]) {
      expect(names, expected).to.include(expected);
    }
    const redeemed = ranges
      .flatMap((r) => r.events)
      .flatMap((e) => (e.contract === "settlement" && e.log.eventName === "Redeemed" ? [e.log] : []));
    expect(redeemed).to.have.length(1);
    // Typed: args of a Redeemed event.
    expect(redeemed[0]?.args.collected).to.equal(life.price);
    // Bounded ranges: every one at most 16 blocks, contiguous from the deployment block.
    expect(ranges[0]?.fromBlock).to.equal(life.protocol.deployment.deployBlock);
    for (const [i, r] of ranges.entries()) {
      expect(r.toBlock - r.fromBlock < 16n).to.equal(true);
      if (i > 0) expect(r.fromBlock).to.equal((ranges[i - 1] as IndexedRange).toBlock + 1n);
    }
    expect(metrics.values.ranges).to.equal(ranges.length);
    expect(metrics.values.lag).to.equal(0);

    // The root, posted later, lands on the pool with its records root.
    const posted = await life.postRoot();
    await ix.syncOnce();
    const after = await store.getEpochPool(key);
    expect(after?.root).to.equal(posted.root);
    expect(after?.recordsRoot).to.equal(posted.recordsRoot);
    expect(after?.poster).to.equal(life.actors.operator.address);
    await ix.close();
  });

  it("indexes only up to head − confirmations", async () => {
    const ix = indexer(store, 3);
    await ix.syncOnce();
    expect(ix.indexedBlock).to.equal((await head()) - 3n);
    expect(ix.isSynced()).to.equal(true);
    // The redemption is in the last blocks: not indexed yet.
    await conn.networkHelpers.mine(3);
    await ix.syncTo(0n);
    expect(ix.isSynced()).to.equal(false);
    await ix.syncOnce();
    expect(ix.indexedBlock).to.equal((await head()) - 3n);
    await ix.close();
  });

  it("resumes from the stored cursor after a restart without applying anything again", async () => {
    const first = new CountingStore(store);
    const a = indexer(first);
    await a.syncOnce();
    const cursor = await store.getChainCursor();
    expect(cursor?.blockNumber).to.equal(await head());
    await a.close();
    await store.close();

    store = await openStore();
    const second = new CountingStore(store);
    const b = indexer(second);
    const ranges: IndexedRange[] = [];
    b.onUpdate((r) => ranges.push(r));
    await b.syncOnce();
    expect(second.updates).to.have.length(0);
    expect(b.indexedBlock).to.equal(cursor?.blockNumber);

    await life.redeem(2n);
    await b.syncOnce();
    expect(ranges).to.have.length(1);
    expect(ranges[0]?.fromBlock).to.equal((cursor?.blockNumber ?? 0n) + 1n);
    const lane = await store.getLane(getLaneId(life.payer, life.node, 1n, 0));
    expect(lane?.collected).to.equal(2n * life.price);
    await b.close();
  });

  it("detects a reorg (evm_snapshot/evm_revert, then other blocks) and re-indexes so the store matches the new chain", async () => {
    const metrics = counters();
    const ix = indexer(store, 0, metrics);
    await ix.syncOnce();
    const key = { node: life.node, versionId: 1n, epoch: life.epoch };
    const fork = (await conn.provider.request({ method: "evm_snapshot" })) as string;

    // The branch that will be orphaned: a second redemption of the lane, then the root, both indexed.
    const laneId = getLaneId(life.payer, life.node, 1n, 0);
    await life.redeem(2n);
    const posted = await life.postRoot();
    await ix.syncOnce();
    expect((await store.getEpochPool(key))?.root).to.equal(posted.root);
    expect((await store.listEpochRedemptions(key)).map((r) => r.toSeq)).to.deep.equal([1n, 2n]);
    expect(await store.getLane(laneId)).to.deep.include({ collected: 2n * life.price, lastRedeemedSeq: 2n });
    const orphanedHead = await head();

    // The chain reorganises: back to the fork, then other (longer) blocks without the root.
    await conn.provider.request({ method: "evm_revert", params: [fork] });
    await conn.networkHelpers.mine(Number(orphanedHead - (await head())) + 2);
    const ranges: IndexedRange[] = [];
    ix.onUpdate((r) => ranges.push(r));
    await ix.syncOnce();

    expect(metrics.values.reorgs).to.equal(1);
    expect(ranges[0]?.rewoundTo).to.be.a("bigint");
    const pool = await store.getEpochPool(key);
    expect(pool?.root).to.equal(zeroHash);
    expect(pool?.recordsRoot).to.equal(zeroHash);
    expect(pool?.poster).to.equal("0x0000000000000000000000000000000000000000");
    // The orphaned Redeemed leaves no row, and the lane's collected amount is the new chain's (it went down).
    const onChainPool = await life.protocol.settlement.getPool(life.node, 1n, life.epoch);
    expect(pool?.amount).to.equal(onChainPool.amount);
    expect((await store.listEpochRedemptions(key)).map((r) => r.toSeq)).to.deep.equal([1n]);
    const onChainLane = await life.protocol.settlement.getLane(life.payer, life.node, 1n, 0);
    expect(onChainLane.collected).to.equal(life.price);
    expect(await store.getLane(laneId)).to.deep.include({
      collected: onChainLane.collected,
      lastRedeemedSeq: onChainLane.lastSeq,
    });
    const cursor = await store.getChainCursor();
    expect(cursor?.blockNumber).to.equal(await head());
    expect(cursor?.blockHash).to.equal((await client.getBlock({ blockNumber: cursor?.blockNumber as bigint })).hash);
    await ix.close();
  });

  it("re-reads what orphaned blocks touched even when the new chain is not longer yet", async () => {
    const ix = indexer(store, 0);
    await ix.syncOnce();
    const key = { node: life.node, versionId: 1n, epoch: life.epoch };
    const fork = (await conn.provider.request({ method: "evm_snapshot" })) as string;
    const forkHead = await head();
    await life.postRoot();
    await ix.syncOnce();
    await conn.provider.request({ method: "evm_revert", params: [fork] });
    expect(await head()).to.equal(forkHead);
    await ix.syncOnce();
    expect((await store.getEpochPool(key))?.root).to.equal(zeroHash);
    expect((await store.getChainCursor())?.blockNumber).to.equal(forkHead);
    await ix.close();
  });

  it("after a restart, a reorg behind the stored cursor rewinds a bounded depth and ends on the new chain", async () => {
    const a = indexer(store);
    await a.syncOnce();
    const fork = (await conn.provider.request({ method: "evm_snapshot" })) as string;
    await life.redeem(2n);
    await a.syncOnce();
    const orphaned = await store.getChainCursor();
    await a.close();
    await store.close();

    await conn.provider.request({ method: "evm_revert", params: [fork] });
    await conn.networkHelpers.mine(3);
    store = await openStore();
    const metrics = counters();
    const b = new ChainIndexer(
      { deployment: life.protocol.deployment, confirmations: 0, pollIntervalMs: 50, maxReorgDepth: 8 },
      { client, store, metrics },
    );
    const ranges: IndexedRange[] = [];
    b.onUpdate((r) => ranges.push(r));
    await b.syncOnce();
    expect(metrics.values.reorgs).to.equal(1);
    expect(ranges[0]?.rewoundTo).to.equal((orphaned?.blockNumber ?? 0n) - 8n);
    const cursor = await store.getChainCursor();
    expect(cursor?.blockHash).to.equal((await client.getBlock({ blockNumber: await head() })).hash);
    await b.close();
  });

  it("ChainReader answers at the indexed block: a price change is invisible until indexed", async () => {
    const ix = indexer(store, 0);
    const reader = new ChainReader({ deployment: life.protocol.deployment, confirmations: 0 }, { client, indexer: ix });
    expect(await reader.isSynced()).to.equal(false);
    await ix.syncOnce();
    expect(await reader.isSynced()).to.equal(true);
    expect(reader.chainId).to.equal(31337n);
    expect(reader.settlement).to.equal(life.protocol.deployment.contracts.settlement);

    const { node, operator, alice, mallory } = life.actors;
    expect(await reader.priceOf(life.node, 1n)).to.equal(life.price);
    expect(await reader.priceOf(life.node, 99n)).to.equal(0n);
    expect(await reader.operatorOf(life.node)).to.equal(operator.address);
    expect(await reader.operatorOf(mallory.address as Address)).to.equal(undefined);
    expect(await reader.isAuthorizedSigner(life.payer, life.payer)).to.equal(true);
    expect(await reader.isAuthorizedSigner(life.payer, mallory.address as Address)).to.equal(false);
    expect(await reader.versionStatus(1n)).to.equal(VersionStatus.ACTIVE);
    expect(await reader.versionStatus(2n)).to.equal(VersionStatus.REJECTED);
    expect(await reader.versionStatus(99n)).to.equal(VersionStatus.UNKNOWN);
    expect(await reader.trainingDatasets(1n)).to.deep.equal(await life.protocol.adapterRegistry.datasetIdsOf(1n));
    // The escrow covered the deposit less the redemption.
    const coverage = life.deposit - life.price;
    expect(await reader.escrowCoverage(life.payer, life.node)).to.equal(coverage);

    // The node doubles its price and the payer starts thawing half: neither is visible before it is indexed.
    await (await life.protocol.nodeRegistry.connect(node).setPrice(1n, 2n * life.price)).wait();
    await (await life.protocol.paymentEscrow.connect(alice).thaw(life.node, coverage / 2n)).wait();
    expect(await life.protocol.nodeRegistry.priceOf(life.node, 1n)).to.equal(2n * life.price);
    expect(await reader.priceOf(life.node, 1n)).to.equal(life.price);
    expect(await reader.escrowCoverage(life.payer, life.node)).to.equal(coverage);
    await ix.syncOnce();
    expect(await reader.priceOf(life.node, 1n)).to.equal(2n * life.price);
    // THREATS #23: thawing funds no longer cover new requests.
    expect(await reader.escrowCoverage(life.payer, life.node)).to.equal(coverage - coverage / 2n);
    await ix.close();
  });

  it("ChainReader without an indexer reads at head − confirmations", async () => {
    const reader = new ChainReader(
      { deployment: life.protocol.deployment, confirmations: 2, headCacheMs: 0 },
      { client },
    );
    await (await life.protocol.nodeRegistry.connect(life.actors.node).setPrice(1n, 3n * life.price)).wait();
    expect(await reader.getBlockNumber()).to.equal((await head()) - 2n);
    expect(await reader.priceOf(life.node, 1n)).to.equal(life.price);
    await conn.networkHelpers.mine(2);
    // Two blocks later the change is buried deep enough; the per-block cache moved with the block.
    expect(await reader.priceOf(life.node, 1n)).to.equal(3n * life.price);
    expect(await reader.isSynced()).to.equal(true);
  });

  it("start() polls until aborted; a failing RPC marks it unsynced until a poll succeeds again", async () => {
    let broken = false;
    const flaky = createPublicClient({
      transport: custom({
        request: (args: { method: string; params?: unknown }) => {
          if (broken) throw new Error("connection refused");
          return conn.provider.request(args as { method: string; params?: unknown[] });
        },
      }),
    }) as PublicClient<Transport, Chain>;
    const metrics = counters();
    const ix = new ChainIndexer(
      { deployment: life.protocol.deployment, confirmations: 0, pollIntervalMs: 20 },
      { client: flaky, store, metrics },
    );
    const until = async (condition: () => boolean): Promise<void> => {
      for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(condition()).to.equal(true);
    };
    const controller = new AbortController();
    const loop = ix.start(controller.signal);
    await until(() => ix.isSynced());
    broken = true;
    await until(() => !ix.isSynced());
    expect(metrics.values.pollErrors).to.be.greaterThan(0);
    broken = false;
    await life.redeem(2n);
    const target = await head();
    await until(() => ix.isSynced() && ix.indexedBlock === target);
    controller.abort();
    await loop;
    await ix.close();
  });
});
