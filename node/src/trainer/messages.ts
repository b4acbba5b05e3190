import type { Hex } from "viem";
import { TrainerError, TrainerErrorCode } from "./errors.js";

/** A `progress` message of the `train` phase: what a progress bar shows. */
export interface TrainProgressEvent {
  readonly type: "progress";
  readonly phase: "train";
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly tokensPerSecond: number;
}

/** A `progress` message of another phase (`load`, `eval`, `make-model`, `verify`, `ready`), its fields as sent. */
export interface PhaseProgressEvent {
  readonly type: "progress";
  readonly phase: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A `metric` message: `train_loss` (with `step`), `tokens_per_second`, `eval_loss`, `eval_rouge1/2/L`. */
export interface MetricEvent {
  readonly type: "metric";
  readonly name: string;
  readonly value: number;
  readonly step?: number;
}

/**
 * A `checkpoint` message: checkpoint k written. k = 0 carries the initial hashes; from k = 1 also the chain step of
 * DESIGN §4 `/olp/training/1` (`prevHead`, `batchHash`, `lossBits`) and `loss`, the float32 behind `lossBits`.
 */
export interface CheckpointEvent {
  readonly type: "checkpoint";
  readonly k: number;
  readonly head: Hex;
  readonly weightsHash: Hex;
  readonly stateHash: Hex;
  readonly step?: {
    readonly prevHead: Hex;
    readonly batchHash: Hex;
    readonly lossBits: number;
    readonly loss: number | null;
  };
}

/** An `artifact` message: `chain`, `adapter` (with `files`), `eval_report`, `dataset`, `model`. */
export interface ArtifactEvent {
  readonly type: "artifact";
  readonly kind: string;
  readonly path: string;
  readonly files?: readonly string[];
}

/** The `result` message: the command and its result object, checked by {@link parseTrainResult} and the like. */
export interface ResultEvent {
  readonly type: "result";
  readonly command: string;
  readonly result: Readonly<Record<string, unknown>>;
}

/** The `error` message: Python's code, message and context. */
export interface ErrorEvent {
  readonly type: "error";
  readonly code: string;
  readonly message: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** One stdout line of the trainer (docs/trainer.md "Protocol"), typed. */
export type TrainerEvent =
  | TrainProgressEvent
  | PhaseProgressEvent
  | MetricEvent
  | CheckpointEvent
  | ArtifactEvent
  | ResultEvent
  | ErrorEvent;

/** Whether an event is a `progress` message of the `train` phase. */
export function isTrainProgress(event: TrainerEvent): event is TrainProgressEvent {
  return event.type === "progress" && event.phase === "train";
}

const HEX32 = /^0x[0-9a-f]{64}$/;

/**
 * Parses one stdout line into a typed event. Strict on what the node acts on (types, hashes, step numbers), lenient on
 * fields it does not read, so the trainer can add context without breaking the node.
 *
 * @throws {TrainerError} `MALFORMED_MESSAGE` naming what is wrong
 */
export function parseTrainerMessage(line: string): TrainerEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw malformed(line, "not JSON", cause);
  }
  if (!isRecord(value)) throw malformed(line, "not a JSON object");
  const { type, ...fields } = value;
  const read = new Reader(fields, (reason) => malformed(line, reason));
  switch (type) {
    case "progress": {
      const phase = read.string("phase");
      if (phase === "train") {
        return {
          type,
          phase,
          step: read.integer("step", 0),
          steps: read.integer("steps", 1),
          loss: read.number("loss"),
          tokensPerSecond: read.number("tokensPerSecond"),
        };
      }
      const { phase: _, ...rest } = fields;
      return { type, phase, fields: rest };
    }
    case "metric": {
      const step = fields.step === undefined ? {} : { step: read.integer("step", 0) };
      return { type, name: read.string("name"), value: read.number("value"), ...step };
    }
    case "checkpoint": {
      const k = read.integer("k", 0);
      const base = {
        type,
        k,
        head: read.hex32("head"),
        weightsHash: read.hex32("weightsHash"),
        stateHash: read.hex32("stateHash"),
      };
      if (k === 0) return base;
      const loss = fields.loss === null ? null : read.number("loss");
      return {
        ...base,
        step: {
          prevHead: read.hex32("prevHead"),
          batchHash: read.hex32("batchHash"),
          lossBits: read.integer("lossBits", 0, 0xffff_ffff),
          loss,
        },
      };
    }
    case "artifact": {
      const files = fields.files === undefined ? {} : { files: read.strings("files") };
      return { type, kind: read.string("kind"), path: read.string("path"), ...files };
    }
    case "result": {
      const { command: _, ...result } = fields;
      return { type, command: read.string("command"), result };
    }
    case "error": {
      const { code: _c, message: _m, ...context } = fields;
      return { type, code: read.string("code"), message: read.string("message"), context };
    }
    default:
      throw malformed(line, `unknown type ${JSON.stringify(type)}`);
  }
}

/** The `train` result (docs/trainer.md "train result"): everything `AdapterRegistry` stores comes from here. */
export interface TrainResult {
  readonly baseModelHash: Hex;
  readonly configHash: Hex;
  readonly seed: Hex;
  readonly datasetIds: readonly bigint[];
  readonly initialWeightsHash: Hex;
  readonly initialStateHash: Hex;
  /** The final weights hash. */
  readonly weightsHash: Hex;
  /** h_n. */
  readonly finalHead: Hex;
  readonly checkpointRoot: Hex;
  /** n: checkpoints 1 … n after checkpoint 0. */
  readonly checkpoints: number;
  readonly steps: number;
  readonly contributorsRoot: Hex;
  /** Training shares in ppm, ascending by dataset id. */
  readonly shares: readonly { readonly datasetId: bigint; readonly weightPpm: number }[];
  /** ROUGE-L F1 in basis points; 0 without an eval split. */
  readonly evalScore: number;
  readonly trainableParameters: number;
  readonly trainSeconds: number;
  readonly tokensPerSecond: number;
}

/**
 * Checks a `train` result object field by field.
 *
 * @throws {TrainerError} `MALFORMED_RESULT` naming the field
 */
export function parseTrainResult(result: Readonly<Record<string, unknown>>): TrainResult {
  const read = new Reader(result, (reason, field) => malformedResult(field, reason));
  const shares = result.shares;
  if (!isRecord(shares)) throw malformedResult("shares", "must be an object of dataset id → ppm");
  const shareRows = Object.entries(shares).map(([id, ppm]) => {
    if (!/^[1-9][0-9]*$/.test(id)) throw malformedResult("shares", `key ${JSON.stringify(id)} is not a dataset id`);
    if (typeof ppm !== "number" || !Number.isInteger(ppm) || ppm < 0 || ppm > 1_000_000) {
      throw malformedResult("shares", `dataset ${id}: ${JSON.stringify(ppm)} is not a ppm`);
    }
    return { datasetId: BigInt(id), weightPpm: ppm };
  });
  shareRows.sort((a, b) => (a.datasetId < b.datasetId ? -1 : a.datasetId > b.datasetId ? 1 : 0));
  const ids = result.datasetIds;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "number" && Number.isSafeInteger(id) && id >= 1)) {
    throw malformedResult("datasetIds", "must be a list of integers ≥ 1");
  }
  return {
    baseModelHash: read.hex32("baseModelHash"),
    configHash: read.hex32("configHash"),
    seed: read.hex32("seed"),
    datasetIds: ids.map((id) => BigInt(id as number)),
    initialWeightsHash: read.hex32("initialWeightsHash"),
    initialStateHash: read.hex32("initialStateHash"),
    weightsHash: read.hex32("weightsHash"),
    finalHead: read.hex32("finalHead"),
    checkpointRoot: read.hex32("checkpointRoot"),
    checkpoints: read.integer("checkpoints", 1, 0xffff_ffff),
    steps: read.integer("steps", 1),
    contributorsRoot: read.hex32("contributorsRoot"),
    shares: shareRows,
    evalScore: read.integer("evalScore", 0, 10_000),
    trainableParameters: read.integer("trainableParameters", 0),
    trainSeconds: read.number("trainSeconds"),
    tokensPerSecond: read.number("tokensPerSecond"),
  };
}

/** One check of a `verify` result, by name (`batchHash`, `checkpoint 1 weightsHash`, `weightsHash (re-run, bitwise)`, …). */
export interface VerifyCheck {
  readonly check: string;
  readonly ok: boolean;
  readonly expected: unknown;
  readonly found: unknown;
}

/** The `verify` result: whether segment k re-runs to checkpoint k, and which checks failed. */
export interface VerifyResult {
  readonly match: boolean;
  readonly segment: number;
  readonly mismatches: readonly string[];
  readonly checks: readonly VerifyCheck[];
}

/**
 * Checks a `verify` result object.
 *
 * @throws {TrainerError} `MALFORMED_RESULT` naming the field
 */
export function parseVerifyResult(result: Readonly<Record<string, unknown>>): VerifyResult {
  const read = new Reader(result, (reason, field) => malformedResult(field, reason));
  const match = result.match;
  if (typeof match !== "boolean") throw malformedResult("match", "must be a boolean");
  const checks = result.checks;
  if (!Array.isArray(checks)) throw malformedResult("checks", "must be a list");
  const parsed = checks.map((c, i): VerifyCheck => {
    if (!isRecord(c) || typeof c.check !== "string" || typeof c.ok !== "boolean") {
      throw malformedResult(`checks[${i}]`, "must be {check, ok, expected, found}");
    }
    return { check: c.check, ok: c.ok, expected: c.expected, found: c.found };
  });
  const mismatches = read.strings("mismatches");
  // A match with a failed check (or the reverse) would let a forged segment pass on one reading and not the other.
  const failed = parsed.filter((c) => !c.ok).map((c) => c.check);
  if (match !== (failed.length === 0) || failed.join("\n") !== mismatches.join("\n")) {
    throw malformedResult("mismatches", "must name exactly the failed checks, and match only when none failed");
  }
  return { match, segment: read.integer("segment", 1), mismatches, checks: parsed };
}

/** Reads typed fields of a JSON object, reporting the first bad one. */
class Reader {
  constructor(
    private readonly fields: Readonly<Record<string, unknown>>,
    private readonly fail: (reason: string, field: string) => TrainerError,
  ) {}

  string(field: string): string {
    const v = this.fields[field];
    if (typeof v !== "string") throw this.fail(`${field} must be a string`, field);
    return v;
  }

  strings(field: string): string[] {
    const v = this.fields[field];
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
      throw this.fail(`${field} must be a list of strings`, field);
    }
    return v as string[];
  }

  number(field: string): number {
    const v = this.fields[field];
    if (typeof v !== "number" || !Number.isFinite(v)) throw this.fail(`${field} must be a finite number`, field);
    return v;
  }

  integer(field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.fields[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw this.fail(`${field} must be an integer in ${min}..${max}`, field);
    }
    return v;
  }

  hex32(field: string): Hex {
    const v = this.fields[field];
    if (typeof v !== "string" || !HEX32.test(v)) throw this.fail(`${field} must be 0x + 64 lowercase hex`, field);
    return v as Hex;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(line: string, reason: string, cause?: unknown): TrainerError {
  return new TrainerError(
    { code: TrainerErrorCode.MALFORMED_MESSAGE, reason, line },
    cause === undefined ? undefined : { cause },
  );
}

function malformedResult(field: string, reason: string): TrainerError {
  return new TrainerError({ code: TrainerErrorCode.MALFORMED_RESULT, field, reason });
}
