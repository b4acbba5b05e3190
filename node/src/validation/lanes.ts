import type { Hex } from "viem";
import { getLaneId, type Receipt } from "../protocol/index.js";
import { sameHex } from "./checks.js";
import { type At, GossipAction, type LaneRef, ValidationError, ValidationErrorCode } from "./errors.js";
import type { LaneReader } from "./reads.js";
import type { LaneState, LaneUpdate, SignedReceipt, SignedRecord, StoredReceipt } from "./types.js";

/** How a receipt stands against its lane. Only `next` advances the lane. */
export type LaneVerdict =
  /** seq = last + 1 and cumulative = last cumulative + value. */
  | { kind: "next"; laneKey: Hex; next: LaneState }
  /** A receipt (and record) we already hold: IGNORE, or drop from a batch. */
  | { kind: "duplicate"; error: ValidationError }
  /** A receipt we cannot judge yet (gap, or older than what we keep): IGNORE. */
  | { kind: "unjudgeable"; error: ValidationError }
  /** A broken lane rule (cumulative mismatch, equivocation): REJECT once the receipt is known to be authentic. */
  | { kind: "broken"; error: ValidationError };

/**
 * The lanes of one validation: the store's lane states, overlaid with the receipts this message advanced them by, so
 * the entries of a batch are judged in order against each other (DESIGN §4: in a lane seq starts at 1 and rises by
 * one per request; cumulative starts at the first value and rises by each value). Judging never throws a rule break:
 * it returns it, so the caller can first make sure the receipt is authentic (a forged "second receipt" is not
 * evidence); only failures of our store throw (IGNORE).
 */
export class LaneTracker {
  /** Lane states as the store held them before this message. */
  private readonly before = new Map<Hex, LaneState | undefined>();
  /** Lane states after the receipts of this message accepted so far. */
  private readonly after = new Map<Hex, { state: LaneState; receipt: Receipt }>();
  /** Receipts accepted in this message, by `${laneKey}/${seq}`. */
  private readonly accepted = new Map<string, StoredReceipt>();

  constructor(private readonly lanes: LaneReader) {}

  /**
   * How `signed` stands against its lane. `record` is the record that travels with it (gossip): a held receipt with
   * another record is record equivocation (DESIGN §6).
   */
  async judge(signed: SignedReceipt, record: SignedRecord | undefined, where: At): Promise<LaneVerdict> {
    const { receipt, digest } = signed;
    const laneKey = getLaneId(receipt.payer, receipt.node, receipt.versionId, receipt.lane);
    const lane = laneRefOf(laneKey, receipt);
    const state = await this.stateOf(laneKey);
    const last = state?.seq ?? 0n;
    if (receipt.seq === last + 1n) {
      const expected = (state?.cumulative ?? 0n) + receipt.value;
      // [REJECT] DESIGN §4: cumulative starts at the first value and rises by each value (THREATS #4).
      if (receipt.cumulative !== expected) {
        return broken(
          new ValidationError(GossipAction.REJECT, {
            code: ValidationErrorCode.CUMULATIVE_MISMATCH,
            lane,
            seq: receipt.seq,
            expected,
            found: receipt.cumulative,
            ...where,
          }),
        );
      }
      return {
        kind: "next",
        laneKey,
        next: { seq: receipt.seq, cumulative: receipt.cumulative, receiptDigest: digest },
      };
    }
    if (receipt.seq > last + 1n) {
      // [IGNORE] DESIGN §4: receipts between are missing; we cannot judge yet (THREATS #47).
      return unjudgeable(ValidationErrorCode.SEQ_GAP, lane, last + 1n, receipt.seq, where);
    }
    // seq ≤ last: the receipt at that seq is either this one (duplicate) or another (equivocation).
    const held =
      this.accepted.get(`${laneKey}/${receipt.seq}`) ?? (await this.lanes.getReceiptAt(laneKey, receipt.seq));
    if (held === undefined) {
      if (receipt.seq !== last) {
        // [IGNORE] DESIGN §4: older than the receipts we keep; we cannot tell a replay from equivocation.
        return unjudgeable(ValidationErrorCode.SEQ_STALE, lane, last + 1n, receipt.seq, where);
      }
      // The store must keep a lane's latest receipt (a redemption needs it); without it we cannot keep evidence.
      if (state === undefined || !sameHex(state.receiptDigest, digest)) {
        throw new ValidationError(GossipAction.IGNORE, {
          code: ValidationErrorCode.STORE_UNAVAILABLE,
          call: "getReceiptAt",
        });
      }
      return duplicate(lane, receipt.seq, digest, last, where);
    }
    if (!sameHex(held.digest, digest)) {
      // [REJECT] DESIGN §4: a second, different receipt for a (lane, seq) already seen is equivocation.
      return broken(
        new ValidationError(GossipAction.REJECT, {
          code: ValidationErrorCode.EQUIVOCATION,
          lane,
          last,
          evidence: { laneKey, seq: receipt.seq, first: held, second: signed },
          ...where,
        }),
      );
    }
    if (record !== undefined && held.recordId !== undefined && !sameHex(held.recordId, record.recordId)) {
      // [REJECT] DESIGN §6: two different records for one receipt are equivocation.
      return broken(
        new ValidationError(GossipAction.REJECT, {
          code: ValidationErrorCode.RECORD_EQUIVOCATION,
          lane,
          evidence: { laneKey, seq: receipt.seq, receiptDigest: digest, firstRecordId: held.recordId, second: record },
          ...where,
        }),
      );
    }
    // [IGNORE] DESIGN §4: deduplicated by digest, never by signature bytes (THREATS #3, #22).
    return duplicate(lane, receipt.seq, digest, last, where);
  }

  /** Advances the lane by a receipt judged `next` (and accepted by every other rule). */
  accept(verdict: Extract<LaneVerdict, { kind: "next" }>, signed: SignedReceipt, recordId: Hex | undefined): void {
    this.after.set(verdict.laneKey, { state: verdict.next, receipt: signed.receipt });
    this.accepted.set(
      `${verdict.laneKey}/${verdict.next.seq}`,
      recordId === undefined ? { ...signed } : { ...signed, recordId },
    );
  }

  /** One update per lane advanced, from the state the store held to the latest accepted receipt. */
  updates(): LaneUpdate[] {
    return [...this.after].map(([laneKey, { state, receipt }]) => ({
      laneKey,
      payer: receipt.payer,
      node: receipt.node,
      versionId: receipt.versionId,
      lane: receipt.lane,
      previous: this.before.get(laneKey),
      next: state,
    }));
  }

  private async stateOf(laneKey: Hex): Promise<LaneState | undefined> {
    const advanced = this.after.get(laneKey);
    if (advanced !== undefined) return advanced.state;
    if (!this.before.has(laneKey)) this.before.set(laneKey, await this.lanes.getLane(laneKey));
    return this.before.get(laneKey);
  }
}

/** The lane of `receipt`, for error context. */
export function laneRefOf(laneKey: Hex, receipt: Receipt): LaneRef {
  return { id: laneKey, payer: receipt.payer, node: receipt.node, versionId: receipt.versionId, lane: receipt.lane };
}

function unjudgeable(
  code: ValidationErrorCode.SEQ_GAP | ValidationErrorCode.SEQ_STALE,
  lane: LaneRef,
  expected: bigint,
  found: bigint,
  where: At,
): LaneVerdict {
  return {
    kind: "unjudgeable",
    error: new ValidationError(GossipAction.IGNORE, { code, lane, expected, found, ...where }),
  };
}

function duplicate(lane: LaneRef, seq: bigint, digest: Hex, last: bigint, where: At): LaneVerdict {
  return {
    kind: "duplicate",
    error: new ValidationError(GossipAction.IGNORE, {
      code: ValidationErrorCode.DUPLICATE,
      lane,
      seq,
      digest,
      last,
      ...where,
    }),
  };
}

function broken(error: ValidationError): LaneVerdict {
  return { kind: "broken", error };
}
