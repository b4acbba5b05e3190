import type { MetricsRegister } from "@libp2p/gossipsub/metrics";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { GossipTopicName } from "./topics.js";

/** What became of one gossip message at validation. */
export type GossipOutcome = "accept" | "ignore" | "reject";

/** The short name of a request–response protocol: `records`, `samples` or `checkpoints`. */
export type ReqRespName = "records" | "samples" | "checkpoints";

/** Which side of a request–response exchange we were. */
export type ReqRespDirection = "inbound" | "outbound";

/**
 * The metrics hook of the p2p layer: a minimal interface the node's metrics module implements (or
 * {@link createP2pMetrics} over a prom-client registry). Labels come from bounded sets only: topics, codes, statuses.
 */
export interface P2pMetrics {
  /** One gossip message was validated on `topic`; `code` is the error code, or `ACCEPT`. */
  onGossipValidation(topic: GossipTopicName, outcome: GossipOutcome, code: string): void;
  /** The handler of an accepted message threw (the message was already accepted and forwarded). */
  onGossipHandlerError(topic: GossipTopicName): void;
  /** One request–response exchange ended with `status`: a response status name or a client error code. */
  onReqResp(protocol: ReqRespName, direction: ReqRespDirection, status: string): void;
  /** A discovered peer was not dialled because the most dials were already in flight. */
  onDiscoveryDropped(): void;
  /** Gossipsub's own metrics (mesh, scores, RPC counts, graylist drops), registered on the same registry. */
  readonly gossipsub?: MetricsRegister;
}

/**
 * The p2p metrics on a prom-client registry: `olnode_p2p_gossip_messages_total{topic,result,code}`,
 * `olnode_p2p_gossip_handler_errors_total{topic}`, `olnode_p2p_reqresp_requests_total{protocol,direction,status}`,
 * `olnode_p2p_discovery_dropped_total`, and gossipsub's own `gossipsub_*` metrics.
 */
export function createP2pMetrics(registry: Registry): P2pMetrics {
  const messages = new Counter({
    name: "olnode_p2p_gossip_messages_total",
    help: "Gossip messages validated, by topic, result (accept, ignore, reject) and code",
    labelNames: ["topic", "result", "code"] as const,
    registers: [registry],
  });
  const handlerErrors = new Counter({
    name: "olnode_p2p_gossip_handler_errors_total",
    help: "Accepted gossip messages whose handler threw, by topic",
    labelNames: ["topic"] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: "olnode_p2p_reqresp_requests_total",
    help: "Request-response exchanges, by protocol, direction and final status",
    labelNames: ["protocol", "direction", "status"] as const,
    registers: [registry],
  });
  const discoveryDropped = new Counter({
    name: "olnode_p2p_discovery_dropped_total",
    help: "Discovered peers not dialled because the most dials were already in flight",
    registers: [registry],
  });
  return {
    onGossipValidation: (topic, result, code) => messages.inc({ topic, result, code }),
    onDiscoveryDropped: () => discoveryDropped.inc(),
    onGossipHandlerError: (topic) => handlerErrors.inc({ topic }),
    onReqResp: (protocol, direction, status) => requests.inc({ protocol, direction, status }),
    gossipsub: createGossipsubMetricsRegister(registry),
  };
}

type Labels = Record<string, string | number>;
type LabelConfig = { name: string; help: string; labelNames?: readonly string[] };

/**
 * Gossipsub's `MetricsRegister` over prom-client, as Lodestar passes its registry to gossipsub: gauges (gossipsub
 * counts with gauges), histograms, and avg/min/max as three gauges `<name>_avg`, `<name>_min`, `<name>_max`.
 */
export function createGossipsubMetricsRegister(registry: Registry): MetricsRegister {
  const register = {
    gauge(config: LabelConfig) {
      const collectors: ((metric: unknown) => void)[] = [];
      const gauge: Gauge<string> = new Gauge({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        registers: [registry],
        collect() {
          for (const collect of collectors) collect(wrapper);
        },
      });
      const wrapper = {
        inc(labelsOrValue?: Labels | number, value?: number) {
          if (typeof labelsOrValue === "object") gauge.inc(labelsOrValue, value ?? 1);
          else gauge.inc(labelsOrValue ?? 1);
        },
        set(labelsOrValue: Labels | number, value?: number) {
          if (typeof labelsOrValue === "object") gauge.set(labelsOrValue, value ?? 0);
          else gauge.set(labelsOrValue);
        },
        addCollect(collect: (metric: unknown) => void) {
          collectors.push(collect);
        },
      };
      return wrapper;
    },
    histogram(config: LabelConfig & { buckets?: number[] }) {
      const histogram: Histogram<string> = new Histogram({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        ...(config.buckets === undefined ? {} : { buckets: config.buckets }),
        registers: [registry],
      });
      return {
        startTimer() {
          const end = histogram.startTimer();
          return () => {
            end();
          };
        },
        observe(labelsOrValue: Labels | number, value?: number) {
          if (typeof labelsOrValue === "object") histogram.observe(labelsOrValue, value ?? 0);
          else histogram.observe(labelsOrValue);
        },
        reset() {
          histogram.reset();
        },
      };
    },
    avgMinMax(config: LabelConfig) {
      const stats = (["avg", "min", "max"] as const).map(
        (stat) =>
          new Gauge({
            name: `${config.name}_${stat}`,
            help: `${config.help} (${stat})`,
            labelNames: config.labelNames ?? [],
            registers: [registry],
          }),
      );
      return {
        set(labelsOrValues: Labels | number[], maybeValues?: number[]) {
          const labels = Array.isArray(labelsOrValues) ? {} : labelsOrValues;
          const values = Array.isArray(labelsOrValues) ? labelsOrValues : (maybeValues ?? []);
          if (values.length === 0) return;
          const sum = values.reduce((a, b) => a + b, 0);
          const [avg, min, max] = stats;
          avg?.set(labels, sum / values.length);
          min?.set(labels, Math.min(...values));
          max?.set(labels, Math.max(...values));
        },
      };
    },
  };
  // The register's methods are generic over label types that prom-client checks at run time instead.
  return register as unknown as MetricsRegister;
}
