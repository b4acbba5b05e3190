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

/**
 * The bytes of a checkpoint on `/olp/req/checkpoints/1` (docs/protocol.md leaves the format to the trainer):
 * `abi.encode(bytes weights, bytes state)`, the two safetensors files exactly as stored, so the requester can hash each
 * (`hashSafetensors`) and compare with the chain's `weightsHash_k` and `stateHash_k`. Written word by word: a general
 * ABI coder spends seconds on a checkpoint of many MiB, past a requester's time to first byte.
 */
export function encodeCheckpoint(checkpoint: Pick<StoredCheckpoint, "weights" | "state">): Uint8Array {
  const { weights, state } = checkpoint;
  const weightsWords = Math.ceil(weights.length / 32) * 32;
  const out = new Uint8Array(64 + 32 + weightsWords + 32 + Math.ceil(state.length / 32) * 32);
  const view = new DataView(out.buffer);
  const word = (at: number, value: number) => view.setBigUint64(at + 24, BigInt(value));
  word(0, 64);
  word(32, 64 + 32 + weightsWords);
  word(64, weights.length);
  out.set(weights, 96);
  word(96 + weightsWords, state.length);
  out.set(state, 96 + weightsWords + 32);
  return out;
}

/**
 * Reads {@link encodeCheckpoint}'s bytes back, refusing anything but that exact layout (offsets, lengths, zero padding).
 *
 * @throws {RangeError} naming what is wrong
 */
export function decodeCheckpoint(bytes: Uint8Array): { readonly weights: Uint8Array; readonly state: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number): number => {
    if (at + 32 > bytes.length)
      throw new RangeError(`checkpoint bytes end at ${bytes.length}, a word at ${at} was expected`);
    for (let i = at; i < at + 24; i++)
      if (bytes[i] !== 0) throw new RangeError(`checkpoint word at ${at} is too large`);
    return Number(view.getBigUint64(at + 24));
  };
  if (word(0) !== 64) throw new RangeError("checkpoint bytes: the weights offset must be 64");
  const weightsLength = word(64);
  const weightsWords = Math.ceil(weightsLength / 32) * 32;
  if (word(32) !== 96 + weightsWords)
    throw new RangeError("checkpoint bytes: the state offset does not follow the weights");
  const stateLength = word(96 + weightsWords);
  const weights = bytes.slice(96, 96 + weightsLength);
  const state = bytes.slice(96 + weightsWords + 32, 96 + weightsWords + 32 + stateLength);
  const canonical = encodeCheckpoint({ weights, state });
  if (canonical.length !== bytes.length || !Buffer.from(canonical).equals(Buffer.from(bytes))) {
    throw new RangeError("checkpoint bytes are not a canonical abi.encode(bytes weights, bytes state)");
  }
  return { weights, state };
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
