import { decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes } from "viem";
import { receiptAbiComponents } from "../../protocol/index.js";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { encodeBytes32, toHex } from "../encoding.js";
import type { LatestReceipt } from "../types.js";
import { Repository } from "./repository.js";

/** `abi.encode(Receipt receipt, bytes receiptSig, bytes32 recordId)`, with the protocol's Receipt components. */
const latestReceiptParameters = [
  { name: "receipt", type: "tuple", components: receiptAbiComponents },
  { name: "receiptSig", type: "bytes" },
  { name: "recordId", type: "bytes32" },
] as const;

/**
 * The latest receipt of each lane, by lane id (32 bytes): the one a redemption sends, with its signature and the id
 * of the record that answered it. Value: `abi.encode(Receipt, bytes receiptSig, bytes32 recordId)`.
 */
export class ReceiptRepository extends Repository<Hex, LatestReceipt> {
  constructor(db: Database) {
    super(db, Bucket.receipts);
  }

  encodeKey(laneId: Hex): Uint8Array {
    return encodeBytes32(laneId);
  }

  decodeKey(key: Uint8Array): Hex {
    return toHex(key);
  }

  encodeValue(value: LatestReceipt): Uint8Array {
    return hexToBytes(encodeAbiParameters(latestReceiptParameters, [value.receipt, value.receiptSig, value.recordId]));
  }

  decodeValue(bytes: Uint8Array): LatestReceipt {
    const [receipt, receiptSig, recordId] = decodeAbiParameters(latestReceiptParameters, bytes);
    return { receipt: { ...receipt }, receiptSig, recordId };
  }
}
