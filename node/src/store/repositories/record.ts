import { decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes } from "viem";
import type { Entry } from "../../protocol/index.js";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { copyEntry, encodeBytes32, entryAbiComponents, toHex, toMillis } from "../encoding.js";
import { Repository } from "./repository.js";

/** A stored entry and when this node accepted it. */
export type RecordValue = { entry: Entry; receivedAt: number };

/** `abi.encode(Entry entry, uint64 receivedAt)`, with the protocol's own Entry components. */
const recordValueParameters = [
  { name: "entry", type: "tuple", components: entryAbiComponents },
  { name: "receivedAt", type: "uint64" },
] as const;

/**
 * Accepted entries by record id (the record's EIP-712 digest, 32 bytes). The value is `abi.encode(Entry, uint64
 * receivedAt)` with the Entry exactly as `/olp/records/1` encodes it, so a stored entry is served back byte for byte.
 */
export class RecordRepository extends Repository<Hex, RecordValue> {
  constructor(db: Database) {
    super(db, Bucket.records);
  }

  encodeKey(recordId: Hex): Uint8Array {
    return encodeBytes32(recordId);
  }

  decodeKey(key: Uint8Array): Hex {
    return toHex(key);
  }

  encodeValue(value: RecordValue): Uint8Array {
    return hexToBytes(encodeAbiParameters(recordValueParameters, [value.entry, BigInt(value.receivedAt)]));
  }

  decodeValue(bytes: Uint8Array): RecordValue {
    const [entry, receivedAt] = decodeAbiParameters(recordValueParameters, bytes);
    return { entry: copyEntry(entry), receivedAt: toMillis(receivedAt) };
  }

  /** Up to `limit` records in id order, from `after` (exclusive) on: for integrity scans. */
  async list(limit: number, after?: Hex): Promise<{ id: Hex; value: RecordValue }[]> {
    return this.entriesWithPrefix(new Uint8Array(0), limit, after === undefined ? undefined : encodeBytes32(after));
  }
}
