import { expect } from "chai";
import { getSecretValues, parseConfig } from "../../../../node/src/config/index.js";
import {
  createLogger,
  getEmptyLogger,
  type LoggerOptions,
  MIN_SECRET_LENGTH,
  REDACTED,
  sanitizeContext,
} from "../../../../node/src/logger/index.js";

const EPOCH_ZERO = () => 0;

/** A logger writing into an array, with the clock at 1970-01-01. */
function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    now: EPOCH_ZERO,
    destination: { write: (line: string) => lines.push(line) },
    ...options,
  });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, entries };
}

describe("logger", () => {
  describe("json format", () => {
    it("writes one JSON object per line: level, time, module, msg, context", () => {
      const { logger, lines, entries } = capture({ module: "node" });
      logger.info("peer connected", { peer: "12D3KooW", count: 3 });
      expect(lines).to.have.length(1);
      expect(lines[0]?.endsWith("\n")).to.equal(true);
      expect(entries()[0]).to.deep.equal({
        level: "info",
        time: "1970-01-01T00:00:00.000Z",
        module: "node",
        msg: "peer connected",
        context: { peer: "12D3KooW", count: 3 },
      });
    });

    it("drops entries below the level", () => {
      const { logger, entries } = capture({ level: "warn" });
      logger.debug("d");
      logger.info("i");
      logger.warn("w");
      logger.error("e");
      expect(entries().map((e) => e.level)).to.deep.equal(["warn", "error"]);
    });

    it("names nested children's modules with /", () => {
      const { logger, entries } = capture();
      const gossip = logger.child("p2p").child("gossip");
      gossip.info("mesh grafted");
      logger.child("store").info("opened");
      expect(entries().map((e) => e.module)).to.deep.equal(["p2p/gossip", "store"]);
    });

    it("writes bigints as decimal strings, bytes as hex, and bounds long arrays", () => {
      const { logger, entries } = capture();
      logger.info("redeemed", {
        collected: 10n ** 30n,
        digest: new Uint8Array([0xde, 0xad]),
        seqs: Array.from({ length: 60 }, (_, i) => i),
      });
      const context = entries()[0]?.context as Record<string, unknown>;
      expect(context.collected).to.equal("1000000000000000000000000000000");
      expect(context.digest).to.equal("0xdead");
      expect(context.seqs).to.have.length(51);
      expect((context.seqs as unknown[])[50]).to.equal("…10 more");
    });

    it("survives a cyclic context", () => {
      const { logger, entries } = capture();
      const cyclic: Record<string, unknown> = { name: "a" };
      cyclic.self = cyclic;
      logger.info("cyclic", { cyclic });
      expect(JSON.stringify(entries()[0])).to.contain("[…]");
    });

    it("serializes errors with their Lodestar-shaped type and their causes", () => {
      const { logger, entries } = capture();
      const cause = new Error("socket hang up");
      const err = Object.assign(new Error("redeem failed", { cause }), {
        type: { code: "SETTLE_ERROR_REVERTED", lane: 3n },
      });
      logger.error("redeem failed", { lane: 3 }, err);
      const logged = entries()[0]?.err as Record<string, unknown>;
      expect(logged.name).to.equal("Error");
      expect(logged.message).to.equal("redeem failed");
      expect(logged.type).to.deep.equal({ code: "SETTLE_ERROR_REVERTED", lane: "3" });
      expect(logged.causes).to.deep.equal(["Error: socket hang up"]);
      expect(String(logged.stack)).to.contain("redeem failed");
    });

    it("logs a thrown non-error by its text", () => {
      const { logger, entries } = capture();
      logger.warn("odd throw", {}, "a string");
      expect(entries()[0]?.err).to.deep.equal({ name: "string", message: "a string" });
    });
  });

  describe("pretty format", () => {
    it("writes a readable line: time, level, module, message, key=value pairs", () => {
      const { logger, lines } = capture({ format: "pretty", module: "p2p" });
      logger.info("peer connected", { peer: "12D3KooW", count: 3, reason: "two words" });
      expect(lines[0]).to.equal(
        '1970-01-01 00:00:00.000 INFO  [p2p] peer connected peer=12D3KooW, count=3, reason="two words"\n',
      );
    });

    it("puts a warning's error on its line and an error's stack below", () => {
      const { logger, lines } = capture({ format: "pretty" });
      logger.warn("retrying", {}, new TypeError("fetch failed"));
      expect(lines[0]).to.equal("1970-01-01 00:00:00.000 WARN  retrying - TypeError: fetch failed\n");
      logger.error("gave up", {}, new TypeError("fetch failed"));
      const [head, stackHead] = (lines[1] ?? "").split("\n");
      expect(head).to.equal("1970-01-01 00:00:00.000 ERROR gave up");
      expect(stackHead).to.equal("  TypeError: fetch failed");
    });
  });

  describe("never logs secrets", () => {
    const rpcUrl = "https://eth.example.io/v3/0123456789abcdef0123456789abcdef";
    const config = parseConfig({
      env: {
        OLNODE_CHAIN_RPC_URL: rpcUrl,
        OLNODE_INFERENCE_UPSTREAM_API_KEY: "sk-upstream-0123456789",
        OLNODE_KEYS_OPERATOR_KEY_FILE: "/secrets/operator-key.json",
      },
    });
    const secrets = getSecretValues(config);

    for (const format of ["json", "pretty"] as const) {
      it(`${format}: scrubs the config's secret values from messages, innocent keys, errors and stacks`, () => {
        const { logger, lines } = capture({ format, secrets });
        logger.info(`connecting to ${rpcUrl}`, {
          endpoint: rpcUrl,
          nested: { deeper: [`key ${"sk-upstream-0123456789"}`] },
        });
        logger.error("rpc failed", { file: "/secrets/operator-key.json" }, new Error(`request to ${rpcUrl} failed`));
        const text = lines.join("");
        for (const secret of secrets) expect(text).not.to.contain(secret);
        expect(text).to.contain(REDACTED);
        expect(text).to.contain("rpc failed");
      });
    }

    it("scrubs a secret that JSON escapes (quotes, backslashes)", () => {
      const secret = 'pa"ss\\word-123';
      const { logger, lines } = capture({ secrets: [secret] });
      logger.info("login", { value: secret });
      expect(lines[0]).not.to.contain(JSON.stringify(secret).slice(1, -1));
      expect(lines[0]).to.contain(REDACTED);
    });

    it("redacts values under secret key names at any depth, even without the secrets list", () => {
      const { logger, lines } = capture();
      logger.info("config", {
        chain: { rpcUrl },
        keys: { operatorKeyFile: "/secrets/op.json" },
        signer: { privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" },
        inference: { upstreamApiKey: "sk-abc" },
        headers: { Authorization: "Bearer abc" },
        payer: "0x0000000000000000000000000000000000000001",
      });
      const context = JSON.parse(lines[0] ?? "").context;
      expect(context.chain.rpcUrl).to.equal(REDACTED);
      expect(context.keys.operatorKeyFile).to.equal(REDACTED);
      expect(context.signer.privateKey).to.equal(REDACTED);
      expect(context.inference.upstreamApiKey).to.equal(REDACTED);
      expect(context.headers.Authorization).to.equal(REDACTED);
      expect(context.payer).to.equal("0x0000000000000000000000000000000000000001");
    });

    it("logging the whole parsed config leaks none of its secrets", () => {
      const { logger, lines } = capture();
      logger.info("starting", { config });
      for (const secret of secrets) expect(lines[0]).not.to.contain(secret);
    });

    it(`leaves secrets shorter than ${MIN_SECRET_LENGTH} characters alone (they would mangle ordinary text)`, () => {
      const { logger, lines } = capture({ secrets: ["abc"] });
      logger.info("abcdef");
      expect(JSON.parse(lines[0] ?? "").msg).to.equal("abcdef");
    });
  });

  it("sanitizeContext keeps plain values and turns class instances into their text", () => {
    class PeerIdLike {
      toString() {
        return "12D3KooWpeer";
      }
    }
    expect(
      sanitizeContext({ a: 1, b: true, c: null, d: undefined, p: new PeerIdLike(), t: new Date(0) }),
    ).to.deep.equal({
      a: 1,
      b: true,
      c: null,
      d: null,
      p: "12D3KooWpeer",
      t: "1970-01-01T00:00:00.000Z",
    });
  });

  it("getEmptyLogger drops everything, children included", () => {
    const logger = getEmptyLogger();
    expect(() => logger.child("x").error("nothing", {}, new Error("e"))).not.to.throw();
  });
});
