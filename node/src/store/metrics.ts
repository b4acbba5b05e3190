import { Counter, type Registry } from "prom-client";
import type { StoreMetrics } from "./types.js";

/**
 * The store's counters as prom-client metrics in `registry`, named `olnode_store_<what>_<unit>`. Without a metrics
 * module the store runs with none; with one, pass what this returns as `StoreModules.metrics`.
 */
export function createStoreMetrics(registry: Registry): StoreMetrics {
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] });
  return {
    batchesWritten: counter("olnode_store_batches_written_total", "Atomic batches written to the store (each fsynced)"),
    bytesWritten: counter("olnode_store_written_bytes_total", "Bytes of keys and values in the batches written"),
    entriesAccepted: counter("olnode_store_entries_accepted_total", "Entries newly stored"),
    entriesDuplicate: counter("olnode_store_entries_duplicate_total", "Entries already stored, not written again"),
    equivocationsRecorded: counter("olnode_store_equivocations_recorded_total", "Equivocation evidence newly kept"),
    writesDropped: counter("olnode_store_writes_dropped_total", "Writes refused because too many were waiting"),
  };
}
