import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getEmptyLogger, type Logger } from "../logger/index.js";
import type { Metrics } from "./metrics.js";

/** The path Prometheus scrapes. */
export const METRICS_PATH = "/metrics";

/** A node:http request handler. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The `/metrics` handler: GET (and HEAD) answer every metric in Prometheus's text format; other methods get 405.
 * Routing is the caller's (the api module mounts it at {@link METRICS_PATH}). A failed collection answers 500 with a
 * short message and is logged, never thrown.
 */
export function createMetricsHandler(metrics: Metrics, logger: Logger = getEmptyLogger()): RequestHandler {
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end(`expected GET or HEAD on ${METRICS_PATH}, found ${req.method ?? "no method"}\n`);
      return;
    }
    let text: string;
    try {
      text = await metrics.getText();
    } catch (err) {
      logger.warn("metrics collection failed", {}, err);
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("metrics collection failed\n");
      return;
    }
    res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
    res.end(req.method === "HEAD" ? undefined : text);
  };
}

/** Where the metrics server listens (the config's `metrics.host` and `metrics.port`; port 0 picks a free one). */
export interface MetricsServerOptions {
  readonly host: string;
  readonly port: number;
}

/**
 * A small HTTP server that answers {@link METRICS_PATH} and 404 elsewhere, for `metrics.enabled`. Built with
 * `await MetricsServer.init(...)`, closed with `close()`.
 */
export class MetricsServer {
  /** The bound port (the real one when the config said 0). */
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;

  private constructor(
    private readonly server: Server,
    private readonly logger: Logger,
  ) {
    const { address, family, port } = server.address() as AddressInfo;
    this.port = port;
    this.url = `http://${family === "IPv6" ? `[${address}]` : address}:${port}${METRICS_PATH}`;
  }

  /** Starts listening; resolves once bound. */
  static async init(
    options: MetricsServerOptions,
    metrics: Metrics,
    logger: Logger = getEmptyLogger(),
  ): Promise<MetricsServer> {
    const handle = createMetricsHandler(metrics, logger);
    const server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path === METRICS_PATH) {
        void handle(req, res);
        return;
      }
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`not found: metrics are at ${METRICS_PATH}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const instance = new MetricsServer(server, logger);
    logger.info("metrics server started", { url: instance.url });
    return instance;
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
    this.logger.info("metrics server stopped");
  }
}
