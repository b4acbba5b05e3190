import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Hex } from "viem";
import type { Logger } from "../logger/index.js";
import type { ExplorerSource } from "./source.js";
import type { ExplorerRecord } from "./types.js";

/** Options of {@link createExplorerHandler}. */
export type ExplorerHandlerOpts = {
  readonly source: ExplorerSource;
  /** Where the explorer is mounted: `/explorer` serves `/explorer/`, `/explorer/app.js`, `/explorer/api/…`. */
  readonly basePath?: string;
  readonly logger?: Pick<Logger, "warn" | "error">;
};

/** Handles one request; resolves true when it was the explorer's (answered), false to let the caller go on. */
export type ExplorerHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * The app's files, the only ones served: a fixed list, so no request path ever reaches the file system (no `..`,
 * no symlinks, no dotfiles). They are the source files themselves: no build step.
 */
const STATIC_FILES: Readonly<Record<string, string>> = {
  "": "text/html; charset=utf-8",
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "charts.js": "text/javascript; charset=utf-8",
  "format.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

/**
 * Defence in depth against injected markup (dataset URIs and output texts are the attacker's): the app renders text
 * as text nodes, and the browser also refuses inline scripts, inline handlers and anything from elsewhere.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

const RECORD_ID = /^0x[0-9a-fA-F]{64}$/;

/**
 * Builds the explorer's request handler: the static app under `basePath` and JSON under `${basePath}/api/…`, amounts
 * as decimal strings. Mount it in any `node:http` server: `if (await explorer(req, res)) return;`.
 */
export function createExplorerHandler(opts: ExplorerHandlerOpts): ExplorerHandler {
  const basePath = (opts.basePath ?? "/explorer").replace(/\/+$/, "");
  if (basePath !== "" && !basePath.startsWith("/")) {
    throw new Error(`basePath must start with "/", found ${JSON.stringify(opts.basePath)}`);
  }
  const { source, logger } = opts;
  const files = new Map<string, Buffer>();
  const staticDir = new URL("./static/", import.meta.url);

  const api = async (route: string, query: URLSearchParams): Promise<[number, unknown]> => {
    switch (route) {
      case "overview": {
        const s = await source.getSnapshot();
        const revenue = s.redemptions.reduce((sum, r) => sum + r.collected, 0n);
        const inferences = s.redemptions.reduce((sum, r) => sum + (r.toSeq - r.fromSeq), 0n);
        return [
          200,
          {
            chainId: s.chainId,
            blockNumber: s.blockNumber,
            blockTimestamp: s.blockTimestamp,
            contracts: s.contracts,
            params: s.params,
            totals: {
              datanets: s.datanets.length,
              datasets: s.datasets.length,
              duplicateProofs: s.duplicates.length,
              adapters: s.adapters.length,
              versions: s.versions.length,
              activeVersions: s.versions.filter((v) => v.status === "Active").length,
              redemptions: s.redemptions.length,
              inferences,
              revenue,
              burned: s.redemptions.reduce((sum, r) => sum + r.parts.burn, 0n),
              challenges: s.challenges.length,
            },
            epochs: s.epochs,
            hasRecords: source.hasRecords,
            truncated: s.truncated,
          },
        ];
      }
      case "datanets": {
        const s = await source.getSnapshot();
        return [
          200,
          { blockNumber: s.blockNumber, datanets: s.datanets, datasets: s.datasets, duplicates: s.duplicates },
        ];
      }
      case "adapters": {
        const s = await source.getSnapshot();
        return [
          200,
          {
            blockNumber: s.blockNumber,
            blockTimestamp: s.blockTimestamp,
            challengeWindow: s.params.challengeWindow,
            adapters: s.adapters,
            versions: s.versions,
          },
        ];
      }
      case "settlements": {
        const s = await source.getSnapshot();
        return [
          200,
          {
            blockNumber: s.blockNumber,
            split: s.params.split,
            epochLength: s.params.epochLength,
            redemptions: s.redemptions,
            pools: s.pools,
            epochs: s.epochs,
            roots: s.roots,
            claims: s.claims,
          },
        ];
      }
      case "challenges": {
        const s = await source.getSnapshot();
        return [200, { blockNumber: s.blockNumber, challenges: s.challenges }];
      }
      case "attribution":
        return [200, await source.getAttribution()];
      case "records": {
        const after = query.get("after") ?? undefined;
        if (after !== undefined && !RECORD_ID.test(after)) {
          return [400, { error: `after must be a record id (0x and 64 hex digits), found ${JSON.stringify(after)}` }];
        }
        const limitText = query.get("limit") ?? "50";
        const limit = Number(limitText);
        if (!Number.isSafeInteger(limit) || limit < 1) {
          return [400, { error: `limit must be a positive integer, found ${JSON.stringify(limitText)}` }];
        }
        const page = await source.listRecords(after === undefined ? { limit } : { after: after as Hex, limit });
        return [200, { records: page.records.map(recordJson), next: page.next }];
      }
      default: {
        if (route.startsWith("records/")) {
          const id = route.slice("records/".length);
          if (!RECORD_ID.test(id)) {
            return [400, { error: `a record id is 0x and 64 hex digits, found ${JSON.stringify(id.slice(0, 80))}` }];
          }
          const record = await source.getRecord(id.toLowerCase() as Hex);
          return record === undefined ? [404, { error: `no record ${id}` }] : [200, recordJson(record)];
        }
        return [404, { error: `no explorer endpoint ${JSON.stringify(route.slice(0, 80))}` }];
      }
    }
  };

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://explorer.invalid");
    const path = url.pathname;
    if (path !== basePath && !path.startsWith(`${basePath}/`)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, req, 405, "application/json; charset=utf-8", encodeJson({ error: `${req.method} is not allowed` }), {
        allow: "GET, HEAD",
      });
      return true;
    }
    if (path === basePath) {
      // The app's relative URLs need the trailing slash.
      res.writeHead(308, { location: `${basePath}/${url.search}` }).end();
      return true;
    }
    const rest = path.slice(basePath.length + 1);
    if (rest.startsWith("api/")) {
      let status: number;
      let body: unknown;
      try {
        [status, body] = await api(rest.slice(4), url.searchParams);
      } catch (err) {
        logger?.error("explorer request failed", { path: path.slice(0, 200) }, err);
        [status, body] = [503, { error: "the explorer cannot read the chain or the store right now" }];
      }
      send(res, req, status, "application/json; charset=utf-8", encodeJson(body), { "cache-control": "no-store" });
      return true;
    }
    const type = Object.hasOwn(STATIC_FILES, rest) ? STATIC_FILES[rest] : undefined;
    if (type === undefined) {
      send(res, req, 404, "text/plain; charset=utf-8", Buffer.from("not found\n"));
      return true;
    }
    const name = rest === "" ? "index.html" : rest;
    let body = files.get(name);
    if (body === undefined) {
      body = await readFile(new URL(name, staticDir));
      files.set(name, body);
    }
    send(res, req, 200, type, body, { "cache-control": "no-cache" });
    return true;
  };
}

/** The JSON of one record: receipt and record fields, output text, weights and spans. */
function recordJson(r: ExplorerRecord): unknown {
  const { receipt, record, outputText } = r.entry;
  return {
    recordId: r.recordId,
    receivedAt: r.receivedAt,
    receipt,
    record: {
      receiptDigest: record.receiptDigest,
      outputHash: record.outputHash,
      promptTokens: record.promptTokens,
      outputTokens: record.outputTokens,
      weights: record.datasetIds.map((datasetId, i) => ({ datasetId, weightPpm: record.weightsPpm[i] ?? 0 })),
    },
    outputText,
    spans: r.spans,
  };
}

/** JSON with every bigint as a decimal string (STYLE: amounts travel as strings). */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v)));
}

function send(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  type: string,
  body: Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, "content-type": type, "content-length": body.length });
  res.end(req.method === "HEAD" ? undefined : body);
}
