import type { ReqRespOptions } from "./reqResp.js";
import type { ScoringOptions } from "./scoring.js";

/** Everything the p2p layer can be configured with; {@link defaultNetworkOptions} holds every default. */
export type NetworkOptions = ScoringOptions & {
  /** Multiaddrs to listen on. */
  listenAddresses: string[];
  /** Multiaddrs to announce instead of the listen addresses (behind a NAT); empty announces the listen addresses. */
  announceAddresses: string[];
  /** Peers dialled at start and kept as discovery seeds: multiaddrs ending in `/p2p/<peer id>`. */
  bootstrap: string[];
  /** File of the node's libp2p private key; created with a new key when missing. */
  peerKeyPath: string;
  /** Whether to run the Kademlia DHT (protocol `/olp/kad/1.0.0`) to discover peers beyond the bootstrap list. */
  dht: boolean;
  /**
   * Whether the DHT keeps private and loopback addresses in what it learns (a LAN, a devnet); off, as on the public
   * internet, where they are unreachable from elsewhere and tell strangers about our network.
   */
  dhtPrivateAddresses: boolean;
  /** Discovered peers are dialled while we hold fewer connections than this. */
  targetPeers: number;
  /** How often known peers of our network are redialled while we hold fewer than `targetPeers` connections. */
  dialIntervalMs: number;
  /** Most connections at once: libp2p closes the least valuable beyond it. */
  maxPeers: number;
  /** Most accepted gossip messages waiting for their handler, per topic; beyond it messages are IGNOREd. */
  maxQueuedMessages: number;
  /** Request–response timeouts and stream limits. */
  reqResp: ReqRespOptions;
};

/** The options {@link Network.init} takes: the key path, and whatever departs from the defaults. */
export type NetworkInitOptions = Partial<Omit<NetworkOptions, "reqResp">> & {
  peerKeyPath: string;
  reqResp?: Partial<ReqRespOptions>;
};

/** Every default of the p2p layer, each with why. */
export const defaultNetworkOptions: Omit<NetworkOptions, "peerKeyPath"> = {
  // All interfaces, one well-known port, so bootstrap lists can name it.
  listenAddresses: ["/ip4/0.0.0.0/tcp/9000"],
  announceAddresses: [],
  // No public network exists yet: an operator names its peers.
  bootstrap: [],
  dht: true,
  dhtPrivateAddresses: false,
  // Gossipsub's mesh wants D = 6 to 12 peers per topic; 25 connections leave room for churn and auditors.
  targetPeers: 25,
  // Lost peers come back within seconds, and a node below target tries a few known peers at a time.
  dialIntervalMs: 10_000,
  maxPeers: 50,
  // Production: 4+ peers on one IP start costing score (DESIGN §5); a loopback network must set the weight to 0.
  ipColocationFactorWeight: -30,
  ipColocationFactorThreshold: 3,
  // About a second of records traffic at 1,000 records/s in batches of one; the store acks a batch in milliseconds.
  maxQueuedMessages: 1024,
  reqResp: {
    // Requests are one small frame: a peer that sends nothing for 5 s holds a stream for nothing.
    requestTimeoutMs: 5_000,
    // The Ethereum consensus req–resp values (TTFB 5 s, 10 s between chunks), which its clients found workable.
    ttfbTimeoutMs: 5_000,
    respTimeoutMs: 10_000,
    // Per connection and protocol: enough for a syncing peer's parallel pages, not enough to exhaust us.
    maxInboundStreams: 32,
  },
};
