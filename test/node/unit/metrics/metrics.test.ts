import { expect } from "chai";
import {
  checkMetricName,
  type LabelSpec,
  MAX_LABEL_VALUES,
  Metrics,
  MetricsError,
  MetricsErrorCode,
} from "../../../../node/src/metrics/index.js";

function expectMetricsError(
  fn: () => unknown,
  code: MetricsErrorCode,
  context: Record<string, unknown> = {},
): MetricsError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a MetricsError").to.be.instanceOf(MetricsError);
  expect((thrown as MetricsError).type).to.deep.include({ code, ...context });
  return thrown as MetricsError;
}

describe("metrics: naming rule olnode_<module>_<what>_<unit>", () => {
  it("accepts names that follow it", () => {
    checkMetricName("olnode_p2p_messages_validated_total", "p2p", "counter");
    checkMetricName("olnode_store_batch_write_seconds", "store", "histogram");
    checkMetricName("olnode_settle_unredeemed_wei", "settle", "gauge");
    checkMetricName("olnode_api_response_bytes", "api", "histogram");
    checkMetricName("olnode_chain_head_lag_blocks", "chain", "gauge");
    checkMetricName("olnode_p2p_v2_peers", "p2p", "gauge");
  });

  const bad: [string, string, string, "counter" | "gauge" | "histogram", RegExp][] = [
    ["another prefix", "lodestar_p2p_messages_total", "p2p", "counter", /starting with olnode_p2p_/],
    ["another module's prefix", "olnode_store_messages_total", "p2p", "counter", /starting with olnode_p2p_/],
    ["no what", "olnode_p2p_total", "p2p", "counter", /a what and a unit/],
    ["no unit", "olnode_p2p_messages_validated", "p2p", "counter", /unit from .* found validated/],
    ["an unknown unit", "olnode_p2p_latency_ms", "p2p", "histogram", /found ms/],
    ["upper case", "olnode_p2p_Messages_total", "p2p", "counter", /lower-case words/],
    ["a double underscore", "olnode_p2p_messages__total", "p2p", "counter", /lower-case words/],
    ["a counter without _total", "olnode_p2p_messages_seconds", "p2p", "counter", /counter to end in _total/],
    ["_total on a gauge", "olnode_p2p_peers_total", "p2p", "gauge", /_total on counters only/],
  ];
  for (const [what, name, module, kind, problem] of bad) {
    it(`rejects ${what}: ${name}`, () => {
      const err = expectMetricsError(() => checkMetricName(name, module, kind), MetricsErrorCode.INVALID_NAME, {
        name,
      });
      expect(err.message).to.match(problem);
    });
  }

  it("rejects a bad name at creation, before anything is registered", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const p2p = metrics.forModule("p2p");
    expectMetricsError(() => p2p.counter({ name: "olnode_p2p_messages", help: "x" }), MetricsErrorCode.INVALID_NAME);
    expect(await metrics.getText()).to.equal("\n");
  });

  it("rejects a module name that is not lower-case letters and digits", () => {
    const metrics = new Metrics({ defaultMetrics: false });
    expectMetricsError(() => metrics.forModule("P2P"), MetricsErrorCode.INVALID_MODULE, { module: "P2P" });
    expectMetricsError(() => metrics.forModule("p2p_gossip"), MetricsErrorCode.INVALID_MODULE);
  });

  it("rejects a name registered twice", () => {
    const p2p = new Metrics({ defaultMetrics: false }).forModule("p2p");
    p2p.gauge({ name: "olnode_p2p_connected_peers", help: "peers" });
    expectMetricsError(
      () => p2p.gauge({ name: "olnode_p2p_connected_peers", help: "peers" }),
      MetricsErrorCode.DUPLICATE_NAME,
      { name: "olnode_p2p_connected_peers" },
    );
  });
});

describe("metrics: labels are bounded", () => {
  const p2p = () => new Metrics({ defaultMetrics: false }).forModule("p2p");

  it("rejects a label without a list of allowed values", () => {
    const unbounded = { peer: "any" } as unknown as LabelSpec;
    expectMetricsError(
      () => p2p().counter({ name: "olnode_p2p_messages_total", help: "x", labels: unbounded }),
      MetricsErrorCode.INVALID_LABEL,
      { label: "peer", problem: "expected a list of allowed values (labels must be bounded)" },
    );
  });

  it(`rejects more than ${MAX_LABEL_VALUES} allowed values, an empty list, repeats and bad or reserved names`, () => {
    const many = Array.from({ length: MAX_LABEL_VALUES + 1 }, (_, i) => `v${i}`);
    expectMetricsError(
      () => p2p().counter({ name: "olnode_p2p_messages_total", help: "x", labels: { peer: many } }),
      MetricsErrorCode.INVALID_LABEL,
      { label: "peer" },
    );
    expectMetricsError(
      () => p2p().counter({ name: "olnode_p2p_messages_total", help: "x", labels: { topic: [] } }),
      MetricsErrorCode.INVALID_LABEL,
    );
    expectMetricsError(
      () => p2p().counter({ name: "olnode_p2p_messages_total", help: "x", labels: { topic: ["a", "a"] } }),
      MetricsErrorCode.INVALID_LABEL,
    );
    expectMetricsError(
      () => p2p().counter({ name: "olnode_p2p_messages_total", help: "x", labels: { Topic: ["a"] } }),
      MetricsErrorCode.INVALID_LABEL,
    );
    expectMetricsError(
      () => p2p().histogram({ name: "olnode_p2p_delay_seconds", help: "x", buckets: [1], labels: { le: ["a"] } }),
      MetricsErrorCode.INVALID_LABEL,
    );
  });

  it("rejects a label value outside the allowed ones (a peer id, say), a missing label and an extra one", () => {
    const counter = p2p().counter({
      name: "olnode_p2p_messages_validated_total",
      help: "x",
      labels: { topic: ["records", "training"], result: ["accept", "ignore", "reject"] },
    });
    const untrusted = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA" as "records";
    expectMetricsError(
      () => counter.inc({ topic: untrusted, result: "accept" }),
      MetricsErrorCode.LABEL_VALUE_NOT_ALLOWED,
      {
        label: "topic",
        allowed: ["records", "training"],
      },
    );
    expectMetricsError(
      () => counter.inc({ topic: "records" } as { topic: "records"; result: "accept" }),
      MetricsErrorCode.LABEL_VALUE_NOT_ALLOWED,
      { label: "result", value: "undefined" },
    );
    expectMetricsError(
      () => counter.inc({ topic: "records", result: "accept", peer: "x" } as { topic: "records"; result: "accept" }),
      MetricsErrorCode.INVALID_LABEL,
      { label: "peer" },
    );
  });
});

describe("metrics: the registry", () => {
  it("exposes counters, gauges and histograms with their labels in Prometheus's text format", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const p2p = metrics.forModule("p2p");
    const validated = p2p.counter({
      name: "olnode_p2p_messages_validated_total",
      help: "gossip messages validated, by result",
      labels: { result: ["accept", "ignore", "reject"] },
    });
    const peers = p2p.gauge({ name: "olnode_p2p_connected_peers", help: "connected peers" });
    const delay = p2p.histogram({
      name: "olnode_p2p_validation_seconds",
      help: "validation time",
      buckets: [0.01, 0.1],
    });
    validated.inc({ result: "accept" });
    validated.inc({ result: "reject" }, 2);
    peers.set(5);
    peers.inc();
    peers.dec(2);
    delay.observe(0.05);
    const text = await metrics.getText();
    expect(text).to.contain("# HELP olnode_p2p_messages_validated_total gossip messages validated, by result");
    expect(text).to.contain('olnode_p2p_messages_validated_total{result="accept"} 1');
    expect(text).to.contain('olnode_p2p_messages_validated_total{result="reject"} 2');
    expect(text).to.contain("olnode_p2p_connected_peers 4");
    expect(text).to.contain('olnode_p2p_validation_seconds_bucket{le="0.01"} 0');
    expect(text).to.contain('olnode_p2p_validation_seconds_bucket{le="0.1"} 1');
    expect(metrics.contentType).to.match(/^text\/plain/);
  });

  it("computes a gauge's value when scraped", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const queue: number[] = [1, 2, 3];
    metrics.forModule("store").gauge({
      name: "olnode_store_pending_entries",
      help: "writes waiting",
      collect: (gauge) => gauge.set(queue.length),
    });
    expect(await metrics.getText()).to.contain("olnode_store_pending_entries 3");
    queue.push(4);
    expect(await metrics.getText()).to.contain("olnode_store_pending_entries 4");
  });

  it("times with a histogram's timer", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const h = metrics.forModule("api").histogram({
      name: "olnode_api_request_seconds",
      help: "request time",
      buckets: [1],
      labels: { route: ["chat", "completions"] },
    });
    const end = h.startTimer({ route: "chat" });
    expect(end()).to.be.a("number");
    expect(await metrics.getText()).to.contain('olnode_api_request_seconds_count{route="chat"} 1');
  });

  it("collects the process's default metrics under their standard names", async () => {
    const text = await new Metrics().getText();
    expect(text).to.contain("process_cpu_user_seconds_total");
    expect(text).to.contain("nodejs_heap_size_used_bytes");
  });

  it("keeps registries apart: two nodes in one process do not share metrics", async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.forModule("p2p").counter({ name: "olnode_p2p_dials_total", help: "x" }).inc();
    b.forModule("p2p").counter({ name: "olnode_p2p_dials_total", help: "x" });
    expect(await a.getText()).to.contain("olnode_p2p_dials_total 1");
    expect(await b.getText()).to.contain("olnode_p2p_dials_total 0");
  });
});
