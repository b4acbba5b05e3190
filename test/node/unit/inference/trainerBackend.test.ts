import { expect } from "chai";
import { InferenceError, InferenceErrorCode, TrainerBackend } from "../../../../node/src/inference/index.js";
import { builtinModelDir } from "./builtinModel.js";
import { shouldBehaveLikeInferenceBackend } from "./shouldBehaveLikeInferenceBackend.js";

const MODEL = "builtin";

describe("TrainerBackend", function () {
  this.timeout(60_000);
  let backend: TrainerBackend;

  before(async () => {
    backend = new TrainerBackend({ models: [{ name: MODEL, modelDir: await builtinModelDir() }], maxQueue: 4 });
  });
  after(async () => {
    await backend?.close();
  });

  shouldBehaveLikeInferenceBackend("TrainerBackend", () => ({ backend, model: MODEL }));

  it("fails the pending request of a crashed process clearly, and restarts it for the next", async () => {
    await backend.start();
    const pid = backend.pidOf(MODEL);
    expect(pid).to.be.a("number");
    const pending = backend.complete({ model: MODEL, prompt: "type: coat", maxTokens: 2048, temperature: 0, seed: 0 });
    process.kill(pid as number, "SIGKILL");
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(InferenceError);
    expect((err as InferenceError).code).to.equal(InferenceErrorCode.PROCESS_EXITED);
    expect((err as Error).message).to.match(/exited .*signal SIGKILL.*restarts/);
    const again = await backend.complete({ model: MODEL, prompt: "type: hat", maxTokens: 2, temperature: 0, seed: 0 });
    expect(again.outputTokens).to.be.within(1, 3);
    expect(backend.pidOf(MODEL)).to.not.equal(pid);
  });

  it("bounds its queue: requests beyond maxQueue fail with QUEUE_FULL", async () => {
    const request = { model: MODEL, prompt: "type: coat", maxTokens: 3, temperature: 0, seed: 0 };
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => backend.complete(request)));
    const full = results.filter(
      (r) => r.status === "rejected" && (r.reason as InferenceError).code === InferenceErrorCode.QUEUE_FULL,
    );
    expect(full).to.have.length(2);
    expect(results.filter((r) => r.status === "fulfilled")).to.have.length(4);
  });

  it("fails a process that cannot start with START_FAILED and its stderr", async () => {
    const broken = new TrainerBackend({ models: [{ name: "broken", modelDir: "/nonexistent/model" }] });
    try {
      const err = await broken.complete({ model: "broken", prompt: "x", maxTokens: 1, temperature: 0, seed: 0 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as InferenceError).code).to.equal(InferenceErrorCode.START_FAILED);
    } finally {
      await broken.close();
    }
  });
});
