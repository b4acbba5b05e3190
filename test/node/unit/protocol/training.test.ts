import { readFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { concat, encodeAbiParameters, type Hex, hexToBytes, keccak256, toHex } from "viem";
import {
  baseModelHash,
  batchHash,
  batchOrder,
  batchOrderSlice,
  canonicalConfig,
  checkpointLeafEncoding,
  checkpointProof,
  checkpointRoot,
  configHash,
  contributorLeafEncoding,
  contributorsProof,
  contributorsRoot,
  float32Bits,
  hashDatasetIds,
  initialHead,
  nextHead,
  PPM,
  passPermutation,
  sharesPpm,
  type TrainingProofErrorCode,
  tensorHashFromBytes,
  trainingSeed,
  verifyCheckpointProof,
} from "../../../../node/src/protocol/training/index.js";

type Vector<I, O> = { name: string; inputs: I; outputs: O };
type Int = number | string;
type Tensor = { name: string; dtype: string; shape: number[]; bytes: Hex };

const VECTORS: Vector<unknown, unknown>[] = JSON.parse(
  readFileSync(new URL("../../../vectors/training.json", import.meta.url), "utf8"),
);

function vectors<I, O>(kind: string): Vector<I, O>[] {
  const found = VECTORS.filter((v) => v.name.split("/")[0] === kind) as Vector<I, O>[];
  expect(found, kind).to.not.be.empty;
  return found;
}

function expectCode(fn: () => unknown, code: TrainingProofErrorCode): void {
  expect(fn).to.throw().with.property("code", code);
}

const b32 = (s: string): Hex => keccak256(toHex(s));
const heads5 = (): Hex[] => vectors<{ heads: Hex[] }, unknown>("checkpointRoot").at(-1)?.inputs.heads ?? [];

describe("protocol/training: proof of training (DESIGN §7)", () => {
  it("checks every kind of vector in test/vectors/training.json", () => {
    const kinds = new Set(VECTORS.map((v) => v.name.split("/")[0]));
    expect([...kinds].sort()).to.deep.equal(
      [
        "baseModelHash",
        "batchHash",
        "batchOrder",
        "batchOrderSlice",
        "checkpointRoot",
        "configHash",
        "contributorsRoot",
        "float32Bits",
        "initialHead",
        "nextHead",
        "sharesPpm",
        "tensorHash",
        "trainingSeed",
      ].sort(),
    );
  });

  describe("golden vectors", () => {
    type SeedIn = { configHash: Hex; datasetIds: Int[]; commitBlockhash: Hex };
    for (const v of vectors<SeedIn, { datasetIdsHash: Hex; seed: Hex }>("trainingSeed")) {
      it(v.name, () => {
        const datasetIds = v.inputs.datasetIds.map(BigInt);
        expect(hashDatasetIds(datasetIds)).to.equal(v.outputs.datasetIdsHash);
        expect(trainingSeed({ ...v.inputs, datasetIds })).to.equal(v.outputs.seed);
      });
    }

    type OrderIn = { seed: Hex; n: number; passes: number };
    for (const v of vectors<OrderIn, { firstWords: Hex[]; order: number[] }>("batchOrder")) {
      it(v.name, () => {
        const { seed, n, passes } = v.inputs;
        const order = batchOrder(seed, n);
        expect(Array.from({ length: n * passes }, () => order.next().value)).to.deep.equal(v.outputs.order);
        expect(passPermutation(seed, n, 1)).to.deep.equal(v.outputs.order.slice(n));
        const word = (pass: bigint) =>
          keccak256(
            encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }, { type: "uint256" }], [seed, pass, 0n]),
          );
        expect([word(0n), word(1n)].slice(0, v.outputs.firstWords.length)).to.deep.equal(v.outputs.firstWords);
      });
    }

    type SliceIn = { seed: Hex; n: number; start: number; stop: number };
    for (const v of vectors<SliceIn, { order: number[] }>("batchOrderSlice")) {
      it(v.name, () => {
        const { seed, n, start, stop } = v.inputs;
        expect(batchOrderSlice(seed, n, start, stop)).to.deep.equal(v.outputs.order);
      });
    }

    for (const v of vectors<{ indices: number[] }, { encoding: Hex; batchHash: Hex }>("batchHash")) {
      it(v.name, () => {
        expect(encodeAbiParameters([{ type: "uint32[]" }], [v.inputs.indices])).to.equal(v.outputs.encoding);
        expect(batchHash(v.inputs.indices)).to.equal(v.outputs.batchHash);
      });
    }

    for (const v of vectors<{ tensors: Tensor[] }, { order: string[]; tensorHash: Hex }>("tensorHash")) {
      it(v.name, () => {
        const tensors = new Map(v.inputs.tensors.map((t) => [t.name, hexToBytes(t.bytes)]));
        expect(tensorHashFromBytes(tensors)).to.equal(v.outputs.tensorHash);
        const byOrder = v.outputs.order.flatMap((name) => [
          keccak256(toHex(name)),
          keccak256(tensors.get(name) ?? new Uint8Array()),
        ]);
        expect(keccak256(concat(byOrder))).to.equal(v.outputs.tensorHash);
      });
    }

    type BaseIn = { tensorHash: Hex; tokenizerJson: Hex; tokenizerConfigJson: Hex };
    for (const v of vectors<BaseIn, { baseModelHash: Hex }>("baseModelHash")) {
      it(v.name, () => {
        const got = baseModelHash({
          tensorHash: v.inputs.tensorHash,
          tokenizerJson: hexToBytes(v.inputs.tokenizerJson),
          tokenizerConfigJson: hexToBytes(v.inputs.tokenizerConfigJson),
        });
        expect(got).to.equal(v.outputs.baseModelHash);
      });
    }

    for (const v of vectors<{ x: string }, { bits: number }>("float32Bits")) {
      it(v.name, () => expect(float32Bits(Number(v.inputs.x))).to.equal(v.outputs.bits));
    }

    type InitIn = Parameters<typeof initialHead>[0];
    for (const v of vectors<InitIn, { head: Hex }>("initialHead")) {
      it(v.name, () => expect(initialHead(v.inputs)).to.equal(v.outputs.head));
    }

    type NextIn = {
      prevHead: Hex;
      k: Int;
      weightsHash: Hex;
      stateHash: Hex;
      batchIndices: number[];
      batchHash: Hex;
      loss: string;
      lossBits: number;
    };
    for (const v of vectors<NextIn, { head: Hex }>("nextHead")) {
      it(v.name, () => {
        const i = v.inputs;
        expect(batchHash(i.batchIndices)).to.equal(i.batchHash);
        if (i.loss !== "NaN") expect(float32Bits(Number(i.loss))).to.equal(i.lossBits);
        const got = nextHead({
          prevHead: i.prevHead,
          k: BigInt(i.k),
          weightsHash: i.weightsHash,
          stateHash: i.stateHash,
          batchHash: i.batchHash,
          lossBits: i.lossBits,
        });
        expect(got).to.equal(v.outputs.head);
      });
    }

    type RootOut = { leafHashes: Hex[]; root: Hex; proofs: Hex[][] };
    for (const v of vectors<{ heads: Hex[] }, RootOut>("checkpointRoot")) {
      it(v.name, () => {
        const { heads } = v.inputs;
        const root = checkpointRoot(heads);
        expect(root).to.equal(v.outputs.root);
        heads.forEach((h, k) => {
          const leaf = encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], [BigInt(k), h]);
          expect(keccak256(keccak256(leaf))).to.equal(v.outputs.leafHashes[k]);
          const proof = checkpointProof(heads, k);
          expect(proof).to.deep.equal(v.outputs.proofs[k]);
          expect(StandardMerkleTree.verify(root, [...checkpointLeafEncoding], [BigInt(k), h], proof)).to.equal(true);
          expect(verifyCheckpointProof(root, BigInt(k), h, proof)).to.equal(true);
        });
      });
    }

    for (const v of vectors<{ tokenCounts: [Int, Int][] }, { shares: [Int, number][] }>("sharesPpm")) {
      it(v.name, () => {
        const counts = new Map(v.inputs.tokenCounts.map(([d, c]) => [BigInt(d), BigInt(c)]));
        const got = sharesPpm(counts);
        expect(got).to.deep.equal(v.outputs.shares.map(([d, w]) => ({ datasetId: BigInt(d), weightPpm: w })));
        expect(got.reduce((s, x) => s + x.weightPpm, 0)).to.equal(PPM);
      });
    }

    type ContribOut = { root: Hex; proofs: { datasetId: Int; weightPpm: number; proof: Hex[] }[] };
    for (const v of vectors<{ shares: [Int, number][] }, ContribOut>("contributorsRoot")) {
      it(v.name, () => {
        const shares = v.inputs.shares.map(([d, w]) => ({ datasetId: BigInt(d), weightPpm: w }));
        const root = contributorsRoot(shares);
        expect(root).to.equal(v.outputs.root);
        for (const p of v.outputs.proofs) {
          const proof = contributorsProof(shares, BigInt(p.datasetId));
          expect(proof).to.deep.equal(p.proof);
          const leaf = [BigInt(p.datasetId), p.weightPpm];
          expect(StandardMerkleTree.verify(root, [...contributorLeafEncoding], leaf, proof)).to.equal(true);
        }
      });
    }

    for (const v of vectors<{ config: unknown }, { canonical: string; configHash: Hex }>("configHash")) {
      it(v.name, () => {
        expect(canonicalConfig(v.inputs.config)).to.equal(v.outputs.canonical);
        expect(configHash(v.inputs.config)).to.equal(v.outputs.configHash);
      });
    }
  });

  describe("seed and batch order", () => {
    it("refuses dataset ids the registry would refuse", () => {
      for (const ids of [[], [2n, 1n], [1n, 1n], [0n, 1n]]) {
        expectCode(
          () => trainingSeed({ configHash: b32("c"), datasetIds: ids, commitBlockhash: b32("b") }),
          "BAD_DATASET_IDS",
        );
      }
    });

    it("changes the seed with each of its inputs", () => {
      const base = { configHash: b32("c"), datasetIds: [1n, 2n], commitBlockhash: b32("b") };
      const seed = trainingSeed(base);
      expect(trainingSeed({ ...base, configHash: b32("c2") })).to.not.equal(seed);
      expect(trainingSeed({ ...base, datasetIds: [1n, 3n] })).to.not.equal(seed);
      expect(trainingSeed({ ...base, commitBlockhash: b32("b2") })).to.not.equal(seed);
    });

    it("makes every pass a permutation, different from the last", () => {
      const seed = b32("perm");
      const passes = [0, 1, 2].map((p) => passPermutation(seed, 50, p));
      for (const p of passes)
        expect([...p].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
      expect(passes[0]).to.not.deep.equal(passes[1]);
      expect(passes[1]).to.not.deep.equal(passes[2]);
    });

    it("slices the order exactly as the stream runs, across passes", () => {
      const seed = b32("slice");
      const stream = batchOrder(seed, 5);
      const head = Array.from({ length: 23 }, () => stream.next().value);
      for (const [start, stop] of [
        [0, 0],
        [0, 5],
        [3, 12],
        [10, 23],
        [22, 23],
      ] as const) {
        expect(batchOrderSlice(seed, 5, start, stop)).to.deep.equal(head.slice(start, stop));
      }
    });

    it("refuses an empty corpus at the call, before the first next()", () => {
      expectCode(() => batchOrder(b32("s"), 0), "BAD_CORPUS_SIZE");
      expectCode(() => batchOrderSlice(b32("s"), 0, 0, 1), "BAD_CORPUS_SIZE");
      expectCode(() => batchOrder("0x1234", 3), "BAD_BYTES32");
    });

    it("refuses batch indices that are not uint32", () => {
      for (const i of [-1, 2 ** 32, 1.5]) expectCode(() => batchHash([i]), "BAD_INDEX");
    });
  });

  describe("tensor hash", () => {
    it("sorts names by UTF-8 bytes, not by JavaScript's UTF-16 order", () => {
      const one = new Uint8Array([1]);
      const two = new Uint8Array([2]);
      // U+FF01 is EF BC 81 in UTF-8, before U+1F600 (F0 9F 98 80); in UTF-16 (FF01 vs D83D) after it.
      const ordered = keccak256(
        concat([keccak256(toHex("\uFF01")), keccak256(one), keccak256(toHex("\u{1F600}")), keccak256(two)]),
      );
      expect(
        tensorHashFromBytes(
          new Map([
            ["\u{1F600}", two],
            ["\uFF01", one],
          ]),
        ),
      ).to.equal(ordered);
    });

    it("hashes names and bytes apart, so a boundary between them cannot shift", () => {
      const hash = (entries: [string, number[]][]) =>
        tensorHashFromBytes(new Map(entries.map(([n, b]) => [n, new Uint8Array(b)])));
      expect(hash([["a", [0x62, 0x63]]])).to.not.equal(hash([["ab", [0x63]]]));
      expect(
        hash([
          ["a", []],
          ["b", [1]],
        ]),
      ).to.not.equal(
        hash([
          ["a", [1]],
          ["b", []],
        ]),
      );
    });

    it("refuses a name with a lone surrogate (it has no UTF-8 form)", () => {
      expectCode(() => tensorHashFromBytes(new Map([["\uD800", new Uint8Array()]])), "BAD_TENSOR_NAME");
    });
  });

  describe("chain", () => {
    const step = {
      prevHead: b32("h"),
      k: 3n,
      weightsHash: b32("w"),
      stateHash: b32("s"),
      batchHash: b32("b"),
      lossBits: 0x3f80_0000,
    };

    it("binds every field of a head", () => {
      const base = nextHead(step);
      const changed = {
        prevHead: b32("x"),
        k: 4n,
        weightsHash: b32("x"),
        stateHash: b32("x"),
        batchHash: b32("x"),
        lossBits: 0x3f80_0001,
      };
      for (const key of Object.keys(changed) as (keyof typeof changed)[]) {
        expect(nextHead({ ...step, [key]: changed[key] }), key).to.not.equal(base);
      }
      const init = {
        baseModelHash: b32("1"),
        configHash: b32("2"),
        seed: b32("3"),
        initialWeightsHash: b32("4"),
        initialStateHash: b32("5"),
      };
      for (const key of Object.keys(init) as (keyof typeof init)[]) {
        expect(initialHead({ ...init, [key]: b32("x") }), key).to.not.equal(initialHead(init));
      }
    });

    it("refuses checkpoint 0 and loss bits outside uint32", () => {
      expectCode(() => nextHead({ ...step, k: 0n }), "BAD_CHECKPOINT");
      expectCode(() => nextHead({ ...step, lossBits: 2 ** 32 }), "BAD_CHECKPOINT");
      expectCode(() => nextHead({ ...step, lossBits: -1 }), "BAD_CHECKPOINT");
    });

    it("rounds losses to the nearest float32 and refuses values beyond it", () => {
      expect(float32Bits(0.1)).to.equal(0x3dcc_cccd);
      expect(float32Bits(-0)).to.equal(0x8000_0000);
      expectCode(() => float32Bits(1e39), "BAD_FLOAT32");
    });
  });

  describe("roots", () => {
    it("gives a one-checkpoint chain its leaf hash as root and an empty proof", () => {
      const [h0] = heads5() as [Hex];
      const leaf = keccak256(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], [0n, h0])));
      expect(checkpointRoot([h0])).to.equal(leaf);
      expect(checkpointProof([h0], 0)).to.deep.equal([]);
    });

    it("refuses an empty chain and a checkpoint it does not hold", () => {
      expectCode(() => checkpointRoot([]), "EMPTY_CHAIN");
      expectCode(() => checkpointProof(heads5(), 6), "BAD_CHECKPOINT");
    });

    it("does not let an internal node pass as a checkpoint leaf (THREATS 30, 39)", () => {
      const heads = heads5();
      const tree = StandardMerkleTree.of(
        heads.map((h, k): [bigint, Hex] => [BigInt(k), h]),
        [...checkpointLeafEncoding],
      );
      const nodes = tree.dump().tree as Hex[];
      const [l, r, sibling] = [nodes[3], nodes[4], nodes[2]] as [Hex, Hex, Hex];
      const [lo, hi] = BigInt(l) < BigInt(r) ? [l, r] : [r, l];
      const forged: [bigint, Hex] = [BigInt(lo), hi]; // abi.encode(forged) == lo ‖ hi, node 1's preimage
      const singleHashed = keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], forged));
      const pair = [singleHashed, sibling].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      expect(keccak256(concat(pair))).to.equal(tree.root); // a single-hashed leaf would be accepted
      expect(verifyCheckpointProof(tree.root as Hex, forged[0], forged[1], [sibling])).to.equal(false);
    });

    it("proves every leaf of random chains, and only its own (THREATS 38)", () => {
      let state = b32("random chains");
      const next = (): Hex => {
        state = keccak256(state);
        return state;
      };
      for (const size of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16]) {
        const heads = Array.from({ length: size }, next);
        const root = checkpointRoot(heads);
        heads.forEach((h, k) => {
          const proof = checkpointProof(heads, k);
          expect(verifyCheckpointProof(root, BigInt(k), h, proof)).to.equal(true);
          expect(verifyCheckpointProof(root, BigInt(k + 1), h, proof)).to.equal(false);
          if (size > 1)
            expect(verifyCheckpointProof(root, BigInt(k), heads[(k + 1) % size] as Hex, proof)).to.equal(false);
        });
      }
    });

    it("leaves zero shares out of the contributors root", () => {
      const a = contributorsRoot([
        { datasetId: 1n, weightPpm: 0 },
        { datasetId: 2n, weightPpm: PPM },
      ]);
      expect(a).to.equal(contributorsRoot([{ datasetId: 2n, weightPpm: PPM }]));
    });

    it("refuses contributors shares that do not sum to a million or name a dataset twice", () => {
      expectCode(() => contributorsRoot([{ datasetId: 1n, weightPpm: 999_999 }]), "BAD_SHARES");
      expectCode(
        () =>
          contributorsRoot([
            { datasetId: 1n, weightPpm: 500_000 },
            { datasetId: 1n, weightPpm: 500_000 },
          ]),
        "BAD_SHARES",
      );
      expectCode(() => contributorsProof([{ datasetId: 1n, weightPpm: PPM }], 2n), "BAD_SHARES");
    });

    it("always sums shares to exactly a million", () => {
      let state = b32("shares");
      for (let round = 0; round < 200; round++) {
        state = keccak256(state);
        const bytes = hexToBytes(state);
        const counts = new Map<bigint, bigint>();
        for (let i = 0; i < 1 + ((bytes[0] as number) % 12); i++) {
          const c = bytes[i + 1] as number;
          counts.set(BigInt(1 + (bytes[i + 13] as number)), c % 3 === 0 ? 0n : BigInt(c) ** BigInt(c % 5));
        }
        if ([...counts.values()].every((c) => c === 0n)) continue;
        const shares = sharesPpm(counts);
        expect(shares.reduce((s, x) => s + x.weightPpm, 0)).to.equal(PPM);
        expect(shares.every((x) => x.weightPpm > 0)).to.equal(true);
      }
    });

    it("refuses token counts that give no share", () => {
      expectCode(() => sharesPpm(new Map()), "BAD_TOKEN_COUNTS");
      expectCode(() => sharesPpm(new Map([[1n, 0n]])), "BAD_TOKEN_COUNTS");
      expectCode(() => sharesPpm(new Map([[0n, 5n]])), "BAD_TOKEN_COUNTS");
      expectCode(
        () =>
          sharesPpm(
            new Map([
              [1n, -1n],
              [2n, 2n],
            ]),
          ),
        "BAD_TOKEN_COUNTS",
      );
    });
  });

  describe("config hash", () => {
    it("sorts keys by UTF-16 code units, as RFC 8785 says", () => {
      expect(canonicalConfig({ "\uFF01": 1, "\u{1F600}": 2, b: { d: 1, c: [3, { f: 1, e: 2 }] } })).to.equal(
        '{"b":{"c":[3,{"e":2,"f":1}],"d":1},"😀":2,"！":1}',
      );
    });

    it("hashes the same config the same whatever its key order", () => {
      expect(configHash({ a: 1, b: { c: 2, d: 3 } })).to.equal(configHash({ b: { d: 3, c: 2 }, a: 1 }));
    });

    it("refuses anything that is not plain JSON rather than dropping or reshaping it", () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const bad of [
        { a: undefined },
        { a: 1n },
        { a: Number.NaN },
        { a: Number.POSITIVE_INFINITY },
        { a: () => 1 },
        { a: new Date(0) },
        { a: new Map() },
        { "\uD800": 1 },
        { a: "\uDFFF" },
        // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
        [1, , 3],
        cyclic,
        undefined,
      ]) {
        expectCode(() => configHash(bad), "NOT_JSON");
      }
    });
  });
});
