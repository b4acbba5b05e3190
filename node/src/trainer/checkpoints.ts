import { decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes, toHex } from "viem";
import type { ArtifactStore, StoredCheckpoint } from "./artifacts.js";

/** A run of checkpoint bytes, as p2p's `ReqRespHandlers.getCheckpoint` returns it. */
export interface CheckpointBytesRange {
  readonly totalBytes: bigint;
  readonly data: Uint8Array;
}

/** The `getCheckpoint` of p2p's `ReqRespHandlers`: up to `maxBytes` of checkpoint `step` of `versionId` from `offset`. */
export type CheckpointHandler = (
  versionId: bigint,
  step: bigint,
  offset: bigint,
  maxBytes: number,
) => Promise<CheckpointBytesRange | null>;

const CHECKPOINT_PARAMETERS = [{ type: "bytes" }, { type: "bytes" }] as const;

/**
 * The bytes of a checkpoint on `/olp/req/checkpoints/1` (docs/protocol.md leaves the format to the trainer):
 * `abi.encode(bytes weights, bytes state)`, the two safetensors files exactly as stored, so the requester can hash each
 * (`hashSafetensors`) and compare with the chain's `weightsHash_k` and `stateHash_k`.
 */
export function encodeCheckpoint(checkpoint: Pick<StoredCheckpoint, "weights" | "state">): Uint8Array {
  return hexToBytes(encodeAbiParameters(CHECKPOINT_PARAMETERS, [toHex(checkpoint.weights), toHex(checkpoint.state)]));
}

/** Reads {@link encodeCheckpoint}'s bytes back; throws (viem's decode error) on anything else. */
export function decodeCheckpoint(bytes: Uint8Array): { readonly weights: Uint8Array; readonly state: Uint8Array } {
  const [weights, state] = decodeAbiParameters(CHECKPOINT_PARAMETERS, toHex(bytes) as Hex);
  if (encodeCheckpoint({ weights: hexToBytes(weights), state: hexToBytes(state) }).length !== bytes.length) {
    throw new RangeError("checkpoint bytes are not a canonical abi.encode(bytes, bytes)");
  }
  return { weights: hexToBytes(weights), state: hexToBytes(state) };
}

/** Encoded checkpoints kept for paging (a peer fetches one in 4 MiB pages): the most recent few, the rest re-read. */
const ENCODED_CACHE_SIZE = 2;

/**
 * The `/olp/req/checkpoints/1` handler backed by an {@link ArtifactStore}: the coordinator passes it as `getCheckpoint`
 * in p2p's `ReqRespHandlers`. `null` (the peer gets `RESOURCE_UNAVAILABLE`) for a version or step this node does not
 * hold; an offset past the end gets no bytes. Steps above 2^53 are not held by anyone.
 */
export function createCheckpointHandler(store: Pick<ArtifactStore, "getCheckpoint">): CheckpointHandler {
  const cache = new Map<string, Uint8Array>();
  return async (versionId, step, offset, maxBytes) => {
    if (step < 0n || step > BigInt(Number.MAX_SAFE_INTEGER) || offset < 0n) return null;
    const key = `${versionId}/${step}`;
    let encoded = cache.get(key);
    if (encoded === undefined) {
      const checkpoint = await store.getCheckpoint(versionId, Number(step));
      if (checkpoint === null) return null;
      encoded = encodeCheckpoint(checkpoint);
      cache.set(key, encoded);
      // Drop policy: the oldest encoded checkpoint goes first.
      for (const oldest of cache.keys()) {
        if (cache.size <= ENCODED_CACHE_SIZE) break;
        cache.delete(oldest);
      }
    }
    const totalBytes = BigInt(encoded.length);
    const start = offset > totalBytes ? encoded.length : Number(offset);
    return { totalBytes, data: encoded.subarray(start, start + Math.max(0, maxBytes)) };
  };
}
