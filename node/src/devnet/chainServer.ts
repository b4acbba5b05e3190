import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An EIP-1193 provider: Hardhat's in-process EVM (`connection.provider`). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

/** A chain served over JSON-RPC on HTTP. */
export interface ChainServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The largest JSON-RPC request body accepted (a batch of calls); more is answered 413. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** EIP-1474's "execution reverted". */
const REVERT_ERROR_CODE = 3;

type JsonRpcRequest = { readonly jsonrpc?: string; readonly id?: unknown; readonly method?: unknown; params?: unknown };

/**
 * Serves an in-process EVM as JSON-RPC over HTTP on loopback, so the nodes, the CLI and the SDK reach it as they reach
 * any chain, while the devnet keeps Hardhat's connection (ethers, Ignition, time helpers) in process. Hardhat's own
 * `network.createServer` makes a second chain that an in-process Ignition deployment cannot reach without journaling
 * to disk; this serves the devnet's one chain.
 */
export async function serveChain(provider: Eip1193Provider, opts: { host?: string; port?: number } = {}) {
  const host = opts.host ?? "127.0.0.1";
  const server: Server = createServer((req, res) => {
    void readBody(req).then(
      async (text) => {
        const body = await answer(provider, text);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead((err as { status?: number }).status ?? 400, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: String(err) } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const chainServer: ChainServer = {
    url: `http://${host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return chainServer;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("request body too large"), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function answer(provider: Eip1193Provider, text: string): Promise<string> {
  let body: JsonRpcRequest | JsonRpcRequest[];
  try {
    body = JSON.parse(text) as JsonRpcRequest | JsonRpcRequest[];
  } catch {
    return JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
  }
  const one = async (r: JsonRpcRequest): Promise<unknown> => {
    if (typeof r.method !== "string") {
      return { jsonrpc: "2.0", id: r.id ?? null, error: { code: -32600, message: "invalid request" } };
    }
    try {
      const result = await provider.request({ method: r.method, params: r.params ?? [] });
      return { jsonrpc: "2.0", id: r.id ?? null, result: result ?? null };
    } catch (err) {
      const e = err as { code?: unknown; message?: string; data?: unknown };
      const code = typeof e.code === "number" ? e.code : -32603;
      // A revert (code 3) carries its raw return data as `data`, the geth convention viem decodes custom errors from.
      const nested = e.data as { data?: unknown } | undefined;
      const returnData =
        typeof e.data === "string" ? e.data : typeof nested?.data === "string" ? nested.data : undefined;
      const data = code === REVERT_ERROR_CODE ? returnData : e.data;
      return { jsonrpc: "2.0", id: r.id ?? null, error: { code, message: e.message ?? String(err), data } };
    }
  };
  const out = Array.isArray(body) ? await Promise.all(body.map(one)) : await one(body);
  return JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));
}
