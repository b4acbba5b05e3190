import type { Libp2p, PeerInfo } from "@libp2p/interface";
import type { P2pLogger } from "./logger.js";
import type { P2pMetrics } from "./metrics.js";

/** Most dials to discovered peers in flight at once; discoveries beyond it are dropped (the DHT finds them again). */
export const MAX_CONCURRENT_DIALS = 8;

/** How long a dial to a discovered peer may take. */
const DIAL_TIMEOUT_MS = 10_000;

/**
 * Dials peers that discovery (the bootstrap list, the DHT) reports while we hold fewer connections than the target:
 * libp2p 3 no longer dials discovered peers by itself. Bounded: at most {@link MAX_CONCURRENT_DIALS} dials at once.
 */
export class PeerManager {
  private readonly dialing = new Set<string>();
  private readonly onDiscovery = (event: CustomEvent<PeerInfo>): void => this.maybeDial(event.detail);

  constructor(
    private readonly libp2p: Libp2p,
    private readonly targetPeers: number,
    private readonly logger: P2pLogger,
    private readonly metrics: P2pMetrics | null,
  ) {}

  /** Starts listening for discoveries. */
  start(): void {
    this.libp2p.addEventListener("peer:discovery", this.onDiscovery);
  }

  /** Stops listening; dials in flight finish or fail on their own. */
  stop(): void {
    this.libp2p.removeEventListener("peer:discovery", this.onDiscovery);
  }

  private maybeDial(peer: PeerInfo): void {
    const id = peer.id.toString();
    if (peer.id.equals(this.libp2p.peerId) || this.dialing.has(id)) return;
    if (this.libp2p.getConnections(peer.id).length > 0) return;
    if (this.libp2p.getConnections().length + this.dialing.size >= this.targetPeers) return;
    if (this.dialing.size >= MAX_CONCURRENT_DIALS) {
      this.metrics?.onDiscoveryDropped();
      return;
    }
    this.dialing.add(id);
    // Discovery services put the peer's addresses in the peer store; dialling by id uses them.
    this.libp2p
      .dial(peer.id, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      .catch((err: unknown) => this.logger.debug("Could not dial a discovered peer", { peer: id }, err))
      .finally(() => this.dialing.delete(id));
  }
}
