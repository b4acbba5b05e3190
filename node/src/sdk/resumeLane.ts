import { type Address, isAddressEqual } from "viem";
import {
  checkReceipt,
  getReceiptDigest,
  parseStrictSignature,
  ReceiptError,
  recoverReceiptSigner,
} from "../protocol/index.js";
import { checkLane } from "./checkLane.js";
import { LaneError, LaneErrorCode, type LanePosition } from "./errors.js";
import type { LaneStore } from "./laneStore.js";
import type { AccountClient, Lane, LaneState, NodeLaneView, SignedReceipt } from "./types.js";

const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_UINT128 = 2n ** 128n - 1n;

/** The parameters of {@link resumeLane}. */
export type ResumeLaneParameters = {
  /** Where the lane's state lives. */
  store: LaneStore;
  /** The lane to resume. */
  lane: Lane;
  /** What the node last saw of the lane (a 402 body, a status reply). */
  view: NodeLaneView;
};

/**
 * What {@link resumeLane} did: `in-sync` (the node saw our last receipt), `ahead` (the node missed receipts we
 * signed: we keep ours, and `state.last` can be sent to it again), `adopted` (the node showed a receipt of ours
 * beyond our state, which we take as our own).
 */
export type ResumeLaneReturnType = {
  outcome: "in-sync" | "ahead" | "adopted";
  /** The lane's state now; `undefined` only when neither side has a receipt. */
  state: LaneState | undefined;
};

/**
 * Reconciles a lane with what its node last saw, by the rules of docs/sdk.md ("Resuming a lane"). With ours (s, c)
 * and the node's (t, d), a value being at least 1:
 *
 * - t < s: the node is behind; consistent only if d ≤ c − (s − t). We keep ours.
 * - t = s: consistent only if d = c (and, when both receipts are known, they are the same receipt).
 * - t > s: we lost state. Adopted only with proof (the node's receipt of seq t with cumulative d, signed by the payer
 *   or the client's account) and only if d ≥ c + (t − s); the adopted state is written before this returns. The
 *   node's word alone is refused (`UNPROVEN_VIEW`): taking a higher cumulative on trust would make us pay for
 *   requests never made.
 *
 * An inconsistent view is refused with `CONFLICT`, the lane left as it was: two receipts of one lane disagree, which
 * is equivocation evidence (proven when the node's receipt carries our signature). Open a new lane and keep both.
 * Throws a {@link LaneError} or a `LaneStoreError`.
 */
export async function resumeLane(
  client: AccountClient,
  { store, lane: laneParameter, view }: ResumeLaneParameters,
): Promise<ResumeLaneReturnType> {
  const lane = checkLane(laneParameter);
  const theirs: LanePosition = { seq: view.seq, cumulative: view.cumulative };
  const invalid = (reason: string) => new LaneError({ code: LaneErrorCode.INVALID_VIEW, lane, reason });
  if (view.seq < 0n || view.seq > MAX_UINT64 || view.cumulative < 0n || view.cumulative > MAX_UINT128) {
    throw invalid(`seq ${view.seq} or cumulative ${view.cumulative} outside uint64 / uint128`);
  }
  // Every value is ≥ 1, so a lane at seq t holds at least t, and one without receipts holds 0.
  if (view.cumulative < view.seq || (view.seq === 0n && view.cumulative !== 0n)) {
    throw invalid(`cumulative ${view.cumulative} impossible at seq ${view.seq}`);
  }
  const proof = await checkProof(client, store, lane, view, invalid);

  let outcome: ResumeLaneReturnType["outcome"] = "in-sync";
  const state = await store.updateLane(lane, async (current) => {
    const ours: LanePosition = { seq: current?.seq ?? 0n, cumulative: current?.cumulative ?? 0n };
    const conflict = (digests?: { ours: `0x${string}`; theirs: `0x${string}` }) =>
      new LaneError({
        code: LaneErrorCode.CONFLICT,
        lane,
        ours,
        theirs,
        proven: proof !== undefined,
        ...(digests ? { digests } : {}),
      });
    if (theirs.seq < ours.seq) {
      if (theirs.cumulative > ours.cumulative - (ours.seq - theirs.seq)) throw conflict();
      outcome = "ahead";
      return undefined;
    }
    if (theirs.seq === ours.seq) {
      if (theirs.cumulative !== ours.cumulative) throw conflict();
      if (current !== undefined && proof !== undefined) {
        const digests = {
          ours: getReceiptDigest(store.domain, current.last.receipt),
          theirs: getReceiptDigest(store.domain, proof.receipt),
        };
        if (digests.ours !== digests.theirs) throw conflict(digests);
      }
      outcome = "in-sync";
      return undefined;
    }
    if (proof === undefined) {
      throw new LaneError({ code: LaneErrorCode.UNPROVEN_VIEW, lane, ours: current ? ours : undefined, theirs });
    }
    if (theirs.cumulative < ours.cumulative + (theirs.seq - ours.seq)) throw conflict();
    outcome = "adopted";
    return { lane, seq: theirs.seq, cumulative: theirs.cumulative, last: proof };
  });
  return { outcome, state };
}

/**
 * The node's proof, when it sent one: a receipt of this lane at the view's seq and cumulative, valid, strictly
 * signed by the payer or the client's account (the signers that are ours for sure; another signer of the payer is
 * not known here).
 */
async function checkProof(
  client: AccountClient,
  store: LaneStore,
  lane: Lane,
  view: NodeLaneView,
  invalid: (reason: string) => LaneError,
): Promise<SignedReceipt | undefined> {
  const { receipt, signature } = view;
  if (receipt === undefined && signature === undefined) return undefined;
  if (receipt === undefined || signature === undefined)
    throw invalid("a receipt without its signature, or the reverse");
  if (
    !isAddressEqual(receipt.payer, lane.payer) ||
    !isAddressEqual(receipt.node, lane.node) ||
    receipt.versionId !== lane.versionId ||
    receipt.lane !== lane.lane
  ) {
    throw invalid("a receipt of another lane");
  }
  if (receipt.seq !== view.seq || receipt.cumulative !== view.cumulative) {
    throw invalid(`a receipt of seq ${receipt.seq} and cumulative ${receipt.cumulative} for the view's`);
  }
  let signer: Address;
  try {
    checkReceipt(receipt);
    parseStrictSignature(signature);
    signer = await recoverReceiptSigner(store.domain, receipt, signature);
  } catch (cause) {
    if (cause instanceof ReceiptError) throw invalid(`a receipt or signature the protocol refuses: ${cause.message}`);
    throw cause;
  }
  if (!isAddressEqual(signer, lane.payer) && !isAddressEqual(signer, client.account.address)) {
    throw invalid(`a receipt signed by ${signer}, neither the payer nor ${client.account.address}`);
  }
  return { receipt: { ...receipt, payer: lane.payer, node: lane.node }, signature };
}
