import { join } from "node:path";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { Registry } from "prom-client";
import { type Hex, keccak256 } from "viem";
import {
  createP2pMetrics,
  GossipAction,
  type GossipTopicName,
  GossipValidationError,
  type GossipValidatorFn,
  type GossipValidators,
  Network,
  type NetworkHandlers,
  type NetworkInitOptions,
  type P2pMetrics,
} from "../../../node/src/p2p/index.js";
import type { Entry } from "../../../node/src/protocol/index.js";

/** Every test host listens on a free loopback port. */
export const LOOPBACK = ["/ip4/127.0.0.1/tcp/0"];

/** Output texts that make the test records validator IGNORE, REJECT, or throw something unexpected. */
export const IGNORE_ME = "ignore me: unknown adapter version";
export const REJECT_ME = "reject me: a forged receipt signature";
export const CRASH_ME = "crash me: the validator has a bug";

/** A validated gossip payload, by message id. */
export type Validated = { topic: GossipTopicName; messageId: Hex; from: string };
/** A message a handler received. */
export type Received = { topic: GossipTopicName; value: unknown; from: string };
/** One validation outcome the metrics hook saw. */
export type Counted = { topic: GossipTopicName; outcome: string; code: string };

/**
 * A test records validator over the entries the p2p layer decoded (malformed payloads never reach it): three marker
 * texts stand for a broken rule (REJECT), "we cannot judge this yet" (IGNORE) and a validator bug (a `TypeError`).
 */
export async function validateRecordsForTest(_payload: Uint8Array, _from: string, entries: Entry[]): Promise<void> {
  const texts = entries.map((entry) => entry.outputText);
  if (texts.includes(REJECT_ME)) throw new GossipValidationError(GossipAction.REJECT, { code: "TEST_BAD_SIGNATURE" });
  if (texts.includes(IGNORE_ME)) throw new GossipValidationError(GossipAction.IGNORE, { code: "TEST_UNKNOWN_VERSION" });
  if (texts.includes(CRASH_ME)) throw new TypeError("Cannot read properties of undefined (reading 'lane')");
}

/** A running {@link Network} and everything the test can observe of it. */
export type TestNode = {
  network: Network;
  registry: Registry;
  validated: Validated[];
  received: Received[];
  counted: Counted[];
  keyPath: string;
};

/** Options of {@link startNode}: network options plus handler overrides. */
export type StartNodeOptions = Partial<NetworkInitOptions> & {
  handlers?: Partial<NetworkHandlers>;
  validators?: Partial<GossipValidators>;
};

/** Starts a {@link Network} on loopback (DHT off, IP colocation off) with recording validators, handlers, metrics. */
export async function startNode(dir: string, name: string, options: StartNodeOptions = {}): Promise<TestNode> {
  const validated: Validated[] = [];
  const received: Received[] = [];
  const counted: Counted[] = [];
  const registry = new Registry();
  const prom = createP2pMetrics(registry);
  const metrics: P2pMetrics = {
    ...prom,
    onGossipValidation: (topic, outcome, code) => {
      counted.push({ topic, outcome, code });
      prom.onGossipValidation(topic, outcome, code);
    },
  };
  const record = <T>(topic: GossipTopicName, check: GossipValidatorFn<T>): GossipValidatorFn<T> => {
    return async (payload, from, decoded) => {
      validated.push({ topic, messageId: keccak256(payload), from });
      await check(payload, from, decoded);
    };
  };
  const { handlers, validators, ...networkOptions } = options;
  const keyPath = join(dir, `${name}.key`);
  const network = await Network.init(
    {
      peerKeyPath: keyPath,
      listenAddresses: LOOPBACK,
      dht: false,
      ipColocationFactorWeight: 0,
      ...networkOptions,
    },
    {
      metrics,
      validators: {
        records: record("records", validators?.records ?? validateRecordsForTest),
        training: record("training", validators?.training ?? (async () => {})),
        attribution: record("attribution", validators?.attribution ?? (async () => {})),
      },
      handlers: {
        onRecords: async (value, from) => void received.push({ topic: "records", value, from }),
        onTraining: async (value, from) => void received.push({ topic: "training", value, from }),
        onAttribution: async (value, from) => void received.push({ topic: "attribution", value, from }),
        getRecords: async () => [],
        getSamples: async () => null,
        getCheckpoint: async () => null,
        ...handlers,
      },
    },
  );
  return { network, registry, validated, received, counted, keyPath };
}

/**
 * Polls `condition` every `intervalMs` until it holds, or fails naming `what` after `timeoutMs`: the bounded loop the
 * tests use where no event says the state was reached (mesh formation, score updates). Never a fixed sleep.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A libp2p host with plain gossipsub: an adversary's (or any other implementation's) peer, bound by no validator. */
export type RawHost = Libp2p<{ pubsub: GossipSub; identify: ReturnType<ReturnType<typeof identify>> }>;

/** Starts a {@link RawHost} on loopback. */
export async function createRawHost(): Promise<RawHost> {
  return createLibp2p({
    addresses: { listen: LOOPBACK },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, ignoreDuplicatePublishError: false }),
    },
  });
}

/** Connects `host` to `node` and waits until the host knows `node` subscribes to `topic` (so publishing reaches it). */
export async function attach(host: RawHost, node: TestNode, topic: string, timeoutMs = 10_000): Promise<void> {
  const [address] = node.network.getMultiaddrs();
  if (address === undefined) throw new Error("the node listens nowhere");
  await host.dial(multiaddr(address));
  await waitFor(
    () => host.services.pubsub.getSubscribers(topic).some((peer) => peer.toString() === node.network.peerId),
    `${host.peerId} to see ${node.network.peerId} subscribed to ${topic}`,
    timeoutMs,
  );
}

/** The sum of a prom-client metric's values (0 when absent). */
export async function readMetric(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Closes everything it is given, whatever fails. */
export async function closeAll(
  ...items: ({ close(): Promise<void> } | { stop(): void | Promise<void> } | undefined)[]
): Promise<void> {
  await Promise.allSettled(
    items.map((item) => (item === undefined ? undefined : "close" in item ? item.close() : item.stop())),
  );
}
