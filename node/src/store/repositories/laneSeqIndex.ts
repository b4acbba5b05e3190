import type { Hex } from "viem";
import { Bucket, encodeBucketKey } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeBytes32, encodeUint, joinBytes, toHex } from "../encoding.js";
import { Repository } from "./repository.js";

/** The id of an index entry: a lane and a seq in it. */
export type LaneSeq = { laneId: Hex; seq: bigint };

/**
 * lane id ‖ seq → record id. Key: the 32-byte lane id then the seq as 8 big-endian bytes (uint64), so a lane's
 * entries are contiguous and in seq order. Value: the 32 raw bytes of the record id (a fixed layout).
 */
export class LaneSeqIndexRepository extends Repository<LaneSeq, Hex> {
  constructor(db: Database) {
    super(db, Bucket.laneSeqIndex);
  }

  encodeKey(id: LaneSeq): Uint8Array {
    return joinBytes(encodeBytes32(id.laneId), encodeUint(id.seq, 8));
  }

  decodeKey(key: Uint8Array): LaneSeq {
    if (key.length !== 40) throw new RangeError(`expected a 40-byte key, found ${key.length} bytes`);
    return { laneId: toHex(key.subarray(0, 32)), seq: decodeUint(key.subarray(32)) };
  }

  encodeValue(recordId: Hex): Uint8Array {
    return encodeBytes32(recordId);
  }

  decodeValue(bytes: Uint8Array): Hex {
    if (bytes.length !== 32) throw new RangeError(`expected a 32-byte record id, found ${bytes.length} bytes`);
    return toHex(bytes);
  }

  /** Up to `limit` (seq, record id) pairs of `laneId` with `fromSeq ≤ seq ≤ toSeq`, ascending by seq. */
  async getRange(
    laneId: Hex,
    fromSeq: bigint,
    toSeq: bigint,
    limit: number,
  ): Promise<{ seq: bigint; recordId: Hex }[]> {
    if (fromSeq > toSeq || limit <= 0) return [];
    const rows = await this.entriesInRange(
      {
        gte: encodeBucketKey(this.bucket, this.encodeKey({ laneId, seq: fromSeq })),
        lte: encodeBucketKey(this.bucket, this.encodeKey({ laneId, seq: toSeq })),
      },
      limit,
    );
    return rows.map(({ id, value }) => ({ seq: id.seq, recordId: value }));
  }

  /** Up to `limit` index entries in key order, from `after` (exclusive) on: for integrity scans. */
  async list(limit: number, after?: LaneSeq): Promise<{ id: LaneSeq; value: Hex }[]> {
    return this.entriesWithPrefix(new Uint8Array(0), limit, after === undefined ? undefined : this.encodeKey(after));
  }
}
