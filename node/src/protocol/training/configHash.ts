import canonicalizeModule from "canonicalize";
import { type Hex, keccak256, toBytes } from "viem";
import { TrainingProofError } from "./errors.js";

// canonicalize is CommonJS (`module.exports = serialize`) with an ESM-style `export default` in its
// types, so under NodeNext TypeScript types the default import as the module object; at runtime
// Node's default import of a CommonJS module is `module.exports`, the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

const LONE_SURROGATE = /\p{Surrogate}/u;

function checkJson(value: unknown, path: string, open: Set<object>): void {
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw new TrainingProofError("NOT_JSON", `${path}: string is not valid Unicode`);
    return;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TrainingProofError("NOT_JSON", `${path}: ${value} is not a JSON number`);
    return;
  }
  if (typeof value !== "object") throw new TrainingProofError("NOT_JSON", `${path}: ${typeof value} is not JSON`);
  if (open.has(value)) throw new TrainingProofError("NOT_JSON", `${path}: cycle`);
  open.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new TrainingProofError("NOT_JSON", `${path}[${i}]: hole in array`);
      checkJson(value[i], `${path}[${i}]`, open);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    // A Date, Map or class instance would reach the hash through toJSON or not at all.
    if (proto !== Object.prototype && proto !== null) {
      throw new TrainingProofError("NOT_JSON", `${path}: not a plain object`);
    }
    for (const [key, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) throw new TrainingProofError("NOT_JSON", `${path}: key is not valid Unicode`);
      checkJson(v, `${path}.${key}`, open);
    }
  }
  open.delete(value);
}

/**
 * RFC 8785 (JCS) canonical JSON of a training config: keys sorted by UTF-16 code units, no
 * whitespace, ECMAScript number and string serialization. Throws `NOT_JSON` for anything that is
 * not plain JSON (undefined, bigint, functions, NaN, ±Infinity, lone surrogates, holes, cycles,
 * non-plain objects) instead of letting it vanish or change shape on the way to the hash.
 */
export function canonicalConfig(config: unknown): string {
  checkJson(config, "$", new Set());
  const text = canonicalize(config);
  if (text === undefined) throw new TrainingProofError("NOT_JSON", "$: not JSON");
  return text;
}

/**
 * `configHash = keccak256(utf8(RFC 8785 canonical JSON of the config))` (DESIGN §7): computed by the
 * node, the reference, and handed to the trainer.
 */
export function configHash(config: unknown): Hex {
  return keccak256(toBytes(canonicalConfig(config)));
}
