/**
 * Builds the golden vectors of DESIGN §4 receipts and records and DESIGN §6 money: test/vectors/receipts.json and
 * test/vectors/attribution.json. The files are the pinned truth; receipt.test.ts checks that this builder still writes
 * them byte for byte and runs node/src/protocol/receipt against them, and test/contracts/Settlement.test.ts runs the
 * Solidity ReceiptHashing library against receipts.json.
 *
 * Nothing here calls the code under test: hashes, digests and signatures come from ethers (`TypedDataEncoder`,
 * `SigningKey`, `AbiCoder`), roots and proofs from `@openzeppelin/merkle-tree`, and the amounts of attribution.json are
 * worked out by hand in the comments beside them.
 *
 * Regenerate (only when a rule of DESIGN §4 or §6 changes, which is a protocol version change):
 * `npx tsx test/node/unit/protocol/receiptVectors.ts`
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  AbiCoder,
  computeAddress,
  getAddress,
  id,
  keccak256,
  Signature,
  SigningKey,
  TypedDataEncoder,
  toUtf8Bytes,
} from "ethers";

/** Where the pinned files live. */
export const RECEIPTS_PATH = fileURLToPath(new URL("../../../vectors/receipts.json", import.meta.url));
export const ATTRIBUTION_PATH = fileURLToPath(new URL("../../../vectors/attribution.json", import.meta.url));

/** Integers that may exceed 2^53 travel as decimal strings; uint32 fields as numbers. */
export type JsonReceipt = {
  payer: string;
  node: string;
  versionId: string;
  lane: number;
  seq: string;
  requestHash: string;
  value: string;
  cumulative: string;
};
export type JsonRecord = {
  receiptDigest: string;
  outputHash: string;
  promptTokens: number;
  outputTokens: number;
  datasetIds: string[];
  weightsPpm: number[];
};
export type JsonDomain = { chainId: string; verifyingContract: string };
export type JsonEntry = {
  receipt: JsonReceipt;
  receiptSig: string;
  record: JsonRecord;
  recordSig: string;
  outputText: string;
};

/** One entry of receipts.json; the kind is the name's prefix, before the colon. */
export type ReceiptVector =
  | { name: string; inputs: { type: string }; outputs: { typehash: string } }
  | {
      name: string;
      inputs: { domain: JsonDomain; receipt: JsonReceipt; privateKey: string };
      outputs: { structHash: string; digest: string; signer: string; signature: string; laneId: string };
    }
  | {
      name: string;
      inputs: { domain: JsonDomain; record: JsonRecord; privateKey: string };
      outputs: { structHash: string; digest: string; signer: string; signature: string };
    }
  | { name: string; inputs: { signature: string }; outputs: { error: string } }
  | { name: string; inputs: { entries: JsonEntry[] }; outputs: { payload: string; messageId: string } };

type Leaf = { datasetId: string; amount: string };
type Share = { datasetId: string; weightPpm: number };
type JsonCovered = { value: string; datasetIds: string[]; weightsPpm: number[] };

/** One entry of attribution.json; the kind is the name's prefix, before the colon. */
export type AttributionVector =
  | {
      name: string;
      inputs: { collected: string; nodeBps: number; ownerBps: number; datasetsBps: number };
      outputs: { node: string; owner: string; datasets: string; protocol: string };
    }
  | {
      name: string;
      inputs: { total: string; weights: { datasetId: string; weight: string }[] };
      outputs: { amounts: Leaf[] };
    }
  | {
      name: string;
      inputs: {
        datasetsBps: number;
        trainingShares: Share[];
        redemptions: { collected: string; records: JsonCovered[]; uncoveredValue: string }[];
      };
      outputs: {
        datasetsParts: string[];
        leaves: Leaf[];
        total: string;
        root: string;
        proofs: { datasetId: string; proof: string[] }[];
      };
    }
  | { name: string; inputs: { pool: string; weightPpm: number }; outputs: { amount: string } }
  | { name: string; inputs: { recordIds: string[] }; outputs: { root: string } };

const RECEIPT_TYPE =
  "Receipt(address payer,address node,uint256 versionId,uint32 lane,uint64 seq,bytes32 requestHash,uint128 value,uint128 cumulative)";
const RECORD_TYPE =
  "InferenceRecord(bytes32 receiptDigest,bytes32 outputHash,uint32 promptTokens,uint32 outputTokens,uint256[] datasetIds,uint32[] weightsPpm)";

const RECEIPT_TYPES = {
  Receipt: [
    { name: "payer", type: "address" },
    { name: "node", type: "address" },
    { name: "versionId", type: "uint256" },
    { name: "lane", type: "uint32" },
    { name: "seq", type: "uint64" },
    { name: "requestHash", type: "bytes32" },
    { name: "value", type: "uint128" },
    { name: "cumulative", type: "uint128" },
  ],
};
const RECORD_TYPES = {
  InferenceRecord: [
    { name: "receiptDigest", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "promptTokens", type: "uint32" },
    { name: "outputTokens", type: "uint32" },
    { name: "datasetIds", type: "uint256[]" },
    { name: "weightsPpm", type: "uint32[]" },
  ],
};
const ENTRY_TUPLE =
  "tuple(tuple(address,address,uint256,uint32,uint64,bytes32,uint128,uint128),bytes," +
  "tuple(bytes32,bytes32,uint32,uint32,uint256[],uint32[]),bytes,string)[]";
const ATTRIBUTION_TUPLE = "tuple(address,uint256,uint64,bytes32,tuple(uint256,uint256)[],bytes32,bytes32[])";

/** secp256k1's order: `n − s` is the high-s twin of a low-s signature. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const UINT128_MAX = (1n << 128n) - 1n;
const coder = AbiCoder.defaultAbiCoder();

/** Fixed keys: keccak256 of a label (each far below n). */
const PAYER_KEY = id("olp vectors: payer key");
const SIGNER_KEY = id("olp vectors: authorized signer key");
const OPERATOR_KEY = id("olp vectors: node operator key");
const NODE = getAddress("0x4e0de00000000000000000000000000000000001");
const SETTLEMENT = getAddress("0x5e7711e000000000000000000000000000000001");
const OTHER_SETTLEMENT = getAddress("0x5e7711e000000000000000000000000000000002");
const MAINNET: JsonDomain = { chainId: "1", verifyingContract: SETTLEMENT };

function ethersDomain(domain: JsonDomain) {
  return {
    name: "OLP Settlement",
    version: "1",
    chainId: BigInt(domain.chainId),
    verifyingContract: domain.verifyingContract,
  };
}

function receiptValues(r: JsonReceipt) {
  return {
    ...r,
    versionId: BigInt(r.versionId),
    seq: BigInt(r.seq),
    value: BigInt(r.value),
    cumulative: BigInt(r.cumulative),
  };
}

function recordValues(r: JsonRecord) {
  return { ...r, datasetIds: r.datasetIds.map(BigInt) };
}

/** ethers' RFC 6979 signature: deterministic, so the vectors are stable. */
function sign(privateKey: string, digest: string): { signer: string; signature: string } {
  return { signer: computeAddress(privateKey), signature: new SigningKey(privateKey).sign(digest).serialized };
}

function receiptDigest(domain: JsonDomain, receipt: JsonReceipt): string {
  return TypedDataEncoder.hash(ethersDomain(domain), RECEIPT_TYPES, receiptValues(receipt));
}

function receiptVector(name: string, domain: JsonDomain, receipt: JsonReceipt, privateKey: string): ReceiptVector {
  const digest = receiptDigest(domain, receipt);
  return {
    name: `receipt: ${name}`,
    inputs: { domain, receipt, privateKey },
    outputs: {
      structHash: TypedDataEncoder.from(RECEIPT_TYPES).hash(receiptValues(receipt)),
      digest,
      ...sign(privateKey, digest),
      laneId: keccak256(
        coder.encode(
          ["address", "address", "uint256", "uint32"],
          [receipt.payer, receipt.node, receipt.versionId, receipt.lane],
        ),
      ),
    },
  };
}

function recordVector(name: string, domain: JsonDomain, record: JsonRecord): ReceiptVector {
  const digest = TypedDataEncoder.hash(ethersDomain(domain), RECORD_TYPES, recordValues(record));
  return {
    name: `record: ${name}`,
    inputs: { domain, record, privateKey: OPERATOR_KEY },
    outputs: {
      structHash: TypedDataEncoder.from(RECORD_TYPES).hash(recordValues(record)),
      digest,
      ...sign(OPERATOR_KEY, digest),
    },
  };
}

function entriesVector(name: string, entries: JsonEntry[]): ReceiptVector {
  const payload = coder.encode(
    [ENTRY_TUPLE],
    [
      entries.map((e) => {
        const r = receiptValues(e.receipt);
        const rec = recordValues(e.record);
        return [
          [r.payer, r.node, r.versionId, r.lane, r.seq, r.requestHash, r.value, r.cumulative],
          e.receiptSig,
          [rec.receiptDigest, rec.outputHash, rec.promptTokens, rec.outputTokens, rec.datasetIds, rec.weightsPpm],
          e.recordSig,
          e.outputText,
        ];
      }),
    ],
  );
  return { name: `entries: ${name}`, inputs: { entries }, outputs: { payload, messageId: keccak256(payload) } };
}

/** Builds receipts.json. */
export function buildReceiptVectors(): ReceiptVector[] {
  const payer = computeAddress(PAYER_KEY);
  const first: JsonReceipt = {
    payer,
    node: NODE,
    versionId: "1",
    lane: 0,
    seq: "1",
    requestHash: keccak256(toUtf8Bytes('{"model":"olp-1","prompt":"Hello"}')),
    value: "10000000000000000",
    cumulative: "10000000000000000",
  };
  const later: JsonReceipt = {
    ...first,
    versionId: "7",
    lane: 3,
    seq: "1000000",
    requestHash: keccak256(toUtf8Bytes('{"model":"olp-7","messages":[{"role":"user","content":"Hi"}]}')),
    value: "25000000000000000",
    cumulative: "25000000000000000000000",
  };
  const max: JsonReceipt = {
    payer,
    node: getAddress("0xffffffffffffffffffffffffffffffffffffffff"),
    versionId: ((1n << 256n) - 1n).toString(),
    lane: 0xffffffff,
    seq: ((1n << 64n) - 1n).toString(),
    requestHash: `0x${"ff".repeat(32)}`,
    value: UINT128_MAX.toString(),
    cumulative: UINT128_MAX.toString(),
  };
  const firstDigest = receiptDigest(MAINNET, first);
  const laterDigest = receiptDigest(MAINNET, later);
  const oneDataset: JsonRecord = {
    receiptDigest: firstDigest,
    outputHash: keccak256(toUtf8Bytes("Hello! How can I help you today?")),
    promptTokens: 5,
    outputTokens: 9,
    datasetIds: ["1"],
    weightsPpm: [1_000_000],
  };
  const threeDatasets: JsonRecord = {
    receiptDigest: laterDigest,
    outputHash: keccak256(toUtf8Bytes("")),
    promptTokens: 4096,
    outputTokens: 0xffffffff,
    datasetIds: ["2", "17", "18446744073709551617"],
    weightsPpm: [500_001, 249_999, 250_000],
  };
  const firstSignature = sign(PAYER_KEY, firstDigest).signature;
  const sig = Signature.from(firstSignature);
  const highS = `0x${sig.r.slice(2)}${(SECP256K1_N - BigInt(sig.s)).toString(16).padStart(64, "0")}${sig.v === 27 ? "1c" : "1b"}`;
  const entry1: JsonEntry = {
    receipt: first,
    receiptSig: firstSignature,
    record: oneDataset,
    recordSig: sign(OPERATOR_KEY, TypedDataEncoder.hash(ethersDomain(MAINNET), RECORD_TYPES, recordValues(oneDataset)))
      .signature,
    outputText: "Hello! How can I help you today?",
  };
  const entry2: JsonEntry = {
    receipt: later,
    receiptSig: sign(SIGNER_KEY, laterDigest).signature,
    record: threeDatasets,
    recordSig: sign(
      OPERATOR_KEY,
      TypedDataEncoder.hash(ethersDomain(MAINNET), RECORD_TYPES, recordValues(threeDatasets)),
    ).signature,
    outputText: "",
  };
  return [
    { name: "typehash: Receipt", inputs: { type: RECEIPT_TYPE }, outputs: { typehash: id(RECEIPT_TYPE) } },
    { name: "typehash: InferenceRecord", inputs: { type: RECORD_TYPE }, outputs: { typehash: id(RECORD_TYPE) } },
    receiptVector("the first request of a lane, signed by the payer", MAINNET, first, PAYER_KEY),
    receiptVector(
      "a later request of another lane and version, signed by an authorized signer",
      MAINNET,
      later,
      SIGNER_KEY,
    ),
    receiptVector("every integer at the top of its type", MAINNET, max, PAYER_KEY),
    receiptVector("the first receipt under another chain id", { ...MAINNET, chainId: "8453" }, first, PAYER_KEY),
    receiptVector(
      "the first receipt under another Settlement address",
      { ...MAINNET, verifyingContract: OTHER_SETTLEMENT },
      first,
      PAYER_KEY,
    ),
    recordVector("one dataset with the whole weight, answering the first receipt", MAINNET, oneDataset),
    recordVector("three datasets, an id beyond 2^64, an empty output", MAINNET, threeDatasets),
    {
      name: "signature: the high-s twin of the first receipt's signature is refused",
      inputs: { signature: highS },
      outputs: { error: "RECEIPT_ERROR_SIGNATURE_S" },
    },
    {
      name: "signature: the 64-byte EIP-2098 form of the first receipt's signature is refused",
      inputs: { signature: sig.compactSerialized },
      outputs: { error: "RECEIPT_ERROR_SIGNATURE_LENGTH" },
    },
    {
      name: "signature: v of 0 or 1 instead of 27 or 28 is refused",
      inputs: { signature: `${firstSignature.slice(0, -2)}${sig.v === 27 ? "00" : "01"}` },
      outputs: { error: "RECEIPT_ERROR_SIGNATURE_V" },
    },
    entriesVector("one entry", [entry1]),
    entriesVector("two entries of one node, the second in private mode", [entry1, entry2]),
  ];
}

function proofsOf(tree: StandardMerkleTree<[bigint, bigint]>): { datasetId: string; proof: string[] }[] {
  return [...tree.entries()].map(([i, [datasetId]]) => ({ datasetId: datasetId.toString(), proof: tree.getProof(i) }));
}

/** Builds attribution.json. */
export function buildAttributionVectors(): AttributionVector[] {
  const split = (name: string, collected: bigint, parts: [bigint, bigint, bigint, bigint]): AttributionVector => ({
    name: `split: ${name}`,
    inputs: { collected: collected.toString(), nodeBps: 4000, ownerBps: 2000, datasetsBps: 3500 },
    outputs: {
      node: parts[0].toString(),
      owner: parts[1].toString(),
      datasets: parts[2].toString(),
      protocol: parts[3].toString(),
    },
  });
  const divide = (name: string, total: bigint, weights: [number, bigint][], amounts: [number, bigint][]) => ({
    name: `divide: ${name}`,
    inputs: {
      total: total.toString(),
      weights: weights.map(([d, w]) => ({ datasetId: d.toString(), weight: w.toString() })),
    },
    outputs: { amounts: amounts.map(([d, a]) => ({ datasetId: d.toString(), amount: a.toString() })) },
  });

  // The pool of three redemptions worked out by hand (DESIGN §6), datasets part 35% each:
  // A: collected 1000 → part 350; records: value 400 weighing {1: 25%, 3: 75%}, value 600 weighing {2: 100%}:
  //    W = {1: 1e8, 2: 6e8, 3: 3e8} of 1e9 → exactly {1: 35, 2: 210, 3: 105}.
  // B: collected 100 → part 35; a top-up that covered no seq → training shares {1: 60%, 2: 40%} → {1: 21, 2: 14}.
  // C: collected 20 → part 7; one record, value 100 weighing {3: 100%}, and 50 of value without a record, weighed
  //    by the training shares: W = {1: 3e7, 2: 2e7, 3: 1e8} of 1.5e8; floors {1: 1, 2: 0, 3: 4}, 2 units left to the
  //    largest remainders {2: 1.4e8, 3: 1e8} (1 has 6e7) → {1: 1, 2: 1, 3: 5}.
  // Leaves: {1: 57, 2: 225, 3: 110}, total 392 = 350 + 35 + 7.
  const leaves: [bigint, bigint][] = [
    [1n, 57n],
    [2n, 225n],
    [3n, 110n],
  ];
  const poolTree = StandardMerkleTree.of(leaves, ["uint256", "uint256"]);
  const ids = [id("record a"), id("record b"), id("record c")].sort();
  return [
    split("1000 splits exactly", 1000n, [400n, 200n, 350n, 50n]),
    split("1 wei is all dust, burned", 1n, [0n, 0n, 0n, 1n]),
    // 12345 × 40% = 4938, × 20% = 2469, × 35% = 4320.75 → 4320; the protocol gets 617.25 + the dust = 618.
    split("12345 leaves dust to the protocol", 12345n, [4938n, 2469n, 4320n, 618n]),
    split("the largest uint128", UINT128_MAX, [
      (UINT128_MAX * 4000n) / 10000n,
      (UINT128_MAX * 2000n) / 10000n,
      (UINT128_MAX * 3500n) / 10000n,
      UINT128_MAX - (UINT128_MAX * 4000n) / 10000n - (UINT128_MAX * 2000n) / 10000n - (UINT128_MAX * 3500n) / 10000n,
    ]),
    divide(
      "equal weights, the unit left goes to the lowest id",
      100n,
      [
        [1, 1n],
        [2, 1n],
        [3, 1n],
      ],
      [
        [1, 34n],
        [2, 33n],
        [3, 33n],
      ],
    ),
    divide(
      "exact shares leave nothing over",
      10n,
      [
        [5, 3n],
        [7, 7n],
      ],
      [
        [5, 3n],
        [7, 7n],
      ],
    ),
    // 7 × {2: 50%, 9: 30%, 4: 20%} = {2: 3.5, 9: 2.1, 4: 1.4}: floors 3, 2, 1; the unit left to id 2 (remainder 0.5).
    divide(
      "weights given out of order; the largest remainder wins, not the lowest id",
      7n,
      [
        [2, 500_000n],
        [9, 300_000n],
        [4, 200_000n],
      ],
      [
        [2, 4n],
        [4, 1n],
        [9, 2n],
      ],
    ),
    divide(
      "two equal remainders for one unit: the lower id, and a zero part is left out",
      1n,
      [
        [2, 1n],
        [1, 1n],
      ],
      [[1, 1n]],
    ),
    divide(
      "two units left over three equal remainders",
      5n,
      [
        [3, 1n],
        [1, 1n],
        [2, 1n],
      ],
      [
        [1, 2n],
        [2, 2n],
        [3, 1n],
      ],
    ),
    divide(
      "the largest uint128 over weights 1 and 2 (2^128 - 1 is a multiple of 3)",
      UINT128_MAX,
      [
        [1, 1n],
        [2, 2n],
      ],
      [
        [1, UINT128_MAX / 3n],
        [2, (UINT128_MAX / 3n) * 2n],
      ],
    ),
    divide("nothing to divide", 0n, [[1, 1n]], []),
    {
      name: "pool: three redemptions, records, a top-up and a seq without a record",
      inputs: {
        datasetsBps: 3500,
        trainingShares: [
          { datasetId: "1", weightPpm: 600_000 },
          { datasetId: "2", weightPpm: 400_000 },
        ],
        redemptions: [
          {
            collected: "1000",
            records: [
              { value: "400", datasetIds: ["1", "3"], weightsPpm: [250_000, 750_000] },
              { value: "600", datasetIds: ["2"], weightsPpm: [1_000_000] },
            ],
            uncoveredValue: "0",
          },
          { collected: "100", records: [], uncoveredValue: "0" },
          {
            collected: "20",
            records: [{ value: "100", datasetIds: ["3"], weightsPpm: [1_000_000] }],
            uncoveredValue: "50",
          },
        ],
      },
      outputs: {
        datasetsParts: ["350", "35", "7"],
        leaves: leaves.map(([d, a]) => ({ datasetId: d.toString(), amount: a.toString() })),
        total: "392",
        root: poolTree.root,
        proofs: proofsOf(poolTree),
      },
    },
    // floor(392 × 60%) = 235 (235.2), floor(392 × 40%) = 156 (156.8): 1 unit stays, burned at expiry.
    { name: "fallback: 60% of the pool", inputs: { pool: "392", weightPpm: 600_000 }, outputs: { amount: "235" } },
    { name: "fallback: 40% of the pool", inputs: { pool: "392", weightPpm: 400_000 }, outputs: { amount: "156" } },
    {
      name: "fallback: 1 ppm of a small pool is 0",
      inputs: { pool: "999999", weightPpm: 1 },
      outputs: { amount: "0" },
    },
    {
      name: "recordsRoot: three record ids",
      inputs: { recordIds: ids },
      outputs: {
        root: StandardMerkleTree.of(
          ids.map((x) => [x]),
          ["bytes32"],
        ).root,
      },
    },
  ];
}

/** Pretty JSON, two-space indented, with a final LF. */
export function serializeVectors(vectors: unknown): string {
  return `${JSON.stringify(vectors, null, 2)}\n`;
}

/** An `/olp/attribution/1` payload built by ethers, for the decode test. */
export function attributionPayload(
  node: string,
  versionId: bigint,
  epoch: bigint,
  root: string,
  leaves: [bigint, bigint][],
  recordsRoot: string,
  recordIds: string[],
): string {
  return coder.encode([ATTRIBUTION_TUPLE], [[node, versionId, epoch, root, leaves, recordsRoot, recordIds]]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(RECEIPTS_PATH, serializeVectors(buildReceiptVectors()));
  writeFileSync(ATTRIBUTION_PATH, serializeVectors(buildAttributionVectors()));
}
