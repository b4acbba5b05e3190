import { type Address, concat, domainSeparator, getAddress, type Hex, keccak256, toHex } from "viem";
import {
  type Entry,
  getLaneId,
  getReceiptDigest,
  hashOutputText,
  hashReceipt,
  type Receipt,
  type SettlementDomain,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import type { LaneKey } from "../../../../node/src/store/index.js";

/** The domain every store test signs under: Hardhat's chain id and its first deployment address. */
export const TEST_DOMAIN: SettlementDomain = settlementDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");

/** The node every test lane pays. */
export const TEST_NODE: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** A 65-byte r‖s‖v filler: the store keeps signatures as given (the validator checks them). */
export function fakeSignature(tag: number): Hex {
  const body = keccak256(toHex(`sig-${tag}`)).slice(2);
  return `0x${body}${body}1b`;
}

/** The lane key of test lane `index` (payer derived from the index). */
export function testLane(index: number, versionId = 1n, node: Address = TEST_NODE): LaneKey {
  const payer = getAddress(`0x${keccak256(toHex(`payer-${index}`)).slice(26)}`);
  return { payer, node, versionId, lane: index % 4 };
}

const TEST_DOMAIN_SEPARATOR = domainSeparator({ domain: TEST_DOMAIN });

/**
 * The receipt's digest under the test domain, composed as EIP-712 with the domain separator hashed once: about a third
 * of `getReceiptDigest`'s cost, for tests that build thousands of entries. The store's tests pin the store's digests
 * to `getReceiptDigest` with entries built the slow way.
 */
export function fastReceiptDigest(receipt: Receipt): Hex {
  return keccak256(concat(["0x1901", TEST_DOMAIN_SEPARATOR, hashReceipt(receipt)]));
}

/** Options of {@link buildEntry}. */
export type BuildEntryOptions = {
  outputText?: string;
  datasetIds?: bigint[];
  weightsPpm?: number[];
  /** The domain the record names its receipt's digest under (default the test domain). */
  domain?: SettlementDomain;
  /** Use {@link fastReceiptDigest} (test domain only). */
  fast?: boolean;
};

/** Builds an entry for `receipt`, the record naming its digest under `domain`. */
export function buildEntry(receipt: Receipt, options: BuildEntryOptions = {}): Entry {
  const outputText = options.outputText ?? `answer ${receipt.lane}/${receipt.seq}`;
  return {
    receipt,
    receiptSig: fakeSignature(Number(receipt.seq)),
    record: {
      receiptDigest: options.fast
        ? fastReceiptDigest(receipt)
        : getReceiptDigest(options.domain ?? TEST_DOMAIN, receipt),
      outputHash: hashOutputText(outputText),
      promptTokens: 12,
      outputTokens: outputText.length,
      datasetIds: options.datasetIds ?? [1n, 7n],
      weightsPpm: options.weightsPpm ?? [600_000, 400_000],
    },
    recordSig: fakeSignature(1000 + Number(receipt.seq)),
    outputText,
  };
}

/** Builds a lane's entries in order: seq from 1, cumulative rising by each value. */
export class LaneBuilder {
  /** The last seq built. */
  seq = 0n;
  /** The last cumulative built. */
  cumulative = 0n;
  readonly laneId: Hex;

  /**
   * @param key the lane
   * @param fast build receipt digests with {@link fastReceiptDigest}
   */
  constructor(
    readonly key: LaneKey,
    readonly fast = false,
  ) {
    this.laneId = getLaneId(key.payer, key.node, key.versionId, key.lane);
  }

  /** Continues a lane from a stored state (after a restart). */
  static resume(key: LaneKey, lastSeq: bigint, cumulative: bigint, fast = false): LaneBuilder {
    const builder = new LaneBuilder(key, fast);
    builder.seq = lastSeq;
    builder.cumulative = cumulative;
    return builder;
  }

  /** The receipt after the last one built, without advancing. */
  peekReceipt(value = 1_000n): Receipt {
    return {
      payer: this.key.payer,
      node: this.key.node,
      versionId: this.key.versionId,
      lane: this.key.lane,
      seq: this.seq + 1n,
      requestHash: keccak256(toHex(`request-${this.laneId}-${this.seq + 1n}`)),
      value,
      cumulative: this.cumulative + value,
    };
  }

  /** The next entry of the lane, advancing it. */
  next(value = 1_000n, outputText?: string): Entry {
    const receipt = this.peekReceipt(value);
    this.seq = receipt.seq;
    this.cumulative = receipt.cumulative;
    return buildEntry(receipt, outputText === undefined ? { fast: this.fast } : { outputText, fast: this.fast });
  }

  /** The next `count` entries. */
  take(count: number, value = 1_000n): Entry[] {
    return Array.from({ length: count }, () => this.next(value));
  }
}
