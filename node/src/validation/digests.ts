import { type Address, domainSeparator, type Hex, isAddress, keccak256, toHex } from "viem";
import {
  INFERENCE_RECORD_TYPE,
  type InferenceRecord,
  RECEIPT_TYPE,
  type Receipt,
  type SettlementDomain,
  settlementDomain,
} from "../protocol/index.js";

/** Most domains whose separator is kept: a node validates under one (its chain's Settlement), tests under a few. */
export const MAX_CACHED_DOMAINS = 16;

const RECEIPT_TYPEHASH = keccak256(toHex(RECEIPT_TYPE)).slice(2);
const INFERENCE_RECORD_TYPEHASH = keccak256(toHex(INFERENCE_RECORD_TYPE)).slice(2);

/**
 * The EIP-712 digests of receipts and records under one Settlement domain, as the protocol's `getReceiptDigest` and
 * `getInferenceRecordDigest` compute them (tests pin them equal), about three times cheaper: the domain separator and
 * the type hashes are hashed once, and the fields, all static words or arrays of words, are encoded straight to hex
 * (viem's `hashTypedData` re-validates the types and re-hashes the domain and type strings on every call). Callers
 * check the fields' ranges first (`checkReceipt`, `checkInferenceRecord`); a value that does not fit its word still
 * throws a RangeError here, never wraps.
 */
export class DomainDigests {
  private static readonly cache = new Map<string, DomainDigests>();

  readonly domain: SettlementDomain;
  private readonly prefix: string;

  private constructor(chainId: bigint, settlement: Address) {
    this.domain = settlementDomain(chainId, settlement);
    this.prefix = `0x1901${domainSeparator({ domain: this.domain }).slice(2)}`;
  }

  /** The digests of (chainId, settlement), kept for the next validation (at most {@link MAX_CACHED_DOMAINS}). */
  static of(chainId: bigint, settlement: Address): DomainDigests {
    const key = `${chainId}:${settlement.toLowerCase()}`;
    let digests = DomainDigests.cache.get(key);
    if (digests === undefined) {
      digests = new DomainDigests(chainId, settlement);
      if (DomainDigests.cache.size >= MAX_CACHED_DOMAINS) {
        const oldest = DomainDigests.cache.keys().next().value;
        if (oldest !== undefined) DomainDigests.cache.delete(oldest);
      }
      DomainDigests.cache.set(key, digests);
    }
    return digests;
  }

  /** `getReceiptDigest(domain, receipt)`. */
  receipt(r: Receipt): Hex {
    const struct = keccak256(
      `0x${RECEIPT_TYPEHASH}${address(r.payer)}${address(r.node)}${uint(r.versionId, 256)}${uint(r.lane, 32)}${uint(r.seq, 64)}${word(r.requestHash)}${uint(r.value, 128)}${uint(r.cumulative, 128)}`,
    );
    return keccak256(`${this.prefix}${struct.slice(2)}` as Hex);
  }

  /** `getInferenceRecordDigest(domain, record)`: the record's id. */
  record(r: InferenceRecord): Hex {
    const datasets = keccak256(`0x${r.datasetIds.map((id) => uint(id, 256)).join("")}`);
    const weights = keccak256(`0x${r.weightsPpm.map((w) => uint(w, 32)).join("")}`);
    const struct = keccak256(
      `0x${INFERENCE_RECORD_TYPEHASH}${word(r.receiptDigest)}${word(r.outputHash)}${uint(r.promptTokens, 32)}${uint(r.outputTokens, 32)}${datasets.slice(2)}${weights.slice(2)}`,
    );
    return keccak256(`${this.prefix}${struct.slice(2)}` as Hex);
  }
}

/** An unsigned integer of `bits` as a 32-byte word in hex (no 0x); RangeError when it does not fit. */
function uint(value: bigint | number, bits: number): string {
  const n = typeof value === "bigint" ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (n < 0n || n >> BigInt(bits) !== 0n) throw new RangeError(`${value} does not fit uint${bits}`);
  return n.toString(16).padStart(64, "0");
}

/** An address as a 32-byte word in hex (no 0x). */
function address(value: Address): string {
  if (!isAddress(value)) throw new RangeError(`${value} is not an address`);
  return value.slice(2).toLowerCase().padStart(64, "0");
}

/** A bytes32 as a word in hex (no 0x). */
function word(value: Hex): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new RangeError(`${value} is not 32 bytes`);
  return value.slice(2).toLowerCase();
}
