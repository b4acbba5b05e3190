import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { createLogger } from "../../../../node/src/logger/index.js";
import { createMetricsHandler, Metrics, MetricsServer } from "../../../../node/src/metrics/index.js";

describe("metrics: HTTP", () => {
  describe("createMetricsHandler", () => {
    let server: Server;
    let base: string;
    let metrics: Metrics;
    const logged: string[] = [];

    beforeEach(async () => {
      metrics = new Metrics({ defaultMetrics: false });
      metrics.forModule("api").counter({ name: "olnode_api_requests_total", help: "requests" }).inc(3);
      const logger = createLogger({
        level: "warn",
        format: "json",
        destination: { write: (l: string) => logged.push(l) },
      });
      const handle = createMetricsHandler(metrics, logger);
      server = createServer((req, res) => void handle(req, res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("answers GET with every metric and Prometheus's content type", async () => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal(metrics.contentType);
      expect(await res.text()).to.contain("olnode_api_requests_total 3");
    });

    it("answers HEAD with the headers only", async () => {
      const res = await fetch(`${base}/metrics`, { method: "HEAD" });
      expect(res.status).to.equal(200);
      expect(Number(res.headers.get("content-length"))).to.be.greaterThan(0);
      expect(await res.text()).to.equal("");
    });

    it("answers other methods with 405 and the allowed ones", async () => {
      const res = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
      expect(res.status).to.equal(405);
      expect(res.headers.get("allow")).to.equal("GET, HEAD");
    });

    it("answers 500 and logs a warning when collection fails", async () => {
      metrics.forModule("store").gauge({
        name: "olnode_store_size_bytes",
        help: "size",
        collect: () => {
          throw new Error("disk gone");
        },
      });
      const res = await fetch(`${base}/metrics`);
      expect(res.status).to.equal(500);
      expect(await res.text()).to.equal("metrics collection failed\n");
      const entry = JSON.parse(logged.at(-1) ?? "{}");
      expect(entry.msg).to.equal("metrics collection failed");
      expect(entry.err.message).to.equal("disk gone");
    });
  });

  describe("MetricsServer", () => {
    it("serves /metrics on the port it bound, 404 elsewhere, and closes", async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.forModule("node").gauge({ name: "olnode_node_up_info", help: "1 while running" }).set(1);
      const server = await MetricsServer.init({ host: "127.0.0.1", port: 0 }, metrics);
      try {
        expect(server.port).to.be.greaterThan(0);
        expect(server.url).to.equal(`http://127.0.0.1:${server.port}/metrics`);
        const res = await fetch(server.url);
        expect(await res.text()).to.contain("olnode_node_up_info 1");
        expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).to.equal(404);
      } finally {
        await server.close();
      }
      let refused = false;
      await fetch(server.url).catch(() => {
        refused = true;
      });
      expect(refused).to.equal(true);
    });

    it("fails to start on a port already taken", async () => {
      const first = await MetricsServer.init({ host: "127.0.0.1", port: 0 }, new Metrics({ defaultMetrics: false }));
      try {
        let error: unknown;
        await MetricsServer.init({ host: "127.0.0.1", port: first.port }, new Metrics({ defaultMetrics: false })).catch(
          (err: unknown) => {
            error = err;
          },
        );
        expect((error as NodeJS.ErrnoException).code).to.equal("EADDRINUSE");
      } finally {
        await first.close();
      }
    });
  });
});
