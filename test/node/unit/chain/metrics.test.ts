import { expect } from "chai";
import { createIndexerMetrics, createTxSenderMetrics } from "../../../../node/src/chain/index.js";
import { Metrics } from "../../../../node/src/metrics/index.js";

describe("chain metrics", () => {
  it("registers the indexer's and the sender's metrics under olnode_chain_*, with bounded labels", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const module = metrics.forModule("chain");
    const indexer = createIndexerMetrics(module);
    const sender = createTxSenderMetrics(module);
    indexer.lagBlocks.set(3);
    indexer.reorgs.inc();
    sender.failed.inc({ reason: "reverted" });
    sender.replaced.inc();
    const text = await metrics.getText();
    expect(text).to.contain("olnode_chain_lag_blocks 3");
    expect(text).to.contain("olnode_chain_reorgs_total 1");
    expect(text).to.contain('olnode_chain_tx_failed_total{reason="reverted"} 1');
    expect(text).to.contain("olnode_chain_tx_replaced_total 1");
    expect(text).to.contain("olnode_chain_indexed_blocks");
    expect(text).to.contain("olnode_chain_tx_sent_total");
  });
});
