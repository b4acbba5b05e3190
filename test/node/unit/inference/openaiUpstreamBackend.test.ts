import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import {
  InferenceError,
  InferenceErrorCode,
  OpenAIUpstreamBackend,
  TrainerBackend,
} from "../../../../node/src/inference/index.js";
import { builtinModelDir } from "./builtinModel.js";
import { shouldBehaveLikeInferenceBackend } from "./shouldBehaveLikeInferenceBackend.js";

const ADAPTER = "ads-lora";

/**
 * FakeUpstreamServer: a small OpenAI-compatible server (vLLM's routes and shapes) answering with a real
 * TrainerBackend, so the upstream backend is tested over real HTTP against real completions. `failWith` makes the
 * next answers an upstream error.
 */
class FakeUpstreamServer {
  failWith: number | undefined;
  readonly server: Server;

  constructor(private readonly trainer: TrainerBackend) {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (this.failWith !== undefined) return send(this.failWith, { error: { message: "upstream overloaded" } });
      if (req.method === "GET" && req.url === "/v1/models") {
        return send(200, { object: "list", data: [{ id: ADAPTER, object: "model" }] });
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      if (body.model !== ADAPTER)
        return send(404, { error: { message: `The model \`${body.model}\` does not exist.` } });
      const chat = req.url === "/v1/chat/completions";
      try {
        const out = await this.trainer.complete({
          model: "builtin",
          ...(chat ? { messages: body.messages } : { prompt: body.prompt }),
          maxTokens: body.max_tokens,
          temperature: body.temperature,
          seed: body.seed,
        });
        const choice = chat
          ? { index: 0, message: { role: "assistant", content: out.text }, finish_reason: out.finishReason }
          : { index: 0, text: out.text, finish_reason: out.finishReason };
        send(200, {
          choices: [choice],
          usage: { prompt_tokens: out.promptTokens, completion_tokens: out.outputTokens },
        });
      } catch (err) {
        send(400, { error: { message: (err as Error).message } });
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("OpenAIUpstreamBackend", function () {
  this.timeout(60_000);
  let trainer: TrainerBackend;
  let upstream: FakeUpstreamServer;
  let backend: OpenAIUpstreamBackend;
  let baseUrl: string;

  before(async () => {
    trainer = new TrainerBackend({ models: [{ name: "builtin", modelDir: await builtinModelDir() }] });
    upstream = new FakeUpstreamServer(trainer);
    baseUrl = await upstream.listen();
    backend = new OpenAIUpstreamBackend({ baseUrl, timeoutMs: 30_000 });
  });
  after(async () => {
    await backend?.close();
    await upstream?.close();
    await trainer?.close();
  });
  afterEach(() => {
    if (upstream !== undefined) upstream.failWith = undefined;
  });

  shouldBehaveLikeInferenceBackend("OpenAIUpstreamBackend", () => ({ backend, model: ADAPTER }));

  it("maps an upstream 5xx to BACKEND_FAILED with its status and message", async () => {
    upstream.failWith = 503;
    const err = await backend.complete({ model: ADAPTER, prompt: "x", maxTokens: 2, temperature: 0, seed: 0 }).then(
      () => undefined,
      (e: unknown) => e as InferenceError,
    );
    expect(err?.type).to.deep.include({ code: InferenceErrorCode.BACKEND_FAILED, status: 503 });
    expect(err?.message).to.match(/upstream overloaded/);
  });

  it("maps an unreachable upstream to BACKEND_FAILED", async () => {
    const dead = new OpenAIUpstreamBackend({ baseUrl: "http://127.0.0.1:1", models: [ADAPTER] });
    const err = await dead.complete({ model: ADAPTER, prompt: "x", maxTokens: 2, temperature: 0, seed: 0 }).then(
      () => undefined,
      (e: unknown) => e as InferenceError,
    );
    expect(err).to.be.instanceOf(InferenceError);
    expect(err?.code).to.equal(InferenceErrorCode.BACKEND_FAILED);
    expect(err?.message).to.match(/unreachable/);
  });

  it("times out a slow upstream with TIMEOUT", async () => {
    const slow = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const port = (slow.address() as AddressInfo).port;
    const b = new OpenAIUpstreamBackend({ baseUrl: `http://127.0.0.1:${port}`, models: [ADAPTER], timeoutMs: 200 });
    try {
      const err = await b.complete({ model: ADAPTER, prompt: "x", maxTokens: 2, temperature: 0, seed: 0 }).then(
        () => undefined,
        (e: unknown) => e as InferenceError,
      );
      expect(err?.type).to.deep.equal({ code: InferenceErrorCode.TIMEOUT, model: ADAPTER, timeoutMs: 200 });
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});
