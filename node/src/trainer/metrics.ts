import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Outcomes of one trainer command: a bounded label set. */
export type TrainerRunOutcome = "result" | "error" | "aborted";

/** Why the job queue let a job go without running it: a bounded label set. */
export type QueueDropReason = "full" | "closed" | "aborted";

/** The trainer bridge's metrics (prom-client), named `olnode_trainer_<what>_<unit>`. */
export interface TrainerMetrics {
  /** Jobs waiting in the queue (the running one not counted). */
  readonly queueJobs: Gauge<string>;
  /** Jobs refused or dropped by the queue, by reason. */
  readonly queueDropped: Counter<"reason">;
  /** Trainer processes that ended, by command and outcome. */
  readonly runs: Counter<"command" | "outcome">;
  /** Wall time of trainer processes, by command. */
  readonly runSeconds: Histogram<"command">;
}

/** Creates the trainer metrics in `registry`. Call once per registry: prom-client refuses a name twice. */
export function createTrainerMetrics(registry: Registry): TrainerMetrics {
  return {
    queueJobs: new Gauge({
      name: "olnode_trainer_queue_jobs",
      help: "Training jobs waiting in the queue (the running one not counted)",
      registers: [registry],
    }),
    queueDropped: new Counter({
      name: "olnode_trainer_queue_dropped_total",
      help: "Training jobs the queue refused or dropped, by reason (full, closed, aborted)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    runs: new Counter({
      name: "olnode_trainer_runs_total",
      help: "Trainer processes that ended, by command (train, verify) and outcome (result, error, aborted)",
      labelNames: ["command", "outcome"],
      registers: [registry],
    }),
    runSeconds: new Histogram({
      name: "olnode_trainer_run_seconds",
      help: "Wall time of trainer processes, by command",
      labelNames: ["command"],
      buckets: [1, 5, 15, 60, 300, 1800, 7200, 28800],
      registers: [registry],
    }),
  };
}
