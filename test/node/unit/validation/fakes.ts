import { type Address, getAddress, type Hex } from "viem";
import { getLaneId } from "../../../../node/src/protocol/index.js";
import {
  type ChainView,
  type LaneState,
  type LaneUpdate,
  type LaneView,
  type StoredReceipt,
  VersionStatus,
} from "../../../../node/src/validation/index.js";

const key = (...parts: (string | bigint)[]) => parts.map((p) => `${p}`.toLowerCase()).join("/");

/**
 * In-memory chain state at "our latest indexed block": a test double of the state the chain indexer keeps, not of
 * the validation logic. Methods answer through promises, as a store-backed view would; `fail` makes one throw.
 */
export class ChainViewFake implements ChainView {
  synced = true;
  /** Method names that throw, to act out a failing view. */
  readonly fail = new Set<keyof ChainView>();
  /** How many times each method was asked. */
  readonly calls = new Map<string, number>();
  private readonly signers = new Map<string, Address>();
  private readonly operators = new Map<string, Address>();
  private readonly prices = new Map<string, bigint>();
  private readonly versions = new Map<string, VersionStatus>();
  private readonly datasets = new Map<string, readonly bigint[]>();
  private readonly coverage = new Map<string, bigint>();

  constructor(
    readonly chainId: bigint,
    readonly settlement: Address,
  ) {}

  /** `PaymentEscrow.authorizeSigner` as indexed. */
  authorize(payer: Address, signer: Address): this {
    this.signers.set(key(signer), payer);
    return this;
  }

  /** `PaymentEscrow.revokeSigner` as indexed. */
  revoke(signer: Address): this {
    this.signers.delete(key(signer));
    return this;
  }

  /** `NodeRegistry.register` as indexed. */
  register(node: Address, operator: Address): this {
    this.operators.set(key(node), operator);
    return this;
  }

  setPrice(node: Address, versionId: bigint, price: bigint): this {
    this.prices.set(key(node, versionId), price);
    return this;
  }

  setVersion(versionId: bigint, status: VersionStatus, datasetIds: readonly bigint[] = []): this {
    this.versions.set(key(versionId), status);
    this.datasets.set(key(versionId), datasetIds);
    return this;
  }

  /** Sets `balance − thawing` of the escrow account (payer, node). */
  setCoverage(payer: Address, node: Address, amount: bigint): this {
    this.coverage.set(key(payer, node), amount);
    return this;
  }

  async isSynced(): Promise<boolean> {
    this.count("isSynced");
    return this.synced;
  }

  async isAuthorizedSigner(payer: Address, signer: Address): Promise<boolean> {
    this.count("isAuthorizedSigner");
    if (getAddress(payer) === getAddress(signer)) return true;
    const of = this.signers.get(key(signer));
    return of !== undefined && getAddress(of) === getAddress(payer);
  }

  async operatorOf(node: Address): Promise<Address | undefined> {
    this.count("operatorOf");
    return this.operators.get(key(node));
  }

  async priceOf(node: Address, versionId: bigint): Promise<bigint> {
    this.count("priceOf");
    return this.prices.get(key(node, versionId)) ?? 0n;
  }

  async versionStatus(versionId: bigint): Promise<VersionStatus> {
    this.count("versionStatus");
    return this.versions.get(key(versionId)) ?? VersionStatus.UNKNOWN;
  }

  async escrowCoverage(payer: Address, node: Address): Promise<bigint> {
    this.count("escrowCoverage");
    return this.coverage.get(key(payer, node)) ?? 0n;
  }

  async trainingDatasets(versionId: bigint): Promise<readonly bigint[]> {
    this.count("trainingDatasets");
    return this.datasets.get(key(versionId)) ?? [];
  }

  private count(method: keyof ChainView): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    if (this.fail.has(method)) throw new Error(`ChainViewFake: ${method} failed`);
  }
}

type Lane = { payer: Address; node: Address; state: LaneState; collected: bigint };

/**
 * In-memory lane store: a test double of the state the level store keeps. `apply` persists what validation accepted,
 * as the store's atomic batch would; `prune` drops receipts below a lane's latest; `fail` makes one method throw.
 */
export class LaneViewFake implements LaneView {
  readonly fail = new Set<keyof LaneView>();
  private readonly lanes = new Map<string, Lane>();
  private readonly receipts = new Map<string, StoredReceipt>();

  /** Persists accepted lane updates and receipts (compare-and-set on `previous`, like the real store). */
  apply(updates: readonly LaneUpdate[], receipts: readonly StoredReceipt[]): void {
    for (const update of updates) {
      const held = this.lanes.get(key(update.laneKey))?.state;
      if (held?.seq !== update.previous?.seq) throw new Error("LaneViewFake: lane moved since validation");
      const collected = this.lanes.get(key(update.laneKey))?.collected ?? 0n;
      this.lanes.set(key(update.laneKey), { payer: update.payer, node: update.node, state: update.next, collected });
    }
    for (const stored of receipts) {
      const { payer, node, versionId, lane, seq } = stored.receipt;
      this.receipts.set(key(getLaneId(payer, node, versionId, lane), seq), stored);
    }
  }

  /** A redemption of the lane up to `collected`, as indexed. */
  redeem(laneKey: Hex, collected: bigint): void {
    const lane = this.lanes.get(key(laneKey));
    if (lane === undefined) throw new Error("LaneViewFake: no such lane");
    lane.collected = collected;
  }

  /** Drops the receipts of a lane below its latest, as a store that prunes would. */
  prune(laneKey: Hex): void {
    const latest = this.lanes.get(key(laneKey))?.state.seq ?? 0n;
    for (let seq = 1n; seq < latest; seq++) this.receipts.delete(key(laneKey, seq));
  }

  async getLane(laneKey: Hex): Promise<LaneState | undefined> {
    this.check("getLane");
    return this.lanes.get(key(laneKey))?.state;
  }

  async getReceiptAt(laneKey: Hex, seq: bigint): Promise<StoredReceipt | undefined> {
    this.check("getReceiptAt");
    return this.receipts.get(key(laneKey, seq));
  }

  async unredeemed(payer: Address, node: Address): Promise<bigint> {
    this.check("unredeemed");
    let total = 0n;
    for (const lane of this.lanes.values()) {
      if (getAddress(lane.payer) === getAddress(payer) && getAddress(lane.node) === getAddress(node)) {
        total += lane.state.cumulative - lane.collected;
      }
    }
    return total;
  }

  private check(method: keyof LaneView): void {
    if (this.fail.has(method)) throw new Error(`LaneViewFake: ${method} failed`);
  }
}
