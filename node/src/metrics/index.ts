export { MetricsError, MetricsErrorCode, type MetricsErrorType } from "./errors.js";
export {
  createMetricsHandler,
  METRICS_PATH,
  MetricsServer,
  type MetricsServerOptions,
  type RequestHandler,
} from "./http.js";
export {
  Counter,
  Gauge,
  type GaugeOptions,
  Histogram,
  type HistogramOptions,
  type LabelArgs,
  type LabelSpec,
  type LabelValues,
  type MetricOptions,
  Metrics,
  ModuleMetrics,
} from "./metrics.js";
export {
  checkMetricName,
  MAX_LABEL_VALUES,
  METRIC_PREFIX,
  METRIC_UNITS,
  type MetricKind,
  type MetricUnit,
} from "./naming.js";
