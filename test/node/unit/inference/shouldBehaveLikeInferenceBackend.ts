import { expect } from "chai";
import { type InferenceBackend, InferenceError, InferenceErrorCode } from "../../../../node/src/inference/index.js";

/** What every inference backend must do, whichever way it computes (STYLE: one suite, two implementations). */
export function shouldBehaveLikeInferenceBackend(
  name: string,
  get: () => { backend: InferenceBackend; model: string },
): void {
  describe(`${name} behaves like an InferenceBackend`, () => {
    it("lists the model it serves", async () => {
      const { backend, model } = get();
      expect(await backend.listModels()).to.include(model);
    });

    it("completes a prompt with the served model's token counts, at most maxTokens", async () => {
      const { backend, model } = get();
      const out = await backend.complete({ model, prompt: "type: coat", maxTokens: 6, temperature: 0, seed: 0 });
      expect(out.text).to.be.a("string");
      expect(out.promptTokens).to.be.greaterThan(0);
      expect(out.outputTokens).to.be.within(1, 7);
      expect(out.finishReason).to.be.oneOf(["stop", "length"]);
    });

    it("is deterministic when greedy: the same request gives the same text", async () => {
      const { backend, model } = get();
      const request = { model, prompt: "colour: red", maxTokens: 5, temperature: 0, seed: 0 };
      const [a, b] = await Promise.all([backend.complete(request), backend.complete(request)]);
      expect(a).to.deep.equal(b);
    });

    it("completes chat messages", async () => {
      const { backend, model } = get();
      const out = await backend.complete({
        model,
        messages: [{ role: "user", content: "Write ad copy." }],
        maxTokens: 4,
        temperature: 0,
        seed: 0,
      });
      expect(out.promptTokens).to.be.greaterThan(0);
      expect(out.outputTokens).to.be.within(1, 5);
    });

    it("refuses a model it does not serve with UNKNOWN_MODEL", async () => {
      const { backend } = get();
      const err = await backend
        .complete({ model: "no-such-adapter", prompt: "x", maxTokens: 2, temperature: 0, seed: 0 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).to.be.instanceOf(InferenceError);
      expect((err as InferenceError).code).to.equal(InferenceErrorCode.UNKNOWN_MODEL);
    });

    it("refuses a bad request with BAD_REQUEST naming the problem", async () => {
      const { backend, model } = get();
      const err = await backend.complete({ model, messages: [], maxTokens: 2, temperature: 0, seed: 0 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(InferenceError);
      expect((err as InferenceError).code).to.equal(InferenceErrorCode.BAD_REQUEST);
      expect((err as Error).message).to.match(/messages/);
    });
  });
}
