import type { ModuleMetrics } from "../metrics/index.js";
import type { SettleMetrics } from "./types.js";

/** Settle's counters as `olnode_settle_*_total` metrics of the node's registry (`metrics.forModule("settle")`). */
export function createSettleMetrics(metrics: ModuleMetrics): SettleMetrics {
  const counter = (name: string, help: string) => metrics.counter({ name: `olnode_settle_${name}_total`, help });
  return {
    lanesRedeemed: counter("lanes_redeemed", "Lanes redeemed on-chain by this node's transactions"),
    lanesAlreadyRedeemed: counter(
      "lanes_already_redeemed",
      "Lanes found redeemed on-chain and marked without a transaction",
    ),
    redeemFailures: counter("redeem_failures", "Lane redemptions that failed"),
    rootsPosted: counter("roots_posted", "Attribution roots posted"),
    bondsReleased: counter("bonds_released", "Root bonds released to the operator"),
    withdrawals: counter("withdrawals", "Withdrawals of the operator's credits"),
    poolsAudited: counter("pools_audited", "Pools whose posted root was recomputed"),
    auditMismatches: counter("audit_mismatches", "Audited roots that differ from the recomputation"),
    challengesOpened: counter("challenges_opened", "Attribution-root challenges opened"),
  };
}
