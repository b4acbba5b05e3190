import type { Address, Hex } from "viem";
import { getReceiptDigest, recoverReceiptSigner, type SettlementDomain } from "../protocol/index.js";
import { getUnredeemedValue, MAX_LIST_PAGE, type Store } from "../store/index.js";
import type { LaneState, LaneView, StoredReceipt } from "../validation/index.js";

/**
 * Validation's {@link LaneView} over the level store (docs/validation.md): a lane's state from the `lanes` bucket, a
 * receipt at a seq from the lane's latest receipt (pending ones included) or its record, and what the payer's
 * stored lanes with a node still owe. Store-agnostic beyond the store's public reads; serves HTTP and gossip alike.
 */
export class StoreLaneView implements LaneView {
  constructor(
    private readonly store: Store,
    private readonly domain: SettlementDomain,
  ) {}

  async getLane(laneKey: Hex): Promise<LaneState | undefined> {
    const lane = await this.store.getLane(laneKey);
    if (lane === undefined || lane.lastSeq === 0n) return undefined;
    const latest = await this.store.getLatestReceipt(laneKey);
    if (latest === undefined) throw new Error(`lane ${laneKey} at seq ${lane.lastSeq} has no latest receipt`);
    return {
      seq: lane.lastSeq,
      cumulative: lane.cumulative,
      receiptDigest: getReceiptDigest(this.domain, latest.receipt),
    };
  }

  async getReceiptAt(laneKey: Hex, seq: bigint): Promise<StoredReceipt | undefined> {
    const latest = await this.store.getLatestReceipt(laneKey);
    if (latest !== undefined && latest.receipt.seq === seq) {
      const pending = /^0x0{64}$/.test(latest.recordId);
      return this.toStored(latest.receipt, latest.receiptSig, pending ? undefined : latest.recordId);
    }
    const lane = await this.store.getLane(laneKey);
    if (lane === undefined || seq > lane.lastSeq) return undefined;
    const [record] = await this.store.getRecordsBySeqRange(laneKey, seq, seq, 1);
    if (record === undefined || record.entry.receipt.seq !== seq) return undefined;
    return this.toStored(record.entry.receipt, record.entry.receiptSig, record.recordId);
  }

  /**
   * Σ `cumulative − collected` over the stored lanes of (payer, node). The lanes bucket is keyed by lane id (a hash),
   * so this scans every lane a page at a time: fine for thousands of lanes; an index by (payer, node) is the next step.
   */
  async unredeemed(payer: Address, node: Address): Promise<bigint> {
    let total = 0n;
    let after: Hex | undefined;
    for (;;) {
      const page = await this.store.lanes.list(MAX_LIST_PAGE, after);
      for (const lane of page) {
        if (lane.payer.toLowerCase() === payer.toLowerCase() && lane.node.toLowerCase() === node.toLowerCase()) {
          total += getUnredeemedValue(lane);
        }
      }
      if (page.length < MAX_LIST_PAGE) return total;
      after = page[page.length - 1]?.laneId;
    }
  }

  private async toStored(
    receipt: StoredReceipt["receipt"],
    signature: Hex,
    recordId: Hex | undefined,
  ): Promise<StoredReceipt> {
    const digest = getReceiptDigest(this.domain, receipt);
    const signer = await recoverReceiptSigner(this.domain, receipt, signature);
    return recordId === undefined
      ? { receipt, signature, digest, signer }
      : { receipt, signature, digest, signer, recordId };
  }
}
