import { type Address, decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes, zeroAddress } from "viem";
import { receiptAbiComponents } from "../../protocol/index.js";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeBytes32, toHex } from "../encoding.js";
import type { LatestReceipt } from "../types.js";
import { Repository } from "./repository.js";

/** Schema 1's value: `abi.encode(Receipt receipt, bytes receiptSig, bytes32 recordId)`. */
const latestReceiptParametersV1 = [
  { name: "receipt", type: "tuple", components: receiptAbiComponents },
  { name: "receiptSig", type: "bytes" },
  { name: "recordId", type: "bytes32" },
] as const;

/** Schema 2's value: schema 1's, then `bytes32 receiptDigest, address signer` (zero: not known). */
const latestReceiptParameters = [
  ...latestReceiptParametersV1,
  { name: "receiptDigest", type: "bytes32" },
  { name: "signer", type: "address" },
] as const;

/** Where schema 1's head ends: the Receipt's static words, the offset of `receiptSig`, `recordId`. */
const V1_HEAD_BYTES = (receiptAbiComponents.length + 2) * 32;
const ZERO_BYTES32: Hex = `0x${"00".repeat(32)}`;

/**
 * The latest receipt of each lane, by lane id (32 bytes): the one a redemption sends, with its signature, the id of
 * the record that answered it, its EIP-712 digest and its signer. Value: `abi.encode(Receipt, bytes receiptSig,
 * bytes32 recordId, bytes32 receiptDigest, address signer)`, a zero digest or signer meaning not known (the writer
 * was not given it). Values written by schema 1 (`abi.encode(Receipt, bytes, bytes32)`, told apart by the offset of
 * `receiptSig`, which is the head's length) still decode, without digest or signer: readers compute those.
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
    return hexToBytes(
      encodeAbiParameters(latestReceiptParameters, [
        value.receipt,
        value.receiptSig,
        value.recordId,
        value.receiptDigest ?? ZERO_BYTES32,
        value.signer ?? zeroAddress,
      ]),
    );
  }

  decodeValue(bytes: Uint8Array): LatestReceipt {
    const sigOffset = decodeUint(bytes.subarray(V1_HEAD_BYTES - 64, V1_HEAD_BYTES - 32));
    if (sigOffset === BigInt(V1_HEAD_BYTES)) {
      const [receipt, receiptSig, recordId] = decodeAbiParameters(latestReceiptParametersV1, bytes);
      return { receipt: { ...receipt }, receiptSig, recordId };
    }
    const [receipt, receiptSig, recordId, receiptDigest, signer] = decodeAbiParameters(latestReceiptParameters, bytes);
    const value: LatestReceipt = { receipt: { ...receipt }, receiptSig, recordId };
    if (receiptDigest !== ZERO_BYTES32) value.receiptDigest = receiptDigest;
    if (signer !== zeroAddress) value.signer = signer as Address;
    return value;
  }
}
