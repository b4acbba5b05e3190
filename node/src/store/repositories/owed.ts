import type { Address } from "viem";
import { getAddress } from "viem";
import { Bucket } from "../buckets.js";
import type { BatchOp, Database } from "../database.js";
import { decodeUint, encodeAddressBytes, encodeUint, joinBytes, toHex } from "../encoding.js";
import { Repository } from "./repository.js";

/** Whose owed total: the payer whose escrow pays, and the node its lanes pay. */
export type OwedKey = { payer: Address; node: Address };

/**
 * What each payer's stored lanes with each node still owe: Σ over the lanes of (payer, node) of `cumulative −
 * collected`, kept up to date in the batch of every lane write, so validation's escrow check is one read instead of a
 * scan of every lane. Key: payer (20 bytes) ‖ node (20 bytes). Value: the total as 32 big-endian bytes (uint256). A
 * total of zero is deleted, so the bucket holds one row per (payer, node) that owes something.
 */
export class OwedRepository extends Repository<OwedKey, bigint> {
  constructor(db: Database) {
    super(db, Bucket.owed);
  }

  encodeKey(key: OwedKey): Uint8Array {
    return joinBytes(encodeAddressBytes(key.payer), encodeAddressBytes(key.node));
  }

  decodeKey(key: Uint8Array): OwedKey {
    if (key.length !== 40) throw new RangeError(`expected a 40-byte owed key, found ${key.length} bytes`);
    return { payer: getAddress(toHex(key.subarray(0, 20))), node: getAddress(toHex(key.subarray(20))) };
  }

  encodeValue(total: bigint): Uint8Array {
    return encodeUint(total, 32);
  }

  decodeValue(bytes: Uint8Array): bigint {
    if (bytes.length !== 32) throw new RangeError(`expected a 32-byte total, found ${bytes.length} bytes`);
    return decodeUint(bytes);
  }

  /** What (payer, node) owes: 0 when nothing is stored. */
  async getOwed(key: OwedKey): Promise<bigint> {
    return (await this.get(key)) ?? 0n;
  }

  /** The batch write that sets the total of `key`: a put, or a delete when it is zero. */
  setOp(key: OwedKey, total: bigint): BatchOp {
    return total === 0n ? this.delOp(key) : this.putOp(key, total);
  }

  /** Up to `limit` totals in key order, from `after` (exclusive) on. */
  async list(limit: number, after?: OwedKey): Promise<{ key: OwedKey; total: bigint }[]> {
    const rows = await this.entriesWithPrefix(
      new Uint8Array(0),
      limit,
      after === undefined ? undefined : this.encodeKey(after),
    );
    return rows.map(({ id, value }) => ({ key: id, total: value }));
  }
}
