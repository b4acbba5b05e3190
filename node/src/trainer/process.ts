import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { TrainerError, TrainerErrorCode } from "./errors.js";
import { LineDecoder } from "./lineDecoder.js";
import { silentLogger, type TrainerLogger } from "./logger.js";
import {
  type ErrorEvent,
  parseTrainerMessage,
  parseTrainResult,
  parseVerifyResult,
  type ResultEvent,
  type TrainerEvent,
  type TrainResult,
  type VerifyResult,
} from "./messages.js";
import type { TrainerMetrics, TrainerRunOutcome } from "./metrics.js";

/** The Python that runs the trainer on these machines (Debian's, with python3-torch). */
export const DEFAULT_PYTHON = "/usr/bin/python3";
/** The trainer package's folder in this repository: `PYTHONPATH` and working directory of the process. */
export const DEFAULT_TRAINER_DIR = fileURLToPath(new URL("../../../trainer", import.meta.url));
/** The longest stdout line accepted: a train result is about 2 KiB, so 1 MiB leaves room and still bounds memory. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
/** Stderr lines kept for the error of a failed run (tracebacks included). */
const STDERR_TAIL_LINES = 40;
/** A stderr line longer than this is cut: logs are for people, and a runaway line must not hold memory. */
const MAX_STDERR_LINE_BYTES = 8 << 10;

/** The trainer's commands (docs/trainer.md): a closed set, so it can label metrics. */
export type TrainerCommand = "train" | "verify" | "eval" | "generate" | "make-model" | "make-data";

/** How the trainer process is started. */
export interface TrainerProcessOptions {
  /** The Python executable (default `/usr/bin/python3`). */
  readonly python?: string;
  /** The folder holding `olp_trainer`: put on `PYTHONPATH` and used as working directory (docs/trainer.md). */
  readonly trainerDir?: string;
  /** The longest stdout line accepted (default 1 MiB): a longer one kills the process. */
  readonly maxLineBytes?: number;
  /** How long an aborted process gets after SIGTERM before SIGKILL (default 5 s). */
  readonly killGraceMs?: number;
}

/** What a {@link TrainerProcess} writes to. */
export interface TrainerProcessModules {
  readonly logger?: TrainerLogger;
  readonly metrics?: TrainerMetrics;
}

/** Per-run options. */
export interface TrainerRunOptions {
  /** Aborting kills the process; the run rejects with `ABORTED` once it is gone. */
  readonly signal?: AbortSignal;
  /** Every protocol message, typed, as it arrives (the result and error included). */
  readonly onEvent?: (event: TrainerEvent) => void;
}

/** Inputs of {@link TrainerProcess.verify}. */
export interface VerifyCommandParameters {
  readonly jobPath: string;
  readonly runDir: string;
  /** k, from 1. */
  readonly segment: number;
  /** The checkpoint root registered on-chain: the chain must build it. */
  readonly root?: Hex;
}

/**
 * Runs `python3 -m olp_trainer <command>` and speaks its JSON-lines protocol (docs/trainer.md "Protocol"): stdout lines
 * become typed events, stderr goes to the logger, the `result` message resolves the run, and an `error` message or a
 * non-zero exit rejects it with a {@link TrainerError}. One child process per run; runs are independent.
 */
export class TrainerProcess {
  private readonly python: string;
  private readonly trainerDir: string;
  private readonly maxLineBytes: number;
  private readonly killGraceMs: number;
  private readonly logger: TrainerLogger;
  private readonly metrics: TrainerMetrics | undefined;

  constructor(opts: TrainerProcessOptions = {}, modules: TrainerProcessModules = {}) {
    this.python = opts.python ?? DEFAULT_PYTHON;
    this.trainerDir = opts.trainerDir ?? DEFAULT_TRAINER_DIR;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.killGraceMs = opts.killGraceMs ?? 5_000;
    this.logger = modules.logger ?? silentLogger;
    this.metrics = modules.metrics;
  }

  /** `train --job <jobPath>`: trains, and resolves with the checked train result. */
  async train(jobPath: string, options: TrainerRunOptions = {}): Promise<TrainResult> {
    const { result } = await this.run("train", ["--job", jobPath], options);
    return parseTrainResult(result);
  }

  /** `verify --job … --run … --segment k [--root …]`: re-runs segment k and resolves with match or mismatch. */
  async verify(p: VerifyCommandParameters, options: TrainerRunOptions = {}): Promise<VerifyResult> {
    const args = ["--job", p.jobPath, "--run", p.runDir, "--segment", String(p.segment)];
    if (p.root !== undefined) args.push("--root", p.root);
    const { result } = await this.run("verify", args, options);
    return parseVerifyResult(result);
  }

  /**
   * Runs one trainer command and resolves with its `result` message.
   *
   * @throws {TrainerError} `PYTHON` (the trainer's `error` message, its code in `pythonCode`), `EXITED`, `NO_RESULT`,
   * `ABORTED`, `SPAWN_FAILED`, `LINE_TOO_LONG` or `MALFORMED_MESSAGE` (both kill the process); and whatever `onEvent`
   * throws, after killing the process
   */
  run(command: TrainerCommand, args: readonly string[], options: TrainerRunOptions = {}): Promise<ResultEvent> {
    const { signal, onEvent } = options;
    if (signal?.aborted) {
      return Promise.reject(new TrainerError({ code: TrainerErrorCode.ABORTED }, { cause: signal.reason }));
    }
    const started = performance.now();
    return new Promise<ResultEvent>((resolve, reject) => {
      const env = { ...process.env, PYTHONPATH: joinPath(this.trainerDir, process.env.PYTHONPATH) };
      const child = spawn(this.python, ["-m", "olp_trainer", command, ...args], {
        cwd: this.trainerDir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const stdout = new LineDecoder(this.maxLineBytes);
      const stderr = new StderrTail(this.logger, command);
      let result: ResultEvent | undefined;
      let pythonError: ErrorEvent | undefined;
      // The first failure the node itself detects (protocol breach, abort, spawn, a throwing onEvent): it wins over
      // what the process says or how it exits.
      let failure: Error | undefined;
      let killTimer: NodeJS.Timeout | undefined;

      const kill = (why: Error) => {
        failure ??= why;
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        killTimer ??= setTimeout(() => child.kill("SIGKILL"), this.killGraceMs);
      };
      const onAbort = () => kill(new TrainerError({ code: TrainerErrorCode.ABORTED }, { cause: signal?.reason }));
      signal?.addEventListener("abort", onAbort, { once: true });

      const handleLine = (line: string) => {
        const event = parseTrainerMessage(line);
        if (event.type === "result") result = event;
        if (event.type === "error") pythonError = event;
        onEvent?.(event);
      };
      const guard = (fn: () => void) => {
        if (failure !== undefined) return;
        try {
          fn();
        } catch (err) {
          kill(err instanceof Error ? err : new Error(String(err)));
        }
      };
      child.stdout.on("data", (chunk: Buffer) => guard(() => stdout.push(chunk).forEach(handleLine)));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      child.on("error", (err) => {
        failure ??= new TrainerError({ code: TrainerErrorCode.SPAWN_FAILED, python: this.python }, { cause: err });
      });
      child.on("close", (exitCode, exitSignal) => {
        clearTimeout(killTimer);
        signal?.removeEventListener("abort", onAbort);
        guard(() => {
          const last = stdout.end();
          if (last !== undefined) handleLine(last);
        });
        const tail = stderr.end();
        const outcome = settle({ command, exitCode, exitSignal, result, pythonError, failure, stderrTail: tail });
        this.metrics?.runs.inc({ command, outcome: outcomeLabel(outcome) });
        this.metrics?.runSeconds.observe({ command }, (performance.now() - started) / 1000);
        if (outcome instanceof Error) {
          this.logger.warn("trainer run failed", { command }, outcome);
          reject(outcome);
        } else {
          resolve(outcome);
        }
      });
    });
  }
}

interface SettleParameters {
  readonly command: TrainerCommand;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly result: ResultEvent | undefined;
  readonly pythonError: ErrorEvent | undefined;
  readonly failure: Error | undefined;
  readonly stderrTail: string[];
}

/** How a finished process ends the run: the node's own failure, then Python's error, then the exit status. */
function settle(p: SettleParameters): ResultEvent | Error {
  if (p.failure !== undefined) return p.failure;
  if (p.pythonError !== undefined) {
    return new TrainerError({
      code: TrainerErrorCode.PYTHON,
      pythonCode: p.pythonError.code,
      reason: p.pythonError.message,
      context: { ...p.pythonError.context },
      exitCode: p.exitCode,
      stderrTail: p.stderrTail,
    });
  }
  if (p.exitCode !== 0) {
    return new TrainerError({
      code: TrainerErrorCode.EXITED,
      exitCode: p.exitCode,
      signal: p.exitSignal,
      stderrTail: p.stderrTail,
    });
  }
  if (p.result === undefined || p.result.command !== p.command) {
    return new TrainerError({ code: TrainerErrorCode.NO_RESULT, stderrTail: p.stderrTail });
  }
  return p.result;
}

function outcomeLabel(outcome: ResultEvent | Error): TrainerRunOutcome {
  if (!(outcome instanceof Error)) return "result";
  return outcome instanceof TrainerError && outcome.type.code === TrainerErrorCode.ABORTED ? "aborted" : "error";
}

/** Forwards stderr lines to the logger (cut to a bound) and keeps the last few for the error of a failed run. */
class StderrTail {
  private readonly lines: string[] = [];
  private partial = "";

  constructor(
    private readonly logger: TrainerLogger,
    private readonly command: string,
  ) {}

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString("utf8");
    const lines = text.split("\n");
    this.partial = cut(lines.pop() ?? "");
    for (const line of lines) this.add(line);
  }

  end(): string[] {
    if (this.partial !== "") this.add(this.partial);
    this.partial = "";
    return [...this.lines];
  }

  private add(raw: string): void {
    const line = cut(raw.replace(/\r$/, ""));
    this.logger.debug("trainer stderr", { command: this.command, line });
    this.lines.push(line);
    if (this.lines.length > STDERR_TAIL_LINES) this.lines.shift();
  }
}

function cut(line: string): string {
  return line.length > MAX_STDERR_LINE_BYTES ? `${line.slice(0, MAX_STDERR_LINE_BYTES)}…` : line;
}

function joinPath(first: string, rest: string | undefined): string {
  return rest === undefined || rest === "" ? first : `${first}:${rest}`;
}
