import { Counter, Histogram, type Registry } from "prom-client";

/** The API's counters (prom-client), labels from bounded sets only: routes, status codes, error codes. */
export type ApiMetrics = {
  requests: Counter<"route" | "status">;
  duration: Histogram<"route">;
  receiptsRefused: Counter<"code">;
  inferenceFailed: Counter<"code">;
  recordsPublished: Counter<"result">;
  recordsDropped: Counter<"reason">;
};

/** Registers the API's metrics on `registry`. */
export function createApiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: "olnode_api_requests_total",
      help: "HTTP requests answered, by route and status",
      labelNames: ["route", "status"],
      registers,
    }),
    duration: new Histogram({
      name: "olnode_api_request_duration_seconds",
      help: "Time to answer an HTTP request, inference included",
      labelNames: ["route"],
      buckets: [0.005, 0.05, 0.25, 1, 2.5, 10, 30, 120],
      registers,
    }),
    receiptsRefused: new Counter({
      name: "olnode_api_receipts_refused_total",
      help: "Receipts refused on the HTTP path, by validation code",
      labelNames: ["code"],
      registers,
    }),
    inferenceFailed: new Counter({
      name: "olnode_api_inference_failed_total",
      help: "Paid requests whose inference failed after the receipt was accepted (the seq is consumed)",
      labelNames: ["code"],
      registers,
    }),
    recordsPublished: new Counter({
      name: "olnode_api_records_published_total",
      help: "Records handed to the publisher in /olp/records/1 messages, by result",
      labelNames: ["result"],
      registers,
    }),
    recordsDropped: new Counter({
      name: "olnode_api_records_dropped_total",
      help: "Records not published by the batcher (queue full, too large, closed); they stay in the store",
      labelNames: ["reason"],
      registers,
    }),
  };
}
