import type { IncomingMessage, ServerResponse } from "node:http";
import { type Address, getAddress, hexToBytes } from "viem";
import { type AttributionMessage, encodeAttributionMessage } from "../protocol/index.js";

/** Most gossiped attribution messages held; the oldest is dropped first (an epoch's worth on a busy network). */
export const MAX_ATTRIBUTION_MESSAGES = 4_096;

const keyOf = (node: Address, versionId: bigint, epoch: bigint): string =>
  `${node.toLowerCase()}/${versionId}/${epoch}`;

/**
 * The `/olp/attribution/1` messages this node saw on gossip, by pool, bounded (oldest dropped). The leaves of a posted
 * root are not on chain: claimers and auditors get them here (`GET /olp/attribution/<node>/<versionId>/<epoch>`, the
 * encoded message) and check them against the on-chain root before using them.
 */
export class AttributionMessages {
  private readonly messages = new Map<string, AttributionMessage>();
  dropped = 0;

  constructor(private readonly max = MAX_ATTRIBUTION_MESSAGES) {}

  /** Keeps a message; a later one for the same pool replaces it. */
  add(message: AttributionMessage): void {
    const key = keyOf(message.node, message.versionId, message.epoch);
    this.messages.delete(key);
    this.messages.set(key, message);
    while (this.messages.size > this.max) {
      const oldest = this.messages.keys().next().value as string;
      this.messages.delete(oldest);
      this.dropped += 1;
    }
  }

  get(node: Address, versionId: bigint, epoch: bigint): AttributionMessage | undefined {
    return this.messages.get(keyOf(node, versionId, epoch));
  }
}

const ROUTE = /^\/olp\/attribution\/(0x[0-9a-fA-F]{40})\/([0-9]{1,78})\/([0-9]{1,20})$/;

/**
 * The HTTP route `GET /olp/attribution/<node>/<versionId>/<epoch>`: the pool's `/olp/attribution/1` message as
 * `application/octet-stream` (`abi.encode`, docs/protocol.md), from our own posted roots first, then gossip; 404 when
 * neither holds it. A mount for the API server.
 */
export function createAttributionRoute(
  lookup: (node: Address, versionId: bigint, epoch: bigint) => Promise<AttributionMessage | undefined>,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const match = ROUTE.exec((req.url ?? "").split("?")[0] ?? "");
    if (match === null) return false;
    if (req.method !== "GET") {
      res.writeHead(405, { "content-type": "text/plain", allow: "GET" }).end("only GET\n");
      return true;
    }
    const [, node, versionId, epoch] = match as unknown as [string, string, string, string];
    const message = await lookup(getAddress(node), BigInt(versionId), BigInt(epoch));
    if (message === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no attribution message held for this pool\n");
      return true;
    }
    const body = hexToBytes(encodeAttributionMessage(message));
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
    return true;
  };
}
