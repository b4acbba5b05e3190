/**
 * A bounded FIFO that runs its jobs one at a time, in order: accepted gossip messages reach their handler in the order
 * they were accepted (records of a lane arrive in seq order), and a slow handler holds at most `maxLength` messages.
 * The drop policy is the caller's: it checks {@link JobQueue.isFull} before accepting a message, and IGNOREs it when
 * the queue is full.
 */
export class JobQueue {
  private readonly jobs: (() => Promise<void>)[] = [];
  private running: Promise<void> | null = null;
  private pending = 0;

  /**
   * @param maxLength most jobs waiting or running at once
   * @param onError called with whatever a job throws; the queue goes on with the next job
   */
  constructor(
    private readonly maxLength: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Jobs waiting or running. */
  get length(): number {
    return this.pending;
  }

  /** Whether a new job would pass `maxLength`. */
  get isFull(): boolean {
    return this.length >= this.maxLength;
  }

  /** Queues `job`; the caller has checked {@link isFull}. Returns at once. */
  push(job: () => Promise<void>): void {
    this.jobs.push(job);
    this.pending++;
    // Started on a later tick, so `running` is set before `run` can end and clear it.
    if (this.running === null) this.running = Promise.resolve().then(() => this.run());
  }

  /** Resolves when every queued job has run. */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async run(): Promise<void> {
    for (let job = this.jobs.shift(); job !== undefined; job = this.jobs.shift()) {
      try {
        await job();
      } catch (err) {
        this.onError(err);
      }
      this.pending--;
    }
    this.running = null;
  }
}
