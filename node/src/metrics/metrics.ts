import * as client from "prom-client";
import { MetricsError, MetricsErrorCode } from "./errors.js";
import { checkLabels, checkMetricName, checkModuleName, type MetricKind } from "./naming.js";

/** A metric's labels, each with its allowed values: `{ result: ["accept", "ignore", "reject"] }`. */
export type LabelSpec = Readonly<Record<string, readonly string[]>>;

/** One value per label, from its allowed values (the compiler checks literals; the metric checks the rest). */
export type LabelValues<S extends LabelSpec> = { readonly [K in keyof S]: S[K][number] };

/** A metric call's arguments: the labels first when the metric has any, then `Rest`. */
export type LabelArgs<S extends LabelSpec, Rest extends unknown[]> = [keyof S] extends [never]
  ? Rest
  : [labels: LabelValues<S>, ...Rest];

/** What every metric needs. */
export interface MetricOptions<S extends LabelSpec> {
  /** `olnode_<module>_<what>_<unit>`, checked. */
  readonly name: string;
  readonly help: string;
  readonly labels?: S;
}

/** A gauge may compute its value when scraped (queue lengths, peer counts). */
export interface GaugeOptions<S extends LabelSpec> extends MetricOptions<S> {
  readonly collect?: (gauge: Gauge<S>) => void | Promise<void>;
}

/** A histogram's buckets, in its unit (seconds, bytes). */
export interface HistogramOptions<S extends LabelSpec> extends MetricOptions<S> {
  readonly buckets: readonly number[];
}

/** Checks label values against the allowed ones, and turns call arguments into labels and the rest. */
class Labels<S extends LabelSpec> {
  private readonly allowed: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(
    private readonly name: string,
    spec: S,
  ) {
    this.allowed = new Map(Object.entries(spec).map(([label, values]) => [label, new Set(values)]));
  }

  get names(): string[] {
    return [...this.allowed.keys()];
  }

  /** Splits `args` into checked labels (or `undefined` without labels) and what follows them. */
  split(args: readonly unknown[]): [client.LabelValues<string> | undefined, unknown[]] {
    if (this.allowed.size === 0) return [undefined, [...args]];
    const [labels, ...rest] = args as [Record<string, string>, ...unknown[]];
    for (const [label, values] of this.allowed) {
      const value = labels?.[label];
      if (value === undefined || !values.has(value)) {
        throw new MetricsError({
          code: MetricsErrorCode.LABEL_VALUE_NOT_ALLOWED,
          name: this.name,
          label,
          value: String(value),
          allowed: [...values],
        });
      }
    }
    for (const label of Object.keys(labels)) {
      if (!this.allowed.has(label)) {
        throw new MetricsError({
          code: MetricsErrorCode.INVALID_LABEL,
          name: this.name,
          label,
          problem: `not a label of this metric (${this.names.join(", ")})`,
        });
      }
    }
    return [labels, rest];
  }
}

/** A counter (`…_total`): only goes up. */
export class Counter<S extends LabelSpec = Record<never, never>> {
  /** @internal built by {@link ModuleMetrics.counter} */
  constructor(
    private readonly metric: client.Counter<string>,
    private readonly labels: Labels<S>,
  ) {}

  /** Adds `value` (default 1). */
  inc(...args: LabelArgs<S, [value?: number]>): void {
    const [labels, [value]] = this.labels.split(args);
    if (labels === undefined) this.metric.inc((value as number | undefined) ?? 1);
    else this.metric.inc(labels, (value as number | undefined) ?? 1);
  }
}

/** A gauge: a value that goes up and down. */
export class Gauge<S extends LabelSpec = Record<never, never>> {
  /** @internal built by {@link ModuleMetrics.gauge} */
  constructor(
    private readonly metric: client.Gauge<string>,
    private readonly labels: Labels<S>,
  ) {}

  /** Sets the value. */
  set(...args: LabelArgs<S, [value: number]>): void {
    const [labels, [value]] = this.labels.split(args);
    if (labels === undefined) this.metric.set(value as number);
    else this.metric.set(labels, value as number);
  }

  /** Adds `value` (default 1). */
  inc(...args: LabelArgs<S, [value?: number]>): void {
    const [labels, [value]] = this.labels.split(args);
    if (labels === undefined) this.metric.inc((value as number | undefined) ?? 1);
    else this.metric.inc(labels, (value as number | undefined) ?? 1);
  }

  /** Subtracts `value` (default 1). */
  dec(...args: LabelArgs<S, [value?: number]>): void {
    const [labels, [value]] = this.labels.split(args);
    if (labels === undefined) this.metric.dec((value as number | undefined) ?? 1);
    else this.metric.dec(labels, (value as number | undefined) ?? 1);
  }
}

/** A histogram: a distribution over buckets (durations in seconds, sizes in bytes). */
export class Histogram<S extends LabelSpec = Record<never, never>> {
  /** @internal built by {@link ModuleMetrics.histogram} */
  constructor(
    private readonly metric: client.Histogram<string>,
    private readonly labels: Labels<S>,
  ) {}

  /** Records one observation. */
  observe(...args: LabelArgs<S, [value: number]>): void {
    const [labels, [value]] = this.labels.split(args);
    if (labels === undefined) this.metric.observe(value as number);
    else this.metric.observe(labels, value as number);
  }

  /** Starts a timer; calling what it returns records the seconds elapsed and returns them. */
  startTimer(...args: LabelArgs<S, []>): () => number {
    const [labels] = this.labels.split(args);
    return labels === undefined ? this.metric.startTimer() : this.metric.startTimer(labels);
  }
}

/**
 * The node's metrics: one prom-client `Registry` with the process's default metrics (`process_*`, `nodejs_*`,
 * their standard names, which dashboards expect) and the node's own, created through {@link forModule} so that
 * every name follows `olnode_<module>_<what>_<unit>` and every label is bounded. libp2p's metrics go into the same
 * `registry` (`prometheusMetrics({ registry })`).
 */
export class Metrics {
  /** The prom-client registry behind it (for libp2p's metrics and the HTTP handler). */
  readonly registry: client.Registry;

  /** @param options `defaultMetrics`: collect the process's metrics (default true; tests turn it off) */
  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    this.registry = new client.Registry();
    if (options.defaultMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
  }

  /** A factory for `module`'s metrics, whose names must start with `olnode_<module>_`. */
  forModule(module: string): ModuleMetrics {
    checkModuleName(module);
    return new ModuleMetrics(this.registry, module);
  }

  /** Every metric in Prometheus's text format. */
  async getText(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of {@link getText}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Creates one module's metrics, checking names and labels (see {@link Metrics.forModule}). */
export class ModuleMetrics {
  /** @internal built by {@link Metrics.forModule} */
  constructor(
    private readonly registry: client.Registry,
    readonly module: string,
  ) {}

  /** A counter. @throws {MetricsError} for a bad name, a duplicate or an unbounded label */
  counter<const S extends LabelSpec = Record<never, never>>(options: MetricOptions<S>): Counter<S> {
    const labels = this.check(options, "counter");
    const metric = new client.Counter({ ...this.base(options, labels), registers: [this.registry] });
    return new Counter(metric, labels);
  }

  /** A gauge. @throws {MetricsError} for a bad name, a duplicate or an unbounded label */
  gauge<const S extends LabelSpec = Record<never, never>>(options: GaugeOptions<S>): Gauge<S> {
    const labels = this.check(options, "gauge");
    const collect = options.collect;
    let gauge: Gauge<S> | undefined;
    const metric = new client.Gauge({
      ...this.base(options, labels),
      registers: [this.registry],
      ...(collect === undefined ? {} : { collect: () => collect(gauge as Gauge<S>) }),
    });
    gauge = new Gauge(metric, labels);
    return gauge;
  }

  /** A histogram. @throws {MetricsError} for a bad name, a duplicate or an unbounded label */
  histogram<const S extends LabelSpec = Record<never, never>>(options: HistogramOptions<S>): Histogram<S> {
    const labels = this.check(options, "histogram");
    const metric = new client.Histogram({
      ...this.base(options, labels),
      buckets: [...options.buckets],
      registers: [this.registry],
    });
    return new Histogram(metric, labels);
  }

  private check<S extends LabelSpec>(options: MetricOptions<S>, kind: MetricKind): Labels<S> {
    checkMetricName(options.name, this.module, kind);
    if (this.registry.getSingleMetric(options.name) !== undefined) {
      throw new MetricsError({ code: MetricsErrorCode.DUPLICATE_NAME, name: options.name });
    }
    const spec = options.labels ?? ({} as S);
    checkLabels(options.name, spec);
    return new Labels(options.name, spec);
  }

  private base<S extends LabelSpec>(options: MetricOptions<S>, labels: Labels<S>) {
    return { name: options.name, help: options.help, labelNames: labels.names };
  }
}
