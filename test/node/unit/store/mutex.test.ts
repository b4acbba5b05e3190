import { expect } from "chai";
import { StoreErrorCode } from "../../../../node/src/store/index.js";
import { KeyedMutex } from "../../../../node/src/store/mutex.js";

/** A promise and the function that settles it, to hold work open until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("KeyedMutex", () => {
  it("runs work on one key one at a time, in arrival order", async () => {
    const mutex = new KeyedMutex(100);
    const log: string[] = [];
    const first = gate();
    const a = mutex.runExclusive(["lane"], async () => {
      log.push("a start");
      await first.promise;
      log.push("a end");
    });
    const b = mutex.runExclusive(["lane"], async () => {
      log.push("b");
    });
    await Promise.resolve();
    expect(log).to.deep.equal(["a start"]);
    first.open();
    await Promise.all([a, b]);
    expect(log).to.deep.equal(["a start", "a end", "b"]);
  });

  it("runs work on other keys alongside", async () => {
    const mutex = new KeyedMutex(100);
    const held = gate();
    const log: string[] = [];
    const a = mutex.runExclusive(["x"], async () => {
      await held.promise;
      log.push("x");
    });
    await mutex.runExclusive(["y"], async () => {
      log.push("y");
    });
    held.open();
    await a;
    expect(log).to.deep.equal(["y", "x"]);
  });

  it("takes several keys in sorted order, so crossing multi-key work cannot deadlock", async () => {
    const mutex = new KeyedMutex(100);
    const results = await Promise.all([
      mutex.runExclusive(["a", "b"], async () => "ab"),
      mutex.runExclusive(["b", "a"], async () => "ba"),
      mutex.runExclusive(["b", "c", "a"], async () => "bca"),
    ]);
    expect(results).to.deep.equal(["ab", "ba", "bca"]);
  });

  it("releases a key when the work throws", async () => {
    const mutex = new KeyedMutex(100);
    let thrown: unknown;
    try {
      await mutex.runExclusive(["k"], async () => {
        throw new Error("boom");
      });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as Error).message).to.equal("boom");
    expect(await mutex.runExclusive(["k"], async () => 1)).to.equal(1);
    expect(mutex.size).to.equal(0);
  });

  it("refuses work beyond maxPending with QUEUE_FULL and calls onDrop", async () => {
    let drops = 0;
    const mutex = new KeyedMutex(1, () => drops++);
    const held = gate();
    const a = mutex.runExclusive(["k"], () => held.promise);
    let thrown: unknown;
    try {
      await mutex.runExclusive(["other"], async () => undefined);
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { type: unknown }).type).to.deep.equal({ code: StoreErrorCode.QUEUE_FULL, pending: 1, max: 1 });
    expect(drops).to.equal(1);
    held.open();
    await a;
  });
});
