import { expect } from "chai";
import {
  renderProgressBar,
  type TrainerEvent,
  TrainingProgress,
  type TrainingProgressSnapshot,
} from "../../../../node/src/trainer/index.js";

const step = (n: number, loss = 1.5): TrainerEvent => ({
  type: "progress",
  phase: "train",
  step: n,
  steps: 10,
  loss,
  tokensPerSecond: 100,
});

describe("trainer/renderProgressBar", () => {
  it("draws the done part, the count, the percentage and the loss", () => {
    expect(renderProgressBar(45, 400, 1.23456, 20)).to.equal("[==>                 ]  45/400  11%  loss 1.2346");
    expect(renderProgressBar(0, 400, undefined, 10)).to.equal("[          ]   0/400   0%  loss -");
    expect(renderProgressBar(400, 400, 0.5, 10)).to.equal("[==========] 400/400 100%  loss 0.5000");
    expect(renderProgressBar(1, 400, 6.8, 10)).to.equal("[>         ]   1/400   0%  loss 6.8000");
  });

  it("shows the eta as m:ss, or h:mm:ss from an hour on", () => {
    expect(renderProgressBar(5, 10, 1, 4, { etaSeconds: 32.4 })).to.equal("[==> ]  5/10  50%  loss 1.0000  eta 0:32");
    expect(renderProgressBar(5, 10, 1, 4, { etaSeconds: 3725 })).to.equal(
      "[==> ]  5/10  50%  loss 1.0000  eta 1:02:05",
    );
  });

  it("keeps the bar width whatever the inputs: a step past the end, no steps, a NaN loss, a width below 1", () => {
    expect(renderProgressBar(12, 10, Number.NaN, 5)).to.equal("[=====] 10/10 100%  loss -");
    expect(renderProgressBar(3, 0, 1, 5)).to.equal("[     ] 0/0   0%  loss 1.0000");
    expect(renderProgressBar(1, 2, 1, 0)).to.equal("[>] 1/2  50%  loss 1.0000");
    for (let s = 0; s <= 37; s++) {
      const bar = renderProgressBar(s, 37, 1, 24);
      expect(bar.indexOf("]"), `step ${s}`).to.equal(25);
    }
  });
});

describe("trainer/TrainingProgress", () => {
  it("follows train steps with the loss and an eta from the rate seen so far", () => {
    let now = 0;
    const progress = new TrainingProgress({ now: () => now });
    const seen: TrainingProgressSnapshot[] = [];
    progress.on("progress", (s) => seen.push(s));
    progress.update({ type: "progress", phase: "load", fields: { what: "model" } });
    progress.update(step(1, 6.8));
    now = 2_000;
    progress.update(step(3, 6.2));
    expect(seen.map((s) => s.phase)).to.deep.equal(["load", "train", "train"]);
    expect(seen[1]?.etaSeconds).to.equal(undefined);
    // 2 steps in 2 s, 7 steps left.
    expect(progress.current).to.deep.equal({
      phase: "train",
      step: 3,
      steps: 10,
      loss: 6.2,
      tokensPerSecond: 100,
      etaSeconds: 7,
    });
    progress.update({ type: "metric", name: "train_loss", value: 6.1 });
    expect(seen).to.have.length(3);
  });

  it("ends with the result or the error, and ignores what comes after", () => {
    const progress = new TrainingProgress({ now: () => 0 });
    progress.update(step(10));
    progress.update({ type: "result", command: "train", result: {} });
    expect(progress.current.phase).to.equal("done");
    progress.update(step(1));
    expect(progress.current.step).to.equal(10);
    const failed = new TrainingProgress();
    failed.update({ type: "error", code: "INTERNAL", message: "boom", context: {} });
    expect(failed.current.phase).to.equal("failed");
  });

  it("iterates snapshots, keeping only the newest one a slow reader has not read", async () => {
    const progress = new TrainingProgress({ now: () => 0 });
    const iterator = progress[Symbol.asyncIterator]();
    progress.update(step(1));
    progress.update(step(2));
    progress.update(step(3));
    expect((await iterator.next()).value?.step).to.equal(3);
    const waiting = iterator.next();
    progress.update(step(4));
    expect((await waiting).value?.step).to.equal(4);
    progress.update({ type: "result", command: "train", result: {} });
    expect((await iterator.next()).value?.phase).to.equal("done");
    expect((await iterator.next()).done).to.equal(true);
  });

  it("lets for-await loops end on end()", async () => {
    const progress = new TrainingProgress({ now: () => 0 });
    const steps: number[] = [];
    const loop = (async () => {
      for await (const snapshot of progress) steps.push(snapshot.step);
    })();
    progress.update(step(1));
    await new Promise((resolve) => setImmediate(resolve));
    progress.update(step(2));
    await new Promise((resolve) => setImmediate(resolve));
    progress.end();
    await loop;
    expect(steps).to.deep.equal([1, 2]);
    expect(progress.listenerCount("progress")).to.equal(0);
  });
});
