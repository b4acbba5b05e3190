import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { PrivateKey } from "@libp2p/interface";
import { type Address, getAddress, zeroAddress } from "viem";
import { type LocalAccount, privateKeyToAccount } from "viem/accounts";
import { ApiServer, RecordBatcher, StoreLaneView } from "../api/index.js";
import { AttributionService, createAttributionMetrics } from "../attribution/index.js";
import {
  ChainIndexer,
  ChainReader,
  checkChain,
  createChainClients,
  createIndexerMetrics,
  createTxSenderMetrics,
  type Deployment,
  nodeRegistryAbi,
  readDeployment,
  TxSender,
} from "../chain/index.js";
import {
  generatePeerKey,
  KeyFileError,
  KeyFileErrorCode,
  readOperatorKeyFile,
  readPeerKeyFile,
  type StartConfig,
  writePeerKeyFile,
} from "../config/index.js";
import { createExplorerHandler, ExplorerSource, storeRecordSource } from "../explorer/index.js";
import { type InferenceBackend, OpenAIUpstreamBackend, TrainerBackend } from "../inference/index.js";
import type { Logger } from "../logger/index.js";
import { Metrics } from "../metrics/index.js";
import { createP2pMetrics, GossipAction, GossipValidationError, Network } from "../p2p/index.js";
import { type ContributorShare, getLaneId, settlementDomain } from "../protocol/index.js";
import { createSettleMetrics, SettleService } from "../settle/index.js";
import { createStoreMetrics, Store } from "../store/index.js";
import { ArtifactStore, createCheckpointHandler, DatasetStore } from "../trainer/index.js";
import { AttributionMessages, createAttributionRoute } from "./attributionMessages.js";
import { NodeAttributor } from "./attributor.js";
import { type LocalVersion, listLocalVersions, readCorpusSamples } from "./localVersions.js";
import { createRecordsValidator } from "./recordsGossip.js";

/** Where a node keeps what it owns under `store.dir` (docs/node.md). */
export const NODE_DIRS = {
  db: "db",
  datasets: "datasets",
  trainer: "trainer",
  attribution: "attribution",
  settle: "settle",
} as const;

/** Inputs of {@link OlNode.init}. */
export type OlNodeOptions = {
  readonly config: StartConfig;
  /** Relative paths of the config are relative to it. */
  readonly cwd: string;
};

/** What {@link OlNode.init} uses but does not own. */
export type OlNodeModules = {
  readonly logger: Logger;
  /** The node's metrics (default: a new registry with the process's default metrics). */
  readonly metrics?: Metrics;
};

/** A node that cannot start; the message says which step and why. */
export class NodeStartError extends Error {
  constructor(
    readonly step: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`cannot start the node (${step}): ${message}`, options);
    this.name = "NodeStartError";
  }
}

type Closer = { name: string; close(): Promise<void> | void };

/**
 * The composition root (STYLE.md): builds every module of a node in dependency order from one configuration —
 * store, chain (clients, indexer, reader, sender), attribution, inference, p2p, API (with the explorer), settle — and
 * closes them in reverse, the store last, so everything in flight is persisted before it closes. One AbortSignal
 * stops every loop.
 */
export class OlNode {
  private readonly controller = new AbortController();
  private closed = false;

  private constructor(
    /** The node's address in NodeRegistry (receipts name it). */
    readonly node: Address,
    /** The operator key: signs records, sends transactions. */
    readonly operator: LocalAccount,
    readonly deployment: Deployment,
    readonly store: Store,
    readonly indexer: ChainIndexer,
    readonly chainView: ChainReader,
    readonly network: Network,
    readonly api: ApiServer,
    readonly settle: SettleService,
    /** The versions this node serves, from `<store.dir>/trainer/versions`. */
    readonly versions: readonly LocalVersion[],
    /** `http://host:port` of the API; the explorer is at `/explorer/`. */
    readonly apiUrl: string,
    private readonly closers: Closer[],
    private readonly logger: Logger,
  ) {}

  /** The p2p listen addresses, each ending in `/p2p/<peer id>`: what other nodes put in `p2p.bootstrap`. */
  get multiaddrs(): string[] {
    return this.network.getMultiaddrs();
  }

  /**
   * Starts a node. Each step is logged; a failure closes what was opened and throws a {@link NodeStartError} naming
   * the step.
   */
  static async init(opts: OlNodeOptions, modules: OlNodeModules): Promise<OlNode> {
    const { config, cwd } = opts;
    const logger = modules.logger;
    const metrics = modules.metrics ?? new Metrics();
    const registry = metrics.registry;
    const closers: Closer[] = [];
    const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      logger.debug(`start: ${name}`);
      try {
        return await run();
      } catch (err) {
        throw new NodeStartError(name, err instanceof Error ? err.message : String(err), { cause: err });
      }
    };
    try {
      const dataDir = resolve(cwd, config.store.dir);
      for (const dir of Object.values(NODE_DIRS)) await mkdir(join(dataDir, dir), { recursive: true });

      const deployment = await step("deployment file", () => readDeployment(resolve(cwd, config.chain.deploymentFile)));
      const operator = await step("operator key", async () =>
        privateKeyToAccount((await readOperatorKeyFile(resolve(cwd, config.keys.operatorKeyFile))).privateKey),
      );
      const { publicClient } = createChainClients({ rpcUrl: config.chain.rpcUrl, chainId: deployment.chainId });
      await step("chain", () => checkChain(publicClient, deployment));
      const node = await step("node registration", async () => {
        const found = await publicClient.readContract({
          address: deployment.contracts.nodeRegistry,
          abi: nodeRegistryAbi,
          functionName: "nodeOfOperator",
          args: [operator.address],
        });
        if (found === zeroAddress) {
          throw new Error(
            `operator ${operator.address} is not registered to a node: run \`olnode node register\` first`,
          );
        }
        return getAddress(found);
      });
      const domain = settlementDomain(BigInt(deployment.chainId), deployment.contracts.settlement);

      const store = await step("store", () =>
        Store.open(
          { dir: join(dataDir, NODE_DIRS.db), domain },
          { metrics: createStoreMetrics(registry), logger: logger.child("store") },
        ),
      );
      closers.push({ name: "store", close: () => store.close() });

      const chainMetrics = metrics.forModule("chain");
      const indexer = new ChainIndexer(
        { deployment, confirmations: config.chain.confirmations, pollIntervalMs: config.chain.pollIntervalMs },
        { client: publicClient, store, logger: logger.child("chain"), metrics: createIndexerMetrics(chainMetrics) },
      );
      closers.push({ name: "chain indexer", close: () => indexer.close() });
      await step("chain index", () => indexer.syncOnce());
      const chainView = new ChainReader(
        { deployment, confirmations: config.chain.confirmations },
        { client: publicClient, indexer },
      );
      const txSender = new TxSender(
        {},
        {
          client: publicClient,
          account: operator,
          chainId: deployment.chainId,
          logger: logger.child("tx"),
          metrics: createTxSenderMetrics(chainMetrics),
        },
      );
      closers.push({ name: "tx sender", close: () => txSender.close() });

      const versions = await step("local versions", () => listLocalVersions(join(dataDir, NODE_DIRS.trainer)));
      const sharesByVersion = new Map<bigint, readonly ContributorShare[]>(
        versions.map((v) => [v.versionId, v.shares]),
      );
      const attribution = new AttributionService(
        { dir: join(dataDir, NODE_DIRS.attribution) },
        { logger: logger.child("attribution"), metrics: createAttributionMetrics(registry) },
      );
      closers.push({ name: "attribution", close: () => attribution.close() });
      const indexed = new Set<bigint>();
      for (const version of versions) {
        await step(`attribution index of version ${version.versionId}`, async () => {
          await attribution.ensureIndex(version.versionId, await readCorpusSamples(version), version.shares, {
            minSpan: version.minSpan,
          });
        });
        indexed.add(version.versionId);
      }
      const attributor = new NodeAttributor(attribution, (id) => sharesByVersion.get(id), indexed);

      const backend = await step("inference backend", () => createBackend(config, versions, logger));
      closers.push({ name: "inference backend", close: () => backend.close() });

      const lanes = new StoreLaneView(store, domain);
      const ctx = { chain: chainView, lanes };
      const artifacts = new ArtifactStore({ dir: join(dataDir, NODE_DIRS.trainer) });
      const datasets = new DatasetStore({ dir: join(dataDir, NODE_DIRS.datasets) });
      const gossipedAttribution = new AttributionMessages();
      let settleRef: SettleService | undefined;
      const p2pLogger = logger.child("p2p");
      const peerKeyPath = resolve(cwd, config.p2p.peerKeyFile);
      const peerKey = await step("peer key", () => readOrCreatePeerKey(peerKeyPath));
      const network = await step("p2p", () =>
        Network.init(
          {
            peerKeyPath,
            listenAddresses: [...config.p2p.listen],
            bootstrap: [...config.p2p.bootstrap],
            dht: config.p2p.dht,
            ipColocationFactorWeight: config.p2p.ipColocationWeight,
          },
          {
            privateKey: peerKey,
            logger: p2pLogger,
            metrics: createP2pMetrics(registry),
            validators: {
              records: createRecordsValidator({ ctx, store, logger: p2pLogger }),
              // [IGNORE] no training-message validator yet: we neither judge nor forward them.
              training: async () => {
                throw new GossipValidationError(GossipAction.IGNORE, { code: "NODE_ERROR_TRAINING_NOT_VALIDATED" });
              },
              attribution: async () => {},
            },
            handlers: {
              onRecords: async () => {},
              onTraining: async () => {},
              onAttribution: async (message) => gossipedAttribution.add(message),
              getRecords: async (lane, fromSeq, toSeq) => {
                const laneId = getLaneId(lane.payer, lane.node, lane.versionId, lane.lane);
                const records = await store.getRecordsBySeqRange(laneId, fromSeq, toSeq, 256);
                return records.map((r) => r.entry);
              },
              getSamples: (root, start, count) => datasets.getSamples(root, start, count),
              getCheckpoint: createCheckpointHandler(artifacts),
            },
          },
        ),
      );
      closers.push({ name: "p2p", close: () => network.close() });

      const batcher = new RecordBatcher(
        {},
        {
          publish: async (entries) => {
            await network.publishRecords(entries);
          },
          logger: logger.child("records"),
        },
      );
      closers.push({ name: "record batcher", close: () => batcher.close() });

      const explorerSource = new ExplorerSource(
        { deployment },
        {
          client: publicClient,
          records: storeRecordSource(store, async ({ entry }) => {
            const versionId = entry.receipt.versionId;
            if (!indexed.has(versionId) || entry.outputText === "") return undefined;
            const result = await attribution.attribute(versionId, entry.outputText, { private: false });
            return result.spans.map((s) => ({
              text: s.text,
              datasets: s.datasets.map((d) => ({ datasetId: d.datasetId, count: d.count })),
            }));
          }),
          logger: logger.child("explorer"),
        },
      );
      closers.push({ name: "explorer", close: () => explorerSource.close() });
      const explorer = createExplorerHandler({ source: explorerSource, basePath: "/explorer", logger });

      const api = new ApiServer(
        {
          host: config.api.host,
          port: config.api.port,
          node,
          models: versions.map((v) => ({
            name: `v${v.versionId}`,
            versionId: v.versionId,
            backendModel: `v${v.versionId}`,
          })),
        },
        {
          chain: chainView,
          lanes,
          store,
          backend,
          attributor,
          operator,
          publisher: { publish: (entry) => batcher.add(entry) },
          registry,
          metricsRegistries: [registry],
          status: {
            peers: () => network.getConnectedPeers().length,
            chain: () => ({
              synced: indexer.isSynced(),
              indexedBlock: indexer.indexedBlock?.toString() ?? null,
              headBlock: indexer.headBlock?.toString() ?? null,
            }),
          },
          logger: logger.child("api"),
          mounts: [
            explorer,
            createAttributionRoute(async (poolNode, versionId, epoch) => {
              const own = await settleRef?.getPostedRoots().then((roots) => roots.get(poolNode, versionId, epoch));
              return own ?? gossipedAttribution.get(poolNode, versionId, epoch);
            }),
          ],
        },
      );
      await step("pending receipts", () => api.answerPendingReceipts());
      const address = await step("api", () => api.listen());
      closers.push({ name: "api", close: () => api.close() });
      const host = address.address.includes(":") ? `[${address.address}]` : address.address;
      const apiUrl = `http://${host}:${address.port}`;

      const settle = new SettleService(
        {
          node,
          operator: operator.address,
          contracts: deployment.contracts,
          deployBlock: deployment.deployBlock,
          dataDir: join(dataDir, NODE_DIRS.settle),
          redeemValueWei: config.settle.redeemValueWei,
          redeemAgeSeconds: config.settle.redeemAgeSeconds,
          postEpochs: config.settle.postEpochs,
          tickIntervalMs: config.settle.tickIntervalMs,
          auditor: { enabled: config.settle.auditor },
        },
        {
          store,
          reader: publicClient,
          txSender,
          trainingShares: {
            getTrainingShares: async (versionId) => {
              const shares = sharesByVersion.get(versionId);
              if (shares === undefined) throw new Error(`no training shares held for version ${versionId}`);
              return shares;
            },
          },
          logger: logger.child("settle"),
          metrics: createSettleMetrics(metrics.forModule("settle")),
          recomputeWeights: async (versionId, outputText) =>
            indexed.has(versionId) ? attribution.attribute(versionId, outputText, { private: false }) : undefined,
          getPostedAttribution: async (key) => gossipedAttribution.get(key.node, key.versionId, key.epoch),
          onAttributionPosted: (_payload, message) => {
            network.publishAttribution(message).catch((err: unknown) => {
              logger.warn("attribution root not gossiped", { epoch: message.epoch.toString() }, err);
            });
          },
        },
      );
      closers.push({ name: "settle", close: () => settle.close() });
      settleRef = settle;

      const olNode = new OlNode(
        node,
        operator,
        deployment,
        store,
        indexer,
        chainView,
        network,
        api,
        settle,
        versions,
        apiUrl,
        closers,
        logger,
      );
      void indexer.start(olNode.controller.signal);
      void settle.start(olNode.controller.signal);
      logger.info("node started", {
        node,
        operator: operator.address,
        api: apiUrl,
        peerId: network.peerId,
        versions: versions.map((v) => v.versionId.toString()),
      });
      return olNode;
    } catch (err) {
      await closeAll(closers, logger);
      throw err;
    }
  }

  /** Stops every loop and closes every module in reverse order of construction, the store last. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort();
    await closeAll(this.closers, this.logger);
    this.logger.info("node stopped", { node: this.node });
  }
}

async function closeAll(closers: Closer[], logger: Logger): Promise<void> {
  for (const closer of [...closers].reverse()) {
    try {
      await closer.close();
    } catch (err) {
      logger.error(`closing ${closer.name} failed`, {}, err);
    }
  }
  closers.length = 0;
}

/** The key `olnode keys generate` wrote, or a new one written the same way (JSON, mode 0600). */
async function readOrCreatePeerKey(path: string): Promise<PrivateKey> {
  try {
    return (await readPeerKeyFile(path)).privateKey;
  } catch (err) {
    if (!(err instanceof KeyFileError) || err.type.code !== KeyFileErrorCode.NOT_FOUND) throw err;
  }
  const key = await generatePeerKey();
  await writePeerKeyFile(path, key);
  return key.privateKey;
}

async function createBackend(
  config: StartConfig,
  versions: readonly LocalVersion[],
  logger: Logger,
): Promise<InferenceBackend> {
  if (config.inference.backend === "openai-compatible") {
    if (config.inference.upstreamUrl === undefined) throw new Error("inference.upstreamUrl is not set");
    return new OpenAIUpstreamBackend(
      {
        baseUrl: config.inference.upstreamUrl,
        ...(config.inference.upstreamApiKey === undefined ? {} : { apiKey: config.inference.upstreamApiKey }),
      },
      { logger: logger.child("inference") },
    );
  }
  const backend = new TrainerBackend(
    {
      python: config.trainer.pythonPath,
      models: versions.map((v) => ({ name: `v${v.versionId}`, modelDir: v.modelDir, adapterDir: v.adapterDir })),
    },
    { logger: logger.child("inference") },
  );
  await backend.start();
  return backend;
}
