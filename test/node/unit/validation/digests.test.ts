import { expect } from "chai";
import { type Address, getAddress, keccak256, toHex } from "viem";
import {
  getInferenceRecordDigest,
  getReceiptDigest,
  type InferenceRecord,
  type Receipt,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import { DomainDigests, MAX_CACHED_DOMAINS } from "../../../../node/src/validation/digests.js";

const SETTLEMENT: Address = "0x5e771e0000000000000000000000000000000001";

/** A deterministic stream of numbers in [0, 1). */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function randomUint(random: () => number, bits: number): bigint {
  let n = 0n;
  for (let i = 0; i < bits; i += 16) n = (n << 16n) | BigInt(Math.floor(random() * 65_536));
  // Edges as well as the middle: 0, the maximum, and random values.
  const pick = random();
  const max = (1n << BigInt(bits)) - 1n;
  return pick < 0.1 ? 0n : pick < 0.2 ? max : n & max;
}

function randomAddress(random: () => number): Address {
  return getAddress(toHex(randomUint(random, 160), { size: 20 }));
}

describe("validation digests (DomainDigests)", () => {
  it("equal the protocol's getReceiptDigest and getInferenceRecordDigest for 200 random receipts and records", () => {
    const random = seeded(7);
    for (let i = 0; i < 200; i++) {
      const chainId = 1n + randomUint(random, 32);
      const settlement = randomAddress(random);
      const domain = settlementDomain(chainId, settlement);
      const digests = DomainDigests.of(chainId, settlement);
      const receipt: Receipt = {
        payer: randomAddress(random),
        node: randomAddress(random),
        versionId: randomUint(random, 256),
        lane: Number(randomUint(random, 32)),
        seq: randomUint(random, 64),
        requestHash: keccak256(toHex(`request ${i}`)),
        value: randomUint(random, 128),
        cumulative: randomUint(random, 128),
      };
      const count = 1 + Math.floor(random() * 5);
      const record: InferenceRecord = {
        receiptDigest: getReceiptDigest(domain, receipt),
        outputHash: keccak256(toHex(`output ${i}`)),
        promptTokens: Number(randomUint(random, 32)),
        outputTokens: Number(randomUint(random, 32)),
        datasetIds: Array.from({ length: count }, () => randomUint(random, 256)),
        weightsPpm: Array.from({ length: count }, () => Number(randomUint(random, 32))),
      };
      expect(digests.receipt(receipt), `receipt ${i}`).to.equal(getReceiptDigest(domain, receipt));
      expect(digests.record(record), `record ${i}`).to.equal(getInferenceRecordDigest(domain, record));
    }
  });

  it("hash a lower-case address as its checksummed form, like viem", () => {
    const digests = DomainDigests.of(31337n, SETTLEMENT);
    const receipt: Receipt = {
      payer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      node: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      versionId: 1n,
      lane: 0,
      seq: 1n,
      requestHash: keccak256(toHex("body")),
      value: 5n,
      cumulative: 5n,
    };
    const lower = { ...receipt, payer: receipt.payer.toLowerCase() as Address };
    expect(digests.receipt(lower)).to.equal(digests.receipt(receipt));
    expect(digests.receipt(receipt)).to.equal(getReceiptDigest(settlementDomain(31337n, SETTLEMENT), receipt));
  });

  it("throw a RangeError naming the value for a field that does not fit, never wrapping it", () => {
    const digests = DomainDigests.of(31337n, SETTLEMENT);
    const receipt: Receipt = {
      payer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      node: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      versionId: 1n,
      lane: 0,
      seq: 1n,
      requestHash: keccak256(toHex("body")),
      value: 5n,
      cumulative: 5n,
    };
    expect(() => digests.receipt({ ...receipt, seq: 1n << 64n })).to.throw(RangeError, /does not fit uint64/);
    expect(() => digests.receipt({ ...receipt, value: -1n })).to.throw(RangeError, /does not fit uint128/);
    expect(() => digests.receipt({ ...receipt, lane: 1.5 })).to.throw(RangeError, /does not fit uint32/);
    expect(() => digests.receipt({ ...receipt, requestHash: "0x12" })).to.throw(RangeError, /not 32 bytes/);
    // A mixed-case address with a wrong checksum is refused, as viem's hashTypedData refuses it.
    expect(() => digests.receipt({ ...receipt, payer: "0x70997970c51812dc3A010C7d01b50e0d17dc79C8" })).to.throw(
      RangeError,
      /not an address/,
    );
  });

  it("keep one instance per domain and at most MAX_CACHED_DOMAINS of them", () => {
    const first = DomainDigests.of(1n, SETTLEMENT);
    expect(DomainDigests.of(1n, SETTLEMENT.toUpperCase().replace("0X", "0x") as Address)).to.equal(first);
    for (let i = 0; i < MAX_CACHED_DOMAINS; i++) DomainDigests.of(1_000n + BigInt(i), SETTLEMENT);
    // The oldest was dropped: a new instance, equal in what it computes.
    const again = DomainDigests.of(1n, SETTLEMENT);
    expect(again).to.not.equal(first);
    expect(again.domain).to.deep.equal(first.domain);
  });
});
