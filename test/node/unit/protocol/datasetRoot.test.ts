import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { type Hex, keccak256 } from "viem";
import {
  buildDatasetTree,
  DatasetErrorCode,
  getDatasetRoot,
  getSampleProof,
  hashSampleLeaf,
  parseDataset,
  verifySampleProof,
} from "../../../../node/src/protocol/index.js";
import { expectDatasetError, loadDatasetRootVectors } from "./helpers.js";

const hash = (n: number): Hex => keccak256(new Uint8Array([n]));

describe("protocol/datasetRoot", () => {
  describe("golden vectors (test/vectors/dataset-roots.json)", () => {
    for (const vector of loadDatasetRootVectors()) {
      const { sampleHashes, root, proofs } = vector.outputs;

      it(`parses "${vector.name}" to its sample hashes`, () => {
        const samples = parseDataset(new TextEncoder().encode(vector.inputs.utf8));
        expect(samples.map((s) => s.sampleHash)).to.deep.equal(sampleHashes);
      });

      it(`computes the root of "${vector.name}"`, () => {
        expect(getDatasetRoot(sampleHashes as Hex[])).to.equal(root);
      });

      it(`gives and verifies the proof of every sample of "${vector.name}"`, () => {
        const tree = buildDatasetTree(sampleHashes as Hex[]);
        for (const { sampleHash, proof } of proofs) {
          expect(getSampleProof(tree, sampleHash as Hex)).to.deep.equal(proof);
          expect(verifySampleProof(root as Hex, sampleHash as Hex, proof as Hex[])).to.equal(true);
        }
      });
    }
  });

  it("hashes a leaf as the standard tree does: keccak256(keccak256(abi.encode(bytes32))) (THREATS #39)", () => {
    const tree = StandardMerkleTree.of([[hash(1)], [hash(2)]], ["bytes32"]);
    expect(hashSampleLeaf(hash(1))).to.equal(tree.leafHash([hash(1)]));
    expect(hashSampleLeaf(hash(1))).to.equal(keccak256(keccak256(hash(1))));
  });

  it("verifies with sorted-pair hashing exactly what the standard tree proves, and nothing else (THREATS #39)", () => {
    const hashes = Array.from({ length: 7 }, (_, i) => hash(i));
    const tree = buildDatasetTree(hashes);
    for (const h of hashes) {
      const proof = getSampleProof(tree, h) as Hex[];
      expect(StandardMerkleTree.verify(tree.root, ["bytes32"], [h], proof)).to.equal(true);
      expect(verifySampleProof(tree.root as Hex, h, proof)).to.equal(true);
      expect(verifySampleProof(tree.root as Hex, hash(99), proof)).to.equal(false);
      if (proof.length > 0) expect(verifySampleProof(tree.root as Hex, h, proof.slice(1))).to.equal(false);
    }
  });

  it("does not accept an internal node as a sample hash (THREATS #30)", () => {
    const hashes = [hash(1), hash(2), hash(3), hash(4)];
    const tree = buildDatasetTree(hashes);
    const { tree: nodes } = tree.dump();
    // nodes[1] is an internal node; its proof is its sibling, nodes[2].
    const internal = nodes[1] as Hex;
    const sibling = nodes[2] as Hex;
    const [lo, hi] = BigInt(internal) < BigInt(sibling) ? [internal, sibling] : [sibling, internal];
    expect(keccak256(`${lo}${hi.slice(2)}`)).to.equal(tree.root, "the path is real for a single-hashed verifier");
    expect(verifySampleProof(tree.root as Hex, internal, [sibling])).to.equal(false);
  });

  it("orders leaves by hash, so the order of sample hashes does not change the root", () => {
    const hashes = [hash(1), hash(2), hash(3)];
    expect(getDatasetRoot([...hashes].reverse())).to.equal(getDatasetRoot(hashes));
  });

  it("rejects an empty dataset", () => {
    const error = expectDatasetError(() => buildDatasetTree([]), DatasetErrorCode.EMPTY_DATASET);
    expect(error.message).to.equal("expected at least one sample hash, found none");
  });

  it("rejects a sample hash given twice, whatever its hex case", () => {
    expectDatasetError(
      () => buildDatasetTree([hash(1), hash(2), hash(1).toUpperCase().replace("0X", "0x") as Hex]),
      DatasetErrorCode.DUPLICATE_SAMPLE_HASH,
    );
  });

  it("refuses a proof for a sample the dataset does not hold", () => {
    const tree = buildDatasetTree([hash(1), hash(2)]);
    expectDatasetError(() => getSampleProof(tree, hash(3)), DatasetErrorCode.SAMPLE_NOT_IN_DATASET, {
      sampleHash: hash(3),
    });
  });
});
