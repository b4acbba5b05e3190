import { decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes } from "viem";
import { getLaneId } from "../../protocol/index.js";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import {
  copyEntry,
  decodeUint,
  encodeBytes32,
  encodeUint,
  entryAbiComponents,
  joinBytes,
  toHex,
  toMillis,
} from "../encoding.js";
import { type Equivocation, EquivocationKind } from "../types.js";
import { Repository } from "./repository.js";

/** The id of a piece of evidence: one per (lane, seq, kind), the first found; more would add nothing. */
export type EquivocationId = { laneId: Hex; seq: bigint; kind: EquivocationKind };

/** `abi.encode(uint8 kind, Entry first, Entry second, uint64 detectedAt)`, with the protocol's Entry components. */
const evidenceParameters = [
  { name: "kind", type: "uint8" },
  { name: "first", type: "tuple", components: entryAbiComponents },
  { name: "second", type: "tuple", components: entryAbiComponents },
  { name: "detectedAt", type: "uint64" },
] as const;

/**
 * Equivocation evidence. Key: lane id (32) ‖ seq (8, big-endian) ‖ kind (1), so a lane's evidence is contiguous and
 * there is at most one piece per (lane, seq, kind): the store keeps the first and ignores later ones, which bounds
 * what a flooding signer can make us write. Value: `abi.encode(uint8 kind, Entry first, Entry second, uint64
 * detectedAt)`; the lane and seq are those of `first.receipt`.
 */
export class EquivocationRepository extends Repository<EquivocationId, Equivocation> {
  constructor(db: Database) {
    super(db, Bucket.equivocations);
  }

  encodeKey(id: EquivocationId): Uint8Array {
    return joinBytes(encodeBytes32(id.laneId), encodeUint(id.seq, 8), encodeUint(id.kind, 1));
  }

  decodeKey(key: Uint8Array): EquivocationId {
    if (key.length !== 41) throw new RangeError(`expected a 41-byte key, found ${key.length} bytes`);
    return { laneId: toHex(key.subarray(0, 32)), seq: decodeUint(key.subarray(32, 40)), kind: toKind(key[40] ?? 0) };
  }

  encodeValue(value: Equivocation): Uint8Array {
    return hexToBytes(
      encodeAbiParameters(evidenceParameters, [value.kind, value.first, value.second, BigInt(value.detectedAt)]),
    );
  }

  decodeValue(bytes: Uint8Array): Equivocation {
    const [kind, first, second, detectedAt] = decodeAbiParameters(evidenceParameters, bytes);
    const { payer, node, versionId, lane, seq } = first.receipt;
    return {
      kind: toKind(kind),
      laneId: getLaneId(payer, node, versionId, lane),
      seq,
      first: copyEntry(first),
      second: copyEntry(second),
      detectedAt: toMillis(detectedAt),
    };
  }

  /** Up to `limit` pieces of evidence about `laneId`, ascending by seq then kind. */
  async listByLane(laneId: Hex, limit: number): Promise<Equivocation[]> {
    const rows = await this.entriesWithPrefix(encodeBytes32(laneId), limit);
    return rows.map(({ value }) => value);
  }

  /** Up to `limit` pieces of evidence in key order, from `after` (exclusive) on. */
  async list(limit: number, after?: EquivocationId): Promise<Equivocation[]> {
    const rows = await this.entriesWithPrefix(
      new Uint8Array(0),
      limit,
      after === undefined ? undefined : this.encodeKey(after),
    );
    return rows.map(({ value }) => value);
  }
}

function toKind(byte: number): EquivocationKind {
  if (byte !== EquivocationKind.RECEIPT && byte !== EquivocationKind.RECORD) {
    throw new RangeError(`expected an equivocation kind, found ${byte}`);
  }
  return byte;
}
