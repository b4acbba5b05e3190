import type { Address, Hex } from "viem";
import { getReceiptDigest, recoverStrictSigner, type SettlementDomain } from "../protocol/index.js";
import type { Store } from "../store/index.js";
import type { LaneState, LaneView, StoredReceipt } from "../validation/index.js";

/**
 * Validation's {@link LaneView} over the level store (docs/validation.md): a lane's state from the `lanes` bucket, a
 * receipt at a seq from the lane's latest receipt (pending ones included) or its record, and what the payer's
 * stored lanes with a node still owe, from the store's `owed` totals. Store-agnostic beyond the store's public reads;
 * serves HTTP and gossip alike.
 */
export class StoreLaneView implements LaneView {
  constructor(
    private readonly store: Store,
    private readonly domain: SettlementDomain,
  ) {}

  /** The lane's seq and cumulative, and the digest of its latest receipt as stored with it (hashed only when absent). */
  async getLane(laneKey: Hex): Promise<LaneState | undefined> {
    const lane = await this.store.getLane(laneKey);
    if (lane === undefined || lane.lastSeq === 0n) return undefined;
    const latest = await this.store.getLatestReceipt(laneKey);
    if (latest === undefined) throw new Error(`lane ${laneKey} at seq ${lane.lastSeq} has no latest receipt`);
    return {
      seq: lane.lastSeq,
      cumulative: lane.cumulative,
      receiptDigest: latest.receiptDigest ?? getReceiptDigest(this.domain, latest.receipt),
    };
  }

  /**
   * The receipt at `seq`: the latest with the digest and signer stored with it (each computed only when absent, on
   * values written before schema 2 or without a signer given), or an older one from its record, whose
   * `receiptDigest` the store checked is the receipt's digest, so only the signer is recovered.
   */
  async getReceiptAt(laneKey: Hex, seq: bigint): Promise<StoredReceipt | undefined> {
    const latest = await this.store.getLatestReceipt(laneKey);
    if (latest !== undefined && latest.receipt.seq === seq) {
      const pending = /^0x0{64}$/.test(latest.recordId);
      const digest = latest.receiptDigest ?? getReceiptDigest(this.domain, latest.receipt);
      const signer = latest.signer ?? (await recoverStrictSigner(digest, latest.receiptSig));
      return toStored(latest.receipt, latest.receiptSig, digest, signer, pending ? undefined : latest.recordId);
    }
    const lane = await this.store.getLane(laneKey);
    if (lane === undefined || seq > lane.lastSeq) return undefined;
    const [record] = await this.store.getRecordsBySeqRange(laneKey, seq, seq, 1);
    if (record === undefined || record.entry.receipt.seq !== seq) return undefined;
    const { receipt, receiptSig } = record.entry;
    const digest = record.entry.record.receiptDigest;
    return toStored(receipt, receiptSig, digest, await recoverStrictSigner(digest, receiptSig), record.recordId);
  }

  /** Σ `cumulative − collected` over the stored lanes of (payer, node): one read of the store's `owed` totals. */
  async unredeemed(payer: Address, node: Address): Promise<bigint> {
    return this.store.getOwed(payer, node);
  }
}

function toStored(
  receipt: StoredReceipt["receipt"],
  signature: Hex,
  digest: Hex,
  signer: Address,
  recordId: Hex | undefined,
): StoredReceipt {
  return recordId === undefined
    ? { receipt, signature, digest, signer }
    : { receipt, signature, digest, signer, recordId };
}
