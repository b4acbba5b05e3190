import { type Hex, keccak256, stringToBytes } from "viem";
import { normalize } from "./normalize.js";

/**
 * `keccak256(utf8(normalizedText))`: the sample hash of text that is already normalized (DESIGN §4).
 * The text must be well-formed Unicode (a lone surrogate would be encoded as U+FFFD).
 */
export function hashNormalizedText(normalizedText: string): Hex {
  return keccak256(stringToBytes(normalizedText));
}

/**
 * `sampleHash = keccak256(utf8(normalize(canonicalText)))` (DESIGN §4).
 *
 * @example
 * hashSample("Say hi\n\nHi") === hashNormalizedText("say hi hi")
 */
export function hashSample(canonicalText: string): Hex {
  return hashNormalizedText(normalize(canonicalText));
}
