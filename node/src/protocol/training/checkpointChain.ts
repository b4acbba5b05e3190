import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, type Hex, keccak256 } from "viem";
import { TrainingProofError } from "./errors.js";

/** Leaf encoding of the checkpoint tree: `(uint256 k, bytes32 h_k)`. */
export const checkpointLeafEncoding = ["uint256", "bytes32"] as const;

const CANONICAL_NAN_BITS = 0x7fc0_0000;
const UINT32_MAX = 0xffff_ffff;

/** Inputs of {@link initialHead}: what the run starts from, all fixed before the first step. */
export type InitialHeadParameters = {
  baseModelHash: Hex;
  configHash: Hex;
  seed: Hex;
  /** Tensor hash of the seeded initial trainable weights (LoRA A by the seeded init, B zero). */
  initialWeightsHash: Hex;
  /** Tensor hash of the initial optimizer state, scheduler step and RNG states. */
  initialStateHash: Hex;
};

/** Inputs of {@link nextHead}: one checkpoint, taken after the K steps of segment k. */
export type NextHeadParameters = {
  /** h_{k−1}. */
  prevHead: Hex;
  /** Checkpoint number, from 1. */
  k: bigint;
  weightsHash: Hex;
  stateHash: Hex;
  batchHash: Hex;
  /** IEEE-754 float32 bits of the mean float32 loss over the segment's steps ({@link float32Bits}). */
  lossBits: number;
};

/**
 * IEEE-754 float32 bit pattern of `x` rounded to the nearest float32 (ties to even). Every NaN maps
 * to the one quiet NaN `0x7fc00000`, so a diverged run still has a single chain; a finite `x` beyond
 * float32's range throws `BAD_FLOAT32` (no float32 mean can be).
 */
export function float32Bits(x: number): number {
  if (Number.isNaN(x)) return CANONICAL_NAN_BITS;
  const rounded = Math.fround(x);
  if (Number.isFinite(x) && !Number.isFinite(rounded)) {
    throw new TrainingProofError("BAD_FLOAT32", `${x} does not fit a float32`);
  }
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, rounded);
  return view.getUint32(0);
}

/** `h_0 = keccak256(abi.encode(baseModelHash, configHash, seed, initialWeightsHash, initialStateHash))` (DESIGN §7). */
export function initialHead(p: InitialHeadParameters): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }],
      [p.baseModelHash, p.configHash, p.seed, p.initialWeightsHash, p.initialStateHash],
    ),
  );
}

/**
 * `h_k = keccak256(abi.encode(h_{k−1}, uint256 k, weightsHash_k, stateHash_k, batchHash_k, uint32 lossBits_k))`
 * (DESIGN §7). Throws `BAD_CHECKPOINT` for k < 1 or lossBits outside uint32.
 */
export function nextHead(p: NextHeadParameters): Hex {
  if (p.k < 1n) throw new TrainingProofError("BAD_CHECKPOINT", `checkpoint number must be ≥ 1, got ${p.k}`);
  if (!Number.isInteger(p.lossBits) || p.lossBits < 0 || p.lossBits > UINT32_MAX) {
    throw new TrainingProofError("BAD_CHECKPOINT", `lossBits must be a uint32, got ${p.lossBits}`);
  }
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint32" },
      ],
      [p.prevHead, p.k, p.weightsHash, p.stateHash, p.batchHash, p.lossBits],
    ),
  );
}

function checkpointTree(heads: readonly Hex[]): StandardMerkleTree<[bigint, Hex]> {
  if (heads.length === 0) throw new TrainingProofError("EMPTY_CHAIN", "the chain needs at least h_0");
  return StandardMerkleTree.of(
    heads.map((h, k): [bigint, Hex] => [BigInt(k), h]),
    [...checkpointLeafEncoding],
  );
}

/**
 * `checkpointRoot` (DESIGN §7): the standard tree over `(uint256 k, bytes32 h_k)` for k = 0 … n,
 * `heads[k]` being h_k. A chain of h_0 alone has its leaf hash as root.
 */
export function checkpointRoot(heads: readonly Hex[]): Hex {
  return checkpointTree(heads).root as Hex;
}

/** Proof of `(k, heads[k])` under {@link checkpointRoot}, checkable with OZ `MerkleProof` or `StandardMerkleTree.verify`. */
export function checkpointProof(heads: readonly Hex[], k: number): Hex[] {
  if (!Number.isSafeInteger(k) || k < 0 || k >= heads.length) {
    throw new TrainingProofError("BAD_CHECKPOINT", `no checkpoint ${k} in a chain of ${heads.length}`);
  }
  return checkpointTree(heads).getProof(k) as Hex[];
}

/** Whether `proof` shows `h_k = head` under `root`. */
export function verifyCheckpointProof(root: Hex, k: bigint, head: Hex, proof: readonly Hex[]): boolean {
  return StandardMerkleTree.verify(root, [...checkpointLeafEncoding], [k, head], [...proof]);
}
