import { concat, type Hex, keccak256, toBytes } from "viem";
import { TrainingProofError } from "./errors.js";

const LONE_SURROGATE = /\p{Surrogate}/u;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Tensor hash (`weightsHash`, `stateHash`, the tensor part of `baseModelHash`; DESIGN §7) of named
 * raw tensors, each the little-endian bytes of the tensor in its saved dtype (e.g. a safetensors
 * data slice as it is). keccak256 over the tensors in order of their names' UTF-8 bytes, each
 * contributing `keccak256(utf8(name)) ‖ keccak256(bytes)`.
 *
 * UTF-8 byte order is code-point order, not JavaScript's default UTF-16 order (they differ above
 * U+FFFF). A name with a lone surrogate has no UTF-8 form and throws `BAD_TENSOR_NAME`.
 */
export function tensorHashFromBytes(tensors: ReadonlyMap<string, Uint8Array>): Hex {
  const entries = [...tensors].map(([name, bytes]) => {
    if (LONE_SURROGATE.test(name)) throw new TrainingProofError("BAD_TENSOR_NAME", "tensor name is not valid Unicode");
    return { name: toBytes(name), bytes };
  });
  entries.sort((a, b) => compareBytes(a.name, b.name));
  return keccak256(concat(entries.flatMap((e) => [keccak256(e.name), keccak256(e.bytes)])));
}

/** Inputs of {@link baseModelHash}: a missing tokenizer file is passed as empty bytes. */
export type BaseModelHashParameters = {
  /** {@link tensorHashFromBytes} over the model's safetensors tensors, as saved (before quantization). */
  tensorHash: Hex;
  /** Raw bytes of `tokenizer.json`. */
  tokenizerJson: Uint8Array;
  /** Raw bytes of `tokenizer_config.json`. */
  tokenizerConfigJson: Uint8Array;
};

/** `baseModelHash = keccak256(tensorHash ‖ keccak256(tokenizer.json) ‖ keccak256(tokenizer_config.json))` (DESIGN §7). */
export function baseModelHash({ tensorHash, tokenizerJson, tokenizerConfigJson }: BaseModelHashParameters): Hex {
  if (toBytes(tensorHash).length !== 32) throw new TrainingProofError("BAD_BYTES32", "tensorHash must be 32 bytes");
  return keccak256(concat([tensorHash, keccak256(tokenizerJson), keccak256(tokenizerConfigJson)]));
}
