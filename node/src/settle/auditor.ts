import { type Address, encodeAbiParameters, type Hex, isAddressEqual, parseEventLogs, zeroHash } from "viem";
import { arbiterAbi, openTokenAbi, settlementAbi } from "../chain/abi/index.js";
import { type AttributionLeaf, type AttributionMessage, buildAttributionTree, getPoolId } from "../protocol/index.js";
import type { PoolKey, Store } from "../store/index.js";
import { SettleError, SettleErrorCode } from "./errors.js";
import { computePoolAttribution, type DatasetAmount, getDatasetAmounts } from "./poolAttribution.js";
import { atLeast, gatherPool, type OnChainPool, type PoolReadOptions, PoolStatus } from "./poolRedemptions.js";
import type { CheckedShares } from "./shares.js";
import type { SettleLogger, SettleMetrics, SettleReader, TxRequest, TxSender } from "./types.js";

/** What an audit reads. */
/**
 * Recomputes a public record's weights from its output text (DESIGN §8, the attribution module); undefined when it
 * cannot (no index for the version), and then the record's signed weights are used.
 */
export type RecomputeWeights = (
  versionId: bigint,
  outputText: string,
) => Promise<{ datasetIds: readonly bigint[]; weightsPpm: readonly number[] } | undefined>;

export type AuditModules = {
  store: Store;
  reader: SettleReader;
  shares: CheckedShares;
  /** When given, every public record is weighed by its recomputed attribution, not the weights its node signed. */
  recompute?: RecomputeWeights;
};

/** Options of {@link auditPool}. */
export type AuditPoolOptions = PoolReadOptions & {
  /** The poster's `/olp/attribution/1` message, when gossip brought it: its leaves are compared too. */
  posted?: AttributionMessage;
};

/** What an audit found. */
export type AuditReport = {
  key: PoolKey;
  /** The root recomputed from the records we hold and the on-chain redemptions. */
  expectedRoot: Hex;
  /** The root on-chain (zero: none posted). */
  postedRoot: Hex;
  /** Whether a root is posted and equals the recomputed one. */
  match: boolean;
  leavesExpected: AttributionLeaf[];
  /** The poster's leaves, from its gossiped message (undefined without one, or when they do not give its root). */
  leavesPosted: AttributionLeaf[] | undefined;
  /** The recomputed amounts, each with its share of the pool in ppm. */
  perDataset: DatasetAmount[];
  expectedRecordsRoot: Hex;
  /** The posted records root, from the gossiped message or else the indexed pool (undefined without either). */
  postedRecordsRoot: Hex | undefined;
  /** Covered seqs without a record we hold: the recomputation weighed them by the training shares. */
  missingSeqs: bigint;
  /** Whether we held a record for every covered seq: only then is a mismatch a sure ground for a challenge. */
  complete: boolean;
  pool: OnChainPool;
  status: PoolStatus;
  /** Where the redemptions came from. */
  source: "store" | "logs";
  /** Public records whose signed weights differ from their recomputed attribution (0 without `recompute`). */
  reweighted: number;
};

/**
 * Audits one pool (DESIGN §6, "Auditors recompute it from the gossiped records and the `Redeemed` events"): recomputes
 * the attribution tree from the records we hold and the pool's on-chain redemptions with the poster's own maths, and
 * compares it with the posted root. `olnode audit` calls this.
 */
export async function auditPool(modules: AuditModules, opts: AuditPoolOptions, key: PoolKey): Promise<AuditReport> {
  const gathered = await gatherPool({ store: modules.store, reader: modules.reader }, opts, key);
  const status = (await modules.reader.readContract({
    address: opts.settlement,
    abi: settlementAbi,
    functionName: "poolStatus",
    args: [key.node, key.versionId, key.epoch],
  })) as PoolStatus;
  const reweighted = modules.recompute === undefined ? 0 : await recomputeWeights(modules, key.versionId, gathered);
  const attribution = computePoolAttribution(gathered.redemptions, await modules.shares.get(key.versionId));
  const posted = opts.posted;
  // The indexer keeps the recordsRoot of AttributionRootPosted; gossip's message, when given, must agree with it.
  const indexedRecordsRoot = (await modules.store.getEpochPool(key))?.recordsRoot;
  const postedMatches =
    posted !== undefined &&
    isAddressEqual(posted.node, key.node) &&
    posted.versionId === key.versionId &&
    posted.epoch === key.epoch &&
    posted.leaves.length > 0 &&
    buildAttributionTree(posted.leaves).root === posted.root;
  return {
    key,
    expectedRoot: attribution.tree.root,
    postedRoot: gathered.onChain.root,
    match: gathered.onChain.root !== zeroHash && gathered.onChain.root === attribution.tree.root,
    leavesExpected: attribution.tree.leaves,
    leavesPosted: postedMatches ? [...posted.leaves] : undefined,
    perDataset: getDatasetAmounts(attribution.tree.leaves),
    expectedRecordsRoot: attribution.recordsRoot,
    postedRecordsRoot: postedMatches
      ? posted.recordsRoot
      : indexedRecordsRoot === undefined || indexedRecordsRoot === zeroHash
        ? undefined
        : indexedRecordsRoot,
    missingSeqs: attribution.missingSeqs,
    complete: attribution.missingSeqs === 0n,
    pool: gathered.onChain,
    status,
    source: gathered.source,
    reweighted,
  };
}

/**
 * [DESIGN §8] attribution is deterministic: a record's weights must be what anyone recomputes from its output text.
 * Replaces each public record's signed weights with the recomputed ones and returns how many differed (a node that
 * inflates a dataset's weights in its records gets a root that does not match, and the challenge wins).
 */
async function recomputeWeights(
  modules: AuditModules,
  versionId: bigint,
  gathered: Awaited<ReturnType<typeof gatherPool>>,
): Promise<number> {
  const recompute = modules.recompute as RecomputeWeights;
  let differed = 0;
  for (const redemption of gathered.redemptions) {
    const records = [...redemption.records];
    for (const [i, covered] of records.entries()) {
      if (covered.isPrivate) continue;
      const stored = await modules.store.getRecord(covered.recordId);
      if (stored === undefined) continue;
      const weights = await recompute(versionId, stored.entry.outputText);
      if (weights === undefined) continue;
      const same =
        weights.datasetIds.length === covered.datasetIds.length &&
        weights.datasetIds.every(
          (id, j) => id === covered.datasetIds[j] && weights.weightsPpm[j] === covered.weightsPpm[j],
        );
      if (same) continue;
      differed += 1;
      records[i] = { ...covered, datasetIds: weights.datasetIds, weightsPpm: weights.weightsPpm };
    }
    redemption.records = records;
  }
  return differed;
}

/** The challenge evidence of an attribution root (docs/payments.md): `abi.encode(bytes32 root)`, the recomputed root. */
export function encodeRootEvidence(root: Hex): Hex {
  return encodeAbiParameters([{ type: "bytes32" }], [root]);
}

/** Default most pools remembered as audited; the oldest is forgotten first (and audited again if still open). */
export const MAX_AUDITED_POOLS = 10_000;
/** Most (node, version) pairs an auditor follows when it finds them from the lanes it holds. */
export const MAX_AUDIT_TARGETS = 1_000;

/** What the auditor watches and how it challenges. */
export type AuditorOpts = PoolReadOptions & {
  /** The address the transaction sender sends from: it bonds the challenges. */
  challenger: Address;
  arbiter: Address;
  openToken: Address;
  /** The bond of each challenge (default, and at least, the Arbiter's `minBond`). */
  challengeBond?: bigint;
  /** Nodes to audit (default: every node whose records we hold, up to {@link MAX_AUDIT_TARGETS} pairs). */
  nodes?: readonly Address[];
  /** Challenge even when we lack records of covered seqs (default false: report only). */
  challengeIncomplete?: boolean;
};

/** What the auditor uses. */
export type AuditorModules = AuditModules & {
  txSender: TxSender;
  logger?: SettleLogger;
  metrics?: Partial<SettleMetrics>;
  /** Gossiped attribution messages by pool, when the node keeps them. */
  getPosted?: (key: PoolKey) => Promise<AttributionMessage | undefined>;
};

/** A challenge the auditor opened. */
export type OpenedChallenge = { challengeId: bigint; poolId: bigint; evidence: Hex; bond: bigint; hash: Hex };

/** One audit and what came of it. */
export type AuditOutcome = { report: AuditReport; challenge: OpenedChallenge | undefined };

/**
 * The auditor service: every tick, audits each pool with a posted root still in its challenge window, once, and on a
 * mismatch opens the attribution-root challenge through the Arbiter (subject the Settlement, subject id the pool id,
 * evidence our root, the bond approved first), then reports. A mismatch on a pool whose covered seqs we do not all
 * hold records for is reported, not challenged (unless `challengeIncomplete`): the difference may be our gap.
 */
export class Auditor {
  private readonly audited = new Set<string>();

  constructor(
    private readonly opts: AuditorOpts,
    private readonly modules: AuditorModules,
  ) {}

  /** Audits every open pool not audited yet; never throws for one pool's failure. */
  async tick(): Promise<AuditOutcome[]> {
    const outcomes: AuditOutcome[] = [];
    for (const target of await this.listTargets()) {
      const pools = await this.modules.store.epochPools.listByVersion(target.node, target.versionId, 1_000);
      for (const pool of pools) {
        const key = { node: target.node, versionId: target.versionId, epoch: pool.epoch };
        const id = getPoolId(key.node, key.versionId, key.epoch).toString();
        if (this.audited.has(id) || pool.root === zeroHash || pool.fellBack) continue;
        try {
          const outcome = await this.auditAndChallenge(key);
          // A posted root is audited once: it never changes, and a closed window cannot be challenged.
          this.remember(id);
          if (outcome !== undefined) outcomes.push(outcome);
        } catch (error) {
          this.modules.logger?.warn("auditing a pool failed", key, error);
        }
      }
    }
    return outcomes;
  }

  /**
   * Audits pool `key` and challenges its root on a mismatch; undefined when it has no root or its window is closed.
   */
  async auditAndChallenge(key: PoolKey): Promise<AuditOutcome | undefined> {
    const posted = await this.modules.getPosted?.(key);
    const report = await auditPool(this.modules, { ...this.opts, ...(posted === undefined ? {} : { posted }) }, key);
    if (report.postedRoot === zeroHash || report.status !== PoolStatus.Challenging) return undefined;
    this.modules.metrics?.poolsAudited?.inc();
    if (report.match) {
      this.modules.logger?.debug("attribution root matches", { ...key, root: report.postedRoot });
      return { report, challenge: undefined };
    }
    this.modules.metrics?.auditMismatches?.inc();
    this.modules.logger?.warn("attribution root mismatch", {
      ...key,
      postedRoot: report.postedRoot,
      expectedRoot: report.expectedRoot,
      missingSeqs: report.missingSeqs,
    });
    if (!report.complete && !(this.opts.challengeIncomplete ?? false)) return { report, challenge: undefined };
    const challenge = await this.challenge(key, report.expectedRoot);
    return { report, challenge };
  }

  /** Opens the attribution-root challenge of pool `key` with `root` as evidence. */
  async challenge(key: PoolKey, root: Hex): Promise<OpenedChallenge> {
    const params = await this.modules.reader.readContract({
      address: this.opts.arbiter,
      abi: arbiterAbi,
      functionName: "getParams",
    });
    // At least the Arbiter's minimum: a smaller bond would only revert.
    const bond = atLeast(this.opts.challengeBond ?? params.minBond, params.minBond);
    const allowance = await this.modules.reader.readContract({
      address: this.opts.openToken,
      abi: openTokenAbi,
      functionName: "allowance",
      args: [this.opts.challenger, this.opts.arbiter],
    });
    if (allowance < bond) {
      await this.sendOk({
        label: "approve",
        address: this.opts.openToken,
        abi: openTokenAbi,
        functionName: "approve",
        args: [this.opts.arbiter, bond],
      });
    }
    const poolId = getPoolId(key.node, key.versionId, key.epoch);
    const evidence = encodeRootEvidence(root);
    const { hash, receipt } = await this.sendOk({
      label: "openChallenge",
      address: this.opts.arbiter,
      abi: arbiterAbi,
      functionName: "openChallenge",
      args: [this.opts.settlement, poolId, evidence, bond],
    });
    const [opened] = parseEventLogs({ abi: arbiterAbi, logs: receipt.logs, eventName: "ChallengeOpened" });
    if (opened === undefined) {
      throw new SettleError({
        code: SettleErrorCode.EVENT_MISSING,
        label: "openChallenge",
        hash,
        event: "ChallengeOpened",
      });
    }
    this.modules.metrics?.challengesOpened?.inc();
    this.modules.logger?.warn("attribution root challenged", { ...key, challengeId: opened.args.challengeId, root });
    return { challengeId: opened.args.challengeId, poolId, evidence, bond, hash };
  }

  private async listTargets(): Promise<{ node: Address; versionId: bigint }[]> {
    const targets = new Map<string, { node: Address; versionId: bigint }>();
    const add = (node: Address, versionId: bigint) => {
      if (targets.size < MAX_AUDIT_TARGETS) targets.set(`${node.toLowerCase()}:${versionId}`, { node, versionId });
    };
    if (this.opts.nodes !== undefined) {
      const versions = await this.modules.store.adapters.list(MAX_AUDIT_TARGETS);
      for (const node of this.opts.nodes) for (const version of versions) add(node, version.versionId);
      return [...targets.values()];
    }
    let after: Hex | undefined;
    for (;;) {
      const page = await this.modules.store.lanes.list(1_000, after);
      for (const lane of page) add(lane.node, lane.versionId);
      if (page.length < 1_000 || targets.size >= MAX_AUDIT_TARGETS) break;
      after = page[page.length - 1]?.laneId;
    }
    return [...targets.values()];
  }

  private remember(id: string): void {
    if (this.audited.size >= MAX_AUDITED_POOLS) {
      const oldest = this.audited.values().next().value;
      if (oldest !== undefined) this.audited.delete(oldest);
    }
    this.audited.add(id);
  }

  private async sendOk(request: TxRequest) {
    const sent = await this.modules.txSender.send(request);
    if (sent.receipt.status !== "success") {
      throw new SettleError({ code: SettleErrorCode.TX_REVERTED, label: request.label, hash: sent.hash });
    }
    return sent;
  }
}
