import type { ModuleMetrics } from "../metrics/index.js";

/** A counter as the chain module uses it; the metrics module's `Counter` fits. */
export type ChainCounter = { inc(value?: number): void };
/** A gauge as the chain module uses it. */
export type ChainGauge = { set(value: number): void };

/** Why a transaction request failed, for `olnode_chain_tx_failed_total{reason}`. */
export const TX_FAILURE_REASONS = ["reverted", "failed", "unavailable", "not_mined", "nonce_taken"] as const;
export type TxFailureReason = (typeof TX_FAILURE_REASONS)[number];

/** The event indexer's metrics. */
export type IndexerMetrics = {
  /** The chain's head as last polled. */
  headBlock: ChainGauge;
  /** The last block written to the store (the cursor). */
  indexedBlock: ChainGauge;
  /** head − indexed block. */
  lagBlocks: ChainGauge;
  /** Block ranges written. */
  rangesIndexed: ChainCounter;
  /** Contract events decoded and applied. */
  eventsIndexed: ChainCounter;
  /** Reorgs detected (each one rewound and re-indexed). */
  reorgs: ChainCounter;
  /** Polls that failed (RPC or store). */
  pollErrors: ChainCounter;
};

/** The transaction sender's metrics. */
export type TxSenderMetrics = {
  /** Distinct signed transactions broadcast (a request's first transaction). */
  sent: ChainCounter;
  /** Replacements broadcast (same nonce, higher fees). */
  replaced: ChainCounter;
  /** Requests that failed, by reason. */
  failed: { inc(labels: { reason: TxFailureReason }): void };
  /** Requests refused because the queue was full. */
  dropped: ChainCounter;
};

/** The indexer's metrics in `metrics` (`olnode_chain_*`). */
export function createIndexerMetrics(metrics: ModuleMetrics): IndexerMetrics {
  return {
    headBlock: metrics.gauge({ name: "olnode_chain_head_blocks", help: "The chain's head block as last polled" }),
    indexedBlock: metrics.gauge({ name: "olnode_chain_indexed_blocks", help: "The last block the indexer wrote" }),
    lagBlocks: metrics.gauge({ name: "olnode_chain_lag_blocks", help: "Blocks between the head and the indexed one" }),
    rangesIndexed: metrics.counter({ name: "olnode_chain_ranges_indexed_total", help: "Block ranges indexed" }),
    eventsIndexed: metrics.counter({ name: "olnode_chain_events_indexed_total", help: "Contract events indexed" }),
    reorgs: metrics.counter({ name: "olnode_chain_reorgs_total", help: "Reorgs detected and re-indexed" }),
    pollErrors: metrics.counter({ name: "olnode_chain_poll_errors_total", help: "Indexer polls that failed" }),
  };
}

/** The transaction sender's metrics in `metrics` (`olnode_chain_tx_*`). */
export function createTxSenderMetrics(metrics: ModuleMetrics): TxSenderMetrics {
  return {
    sent: metrics.counter({ name: "olnode_chain_tx_sent_total", help: "Transactions signed and broadcast" }),
    replaced: metrics.counter({ name: "olnode_chain_tx_replaced_total", help: "Replacements with higher fees" }),
    failed: metrics.counter({
      name: "olnode_chain_tx_failed_total",
      help: "Transaction requests that failed, by reason",
      labels: { reason: TX_FAILURE_REASONS },
    }),
    dropped: metrics.counter({ name: "olnode_chain_tx_dropped_total", help: "Requests refused: queue full" }),
  };
}
