import { MetricsError, MetricsErrorCode } from "./errors.js";

/** Every metric of ours starts with this. */
export const METRIC_PREFIX = "olnode";

/**
 * The units a metric name may end in. Prometheus base units (`seconds`, `bytes`, `ratio`), `total` for counters
 * only, `wei` for money, and the few things the node counts in gauges and histograms. A new unit is added here, on
 * purpose, so that names stay comparable.
 */
export const METRIC_UNITS = [
  "total",
  "seconds",
  "bytes",
  "ratio",
  "wei",
  "blocks",
  "entries",
  "peers",
  "info",
] as const;
export type MetricUnit = (typeof METRIC_UNITS)[number];

/** Most allowed values one label may have: labels multiply series, so each must stay small. */
export const MAX_LABEL_VALUES = 64;

/** Label names Prometheus gives a meaning to. */
const RESERVED_LABELS = new Set(["le", "quantile"]);

const MODULE = /^[a-z][a-z0-9]*$/;
const SEGMENT = /^[a-z][a-z0-9]*$|^[0-9]+$/;
const LABEL_NAME = /^[a-z][a-z0-9_]*$/;

/** A metric kind, for the `_total` rule. */
export type MetricKind = "counter" | "gauge" | "histogram";

/** Checks a module name (`p2p`, `store`). @throws {MetricsError} `INVALID_MODULE` */
export function checkModuleName(module: string): void {
  if (!MODULE.test(module)) throw new MetricsError({ code: MetricsErrorCode.INVALID_MODULE, module });
}

/**
 * Checks `name` against the rule `olnode_<module>_<what>_<unit>`: lower snake case, the module's own prefix, at
 * least one word of what, a unit from {@link METRIC_UNITS}, `_total` on counters and only on counters.
 *
 * @throws {MetricsError} `INVALID_NAME` saying which part is wrong
 */
export function checkMetricName(name: string, module: string, kind: MetricKind): void {
  const fail = (problem: string) => new MetricsError({ code: MetricsErrorCode.INVALID_NAME, name, problem });
  const prefix = `${METRIC_PREFIX}_${module}_`;
  if (!name.startsWith(prefix)) throw fail(`expected olnode_<module>_<what>_<unit> starting with ${prefix}`);
  const parts = name.slice(prefix.length).split("_");
  if (parts.length < 2) throw fail("expected a what and a unit after the module: olnode_<module>_<what>_<unit>");
  if (!parts.every((part) => SEGMENT.test(part)))
    throw fail("expected lower-case words of letters and digits joined by _");
  const unit = parts.at(-1) as string;
  if (!(METRIC_UNITS as readonly string[]).includes(unit)) {
    throw fail(`expected a unit from ${METRIC_UNITS.join(", ")} at the end, found ${unit}`);
  }
  if (kind === "counter" && unit !== "total") throw fail("expected a counter to end in _total");
  if (kind !== "counter" && unit === "total") throw fail(`expected _total on counters only, found it on a ${kind}`);
}

/**
 * Checks a metric's labels: each needs a list of allowed values, non-empty, without repeats, at most
 * {@link MAX_LABEL_VALUES} long, so its series are bounded (never a peer id, a lane or a free text).
 *
 * @throws {MetricsError} `INVALID_LABEL`
 */
export function checkLabels(name: string, labels: Readonly<Record<string, readonly string[]>>): void {
  for (const [label, values] of Object.entries(labels)) {
    const fail = (problem: string) => new MetricsError({ code: MetricsErrorCode.INVALID_LABEL, name, label, problem });
    if (!LABEL_NAME.test(label)) throw fail("expected lower snake case");
    if (RESERVED_LABELS.has(label)) throw fail("reserved by Prometheus");
    if (!Array.isArray(values)) throw fail("expected a list of allowed values (labels must be bounded)");
    if (values.length === 0) throw fail("expected at least one allowed value");
    if (values.length > MAX_LABEL_VALUES) {
      throw fail(
        `expected at most ${MAX_LABEL_VALUES} allowed values, found ${values.length} (unbounded labels explode series)`,
      );
    }
    if (new Set(values).size !== values.length) throw fail("expected each allowed value once");
  }
}
