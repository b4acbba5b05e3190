import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeBytes32, encodeUint, joinBytes, toHex } from "../encoding.js";
import type { ChainCursor } from "../types.js";
import { Repository } from "./repository.js";

/** Longest indexer name, in UTF-8 bytes. */
export const MAX_CURSOR_NAME_BYTES = 64;

/**
 * Where each event indexer stopped, by indexer name (UTF-8, 1 to 64 bytes). Value, a fixed layout of 40 bytes: the
 * block number as 8 big-endian bytes (uint64), then the 32-byte block hash, so a resumed indexer can check the block
 * is still canonical before going on.
 */
export class ChainCursorRepository extends Repository<string, ChainCursor> {
  constructor(db: Database) {
    super(db, Bucket.chainCursor);
  }

  encodeKey(name: string): Uint8Array {
    const bytes = new TextEncoder().encode(name);
    if (bytes.length === 0 || bytes.length > MAX_CURSOR_NAME_BYTES) {
      throw new RangeError(`expected a cursor name of 1 to ${MAX_CURSOR_NAME_BYTES} bytes, found ${bytes.length}`);
    }
    return bytes;
  }

  decodeKey(key: Uint8Array): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(key);
  }

  encodeValue(cursor: ChainCursor): Uint8Array {
    return joinBytes(encodeUint(cursor.blockNumber, 8), encodeBytes32(cursor.blockHash));
  }

  decodeValue(bytes: Uint8Array): ChainCursor {
    if (bytes.length !== 40) throw new RangeError(`expected a 40-byte cursor, found ${bytes.length} bytes`);
    return { blockNumber: decodeUint(bytes.subarray(0, 8)), blockHash: toHex(bytes.subarray(8)) };
  }
}
