import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, encodeAbiParameters, type Hex, keccak256 } from "viem";
import { DatasetError, DatasetErrorCode } from "./errors.js";

/** The leaf encoding of a dataset tree: one `bytes32`, the sample hash (DESIGN §4). */
export const SAMPLE_LEAF_ENCODING = ["bytes32"] as const;

/** A dataset's standard tree: leaves `[sampleHash]`. */
export type DatasetTree = StandardMerkleTree<[Hex]>;

/**
 * Builds a dataset's standard tree (`@openzeppelin/merkle-tree`, default options: leaves double-hashed, sorted)
 * over its sample hashes, each as a one-value leaf of type `bytes32` (DESIGN §4).
 *
 * @throws {DatasetError} `EMPTY_DATASET` for no hashes, `DUPLICATE_SAMPLE_HASH` for a hash given twice
 */
export function buildDatasetTree(sampleHashes: readonly Hex[]): DatasetTree {
  if (sampleHashes.length === 0) throw new DatasetError({ code: DatasetErrorCode.EMPTY_DATASET });
  const seen = new Set<string>();
  for (const sampleHash of sampleHashes) {
    const key = sampleHash.toLowerCase();
    if (seen.has(key)) throw new DatasetError({ code: DatasetErrorCode.DUPLICATE_SAMPLE_HASH, sampleHash });
    seen.add(key);
  }
  return StandardMerkleTree.of(
    sampleHashes.map((sampleHash): [Hex] => [sampleHash]),
    [...SAMPLE_LEAF_ENCODING],
  );
}

/**
 * `datasetRoot`: the root of the dataset's standard tree over `[sampleHash]` (DESIGN §4), the value a dataset is
 * registered with on-chain.
 *
 * @throws {DatasetError} as {@link buildDatasetTree}
 */
export function getDatasetRoot(sampleHashes: readonly Hex[]): Hex {
  return buildDatasetTree(sampleHashes).root as Hex;
}

/**
 * The proof of `sampleHash` in a dataset tree, as `DatanetRegistry.proveDuplicate` takes it.
 *
 * @throws {DatasetError} `SAMPLE_NOT_IN_DATASET` when the tree does not hold the hash
 */
export function getSampleProof(tree: DatasetTree, sampleHash: Hex): Hex[] {
  for (const [index, [leaf]] of tree.entries()) {
    if (leaf.toLowerCase() === sampleHash.toLowerCase()) return tree.getProof(index) as Hex[];
  }
  throw new DatasetError({ code: DatasetErrorCode.SAMPLE_NOT_IN_DATASET, sampleHash });
}

/**
 * The leaf of a sample hash in a dataset tree: `keccak256(bytes.concat(keccak256(abi.encode(sampleHash))))`, the
 * standard tree's double hash, which a 64-byte internal node can never equal by construction.
 */
export function hashSampleLeaf(sampleHash: Hex): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: "bytes32" }], [sampleHash])));
}

/**
 * Whether `proof` shows `sampleHash` in the dataset tree of `root`: OZ `MerkleProof.verify` (sorted-pair keccak)
 * over {@link hashSampleLeaf}, exactly what `DatanetRegistry.proveDuplicate` checks.
 */
export function verifySampleProof(root: Hex, sampleHash: Hex, proof: readonly Hex[]): boolean {
  let node = hashSampleLeaf(sampleHash);
  for (const sibling of proof) node = hashPair(node, sibling);
  return node.toLowerCase() === root.toLowerCase();
}

/** OZ `Hashes.commutativeKeccak256`: the smaller word first. */
function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}
