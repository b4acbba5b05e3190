import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { baseModelHash, tensorHashFromBytes } from "../../../../node/src/protocol/index.js";
import {
  decodeSafetensors,
  getBaseModelHash,
  hashSafetensors,
  TrainerErrorCode,
} from "../../../../node/src/trainer/index.js";
import { expectRejectedWithCode, expectTrainerError, tempDir } from "./helpers.js";

interface TensorSpec {
  readonly dtype: string;
  readonly shape: number[];
  readonly data: Uint8Array;
}

/** A safetensors file as the trainer's writer lays it out, with optional header overrides to break it. */
function safetensors(tensors: Record<string, TensorSpec>, tweak: (header: Record<string, unknown>) => void = () => {}) {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  tweak(header);
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  const body = Object.values(tensors).map((t) => t.data);
  return new Uint8Array(Buffer.concat([head, Buffer.from(json), ...body]));
}

const f32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const TENSORS = {
  "lora_A.weight": { dtype: "F32", shape: [2, 2], data: f32(1, 2, 3, 4) },
  "scheduler.step": { dtype: "I64", shape: [], data: new Uint8Array(8).fill(1) },
  "rng.torch": { dtype: "U8", shape: [3], data: new Uint8Array([7, 8, 9]) },
};

describe("trainer/safetensors (tensor hashes the node computes itself)", () => {
  it("decodes each tensor's raw bytes by name and hashes them with the protocol's tensor hash", () => {
    const file = safetensors(TENSORS);
    const tensors = decodeSafetensors(file);
    expect([...tensors.keys()]).to.deep.equal(["lora_A.weight", "scheduler.step", "rng.torch"]);
    expect(tensors.get("lora_A.weight")).to.deep.equal(f32(1, 2, 3, 4));
    expect(hashSafetensors(file)).to.equal(
      tensorHashFromBytes(new Map(Object.entries(TENSORS).map(([n, t]) => [n, t.data]))),
    );
  });

  it("refuses a file whose tensors leave a hole, overlap, trail bytes or do not fit their shape", () => {
    const cases: [string, Uint8Array][] = [
      [
        "overlap",
        safetensors(TENSORS, (h) => {
          (h["rng.torch"] as { data_offsets: number[] }).data_offsets = [23, 26];
        }),
      ],
      [
        "hole",
        safetensors({ a: { dtype: "U8", shape: [2], data: new Uint8Array([1, 2]) } }, (h) => {
          h.a = { dtype: "U8", shape: [1], data_offsets: [1, 2] };
        }),
      ],
      ["trailing", new Uint8Array([...safetensors(TENSORS), 0])],
      [
        "shape",
        safetensors(TENSORS, (h) => {
          (h["lora_A.weight"] as { shape: number[] }).shape = [2, 3];
        }),
      ],
      [
        "dtype",
        safetensors(TENSORS, (h) => {
          (h["rng.torch"] as { dtype: string }).dtype = "C64";
        }),
      ],
      [
        "keys",
        safetensors(TENSORS, (h) => {
          (h["rng.torch"] as Record<string, unknown>).extra = 1;
        }),
      ],
      ["short", new Uint8Array(4)],
      ["header length", new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1, 2])],
    ];
    for (const [why, file] of cases) {
      expectTrainerError(() => decodeSafetensors(file, why), TrainerErrorCode.MODEL_FILE_INVALID, { path: why });
    }
  });

  it("computes baseModelHash of a model folder, a missing tokenizer file counting as empty bytes", async () => {
    const dir = await tempDir();
    const weights = safetensors(TENSORS);
    const tokenizer = new TextEncoder().encode('{"model":{}}');
    await writeFile(join(dir, "model.safetensors"), weights);
    await writeFile(join(dir, "tokenizer.json"), tokenizer);
    expect(await getBaseModelHash(dir)).to.equal(
      baseModelHash({
        tensorHash: hashSafetensors(weights),
        tokenizerJson: tokenizer,
        tokenizerConfigJson: new Uint8Array(),
      }),
    );
  });

  it("reads the shards model.safetensors.index.json lists, and refuses a tensor in two shards or a path out", async () => {
    const dir = await tempDir();
    const [a, b] = [
      { "lora_A.weight": TENSORS["lora_A.weight"] },
      { "rng.torch": TENSORS["rng.torch"], "scheduler.step": TENSORS["scheduler.step"] },
    ];
    await writeFile(join(dir, "a.safetensors"), safetensors(a));
    await writeFile(join(dir, "b.safetensors"), safetensors(b));
    const index = (map: Record<string, string>) =>
      writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: map }));
    await index({ "lora_A.weight": "a.safetensors", "rng.torch": "b.safetensors", "scheduler.step": "b.safetensors" });
    const whole = baseModelHash({
      tensorHash: hashSafetensors(safetensors(TENSORS)),
      tokenizerJson: new Uint8Array(),
      tokenizerConfigJson: new Uint8Array(),
    });
    expect(await getBaseModelHash(dir)).to.equal(whole);

    await writeFile(join(dir, "c.safetensors"), safetensors({ "rng.torch": TENSORS["rng.torch"] }));
    await index({ "lora_A.weight": "a.safetensors", "rng.torch": "b.safetensors", x: "c.safetensors" });
    await expectRejectedWithCode(getBaseModelHash(dir), TrainerErrorCode.MODEL_FILE_INVALID);
    await index({ "lora_A.weight": "../a.safetensors" });
    await expectRejectedWithCode(getBaseModelHash(dir), TrainerErrorCode.MODEL_FILE_INVALID);
    const empty = join(dir, "empty");
    await mkdir(empty);
    await expectRejectedWithCode(getBaseModelHash(empty), TrainerErrorCode.MODEL_FILE_INVALID, {
      path: join(empty, "model.safetensors"),
    });
  });
});
