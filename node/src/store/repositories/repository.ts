import type { Hex } from "viem";
import { type Bucket, encodeBucketKey, getBucketName, getPrefixRange } from "../buckets.js";
import type { BatchOp, Database, KeyRange } from "../database.js";
import { toHex } from "../encoding.js";
import { StoreError, StoreErrorCode } from "../errors.js";

/**
 * One record type in one bucket, in Lodestar's shape: the repository owns its key and value encodings and nothing
 * else knows them. Reads go straight to the database; writes come out as {@link BatchOp}s so the store can put several
 * repositories' changes into one atomic batch.
 *
 * @typeParam I the record's id
 * @typeParam T the record
 */
export abstract class Repository<I, T> {
  /**
   * @param db the database
   * @param bucket the bucket every key of this repository starts with
   */
  constructor(
    protected readonly db: Database,
    readonly bucket: Bucket,
  ) {}

  /** The record key of `id`, without the bucket byte. */
  abstract encodeKey(id: I): Uint8Array;
  /** The id of a record key (without the bucket byte). */
  abstract decodeKey(key: Uint8Array): I;
  /** The stored bytes of `value`. */
  abstract encodeValue(value: T): Uint8Array;
  /** The record of stored bytes; may throw on bytes that are not an encoding ({@link decodeValueAt} wraps it). */
  abstract decodeValue(bytes: Uint8Array): T;

  /** The full database key of `id`: the bucket byte, then the record key. */
  getDbKey(id: I): Uint8Array {
    return encodeBucketKey(this.bucket, this.encodeKey(id));
  }

  /** The full database key of `id` in hex, as errors name it. */
  getDbKeyHex(id: I): Hex {
    return toHex(this.getDbKey(id));
  }

  /** The record of `id`, or undefined. Throws CORRUPT_VALUE when the stored bytes do not decode. */
  async get(id: I): Promise<T | undefined> {
    const key = this.getDbKey(id);
    const bytes = await this.db.get(key);
    return bytes === undefined ? undefined : this.decodeValueAt(key, bytes);
  }

  /** The records of `ids`, in order, undefined where absent. */
  async getMany(ids: readonly I[]): Promise<(T | undefined)[]> {
    const keys = ids.map((id) => this.getDbKey(id));
    const values = await this.db.getMany(keys);
    return values.map((bytes, index) =>
      bytes === undefined ? undefined : this.decodeValueAt(keys[index] as Uint8Array, bytes),
    );
  }

  /** Whether `id` is stored. */
  async has(id: I): Promise<boolean> {
    return (await this.db.get(this.getDbKey(id))) !== undefined;
  }

  /** The batch write that stores `value` at `id`. */
  putOp(id: I, value: T): BatchOp {
    return { type: "put", key: this.getDbKey(id), value: this.encodeValue(value) };
  }

  /** The batch write that deletes `id`. */
  delOp(id: I): BatchOp {
    return { type: "del", key: this.getDbKey(id) };
  }

  /** Stores `value` at `id` in a batch of its own (durable when it resolves). */
  async put(id: I, value: T): Promise<void> {
    await this.db.write([this.putOp(id, value)]);
  }

  /** Decodes the bytes stored at full key `key`, turning any failure into CORRUPT_VALUE naming bucket and key. */
  decodeValueAt(key: Uint8Array, bytes: Uint8Array): T {
    return this.decodeAt(key, () => this.decodeValue(bytes));
  }

  /** Runs `decode` on what is stored at full key `key`; any failure becomes CORRUPT_VALUE naming bucket and key. */
  protected decodeAt<R>(key: Uint8Array, decode: () => R): R {
    try {
      return decode();
    } catch (cause) {
      throw new StoreError(
        { code: StoreErrorCode.CORRUPT_VALUE, bucket: getBucketName(this.bucket), key: toHex(key) },
        { cause },
      );
    }
  }

  /** Up to `limit` records whose record key starts with `prefix`, in key order, from `after` (exclusive) on. */
  protected async entriesWithPrefix(
    prefix: Uint8Array,
    limit: number,
    after?: Uint8Array,
  ): Promise<{ id: I; value: T }[]> {
    const range: KeyRange = getPrefixRange(this.bucket, prefix);
    if (after !== undefined) {
      delete range.gte;
      range.gt = encodeBucketKey(this.bucket, after);
    }
    return this.entriesInRange(range, limit);
  }

  /** Up to `limit` records in a range of full keys, in key order. */
  protected async entriesInRange(range: KeyRange, limit: number): Promise<{ id: I; value: T }[]> {
    const rows = await this.db.entries(range, limit);
    return rows.map(([key, bytes]) => ({ id: this.decodeKeyAt(key), value: this.decodeValueAt(key, bytes) }));
  }

  /** Decodes the id of full key `key`; a failure becomes CORRUPT_VALUE naming bucket and key. */
  protected decodeKeyAt(key: Uint8Array): I {
    return this.decodeAt(key, () => this.decodeKey(key.subarray(1)));
  }
}
