import { bytesToBigInt, bytesToHex, concatBytes, type Hex, hexToBytes, numberToBytes } from "viem";
import type { Entry } from "../protocol/index.js";
import { recordsMessageParameters } from "../protocol/index.js";

/** ABI components of one `Entry` (DESIGN §4), the protocol's own: a stored entry is encoded as the wire encodes it. */
export const entryAbiComponents = recordsMessageParameters[0].components;

/** `value` as `size` big-endian bytes; refuses a negative value or one that does not fit. */
export function encodeUint(value: bigint | number, size: number): Uint8Array {
  const big = BigInt(value);
  if (big < 0n || big >= 1n << BigInt(size * 8)) {
    throw new RangeError(`expected an unsigned integer of ${size} bytes, found ${big}`);
  }
  return numberToBytes(big, { size });
}

/** The unsigned big-endian integer of `bytes`. */
export function decodeUint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : bytesToBigInt(bytes);
}

/** The 32 raw bytes of a bytes32 value. */
export function encodeBytes32(value: Hex): Uint8Array {
  const bytes = hexToBytes(value);
  if (bytes.length !== 32) throw new RangeError(`expected 32 bytes, found ${bytes.length}`);
  return bytes;
}

/** The 20 raw bytes of an address. */
export function encodeAddressBytes(value: Hex): Uint8Array {
  const bytes = hexToBytes(value);
  if (bytes.length !== 20) throw new RangeError(`expected a 20-byte address, found ${bytes.length} bytes`);
  return bytes;
}

/** Joins byte strings. */
export function joinBytes(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** The lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex {
  return bytesToHex(bytes);
}

/** A decoded entry with plain (mutable, copied) arrays, as the protocol's decoder returns them. */
export function copyEntry(entry: {
  receipt: Entry["receipt"];
  receiptSig: Hex;
  record: Entry["record"];
  recordSig: Hex;
  outputText: string;
}): Entry {
  return {
    receipt: { ...entry.receipt },
    receiptSig: entry.receiptSig,
    record: { ...entry.record, datasetIds: [...entry.record.datasetIds], weightsPpm: [...entry.record.weightsPpm] },
    recordSig: entry.recordSig,
    outputText: entry.outputText,
  };
}

/** Reads a millisecond time stored as uint64 back into a number (times stay below 2^53). */
export function toMillis(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`expected a time in ms, found ${value}`);
  return Number(value);
}
