import { EventEmitter } from "node:events";
import { isTrainProgress, type TrainerEvent } from "./messages.js";

/** Where a run stands, for a progress bar. */
export interface TrainingProgressSnapshot {
  /** `waiting` (nothing heard yet), then the trainer's phase (`load`, `train`, `eval`, …), then `done` or `failed`. */
  readonly phase: string;
  readonly step: number;
  readonly steps: number;
  /** The last step's loss; `undefined` before the first step. */
  readonly loss: number | undefined;
  readonly tokensPerSecond: number | undefined;
  /** Seconds left for the training steps at the rate seen so far; `undefined` until two steps were seen. */
  readonly etaSeconds: number | undefined;
}

/** Options of {@link TrainingProgress}. */
export interface TrainingProgressOptions {
  /** Milliseconds clock (default `performance.now`); tests pass their own. */
  readonly now?: () => number;
}

interface Waiter {
  resolve: (result: IteratorResult<TrainingProgressSnapshot>) => void;
}

/**
 * Follows a run's events ({@link update}, wired to `TrainerRunOptions.onEvent`) and publishes progress snapshots: as
 * `"progress"` events, and as async iterators that a CLI progress bar can `for await`. Bounded: an iterator keeps only
 * the latest snapshot it has not read yet (a slow reader skips steps, never buffers them).
 */
export class TrainingProgress extends EventEmitter<{ progress: [TrainingProgressSnapshot]; end: [] }> {
  private readonly now: () => number;
  private snapshot: TrainingProgressSnapshot = {
    phase: "waiting",
    step: 0,
    steps: 0,
    loss: undefined,
    tokensPerSecond: undefined,
    etaSeconds: undefined,
  };
  private first: { step: number; at: number } | undefined;
  private ended = false;

  constructor(opts: TrainingProgressOptions = {}) {
    super();
    this.now = opts.now ?? (() => performance.now());
  }

  /** The latest snapshot. */
  get current(): TrainingProgressSnapshot {
    return this.snapshot;
  }

  /** Takes one trainer event into account; events other than progress and the final result change nothing. */
  update(event: TrainerEvent): void {
    if (this.ended) return;
    if (isTrainProgress(event)) {
      const at = this.now();
      this.first ??= { step: event.step, at };
      const done = event.step - this.first.step;
      const etaSeconds = done > 0 ? (((at - this.first.at) / done) * (event.steps - event.step)) / 1000 : undefined;
      this.publish({
        phase: "train",
        step: event.step,
        steps: event.steps,
        loss: event.loss,
        tokensPerSecond: event.tokensPerSecond,
        etaSeconds,
      });
    } else if (event.type === "progress" && event.phase !== this.snapshot.phase) {
      this.publish({ ...this.snapshot, phase: event.phase, etaSeconds: undefined });
    } else if (event.type === "result" || event.type === "error") {
      this.publish({ ...this.snapshot, phase: event.type === "result" ? "done" : "failed", etaSeconds: 0 });
      this.end();
    }
  }

  /** Ends every iterator (after the run, or when the caller stops following it). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit("end");
  }

  /** Snapshots from now on, latest first-come: each `next()` gets the newest unread snapshot, or waits for one. */
  [Symbol.asyncIterator](): AsyncIterator<TrainingProgressSnapshot> {
    let unread: TrainingProgressSnapshot | undefined;
    let waiter: Waiter | undefined;
    const onProgress = (snapshot: TrainingProgressSnapshot) => {
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w.resolve({ value: snapshot, done: false });
      } else {
        unread = snapshot; // drop policy: keep only the newest
      }
    };
    const onEnd = () => {
      cleanup();
      waiter?.resolve({ value: undefined, done: true });
      waiter = undefined;
    };
    const cleanup = () => {
      this.off("progress", onProgress);
      this.off("end", onEnd);
    };
    this.on("progress", onProgress);
    this.on("end", onEnd);
    return {
      next: () => {
        if (unread !== undefined) {
          const value = unread;
          unread = undefined;
          return Promise.resolve({ value, done: false });
        }
        if (this.ended) {
          cleanup();
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => {
          waiter = { resolve };
        });
      },
      return: () => {
        cleanup();
        waiter?.resolve({ value: undefined, done: true });
        waiter = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private publish(snapshot: TrainingProgressSnapshot): void {
    this.snapshot = snapshot;
    this.emit("progress", snapshot);
  }
}

/** Options of {@link renderProgressBar}. */
export interface ProgressBarOptions {
  /** Seconds left, shown as `eta m:ss` (or `h:mm:ss`). */
  readonly etaSeconds?: number | undefined;
}

/**
 * A one-line text progress bar: `[=========>          ]  45/400  11%  loss 1.2345  eta 0:32`. Pure; `width` is the
 * number of cells between the brackets (at least 1). A step past `steps` shows as full; a missing or non-finite loss
 * as `loss -`.
 */
export function renderProgressBar(
  step: number,
  steps: number,
  loss: number | undefined,
  width: number,
  options: ProgressBarOptions = {},
): string {
  const cells = Math.max(1, Math.floor(Number.isFinite(width) ? width : 1));
  const total = Math.max(0, Math.floor(Number.isFinite(steps) ? steps : 0));
  const done = Math.min(total, Math.max(0, Math.floor(Number.isFinite(step) ? step : 0)));
  const ratio = total === 0 ? 0 : done / total;
  const filled = Math.floor(ratio * cells);
  const bar =
    filled >= cells
      ? "=".repeat(cells)
      : `${"=".repeat(filled)}${filled > 0 || done > 0 ? ">" : " "}${" ".repeat(cells - filled - 1)}`;
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  const percent = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
  const lossText = loss !== undefined && Number.isFinite(loss) ? loss.toFixed(4) : "-";
  const eta =
    options.etaSeconds !== undefined && Number.isFinite(options.etaSeconds)
      ? `  eta ${formatDuration(options.etaSeconds)}`
      : "";
  return `[${bar}] ${count} ${percent}  loss ${lossText}${eta}`;
}

/** `m:ss`, or `h:mm:ss` from an hour on; negative counts as 0. */
function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
