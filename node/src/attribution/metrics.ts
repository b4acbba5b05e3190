import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** How one attribution ended: a bounded label set. */
export type AttributionOutcome = "spans" | "fallback" | "private";

/** The attribution service's metrics (prom-client), named `olnode_attribution_<what>_<unit>`. */
export interface AttributionMetrics {
  /** Attributions done, by outcome (spans found, fell back to the training shares, private). */
  readonly attributions: Counter<"outcome">;
  /** Wall time of one attribution. */
  readonly attributionSeconds: Histogram<string>;
  /** Indexes built from a corpus. */
  readonly indexBuilds: Counter<string>;
  /** Wall time of one index build. */
  readonly indexBuildSeconds: Histogram<string>;
  /** Indexes held in memory. */
  readonly indexesLoaded: Gauge<string>;
  /** Indexes dropped from memory because the cache was full (they stay on disk). */
  readonly indexEvictions: Counter<string>;
}

/** Creates the attribution metrics in `registry`. Call once per registry: prom-client refuses a name twice. */
export function createAttributionMetrics(registry: Registry): AttributionMetrics {
  return {
    attributions: new Counter({
      name: "olnode_attribution_attributions_total",
      help: "Attributions done, by outcome (spans, fallback, private)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    attributionSeconds: new Histogram({
      name: "olnode_attribution_attribution_seconds",
      help: "Wall time of one attribution",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1],
      registers: [registry],
    }),
    indexBuilds: new Counter({
      name: "olnode_attribution_index_builds_total",
      help: "Attribution indexes built from a training corpus",
      registers: [registry],
    }),
    indexBuildSeconds: new Histogram({
      name: "olnode_attribution_index_build_seconds",
      help: "Wall time of one attribution index build",
      buckets: [0.1, 1, 5, 15, 60, 300, 1200],
      registers: [registry],
    }),
    indexesLoaded: new Gauge({
      name: "olnode_attribution_indexes_loaded_entries",
      help: "Attribution indexes held in memory",
      registers: [registry],
    }),
    indexEvictions: new Counter({
      name: "olnode_attribution_index_evictions_total",
      help: "Attribution indexes dropped from memory because the cache was full (kept on disk)",
      registers: [registry],
    }),
  };
}
