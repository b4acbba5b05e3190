import { expect } from "chai";
import { JobQueue } from "../../../../node/src/p2p/jobQueue.js";

describe("p2p/JobQueue: bounded, in order, one at a time", () => {
  it("runs jobs one at a time in the order they were pushed", async () => {
    const log: string[] = [];
    const queue = new JobQueue(10, () => {});
    let running = 0;
    for (const name of ["a", "b", "c"]) {
      queue.push(async () => {
        running++;
        expect(running).to.equal(1);
        log.push(`start ${name}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${name}`);
        running--;
      });
    }
    await queue.drain();
    expect(log).to.deep.equal(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(queue.length).to.equal(0);
  });

  it("is full at maxLength jobs waiting or running, and has room again once they ran", async () => {
    const queue = new JobQueue(2, () => {});
    let release: () => void = () => {};
    queue.push(() => new Promise<void>((resolve) => (release = resolve)));
    expect(queue.isFull).to.equal(false);
    queue.push(async () => {});
    expect(queue.isFull).to.equal(true);
    expect(queue.length).to.equal(2);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await queue.drain();
    expect(queue.isFull).to.equal(false);
  });

  it("hands a failing job's error to onError and goes on with the next job", async () => {
    const errors: unknown[] = [];
    const done: string[] = [];
    const queue = new JobQueue(10, (err) => errors.push(err));
    const failure = new Error("store down");
    queue.push(async () => {
      throw failure;
    });
    queue.push(async () => void done.push("next"));
    await queue.drain();
    expect(errors).to.deep.equal([failure]);
    expect(done).to.deep.equal(["next"]);
  });

  it("drains at once when empty", async () => {
    await new JobQueue(1, () => {}).drain();
  });
});
