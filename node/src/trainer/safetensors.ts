import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import { baseModelHash, tensorHashFromBytes } from "../protocol/index.js";
import { TrainerError, TrainerErrorCode } from "./errors.js";

/** Bytes per element of each safetensors dtype the trainer writes or reads. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
/** The reference implementation's own header cap: a larger header is an attack, not a model. */
const MAX_HEADER_BYTES = 100_000_000;
const WEIGHTS_FILE = "model.safetensors";
const WEIGHTS_INDEX = "model.safetensors.index.json";
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"] as const;

/**
 * The tensors of a safetensors file by name, each its raw little-endian bytes as saved (views into `file`). As strict
 * as the trainer's reader: the header must be a JSON object of `{dtype, shape, data_offsets}`, each tensor's bytes must
 * fit its shape and dtype, and the tensors must tile the data exactly (no hole, overlap or trailing byte).
 *
 * @param source named in errors
 * @throws {TrainerError} `MODEL_FILE_INVALID`
 */
export function decodeSafetensors(file: Uint8Array, source = "<bytes>"): Map<string, Uint8Array> {
  const bad = (reason: string) => new TrainerError({ code: TrainerErrorCode.MODEL_FILE_INVALID, path: source, reason });
  if (file.length < 8) throw bad("shorter than the 8-byte header length");
  const size = new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true);
  if (size > BigInt(MAX_HEADER_BYTES) || 8n + size > BigInt(file.length))
    throw bad(`header length ${size} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.subarray(8, 8 + Number(size))));
  } catch {
    throw bad("header is not UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw bad("header is not a JSON object");
  const body = file.subarray(8 + Number(size));
  const spans: { begin: number; end: number; name: string }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (typeof info !== "object" || info === null || Object.keys(info).sort().join() !== "data_offsets,dtype,shape") {
      throw bad(`tensor ${name}: entry must have exactly dtype, shape, data_offsets`);
    }
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    const itemSize = typeof dtype === "string" ? DTYPE_BYTES[dtype] : undefined;
    if (itemSize === undefined) throw bad(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(`tensor ${name}: bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) {
      throw bad(`tensor ${name}: bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (!(begin >= 0 && begin <= end && end <= body.length && end - begin === count * itemSize)) {
      throw bad(`tensor ${name}: data_offsets [${begin}, ${end}] do not fit shape [${shape.join(", ")}] of ${dtype}`);
    }
    spans.push({ begin, end, name });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  const tensors = new Map<string, Uint8Array>();
  for (const { begin, end, name } of spans) {
    if (begin !== cursor)
      throw bad(`tensor ${name}: data is not contiguous with the previous tensor (hole or overlap)`);
    cursor = end;
    tensors.set(name, body.subarray(begin, end));
  }
  if (cursor !== body.length) throw bad(`${body.length - cursor} trailing bytes after the last tensor`);
  return tensors;
}

/** The tensor hash (DESIGN §7) of a safetensors file's bytes: the protocol's `tensorHashFromBytes` over its tensors. */
export function hashSafetensors(file: Uint8Array, source?: string): Hex {
  return tensorHashFromBytes(decodeSafetensors(file, source));
}

/**
 * `baseModelHash` of a model folder (DESIGN §7), computed by the node before it commits: the tensor hash of the
 * safetensors files (those `model.safetensors.index.json` lists when it exists, else `model.safetensors`) and keccak256
 * of `tokenizer.json` and `tokenizer_config.json` (empty bytes when missing), with the protocol's `baseModelHash`.
 * Reads whole files: fine for the models this node trains, a streaming reader is the step for multi-GB bases.
 *
 * @throws {TrainerError} `MODEL_FILE_INVALID` for a missing weights file, a tensor in two shards, or a malformed file
 */
export async function getBaseModelHash(modelDir: string): Promise<Hex> {
  const files = await weightFiles(modelDir);
  const tensors = new Map<string, Uint8Array>();
  for (const name of files) {
    const path = join(modelDir, name);
    const bytes = await readOrNull(path);
    if (bytes === null)
      throw new TrainerError({ code: TrainerErrorCode.MODEL_FILE_INVALID, path, reason: "not found" });
    for (const [tensor, data] of decodeSafetensors(bytes, path)) {
      if (tensors.has(tensor)) {
        throw new TrainerError({
          code: TrainerErrorCode.MODEL_FILE_INVALID,
          path,
          reason: `tensor ${tensor} is in two shards`,
        });
      }
      tensors.set(tensor, data);
    }
  }
  const [tokenizerJson, tokenizerConfigJson] = await Promise.all(
    TOKENIZER_FILES.map(async (name) => (await readOrNull(join(modelDir, name))) ?? new Uint8Array()),
  );
  return baseModelHash({
    tensorHash: tensorHashFromBytes(tensors),
    tokenizerJson: tokenizerJson as Uint8Array,
    tokenizerConfigJson: tokenizerConfigJson as Uint8Array,
  });
}

async function weightFiles(modelDir: string): Promise<string[]> {
  const index = await readOrNull(join(modelDir, WEIGHTS_INDEX));
  if (index === null) return [WEIGHTS_FILE];
  const bad = (reason: string) =>
    new TrainerError({ code: TrainerErrorCode.MODEL_FILE_INVALID, path: join(modelDir, WEIGHTS_INDEX), reason });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(index));
  } catch {
    throw bad("not JSON");
  }
  const weightMap = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null) throw bad("no weight_map");
  const names = Object.values(weightMap);
  // A shard name is a file in the folder, never a path out of it.
  if (!names.every((n) => typeof n === "string" && n !== "" && !n.includes("/") && n !== "..")) {
    throw bad("weight_map values must be file names in the folder");
  }
  return [...new Set(names as string[])].sort();
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
