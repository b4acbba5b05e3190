import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger/index.js";
import { createExplorerHandler } from "./handler.js";
import type { ExplorerSource } from "./source.js";

/** Options of {@link ExplorerServer}. */
export type ExplorerServerOpts = {
  /** Default 127.0.0.1: the explorer is public data, but who exposes it is the operator's choice. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly basePath?: string;
};

/** A standalone HTTP server for the explorer (devnet, tests); the node's API server mounts the handler instead. */
export class ExplorerServer {
  private constructor(
    private readonly server: Server,
    /** Where the app is, e.g. `http://127.0.0.1:40123/explorer/`. */
    readonly url: string,
  ) {}

  /** Listens and resolves once bound. */
  static async init(
    opts: ExplorerServerOpts,
    modules: { source: ExplorerSource; logger?: Pick<Logger, "warn" | "error"> },
  ): Promise<ExplorerServer> {
    const basePath = opts.basePath ?? "/explorer";
    const handler = createExplorerHandler(
      modules.logger === undefined
        ? { source: modules.source, basePath }
        : { source: modules.source, basePath, logger: modules.logger },
    );
    const server = createServer((req, res) => {
      handler(req, res)
        .then((handled) => {
          if (!handled) res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
        })
        .catch((err: unknown) => {
          modules.logger?.error("explorer server failed a request", {}, err);
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        });
    });
    const host = opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    return new ExplorerServer(server, `http://${shownHost}:${port}${basePath.replace(/\/+$/, "")}/`);
  }

  /** Stops accepting connections and closes idle ones. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}
