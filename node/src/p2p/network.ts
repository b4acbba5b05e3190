import { createHash } from "node:crypto";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { bootstrap } from "@libp2p/bootstrap";
import { type GossipSub, gossipsub, StrictSign, TopicValidatorResult } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from "@libp2p/kad-dht";
import { peerIdFromString } from "@libp2p/peer-id";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { type Hex, isAddressEqual, keccak256 } from "viem";
import {
  type AttributionMessage,
  type Entry,
  encodeAttributionMessage,
  encodeRecordsMessage,
} from "../protocol/index.js";
import { P2pError, P2pErrorCode, ReqRespError, ReqRespErrorCode } from "./errors.js";
import {
  createTopicValidator,
  type GossipHandlers,
  type GossipValidators,
  type PeerIdStr,
} from "./gossipValidation.js";
import { JobQueue } from "./jobQueue.js";
import { type P2pLogger, silentLogger } from "./logger.js";
import type { P2pMetrics } from "./metrics.js";
import { defaultNetworkOptions, type NetworkInitOptions, type NetworkOptions } from "./options.js";
import { loadOrCreatePeerKey } from "./peerKey.js";
import { PeerManager } from "./peerManager.js";
import { ReqResp, type ReqRespHandlers } from "./reqResp.js";
import {
  bytesToHexFast,
  hexToBytesFast,
  type Lane,
  MAX_CHECKPOINT_CHUNK_BYTES,
  MAX_RECORDS_PER_RESPONSE,
  MAX_SAMPLES_PER_RESPONSE,
  REQ_RESP_PROTOCOLS,
  type SampleItem,
} from "./reqRespFrames.js";
import {
  GOSSIP_SCORE_THRESHOLDS,
  getGossipScoreParams,
  type PeerScoreTable,
  retainScoresOnReconnect,
} from "./scoring.js";
import {
  GOSSIP_TOPIC_NAMES,
  GOSSIP_TOPICS,
  type GossipTopic,
  type GossipTopicName,
  MAX_GOSSIP_MESSAGE_BYTES,
  TRAINING_TOPIC,
} from "./topics.js";

/** The Kademlia protocol of our network: its own, so we never join (or answer) the public IPFS DHT. */
export const DHT_PROTOCOL = "/olp/kad/1.0.0";

/**
 * Gossipsub's inbound RPC frame limit: an IWANT answer may carry several messages in one RPC, so this is a few times
 * the 1 MiB message limit (it-length-prefixed's own default, set here so it is a decision, not an accident).
 */
export const MAX_GOSSIP_RPC_BYTES = 4 << 20;

/** Every handler the p2p layer calls: accepted gossip, and the data it serves to peers. */
export type NetworkHandlers = GossipHandlers & ReqRespHandlers;

/** What {@link Network.init} is built from, besides its options. */
export type NetworkModules = {
  /** The peer key, when the caller read it (the node reads `p2p.peerKeyFile`); else it comes from `peerKeyPath`. */
  privateKey?: PrivateKey;
  logger?: P2pLogger;
  metrics?: P2pMetrics;
  validators: GossipValidators;
  handlers: NetworkHandlers;
};

/** What publishing did: the message id (`keccak256(payload)`) and how many peers we sent it to. */
export type PublishResult = { messageId: Hex; recipients: number };

/** A peer's gossip score and the per-topic counters behind it (diagnostics: it copies gossipsub's score table). */
export type PeerScoreStats = {
  score: number;
  /** Whether gossipsub counts the peer as connected; a disconnected peer's score is retained, not decayed. */
  connected: boolean;
  topics: Partial<
    Record<GossipTopicName, { inMesh: boolean; firstMessageDeliveries: number; invalidMessageDeliveries: number }>
  >;
};

/** Gossipsub's instance, as far as we use it beyond its public interface (all methods of its class in v17). */
type Gossip = GossipSub & {
  readonly score: PeerScoreTable;
  getScore(peerId: string): number;
  getMeshPeers(topic: string): string[];
  dumpPeerScoreStats(): Record<string, { connected: boolean; topics: Record<string, TopicStatsDump> }>;
};
/** What a {@link Network} is made of, built by {@link Network.init}. */
type NetworkParts = {
  libp2p: Libp2p;
  gossip: Gossip;
  reqResp: ReqResp;
  peerManager: PeerManager;
  queues: Record<GossipTopicName, JobQueue>;
  publishedIds: WeakMap<Uint8Array, Uint8Array>;
  logger: P2pLogger;
};
type TopicStatsDump = { inMesh: boolean; firstMessageDeliveries: number; invalidMessageDeliveries: number };

/**
 * The node's libp2p host (DESIGN §5 `p2p/`): TCP, noise, yamux, identify, ping, gossipsub with StrictSign, message
 * id `keccak256(payload)` and explicit peer scoring, the bootstrap list and the Kademlia DHT for discovery, the three
 * gossip topics with injected validators and handlers, and the three request–response protocols.
 *
 * @example
 * const network = await Network.init({ peerKeyPath: "data/peer.key" }, { validators, handlers, logger });
 * await network.publishRecords(entries);
 * await network.close();
 */
export class Network {
  private readonly libp2p: Libp2p;
  private readonly gossip: Gossip;
  private readonly reqResp: ReqResp;
  private readonly peerManager: PeerManager;
  private readonly queues: Record<GossipTopicName, JobQueue>;
  private readonly publishedIds: WeakMap<Uint8Array, Uint8Array>;
  private readonly logger: P2pLogger;
  private closed = false;

  private constructor(parts: NetworkParts) {
    this.libp2p = parts.libp2p;
    this.gossip = parts.gossip;
    this.reqResp = parts.reqResp;
    this.peerManager = parts.peerManager;
    this.queues = parts.queues;
    this.publishedIds = parts.publishedIds;
    this.logger = parts.logger;
  }

  /**
   * Loads (or creates) the peer key, starts the host, subscribes to the three topics with their validators and
   * registers the request–response protocols.
   */
  static async init(initOptions: NetworkInitOptions, modules: NetworkModules): Promise<Network> {
    const opts: NetworkOptions = {
      ...defaultNetworkOptions,
      ...initOptions,
      reqResp: { ...defaultNetworkOptions.reqResp, ...initOptions.reqResp },
    };
    const logger = modules.logger ?? silentLogger;
    const metrics = modules.metrics ?? null;
    const privateKey = modules.privateKey ?? (await loadOrCreatePeerKey(opts.peerKeyPath));
    const publishedIds = new WeakMap<Uint8Array, Uint8Array>();

    const services = {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictSign,
        // DESIGN §4: the message id is keccak256(payload), so a replayed payload is a duplicate whoever sends it.
        // What we publish was hashed once already (publish() returns the id): look it up rather than hash it again.
        msgIdFn: (message) => publishedIds.get(message.data) ?? keccak256(message.data, "bytes"),
        // A cheap id checked before signature verification; SHA-256 of the same bytes, so it collides exactly when
        // keccak256 does (never, in practice) and deduplication means the same as with the message id.
        fastMsgIdFn: (message) =>
          createHash("sha256")
            .update(message.data ?? new Uint8Array())
            .digest("base64"),
        msgIdToStrFn: (id) => bytesToHexFast(id),
        scoreParams: getGossipScoreParams(opts),
        scoreThresholds: GOSSIP_SCORE_THRESHOLDS,
        allowedTopics: GOSSIP_TOPIC_NAMES.map((name) => GOSSIP_TOPICS[name]),
        maxInboundDataLength: MAX_GOSSIP_RPC_BYTES,
        // Peer exchange would let a pruning peer steer us to its friends.
        doPX: false,
        floodPublish: true,
        // A node alone still publishes (peers fetch what they missed with /olp/req/records/1).
        allowPublishToZeroTopicPeers: true,
        // Publishing a payload again is a duplicate by design, not an error.
        ignoreDuplicatePublishError: true,
        metricsRegister: metrics?.gossipsub ?? null,
        metricsTopicStrToLabel: new Map(GOSSIP_TOPIC_NAMES.map((name) => [GOSSIP_TOPICS[name], name])),
      }),
      ...(opts.dht
        ? {
            dht: kadDHT({
              protocol: DHT_PROTOCOL,
              clientMode: false,
              peerInfoMapper: opts.dhtPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
            }),
          }
        : {}),
    };
    const libp2p = await createLibp2p({
      privateKey,
      addresses: { listen: opts.listenAddresses, announce: opts.announceAddresses },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: opts.bootstrap.length > 0 ? [bootstrap({ list: opts.bootstrap })] : [],
      connectionManager: { maxConnections: opts.maxPeers },
      services,
    });

    const queues = Object.fromEntries(
      GOSSIP_TOPIC_NAMES.map((name) => [
        name,
        new JobQueue(opts.maxQueuedMessages, (err) => {
          metrics?.onGossipHandlerError(name);
          logger.error("Gossip handler failed", { topic: name }, err);
        }),
      ]),
    ) as Record<GossipTopicName, JobQueue>;
    const gossip = (libp2p.services as unknown as { pubsub: Gossip }).pubsub;
    retainScoresOnReconnect(gossip.score);
    for (const name of GOSSIP_TOPIC_NAMES) {
      const validator = createTopicValidator(name, {
        validators: modules.validators,
        handlers: modules.handlers,
        queue: queues[name],
        logger,
        metrics,
      });
      gossip.topicValidators.set(GOSSIP_TOPICS[name], validator);
      gossip.subscribe(GOSSIP_TOPICS[name]);
    }
    const reqResp = new ReqResp(libp2p, modules.handlers, opts.reqResp, logger, metrics);
    await reqResp.start();
    const peerManager = new PeerManager(
      libp2p,
      {
        targetPeers: opts.targetPeers,
        dialIntervalMs: opts.dialIntervalMs,
        networkProtocol: REQ_RESP_PROTOCOLS.records,
        // A graylisted peer's RPCs are dropped unread: a connection to it is worth nothing.
        isDialable: (peerId) => gossip.getScore(peerId) >= GOSSIP_SCORE_THRESHOLDS.graylistThreshold,
      },
      logger,
      metrics,
    );
    peerManager.start();
    logger.info("P2p network started", {
      peerId: libp2p.peerId.toString(),
      addresses: libp2p.getMultiaddrs().map(String),
    });
    return new Network({ libp2p, gossip, reqResp, peerManager, queues, publishedIds, logger });
  }

  /** Our peer id. */
  get peerId(): PeerIdStr {
    return this.libp2p.peerId.toString();
  }

  /** The multiaddrs we listen on, each ending in `/p2p/<our peer id>`. */
  getMultiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  /** The peers we hold a connection to. */
  getConnectedPeers(): PeerIdStr[] {
    return this.libp2p.getPeers().map(String);
  }

  /** The peers in our gossipsub mesh for `topic`. */
  getMeshPeers(topic: GossipTopicName): PeerIdStr[] {
    return this.gossip.getMeshPeers(GOSSIP_TOPICS[topic]);
  }

  /** The peers we know to subscribe to `topic`. */
  getSubscribers(topic: GossipTopicName): PeerIdStr[] {
    return this.gossip.getSubscribers(GOSSIP_TOPICS[topic]).map(String);
  }

  /** The gossip score we give `peerId` (0 for a peer we have no record of). */
  getPeerScore(peerId: PeerIdStr): number {
    return this.gossip.getScore(peerId);
  }

  /** The score of `peerId` and its per-topic counters, or undefined for a peer we have no record of. */
  getPeerScoreStats(peerId: PeerIdStr): PeerScoreStats | undefined {
    const stats = this.gossip.dumpPeerScoreStats()[peerId];
    if (stats === undefined) return undefined;
    const topics: PeerScoreStats["topics"] = {};
    for (const name of GOSSIP_TOPIC_NAMES) {
      const topic = stats.topics[GOSSIP_TOPICS[name]];
      if (topic === undefined) continue;
      const { inMesh, firstMessageDeliveries, invalidMessageDeliveries } = topic;
      topics[name] = { inMesh, firstMessageDeliveries, invalidMessageDeliveries };
    }
    return { score: this.getPeerScore(peerId), connected: stats.connected, topics };
  }

  /** Dials `address` (a multiaddr ending in `/p2p/<peer id>`) and returns the peer's id. */
  async connect(address: string): Promise<PeerIdStr> {
    let target: ReturnType<typeof multiaddr>;
    try {
      target = multiaddr(address);
    } catch (cause) {
      throw new P2pError({ code: P2pErrorCode.INVALID_MULTIADDR, address }, { cause });
    }
    const connection = await this.libp2p.dial(target);
    return connection.remotePeer.toString();
  }

  /** Closes every connection to `peerId`. */
  async disconnect(peerId: PeerIdStr): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peerId));
  }

  /** Publishes `entries` on `/olp/records/1` (1 to 256 entries of one node, at most 1 MiB; DESIGN §4). */
  async publishRecords(entries: readonly Entry[]): Promise<PublishResult> {
    return this.publish(GOSSIP_TOPICS.records, hexToBytesFast(encodeRecordsMessage(entries)));
  }

  /** Publishes a pool's attribution root on `/olp/attribution/1`. */
  async publishAttribution(message: AttributionMessage): Promise<PublishResult> {
    return this.publish(GOSSIP_TOPICS.attribution, hexToBytesFast(encodeAttributionMessage(message)));
  }

  /**
   * Publishes an encoded `/olp/training/1` payload (DESIGN §4: `abi.encode((uint256 versionId, step[] steps))`); the
   * protocol module has no encoder for it yet, so the caller encodes it.
   */
  async publishTraining(payload: Uint8Array): Promise<PublishResult> {
    return this.publish(TRAINING_TOPIC, payload);
  }

  /**
   * Asks `peerId` for one page of the records of `lane` with `fromSeq ≤ seq ≤ toSeq`: at most 256, ascending by seq,
   * each of the lane and the range (checked). To page, ask again from the last seq + 1. Throws a {@link ReqRespError}.
   */
  async requestRecords(peerId: PeerIdStr, lane: Lane, fromSeq: bigint, toSeq: bigint): Promise<Entry[]> {
    if (fromSeq < 1n || toSeq < fromSeq) throw invalidArguments(`a seq range ${fromSeq}..${toSeq}`);
    const entries = await this.reqResp.request(peerId, "records", { ...lane, fromSeq, toSeq });
    const last = fromSeq + BigInt(MAX_RECORDS_PER_RESPONSE) - 1n;
    let previous = 0n;
    for (const { receipt } of entries) {
      const ofLane =
        isAddressEqual(receipt.payer, lane.payer) &&
        isAddressEqual(receipt.node, lane.node) &&
        receipt.versionId === lane.versionId &&
        receipt.lane === lane.lane;
      if (!ofLane) throw invalidResponse("a record of another lane");
      if (receipt.seq < fromSeq || receipt.seq > toSeq || receipt.seq > last || receipt.seq <= previous) {
        throw invalidResponse(`seq ${receipt.seq} out of order or outside ${fromSeq}..${toSeq}`);
      }
      previous = receipt.seq;
    }
    return entries;
  }

  /**
   * Asks `peerId` for up to `count` (≤ 1024) samples of the dataset with `datasetRoot` from `startIndex`: consecutive
   * indexes from `startIndex` (checked). The caller checks each text's hash against the root. Throws a
   * {@link ReqRespError} (ERROR_RESPONSE with status RESOURCE_UNAVAILABLE when the peer lacks the dataset).
   */
  async requestSamples(peerId: PeerIdStr, datasetRoot: Hex, startIndex: bigint, count: number): Promise<SampleItem[]> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_SAMPLES_PER_RESPONSE) {
      throw invalidArguments(`a count of ${count} (1 to ${MAX_SAMPLES_PER_RESPONSE})`);
    }
    const samples = await this.reqResp.request(peerId, "samples", { datasetRoot, startIndex, count });
    if (samples.length > count) throw invalidResponse(`${samples.length} samples for a count of ${count}`);
    samples.forEach((sample, i) => {
      if (sample.index !== startIndex + BigInt(i)) throw invalidResponse(`sample index ${sample.index} out of order`);
    });
    return samples;
  }

  /**
   * Asks `peerId` for up to 4 MiB of checkpoint `step` of `versionId` from byte `offset`: contiguous bytes from
   * `offset` (checked) and the checkpoint's total size. To page, ask again from `offset + data.length`. Throws a
   * {@link ReqRespError}.
   */
  async requestCheckpoint(
    peerId: PeerIdStr,
    versionId: bigint,
    step: bigint,
    offset: bigint,
  ): Promise<{ totalBytes: bigint; data: Uint8Array }> {
    const chunks = await this.reqResp.request(peerId, "checkpoints", { versionId, step, offset });
    const totalBytes = chunks[0]?.totalBytes ?? offset;
    const parts: Uint8Array[] = [];
    let end = offset;
    for (const chunk of chunks) {
      const data = hexToBytesFast(chunk.data);
      if (chunk.offset !== end || chunk.totalBytes !== totalBytes || data.length === 0) {
        throw invalidResponse(`a chunk at ${chunk.offset} where ${end} was expected`);
      }
      if (data.length > MAX_CHECKPOINT_CHUNK_BYTES) throw invalidResponse(`a chunk of ${data.length} bytes`);
      end += BigInt(data.length);
      if (end > totalBytes) throw invalidResponse(`bytes past the ${totalBytes} of the checkpoint`);
      parts.push(data);
    }
    return { totalBytes, data: Buffer.concat(parts) };
  }

  /**
   * Stops discovery, stops accepting and unsubscribes, lets the handlers finish the messages already accepted, then
   * stops the host. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.peerManager.stop();
    for (const name of GOSSIP_TOPIC_NAMES) {
      // From now on every message is IGNOREd: nothing new reaches a handler (or is forwarded) while the queues drain.
      // Removing the validator instead would let gossipsub accept messages unvalidated.
      this.gossip.topicValidators.set(GOSSIP_TOPICS[name], async () => TopicValidatorResult.Ignore);
      this.gossip.unsubscribe(GOSSIP_TOPICS[name]);
    }
    await Promise.all(GOSSIP_TOPIC_NAMES.map((name) => this.queues[name].drain()));
    await this.reqResp.stop();
    await this.libp2p.stop();
    this.logger.info("P2p network closed", { peerId: this.peerId });
  }

  private async publish(topic: GossipTopic, payload: Uint8Array): Promise<PublishResult> {
    if (payload.length > MAX_GOSSIP_MESSAGE_BYTES) {
      throw new P2pError({
        code: P2pErrorCode.MESSAGE_TOO_LARGE,
        topic,
        bytes: payload.length,
        max: MAX_GOSSIP_MESSAGE_BYTES,
      });
    }
    const id = keccak256(payload, "bytes");
    this.publishedIds.set(payload, id);
    const { recipients } = await this.gossip.publish(topic, payload);
    return { messageId: bytesToHexFast(id), recipients: recipients.length };
  }
}

function invalidArguments(reason: string): ReqRespError {
  return new ReqRespError({ code: ReqRespErrorCode.INVALID_REQUEST, reason });
}

function invalidResponse(reason: string): ReqRespError {
  return new ReqRespError({ code: ReqRespErrorCode.INVALID_RESPONSE, reason });
}
