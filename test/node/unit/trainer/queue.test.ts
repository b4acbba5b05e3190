import { expect } from "chai";
import { Registry } from "prom-client";
import { createTrainerMetrics, TrainerErrorCode, TrainingJobQueue } from "../../../../node/src/trainer/index.js";
import { expectRejectedWithCode, expectTrainerError } from "./helpers.js";

/** A job the test finishes by hand, recording when it started and whether it saw an abort. */
class ManualJobs {
  readonly started: string[] = [];
  readonly aborted: string[] = [];
  private readonly pending = new Map<string, { resolve: (v: string) => void; reject: (e: unknown) => void }>();

  run = (job: string, signal: AbortSignal): Promise<string> => {
    this.started.push(job);
    return new Promise<string>((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      signal.addEventListener("abort", () => {
        this.aborted.push(job);
        reject(signal.reason);
      });
    });
  };

  finish(job: string): void {
    this.pending.get(job)?.resolve(`done ${job}`);
  }
}

/** Lets the queue's promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("trainer/TrainingJobQueue (bounded, one job at a time)", () => {
  it("runs jobs one at a time in arrival order", async () => {
    const jobs = new ManualJobs();
    const queue = new TrainingJobQueue<string, string>({ maxQueued: 2 }, { run: jobs.run });
    const a = queue.push("a");
    const b = queue.push("b");
    const c = queue.push("c");
    await settle();
    expect(jobs.started).to.deep.equal(["a"]);
    expect([queue.running, queue.queued]).to.deep.equal([true, 2]);
    jobs.finish("a");
    expect(await a).to.equal("done a");
    await settle();
    expect(jobs.started).to.deep.equal(["a", "b"]);
    jobs.finish("b");
    await b;
    await settle();
    jobs.finish("c");
    expect(await c).to.equal("done c");
    await settle();
    expect([queue.running, queue.queued]).to.deep.equal([false, 0]);
  });

  it("refuses a new job when maxQueued jobs wait, keeping the waiting ones, and counts the drop", async () => {
    const jobs = new ManualJobs();
    const metrics = createTrainerMetrics(new Registry());
    const queue = new TrainingJobQueue<string, string>({ maxQueued: 1 }, { run: jobs.run, metrics });
    const a = queue.push("a");
    const b = queue.push("b");
    expectTrainerError(() => queue.push("c"), TrainerErrorCode.QUEUE_FULL, { maxQueued: 1 });
    expect(queue.queued).to.equal(1);
    expect((await metrics.queueDropped.get()).values).to.deep.include({ labels: { reason: "full" }, value: 1 });
    expect((await metrics.queueJobs.get()).values[0]?.value).to.equal(1);
    jobs.finish("a");
    await a;
    await settle();
    jobs.finish("b");
    expect(await b).to.equal("done b");
    expect(jobs.started).to.deep.equal(["a", "b"]);
  });

  it("accepts one running job with maxQueued 0 and refuses the next", async () => {
    const jobs = new ManualJobs();
    const queue = new TrainingJobQueue<string, string>({ maxQueued: 0 }, { run: jobs.run });
    const a = queue.push("a");
    expectTrainerError(() => queue.push("b"), TrainerErrorCode.QUEUE_FULL, { maxQueued: 0 });
    jobs.finish("a");
    expect(await a).to.equal("done a");
    expect(() => new TrainingJobQueue({ maxQueued: -1 }, { run: jobs.run })).to.throw(RangeError);
  });

  it("removes a waiting job whose signal aborts, and aborts the running job through its signal", async () => {
    const jobs = new ManualJobs();
    const queue = new TrainingJobQueue<string, string>({ maxQueued: 2 }, { run: jobs.run });
    const runningController = new AbortController();
    const waitingController = new AbortController();
    const a = queue.push("a", { signal: runningController.signal });
    const b = queue.push("b", { signal: waitingController.signal });
    const c = queue.push("c");
    waitingController.abort();
    await expectRejectedWithCode(b, TrainerErrorCode.ABORTED);
    expect(queue.queued).to.equal(1);
    runningController.abort(new Error("stop a"));
    let aError: unknown;
    await a.catch((err) => {
      aError = err;
    });
    expect((aError as Error).message).to.equal("stop a");
    await settle();
    expect(jobs.started).to.deep.equal(["a", "c"]);
    jobs.finish("c");
    await c;
  });

  it("on close refuses new jobs, rejects the waiting ones and aborts the running one", async () => {
    const jobs = new ManualJobs();
    const queue = new TrainingJobQueue<string, string>({ maxQueued: 2 }, { run: jobs.run });
    const a = queue.push("a").catch((err: unknown) => err);
    const b = queue.push("b");
    const closing = queue.close();
    await expectRejectedWithCode(b, TrainerErrorCode.QUEUE_CLOSED);
    await closing;
    expect(jobs.aborted).to.deep.equal(["a"]);
    expect(await a).to.have.nested.property("type.code", TrainerErrorCode.QUEUE_CLOSED);
    expectTrainerError(() => queue.push("d"), TrainerErrorCode.QUEUE_CLOSED);
    expect(jobs.started).to.deep.equal(["a"]);
  });
});
