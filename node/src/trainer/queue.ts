import { TrainerError, TrainerErrorCode } from "./errors.js";
import { silentLogger, type TrainerLogger } from "./logger.js";
import type { TrainerMetrics } from "./metrics.js";

/** The queue's bound. */
export interface TrainingJobQueueOptions {
  /**
   * Jobs that may wait while one runs. Drop policy: when this many wait, a new job is refused at once with
   * `QUEUE_FULL`; a job already accepted is never dropped for a newer one (it may hold an on-chain commitment that
   * lapses unless trained). An integer ≥ 0.
   */
  readonly maxQueued: number;
}

/** What the queue runs and reports to. */
export interface TrainingJobQueueModules<J, R> {
  /** Runs one job; must stop (reject) soon after `signal` aborts. */
  readonly run: (job: J, signal: AbortSignal) => Promise<R>;
  readonly logger?: TrainerLogger;
  readonly metrics?: TrainerMetrics;
}

/** Per-job options. */
export interface PushOptions {
  /** Aborting removes a waiting job (rejecting it with `ABORTED`) or aborts the running one. */
  readonly signal?: AbortSignal;
}

interface Entry<J, R> {
  readonly job: J;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: R) => void;
  readonly reject: (err: unknown) => void;
  readonly onAbort: () => void;
}

/**
 * Training jobs, one at a time (a run takes the machine's cores and accelerator), in arrival order, with a bounded
 * wait list. Built as `new TrainingJobQueue(opts, modules)`, closed with {@link close}.
 */
export class TrainingJobQueue<J, R> {
  private readonly maxQueued: number;
  private readonly runJob: (job: J, signal: AbortSignal) => Promise<R>;
  private readonly logger: TrainerLogger;
  private readonly metrics: TrainerMetrics | undefined;
  private readonly waiting: Entry<J, R>[] = [];
  private current: { controller: AbortController; done: Promise<void> } | undefined;
  private closed = false;

  constructor(opts: TrainingJobQueueOptions, modules: TrainingJobQueueModules<J, R>) {
    if (!Number.isSafeInteger(opts.maxQueued) || opts.maxQueued < 0) {
      throw new RangeError(`maxQueued must be an integer ≥ 0, found ${opts.maxQueued}`);
    }
    this.maxQueued = opts.maxQueued;
    this.runJob = modules.run;
    this.logger = modules.logger ?? silentLogger;
    this.metrics = modules.metrics;
  }

  /** Jobs waiting (the running one not counted). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a job is running. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /**
   * Accepts a job and returns the promise of its result. Refusal is synchronous, so a dropped job can never go
   * unnoticed as an unobserved rejection.
   *
   * @throws {TrainerError} `QUEUE_FULL` when `maxQueued` jobs wait (the new job is refused, none is dropped);
   * `QUEUE_CLOSED` after {@link close}; `ABORTED` when `signal` already aborted
   */
  push(job: J, options: PushOptions = {}): Promise<R> {
    const { signal } = options;
    if (this.closed) this.refuse(new TrainerError({ code: TrainerErrorCode.QUEUE_CLOSED }), "closed");
    if (signal?.aborted)
      this.refuse(new TrainerError({ code: TrainerErrorCode.ABORTED }, { cause: signal.reason }), "aborted");
    // Bounded: the running job holds no place in the wait list, so an idle queue accepts even with maxQueued 0.
    const wouldWait = this.current !== undefined;
    if (wouldWait && this.waiting.length >= this.maxQueued) {
      this.refuse(new TrainerError({ code: TrainerErrorCode.QUEUE_FULL, maxQueued: this.maxQueued }), "full");
    }
    return new Promise<R>((resolve, reject) => {
      const entry: Entry<J, R> = {
        job,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = this.waiting.indexOf(entry);
          if (index === -1) return; // running: its own signal reaches the run
          this.waiting.splice(index, 1);
          this.updateGauge();
          this.metrics?.queueDropped.inc({ reason: "aborted" });
          reject(new TrainerError({ code: TrainerErrorCode.ABORTED }, { cause: signal?.reason }));
        },
      };
      signal?.addEventListener("abort", entry.onAbort, { once: true });
      this.waiting.push(entry);
      this.updateGauge();
      this.next();
    });
  }

  /**
   * Refuses new jobs, rejects the waiting ones with `QUEUE_CLOSED`, aborts the running one and waits until it has
   * stopped.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.waiting.splice(0)) {
      entry.signal?.removeEventListener("abort", entry.onAbort);
      this.metrics?.queueDropped.inc({ reason: "closed" });
      entry.reject(new TrainerError({ code: TrainerErrorCode.QUEUE_CLOSED }));
    }
    this.updateGauge();
    const current = this.current;
    if (current !== undefined) {
      current.controller.abort(new TrainerError({ code: TrainerErrorCode.QUEUE_CLOSED }));
      await current.done;
    }
  }

  private next(): void {
    if (this.current !== undefined) return;
    const entry = this.waiting.shift();
    if (entry === undefined) return;
    this.updateGauge();
    entry.signal?.removeEventListener("abort", entry.onAbort);
    const controller = new AbortController();
    const signal = entry.signal === undefined ? controller.signal : AbortSignal.any([controller.signal, entry.signal]);
    const done = (async () => {
      try {
        entry.resolve(await this.runJob(entry.job, signal));
      } catch (err) {
        entry.reject(err);
      }
    })().finally(() => {
      this.current = undefined;
      this.next();
    });
    this.current = { controller, done };
  }

  private refuse(err: TrainerError, reason: "full" | "closed" | "aborted"): never {
    this.metrics?.queueDropped.inc({ reason });
    this.logger.warn("training job refused", { reason, queued: this.waiting.length });
    throw err;
  }

  private updateGauge(): void {
    this.metrics?.queueJobs.set(this.waiting.length);
  }
}
