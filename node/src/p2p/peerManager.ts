import type { Libp2p, PeerId, PeerInfo } from "@libp2p/interface";
import type { P2pLogger } from "./logger.js";
import type { P2pMetrics } from "./metrics.js";

/** Most dials to discovered peers in flight at once; discoveries beyond it are dropped (the DHT finds them again). */
export const MAX_CONCURRENT_DIALS = 8;

/** How long a dial to a discovered peer may take. */
const DIAL_TIMEOUT_MS = 10_000;

/** What the peer manager needs to know besides the host. */
export type PeerManagerOptions = {
  /** Dial while we hold fewer connections than this. */
  targetPeers: number;
  /** How often known peers are re-dialled while we are below the target. */
  dialIntervalMs: number;
  /** The protocol that marks a peer of our network in the peer store (identify records what each peer speaks). */
  networkProtocol: string;
  /** Whether a peer is worth dialling (not one whose messages we drop anyway). */
  isDialable(peerId: string): boolean;
};

/**
 * Keeps the node connected: libp2p 3 no longer dials discovered peers by itself, nor redials peers it lost. Dials
 * peers that discovery (the bootstrap list, the DHT) reports, and every `dialIntervalMs` the known peers of our
 * network it is not connected to, while below `targetPeers`. Bounded: at most {@link MAX_CONCURRENT_DIALS} dials at
 * once; the rest are dropped and counted.
 */
export class PeerManager {
  private readonly dialing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onDiscovery = (event: CustomEvent<PeerInfo>): void => this.maybeDial(event.detail.id);

  constructor(
    private readonly libp2p: Libp2p,
    private readonly opts: PeerManagerOptions,
    private readonly logger: P2pLogger,
    private readonly metrics: P2pMetrics | null,
  ) {}

  /** Starts listening for discoveries and redialling known peers. */
  start(): void {
    this.libp2p.addEventListener("peer:discovery", this.onDiscovery);
    this.timer = setInterval(() => {
      this.redial().catch((err: unknown) => this.logger.debug("Could not redial known peers", {}, err));
    }, this.opts.dialIntervalMs);
    this.timer.unref();
  }

  /** Stops both; dials in flight finish or fail on their own. */
  stop(): void {
    this.libp2p.removeEventListener("peer:discovery", this.onDiscovery);
    clearInterval(this.timer);
  }

  /** Dials known peers of our network we are not connected to, while below the target. */
  private async redial(): Promise<void> {
    const room = this.opts.targetPeers - this.libp2p.getConnections().length - this.dialing.size;
    if (room <= 0) return;
    const connected = new Set(this.libp2p.getPeers().map(String));
    const known = await this.libp2p.peerStore.all({
      filters: [
        (peer) =>
          peer.protocols.includes(this.opts.networkProtocol) &&
          peer.addresses.length > 0 &&
          !connected.has(peer.id.toString()),
      ],
      limit: room,
    });
    for (const peer of known) this.maybeDial(peer.id);
  }

  private maybeDial(peerId: PeerId): void {
    const id = peerId.toString();
    if (peerId.equals(this.libp2p.peerId) || this.dialing.has(id) || !this.opts.isDialable(id)) return;
    if (this.libp2p.getConnections(peerId).length > 0) return;
    if (this.libp2p.getConnections().length + this.dialing.size >= this.opts.targetPeers) return;
    if (this.dialing.size >= MAX_CONCURRENT_DIALS) {
      this.metrics?.onDiscoveryDropped();
      return;
    }
    this.dialing.add(id);
    // Discovery services and identify put the peer's addresses in the peer store; dialling by id uses them.
    this.libp2p
      .dial(peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      .catch((err: unknown) => this.logger.debug("Could not dial a peer", { peer: id }, err))
      .finally(() => this.dialing.delete(id));
  }
}
