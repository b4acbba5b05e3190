import { bytesToBigInt, encodeAbiParameters, type Hex, hexToBytes, keccak256 } from "viem";
import { TrainingProofError } from "./errors.js";

const UINT32_MAX = 0xffff_ffff;

function checkCorpusSize(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > UINT32_MAX + 1) {
    // Corpus indices are uint32 in batchHash, so n is at most 2^32.
    throw new TrainingProofError("BAD_CORPUS_SIZE", `corpus size must be an integer in [1, 2^32], got ${n}`);
  }
}

function seedBytes(seed: Hex): Uint8Array {
  const bytes = hexToBytes(seed);
  if (bytes.length !== 32) throw new TrainingProofError("BAD_BYTES32", `seed must be 32 bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * Pass `pass` of the batch order (DESIGN §7): a Fisher–Yates shuffle of the identity `[0, n)`.
 * For i from n − 1 down to 1, `j = word mod (i + 1)` and swap(i, j), where the words are
 * `keccak256(abi.encode(bytes32 seed, uint256 pass, uint256 counter))`, counter from 0 within the
 * pass. No rejection sampling: the modulo bias is below n / 2^256.
 */
export function passPermutation(seed: Hex, n: number, pass: number): number[] {
  checkCorpusSize(n);
  if (!Number.isSafeInteger(pass) || pass < 0) throw new TrainingProofError("BAD_RANGE", `bad pass ${pass}`);
  // abi.encode(bytes32, uint256, uint256) is three big-endian words; filled in place because a
  // pass over a large corpus hashes one word per sample.
  const preimage = new Uint8Array(96);
  preimage.set(seedBytes(seed), 0);
  const view = new DataView(preimage.buffer);
  view.setBigUint64(56, BigInt(pass));
  const order = Array.from({ length: n }, (_, i) => i);
  let counter = 0n;
  for (let i = n - 1; i >= 1; i--) {
    view.setBigUint64(88, counter++);
    const j = Number(bytesToBigInt(keccak256(preimage, "bytes")) % BigInt(i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

/**
 * Corpus indices in training order without end: pass 0, then pass 1, … (a batch may span two
 * passes; the trainer takes `batchSize` indices per step). Arguments are checked at the call, not at
 * the first `next()`.
 */
export function batchOrder(seed: Hex, n: number): Generator<number, never, undefined> {
  checkCorpusSize(n);
  seedBytes(seed);
  return (function* () {
    for (let pass = 0; ; pass++) yield* passPermutation(seed, n, pass);
  })();
}

/**
 * Positions `[start, stop)` of the batch order, computing only the passes they touch: a verifier
 * re-running one segment needs neither the passes before it nor the rest of its own.
 */
export function batchOrderSlice(seed: Hex, n: number, start: number, stop: number): number[] {
  checkCorpusSize(n);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop) || start < 0 || stop < start) {
    throw new TrainingProofError("BAD_RANGE", `bad range [${start}, ${stop})`);
  }
  const out: number[] = [];
  for (let pos = start; pos < stop; ) {
    const pass = Math.floor(pos / n);
    const offset = pos % n;
    const take = Math.min(n - offset, stop - pos);
    out.push(...passPermutation(seed, n, pass).slice(offset, offset + take));
    pos += take;
  }
  return out;
}

/**
 * `batchHash_k = keccak256(abi.encode(uint32[] indices))` over the corpus indices of the segment's
 * steps in step order (DESIGN §7). Throws `BAD_INDEX` for an index that is not a uint32.
 */
export function batchHash(indices: readonly number[]): Hex {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i > UINT32_MAX) throw new TrainingProofError("BAD_INDEX", `bad index ${i}`);
  }
  return keccak256(encodeAbiParameters([{ type: "uint32[]" }], [indices]));
}
