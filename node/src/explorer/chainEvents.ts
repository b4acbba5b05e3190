import type { Abi, Address, ContractEventName, GetContractEventsReturnType, Hex, PublicClient } from "viem";
import { arbiterAbi, datanetRegistryAbi, nodeRegistryAbi, settlementAbi } from "../chain/abi/index.js";
import type { Deployment } from "../chain/index.js";
import type { Logger } from "../logger/index.js";
import type { AttributionRootView, ChallengeView, ClaimView, DuplicateProofView, RedemptionView } from "./types.js";

/** A `Redeemed` event before its split is known. */
export type RedeemedRaw = Omit<RedemptionView, "parts">;
/** A `ChallengeOpened` event. */
export type OpenedRaw = Omit<
  ChallengeView,
  "ruling" | "upheldWeight" | "dismissedWeight" | "pot" | "burned" | "voterReward" | "subjectKind"
>;
/** What a `ChallengeResolved` event adds. */
export type ResolvedRaw = { pot: bigint; burned: bigint; voterReward: bigint };

/**
 * The protocol events the explorer shows, read with `getContractEvents` from the deployment block on, incrementally,
 * `maxBlockRange` blocks per request, each list bounded by `maxEvents` (oldest dropped, named in `truncated`).
 */
export class ChainEvents {
  readonly duplicates: DuplicateProofView[] = [];
  readonly redeemed: RedeemedRaw[] = [];
  readonly roots: AttributionRootView[] = [];
  readonly claims: ClaimView[] = [];
  readonly opened: OpenedRaw[] = [];
  readonly resolved = new Map<bigint, ResolvedRaw>();
  /** Latest price per `${node}:${versionId}`, bounded by `maxEvents`. */
  readonly prices = new Map<string, { node: Address; versionId: bigint; price: bigint }>();
  /** Lists cut at their bound. */
  readonly truncated = new Set<string>();

  private readonly deployment: Deployment;
  private readonly client: PublicClient;
  private readonly logger: Pick<Logger, "warn"> | undefined;
  private readonly maxEvents: number;
  private readonly maxBlockRange: bigint;
  /** The last block read. */
  private scannedTo: bigint;
  /** Hash of block `scannedTo`, to notice a reorg (or a devnet reset) under what was read. */
  private scannedHash: Hex | undefined;

  constructor(
    opts: { deployment: Deployment; maxEvents: number; maxBlockRange: bigint },
    modules: { client: PublicClient; logger?: Pick<Logger, "warn"> },
  ) {
    this.deployment = opts.deployment;
    this.maxEvents = opts.maxEvents;
    this.maxBlockRange = opts.maxBlockRange;
    this.client = modules.client;
    this.logger = modules.logger;
    this.scannedTo = opts.deployment.deployBlock - 1n;
  }

  /**
   * Forgets every event read when the chain under them changed: the head went below what was scanned, or the last
   * scanned block has another hash now. The next build reads again from the deployment block.
   */
  async resetIfChanged(head: bigint): Promise<void> {
    if (this.scannedHash === undefined) return;
    const same =
      head >= this.scannedTo && (await this.client.getBlock({ blockNumber: this.scannedTo })).hash === this.scannedHash;
    if (same) return;
    this.logger?.warn("explorer: the chain changed under the scanned events, reading them again", {
      scannedTo: this.scannedTo,
      head,
    });
    this.scannedTo = this.deployment.deployBlock - 1n;
    this.scannedHash = undefined;
    for (const list of [this.duplicates, this.redeemed, this.roots, this.claims, this.opened]) list.length = 0;
    this.resolved.clear();
    this.prices.clear();
    this.truncated.clear();
  }

  /** Reads the events of blocks `scannedTo + 1 … head`, `maxBlockRange` blocks per request. */
  async scan(head: bigint): Promise<void> {
    const { contracts } = this.deployment;
    while (this.scannedTo < head) {
      const fromBlock = this.scannedTo + 1n;
      const toBlock = min(head, fromBlock + this.maxBlockRange - 1n);
      const range = { fromBlock, toBlock, strict: true } as const;
      const [dup, redeemed, posted, claimed, fallback, opened, resolved, prices] = await Promise.all([
        this.client.getContractEvents({
          address: contracts.datanetRegistry,
          abi: datanetRegistryAbi,
          eventName: "DuplicateProven",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.settlement,
          abi: settlementAbi,
          eventName: "Redeemed",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.settlement,
          abi: settlementAbi,
          eventName: "AttributionRootPosted",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.settlement,
          abi: settlementAbi,
          eventName: "Claimed",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.settlement,
          abi: settlementAbi,
          eventName: "FallbackClaimed",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.arbiter,
          abi: arbiterAbi,
          eventName: "ChallengeOpened",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.arbiter,
          abi: arbiterAbi,
          eventName: "ChallengeResolved",
          ...range,
        }),
        this.client.getContractEvents({
          address: contracts.nodeRegistry,
          abi: nodeRegistryAbi,
          eventName: "PriceSet",
          ...range,
        }),
      ]);
      this.push(
        "duplicates",
        this.duplicates,
        byLogOrder(dup).map((l) => ({ ...l.args, blockNumber: l.blockNumber, transactionHash: l.transactionHash })),
      );
      this.push(
        "redemptions",
        this.redeemed,
        byLogOrder(redeemed).map((l) => ({
          ...l.args,
          blockNumber: l.blockNumber,
          transactionHash: l.transactionHash,
        })),
      );
      this.push(
        "roots",
        this.roots,
        byLogOrder(posted).map((l) => ({ ...l.args })),
      );
      this.push(
        "claims",
        this.claims,
        [
          ...byLogOrder(claimed).map((l) => ({ log: l, view: { ...l.args, fallback: false } })),
          ...byLogOrder(fallback).map((l) => ({
            log: l,
            view: {
              poolId: l.args.poolId,
              datasetId: l.args.datasetId,
              owner: l.args.owner,
              amount: l.args.amount,
              fallback: true,
            },
          })),
        ]
          .sort((a, b) => compareLogs(a.log, b.log))
          .map((c) => c.view),
      );
      this.push(
        "challenges",
        this.opened,
        byLogOrder(opened).map((l) => ({
          id: l.args.challengeId,
          subject: l.args.subject,
          subjectId: l.args.subjectId,
          challenger: l.args.challenger,
          defendant: l.args.defendant,
          bond: l.args.bond,
          evidence: l.args.evidence,
          commitDeadline: l.args.commitDeadline,
          revealDeadline: l.args.revealDeadline,
        })),
      );
      for (const l of resolved) {
        this.resolved.set(l.args.challengeId, {
          pot: l.args.pot,
          burned: l.args.burned,
          voterReward: l.args.voterReward,
        });
      }
      for (const l of byLogOrder(prices)) {
        const key = `${l.args.node}:${l.args.versionId}`;
        this.prices.delete(key);
        this.prices.set(key, { node: l.args.node, versionId: l.args.versionId, price: l.args.price });
        if (this.prices.size > this.maxEvents) {
          const oldest = this.prices.keys().next().value;
          if (oldest !== undefined) this.prices.delete(oldest);
          this.truncated.add("prices");
        }
      }
      // Resolutions of challenges no longer listed are dropped with them.
      if (this.resolved.size > this.maxEvents) {
        const kept = new Set(this.opened.map((c) => c.id));
        for (const id of this.resolved.keys()) if (!kept.has(id)) this.resolved.delete(id);
      }
      this.scannedTo = toBlock;
    }
    this.scannedHash = (await this.client.getBlock({ blockNumber: head })).hash ?? undefined;
  }

  /** Appends in chain order and drops the oldest beyond `maxEvents`. */
  private push<T>(name: string, list: T[], items: readonly T[]): void {
    list.push(...items);
    if (list.length > this.maxEvents) {
      list.splice(0, list.length - this.maxEvents);
      this.truncated.add(name);
      this.logger?.warn("explorer list cut at its bound", { list: name, max: this.maxEvents });
    }
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

type LogPosition = { blockNumber: bigint; logIndex: number };

function compareLogs(a: LogPosition, b: LogPosition): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.logIndex - b.logIndex;
}

/** Logs in chain order (RPCs return them so; this makes it a guarantee). */
function byLogOrder<const TAbi extends Abi, TName extends ContractEventName<TAbi>>(
  logs: GetContractEventsReturnType<TAbi, TName, true, bigint, bigint>,
): GetContractEventsReturnType<TAbi, TName, true, bigint, bigint> {
  return [...logs].sort(compareLogs) as GetContractEventsReturnType<TAbi, TName, true, bigint, bigint>;
}
