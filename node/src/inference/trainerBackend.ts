import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { DEFAULT_PYTHON, DEFAULT_TRAINER_DIR, LineDecoder } from "../trainer/index.js";
import { InferenceError, InferenceErrorCode } from "./errors.js";
import type { Completion, CompletionRequest, InferenceBackend, InferenceLogger } from "./types.js";

/** Default most requests queued per model (sent to the process and not yet answered). */
export const DEFAULT_TRAINER_MAX_QUEUE = 32;
/** Default time for one request, queueing included; a small CPU model answers 128 tokens in a few seconds. */
export const DEFAULT_TRAINER_REQUEST_TIMEOUT_MS = 120_000;
/** Default time for the process to load its model and say it is ready. */
export const DEFAULT_TRAINER_START_TIMEOUT_MS = 60_000;
/** Longest stdout line accepted from the process (one result). */
const MAX_LINE_BYTES = 4 << 20;
/** stderr kept for error messages (the tail). */
const STDERR_TAIL_BYTES = 4096;

/** One model the trainer serves: a model folder and, optionally, an adapter folder trained on it. */
export type TrainerModel = {
  /** The name requests use (the API maps an adapter version to it). */
  name: string;
  /** `--model`: the base model folder. */
  modelDir: string;
  /** `--adapter`: the adapter folder written by `train` (none: the base model). */
  adapterDir?: string;
};

export type TrainerBackendOptions = {
  models: readonly TrainerModel[];
  /** The Python interpreter (default /usr/bin/python3, the trainer's). */
  python?: string;
  /** The trainer's folder, the process's working directory (default the repository's `trainer/`). */
  trainerDir?: string;
  /** Most requests per model sent and not answered; more fail with QUEUE_FULL. */
  maxQueue?: number;
  requestTimeoutMs?: number;
  startTimeoutMs?: number;
};

export type TrainerBackendModules = { logger?: InferenceLogger };

type Pending = {
  id: number;
  resolve(completion: Completion): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  onAbort?: () => void;
  signal?: AbortSignal;
};

/**
 * Runs the trainer's own generator (`python3 -m olp_trainer generate --model … [--adapter …]`), one serve process per
 * model, speaking JSON lines over stdin/stdout (docs/inference.md). A process starts on its model's first request and
 * serves requests in order; at most `maxQueue` wait per model. A process that exits fails its pending requests with
 * PROCESS_EXITED and is started afresh by the next request; a request that times out kills its process (it would keep
 * computing an answer nobody waits for), failing the requests queued behind it too; so does an aborted request.
 */
export class TrainerBackend implements InferenceBackend {
  private readonly models: Map<string, ModelProcess>;
  private closed = false;

  constructor(
    opts: TrainerBackendOptions,
    private readonly modules: TrainerBackendModules = {},
  ) {
    this.models = new Map();
    for (const model of opts.models) {
      if (this.models.has(model.name)) throw new Error(`model name ${model.name} is given twice`);
      this.models.set(model.name, new ModelProcess(model, opts, modules));
    }
  }

  async listModels(): Promise<string[]> {
    return [...this.models.keys()];
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    if (this.closed) throw new InferenceError({ code: InferenceErrorCode.CLOSED });
    const process = this.models.get(request.model);
    if (process === undefined) {
      throw new InferenceError({
        code: InferenceErrorCode.UNKNOWN_MODEL,
        model: request.model,
        served: [...this.models.keys()],
      });
    }
    return process.complete(request);
  }

  /** Starts every model's process now rather than on its first request; resolves when all are ready. */
  async start(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.ensureStarted()));
  }

  /** The pid of a model's running process (tests kill it to act out a crash). */
  pidOf(model: string): number | undefined {
    return this.models.get(model)?.pid;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.models.values()].map((m) => m.close()));
    this.modules.logger?.info("Trainer backend closed");
  }
}

/** One model's serve process and its queue. */
class ModelProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private starting: Promise<ChildProcessWithoutNullStreams> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private queued = 0;
  private stderrTail = "";
  private closed = false;

  constructor(
    private readonly model: TrainerModel,
    private readonly opts: TrainerBackendOptions,
    private readonly modules: TrainerBackendModules,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const maxQueue = this.opts.maxQueue ?? DEFAULT_TRAINER_MAX_QUEUE;
    // Counted before the first await, so a burst cannot pass the bound while the process starts.
    if (this.queued >= maxQueue) {
      throw new InferenceError({ code: InferenceErrorCode.QUEUE_FULL, model: this.model.name, maxQueue });
    }
    this.queued++;
    try {
      return await this.send(request);
    } finally {
      this.queued--;
    }
  }

  private async send(request: CompletionRequest): Promise<Completion> {
    if (request.signal?.aborted) throw new InferenceError({ code: InferenceErrorCode.ABORTED, model: this.model.name });
    const child = await this.ensureStarted();
    const id = this.nextId++;
    const line = JSON.stringify({
      id,
      ...(request.messages !== undefined ? { messages: request.messages } : { prompt: request.prompt ?? "" }),
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      seed: request.seed,
    });
    const timeoutMs = this.opts.requestTimeoutMs ?? DEFAULT_TRAINER_REQUEST_TIMEOUT_MS;
    return new Promise<Completion>((resolve, reject) => {
      const entry: Pending = {
        id,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(id, new InferenceError({ code: InferenceErrorCode.TIMEOUT, model: this.model.name, timeoutMs }));
          // The process is still computing the answer nobody waits for: stop it; the next request restarts it.
          this.kill();
        }, timeoutMs),
      };
      if (request.signal !== undefined) {
        entry.signal = request.signal;
        entry.onAbort = () => {
          this.settle(id, new InferenceError({ code: InferenceErrorCode.ABORTED, model: this.model.name }));
          // As for a timeout: stop computing an answer nobody waits for.
          this.kill();
        };
        request.signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      if (this.child !== child) {
        // The process exited between start and send: nothing will answer this id.
        clearTimeout(entry.timer);
        if (entry.onAbort !== undefined) request.signal?.removeEventListener("abort", entry.onAbort);
        reject(
          new InferenceError({
            code: InferenceErrorCode.PROCESS_EXITED,
            model: this.model.name,
            exitCode: child.exitCode,
            signal: child.signalCode,
          }),
        );
        return;
      }
      this.pending.set(id, entry);
      child.stdin.write(`${line}\n`);
    });
  }

  /** The running process, started (and waited for until ready) when there is none. */
  ensureStarted(): Promise<ChildProcessWithoutNullStreams> {
    if (this.closed) return Promise.reject(new InferenceError({ code: InferenceErrorCode.CLOSED }));
    if (this.child !== undefined) return Promise.resolve(this.child);
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.failAll(new InferenceError({ code: InferenceErrorCode.CLOSED }));
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private start(): Promise<ChildProcessWithoutNullStreams> {
    const args = ["-m", "olp_trainer", "generate", "--model", this.model.modelDir];
    if (this.model.adapterDir !== undefined) args.push("--adapter", this.model.adapterDir);
    const child = spawn(this.opts.python ?? DEFAULT_PYTHON, args, {
      cwd: this.opts.trainerDir ?? DEFAULT_TRAINER_DIR,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.stderrTail = "";
    const decoder = new LineDecoder(MAX_LINE_BYTES);
    const timeoutMs = this.opts.startTimeoutMs ?? DEFAULT_TRAINER_START_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let ready = false;
      const fail = (reason: string): void => {
        if (ready) return;
        ready = true;
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new InferenceError({ code: InferenceErrorCode.START_FAILED, model: this.model.name, reason }));
      };
      const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
      child.stderr.on("data", (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
      });
      child.stdin.on("error", () => {
        // EPIPE after a crash: the exit handler fails the pending requests.
      });
      child.on("error", (err) => fail(err.message));
      child.stdout.on("data", (chunk: Buffer) => {
        let lines: string[];
        try {
          lines = decoder.push(chunk);
        } catch (err) {
          this.modules.logger?.error("Generator wrote an unreadable line", { model: this.model.name }, err);
          child.kill("SIGKILL");
          return;
        }
        for (const line of lines) {
          const message = parseLine(line);
          if (message === undefined) continue;
          if (!ready && message.type === "progress" && message.phase === "ready") {
            ready = true;
            clearTimeout(timer);
            this.child = child;
            this.modules.logger?.info("Generator ready", { model: this.model.name, pid: child.pid });
            resolve(child);
          } else if (!ready && message.type === "error") {
            fail(`${String(message.code)}: ${String(message.message)}`);
          } else {
            this.onMessage(message);
          }
        }
      });
      child.on("exit", (exitCode, signal) => {
        if (!ready) fail(`exited with code ${exitCode} before ready: ${this.stderrTail.trim().slice(-500)}`);
        if (this.child === child) this.child = undefined;
        if (!this.closed) {
          this.modules.logger?.warn("Generator exited", { model: this.model.name, exitCode, signal });
        }
        this.failAll(
          new InferenceError({ code: InferenceErrorCode.PROCESS_EXITED, model: this.model.name, exitCode, signal }),
        );
      });
    });
  }

  private onMessage(message: Record<string, unknown>): void {
    const id = typeof message.id === "number" ? message.id : undefined;
    if (message.type === "result" && id !== undefined) {
      const completion = toCompletion(message);
      if (completion === undefined) {
        this.settle(
          id,
          new InferenceError({
            code: InferenceErrorCode.BACKEND_FAILED,
            model: this.model.name,
            reason: "the generator's result lacks text, token counts or finish reason",
          }),
        );
      } else {
        this.settle(id, completion);
      }
    } else if (message.type === "error") {
      const reason = `${String(message.code)}: ${String(message.message)}`;
      const code = message.code === "BAD_REQUEST" ? InferenceErrorCode.BAD_REQUEST : InferenceErrorCode.BACKEND_FAILED;
      const err = new InferenceError({ code, model: this.model.name, reason } as
        | { code: InferenceErrorCode.BAD_REQUEST; model: string; reason: string }
        | { code: InferenceErrorCode.BACKEND_FAILED; model: string; reason: string });
      // An error without an id answers the oldest request (the generator serves in order).
      const target = id ?? this.pending.keys().next().value;
      if (target !== undefined) this.settle(target, err);
    }
  }

  private settle(id: number, outcome: Completion | Error): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener("abort", entry.onAbort);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  private failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, err);
  }

  private kill(): void {
    this.child?.kill("SIGKILL");
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function toCompletion(message: Record<string, unknown>): Completion | undefined {
  const { text, promptTokens, outputTokens, finishReason } = message;
  if (typeof text !== "string" || !Number.isSafeInteger(promptTokens) || !Number.isSafeInteger(outputTokens)) {
    return undefined;
  }
  if (finishReason !== "stop" && finishReason !== "length") return undefined;
  return { text, promptTokens: promptTokens as number, outputTokens: outputTokens as number, finishReason };
}
