import { type Hex, keccak256 } from "viem";
import { configHash } from "../protocol/index.js";
import { TrainerError, TrainerErrorCode } from "./errors.js";

/** Training methods: `qlora` is the product's; the others are benchmark baselines (docs/trainer.md "Methods"). */
export const TRAIN_METHODS = ["qlora", "lora", "ptuning", "full"] as const;
/** Learning-rate schedules after warm-up. */
export const LR_SCHEDULES = ["cosine", "linear", "constant"] as const;
/** Compute dtypes (autocast). */
export const PRECISIONS = ["bf16", "fp32"] as const;
/** Device classes: CPU verification is bitwise, GPU uses the τ rule (DESIGN §7). */
export const DEVICES = ["cpu", "cuda"] as const;
/** Prompt templates (`trainer/olp_trainer/data.py` TEMPLATES). */
export const TEMPLATES = ["plain", "alpaca"] as const;
/** The LoRA projections of a Llama layer. */
export const PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

/**
 * Every field that shapes a run (`TrainConfig` of `trainer/olp_trainer/config.py`, camelCase as in JSON). The job
 * carries all of them, so no default left implicit shapes a run without entering `configHash` (DESIGN §7).
 */
export interface TrainConfig {
  method: (typeof TRAIN_METHODS)[number];
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
  numVirtualTokens: number;
  learningRate: number;
  lrSchedule: (typeof LR_SCHEDULES)[number];
  warmupSteps: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  gradClip: number;
  precision: (typeof PRECISIONS)[number];
  batchSize: number;
  maxSeqLen: number;
  steps: number;
  checkpointInterval: number;
  minSpan: number;
  template: (typeof TEMPLATES)[number];
  evalSplit: string;
  evalSamples: number;
  evalMaxNewTokens: number;
  device: (typeof DEVICES)[number];
  threads: number;
  libraryVersions: Record<string, string>;
}

/**
 * The defaults, the same as the Python trainer's (docs/trainer.md "The config", reasons in `config.py`). A test runs
 * Python's `TrainConfig()` and compares, so the two cannot drift apart silently.
 */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  method: "qlora", // the product's method (QLoRA: NF4 base, LoRA adapters)
  rank: 8, // vLLM serves rank ≤ 16 without flags (DESIGN §7)
  alpha: 16, // scale alpha/r = 2, the common QLoRA setting
  dropout: 0, // small runs stay stable; the RNG is in stateHash either way
  targetModules: [...PROJECTIONS], // LoRA on every linear projection, as QLoRA does
  numVirtualTokens: 32, // P-Tuning v2 prefix length (baseline only)
  learningRate: 0.003, // works for rank 8 on the built-in model and the shipped data
  lrSchedule: "cosine", // decays to 10% of the peak at the last step
  warmupSteps: 10, // linear warm-up from 0
  weightDecay: 0, // none on adapters (PEFT's usual choice)
  adamBeta1: 0.9, // AdamW's defaults
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  gradClip: 1, // global L2 norm; 0 turns clipping off
  precision: "bf16", // fast on CPUs with AVX-512 BF16 and on GPUs
  batchSize: 8, // samples per step, no accumulation
  maxSeqLen: 384, // tokens per sample after the template
  steps: 400, // ≈ 2.7 epochs of the shipped data; a multiple of checkpointInterval
  checkpointInterval: 20, // K: a verifier re-runs K steps
  minSpan: 8, // attribution's minimum span (DESIGN §8), part of the commitment
  template: "plain", // the shortest separator
  evalSplit: "", // keccak256 of the held-out file; "" when none is pinned
  evalSamples: 64, // eval samples generated for ROUGE; 0 = all
  evalMaxNewTokens: 160, // greedy generation limit for ROUGE
  device: "cpu", // CPU verification is bitwise
  threads: 1, // torch CPU threads, pinned: OpenMP spin-waits collapse on shared cores
  libraryVersions: {}, // {"python", "torch"} pinned; {} = not pinned
}) as Readonly<TrainConfig>;

type Check = (value: unknown) => string | undefined;

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `must be an integer in ${min}..${max}`;
const num =
  (ok: (v: number) => boolean, range: string): Check =>
  (v) =>
    typeof v === "number" && Number.isFinite(v) && ok(v) ? undefined : `must be a number in ${range}`;
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v) ? undefined : `must be one of ${values.join(", ")}`;

/** Field checks, the ranges of Python's `TrainConfig.validate` (so a bad config fails before it is committed). */
const CHECKS: { readonly [K in keyof TrainConfig]: Check } = {
  method: oneOf(TRAIN_METHODS),
  rank: int(1, 256),
  alpha: int(1),
  dropout: num((v) => v >= 0 && v < 1, "[0, 1)"),
  targetModules: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === "string") && new Set(v).size === v.length
      ? undefined
      : "must be a non-empty list of distinct strings",
  numVirtualTokens: int(1, 512),
  learningRate: num((v) => v > 0 && v < 1, "(0, 1)"),
  lrSchedule: oneOf(LR_SCHEDULES),
  warmupSteps: int(0),
  weightDecay: num((v) => v >= 0 && v < 1, "[0, 1)"),
  adamBeta1: num((v) => v >= 0 && v < 1, "[0, 1)"),
  adamBeta2: num((v) => v >= 0 && v < 1, "[0, 1)"),
  adamEpsilon: num((v) => v > 0 && v < 1, "(0, 1)"),
  gradClip: num((v) => v >= 0, "[0, ∞)"),
  precision: oneOf(PRECISIONS),
  batchSize: int(1, 4096),
  maxSeqLen: int(8, 65536),
  steps: int(1),
  checkpointInterval: int(1),
  minSpan: int(1),
  template: oneOf(TEMPLATES),
  evalSplit: (v) =>
    v === "" || (typeof v === "string" && /^0x[0-9a-f]{64}$/.test(v))
      ? undefined
      : 'must be "" or 0x + 64 lowercase hex',
  evalSamples: int(0),
  evalMaxNewTokens: int(1),
  device: oneOf(DEVICES),
  threads: int(1, 256),
  libraryVersions: (v) =>
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.entries(v).every(([k, s]) => (k === "python" || k === "torch") && typeof s === "string")
      ? undefined
      : "must map python and/or torch to version strings",
};

/**
 * A full training config: the defaults with `overrides` on top, checked field by field.
 *
 * @throws {TrainerError} `CONFIG_INVALID` naming the field: an unknown key, a bad value, `steps` not a multiple of
 * `checkpointInterval`, `warmupSteps` above `steps`, or a target module that is not a projection for LoRA methods
 */
export function createTrainConfig(overrides: Readonly<Partial<TrainConfig>> = {}): TrainConfig {
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(CHECKS, key)) invalid(key, "unknown key");
  }
  const config = { ...structuredClone(DEFAULT_TRAIN_CONFIG), ...structuredClone(overrides) } as TrainConfig;
  for (const [field, check] of Object.entries(CHECKS) as [keyof TrainConfig, Check][]) {
    const reason = check(config[field]);
    if (reason !== undefined) invalid(field, `${reason} (found ${JSON.stringify(config[field])})`);
  }
  // DESIGN §7: steps are a multiple of K.
  if (config.steps % config.checkpointInterval !== 0) invalid("steps", "must be a multiple of checkpointInterval");
  if (config.warmupSteps > config.steps) invalid("warmupSteps", "must be at most steps");
  if (config.method === "qlora" || config.method === "lora") {
    const stray = config.targetModules.find((m) => !(PROJECTIONS as readonly string[]).includes(m));
    if (stray !== undefined) invalid("targetModules", `${stray} is not a projection (${PROJECTIONS.join(", ")})`);
  }
  return config;
}

/** `configHash` of a full config: the protocol's RFC 8785 hash (DESIGN §7); the node is the reference. */
export function getConfigHash(config: TrainConfig): Hex {
  return configHash(config);
}

/** `config.evalSplit` for a held-out file: `0x` + keccak256 of its bytes (docs/trainer.md "Held-out eval split"). */
export function getEvalSplit(evalFile: Uint8Array): Hex {
  return keccak256(evalFile);
}

function invalid(field: string, reason: string): never {
  throw new TrainerError({ code: TrainerErrorCode.CONFIG_INVALID, field, reason });
}
