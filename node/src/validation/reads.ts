import type { Address, Hex } from "viem";
import { GossipAction, ValidationError, ValidationErrorCode } from "./errors.js";
import type { ChainView, LaneState, LaneView, MaybePromise, StoredReceipt, VersionStatus } from "./types.js";

/**
 * The chain view as one validation reads it: each question asked once per message (a batch of 256 entries of one
 * node asks for the operator once), and any failure of the view turned into IGNORE, never REJECT: honest peers are
 * never penalised for our state (DESIGN §4).
 */
export class ChainReader {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(private readonly chain: ChainView) {}

  isSynced(): Promise<boolean> {
    return this.read("isSynced", "", () => this.chain.isSynced());
  }

  isAuthorizedSigner(payer: Address, signer: Address): Promise<boolean> {
    return this.read("isAuthorizedSigner", `${payer}:${signer}`, () => this.chain.isAuthorizedSigner(payer, signer));
  }

  operatorOf(node: Address): Promise<Address | undefined> {
    return this.read("operatorOf", node, () => this.chain.operatorOf(node));
  }

  priceOf(node: Address, versionId: bigint): Promise<bigint> {
    return this.read("priceOf", `${node}:${versionId}`, () => this.chain.priceOf(node, versionId));
  }

  versionStatus(versionId: bigint): Promise<VersionStatus> {
    return this.read("versionStatus", `${versionId}`, () => this.chain.versionStatus(versionId));
  }

  escrowCoverage(payer: Address, node: Address): Promise<bigint> {
    return this.read("escrowCoverage", `${payer}:${node}`, () => this.chain.escrowCoverage(payer, node));
  }

  trainingDatasets(versionId: bigint): Promise<readonly bigint[]> {
    return this.read("trainingDatasets", `${versionId}`, () => this.chain.trainingDatasets(versionId));
  }

  private read<T>(call: string, key: string, ask: () => MaybePromise<T>): Promise<T> {
    const memoKey = `${call}/${key.toLowerCase()}`;
    let answer = this.memo.get(memoKey) as Promise<T> | undefined;
    if (answer === undefined) {
      answer = ourFailure(ValidationErrorCode.CHAIN_UNAVAILABLE, call, ask);
      this.memo.set(memoKey, answer);
    }
    return answer;
  }
}

/** The lane store as validation reads it: any failure of the store is IGNORE (STORE_UNAVAILABLE). */
export class LaneReader {
  constructor(private readonly lanes: LaneView) {}

  getLane(laneKey: Hex): Promise<LaneState | undefined> {
    return ourFailure(ValidationErrorCode.STORE_UNAVAILABLE, "getLane", () => this.lanes.getLane(laneKey));
  }

  getReceiptAt(laneKey: Hex, seq: bigint): Promise<StoredReceipt | undefined> {
    return ourFailure(ValidationErrorCode.STORE_UNAVAILABLE, "getReceiptAt", () =>
      this.lanes.getReceiptAt(laneKey, seq),
    );
  }

  unredeemed(payer: Address, node: Address): Promise<bigint> {
    return ourFailure(ValidationErrorCode.STORE_UNAVAILABLE, "unredeemed", () => this.lanes.unredeemed(payer, node));
  }
}

async function ourFailure<T>(
  code: ValidationErrorCode.CHAIN_UNAVAILABLE | ValidationErrorCode.STORE_UNAVAILABLE,
  call: string,
  ask: () => MaybePromise<T>,
): Promise<T> {
  try {
    return await ask();
  } catch (cause) {
    // [IGNORE] DESIGN §4: our own chain view or store failing is never the sender's fault.
    throw new ValidationError(GossipAction.IGNORE, { code, call }, { cause });
  }
}
