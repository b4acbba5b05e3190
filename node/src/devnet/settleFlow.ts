import { join } from "node:path";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import { type Address, getAddress, type Hex, zeroHash } from "viem";
import { type AttributionLeaf, type SplitParts, splitCollected } from "../protocol/index.js";
import { PostedRoots } from "../settle/index.js";
import type { Protocol } from "./deployProtocol.js";
import type { DevnetNode } from "./nodes.js";
import type { Party } from "./parties.js";
import { formatOpen, waitFor } from "./wait.js";

/** One (node, version, epoch) pool as it ended. */
export interface SettledPool {
  readonly nodeName: string;
  readonly node: Address;
  readonly epoch: bigint;
  readonly amount: bigint;
  readonly claimed: bigint;
  readonly root: Hex;
  readonly leaves: readonly AttributionLeaf[];
  /** Whether the auditor recomputed the same root (undefined: its report was not seen, only its metrics). */
  readonly auditMatch: boolean | undefined;
  readonly redemptions: number;
}

/** What settling the epoch did. */
export interface SettleOutcome {
  readonly pools: readonly SettledPool[];
  readonly claims: readonly { readonly datasetId: bigint; readonly owner: string; readonly amount: bigint }[];
  /** Pools the auditor audited, and how many it found wrong (its metrics). */
  readonly audited: number;
  readonly mismatches: number;
  /** Challenges opened against the pools' roots (none for an honest run). */
  readonly challenges: number;
  /** What the redemptions collected from escrow and how it was split (DESIGN §6), summed over them. */
  readonly fees: { readonly collected: bigint; readonly parts: SplitParts };
}

/** What the settle flow works with. */
export interface SettleInput {
  readonly protocol: Protocol;
  readonly connection: NetworkConnection;
  readonly versionId: bigint;
  readonly serving: readonly { readonly name: string; readonly party: Party; readonly node: DevnetNode }[];
  readonly auditor: { readonly party: Party; readonly node: DevnetNode };
  /** The owner of each training dataset, who claims its leaves. */
  readonly owners: ReadonlyMap<bigint, Party>;
  /** Anyone: flushes the burns. */
  readonly watcher: HardhatEthersSigner;
  /** Runs `olnode claim --from-node <url>` as `owner`; returns the leaves it paid. */
  readonly claim: (owner: Party, nodeUrl: string) => Promise<{ datasetId: bigint; amount: bigint }[]>;
}

/** `ISettlement.PoolStatus`. */
const POOL_STATUS = ["Collecting", "Posting", "Challenging", "Claimable", "Fallback", "Expired"] as const;

/**
 * The money of DESIGN §6 after the inferences: each node's settle service redeems its lanes (ticked until the chain's
 * lanes hold every receipt's cumulative), the epoch ends (chain time moved past it), each node posts its pools'
 * attribution roots with a bond, the auditor recomputes them from the gossiped records, the challenge window passes,
 * and the dataset owners claim their leaves with proofs; the accrued burns are flushed and the nodes release their
 * bonds. The nodes' own settle loops tick too: whichever tick does the work, the flow waits on the chain's state.
 */
export async function settleEpoch(input: SettleInput, io: { detail(line: string): void }): Promise<SettleOutcome> {
  const { protocol, connection, versionId } = input;
  const { settlement } = protocol;
  const { networkHelpers } = connection;
  const tickAll = async (nodes: readonly DevnetNode[]) => {
    await Promise.all(
      nodes.map(async (n) => {
        await n.indexer.syncOnce();
        return n.settle.tick();
      }),
    );
  };
  const serving = input.serving.map((s) => s.node);
  const nameOf = new Map(input.serving.map((s) => [getAddress(s.node.node), s.name]));

  // 1. Redeem: every lane's latest receipt collected.
  const posted = new Map<string, AttributionLeaf[]>();
  const audits = new Map<string, boolean>();
  await waitFor("every node to redeem its lanes", 90_000, async () => {
    const results = await Promise.all(serving.map((n) => n.settle.tick()));
    for (const r of results) collect(r, posted, audits);
    return (await unredeemedLanes(input)) === 0;
  });
  const redeemed = await settlement.queryFilter(settlement.filters.Redeemed(), Number(protocol.deployment.deployBlock));
  const pools = new Map<string, { node: Address; epoch: bigint; redemptions: number }>();
  const fees = { collected: 0n, parts: { node: 0n, owner: 0n, datasets: 0n, protocol: 0n } };
  for (const e of redeemed) {
    if (e.args.versionId !== versionId) continue;
    const bps = await settlement.getPool(e.args.node, versionId, e.args.epoch);
    const parts = splitCollected(e.args.collected, bps);
    fees.collected += e.args.collected;
    fees.parts.node += parts.node;
    fees.parts.owner += parts.owner;
    fees.parts.datasets += parts.datasets;
    fees.parts.protocol += parts.protocol;
    const node = getAddress(e.args.node);
    const key = poolKey(node, e.args.epoch);
    const pool = pools.get(key) ?? { node, epoch: e.args.epoch, redemptions: 0 };
    pool.redemptions += 1;
    pools.set(key, pool);
  }
  if (pools.size === 0) throw new Error("no Redeemed event for the version: nothing was redeemed");
  io.detail(`${redeemed.length} redemptions into ${pools.size} pools (node, version ${versionId}, epoch)`);

  // 2. The epoch ends; each node posts its pools' roots with a bond.
  let lastEpoch = 0n;
  for (const p of pools.values()) if (p.epoch > lastEpoch) lastEpoch = p.epoch;
  await networkHelpers.time.increaseTo((await settlement.epochEnd(lastEpoch)) + 1n);
  await networkHelpers.mine();
  io.detail(`chain time moved past the end of epoch ${lastEpoch}`);
  await waitFor("every node to post its attribution roots", 90_000, async () => {
    const results = await Promise.all(
      serving.map(async (n) => {
        await n.indexer.syncOnce();
        return n.settle.tick();
      }),
    );
    for (const r of results) collect(r, posted, audits);
    for (const p of pools.values()) {
      if ((await settlement.getPool(p.node, versionId, p.epoch)).root === zeroHash) return false;
    }
    return true;
  });
  for (const p of pools.values()) {
    const key = poolKey(p.node, p.epoch);
    if (posted.has(key)) continue;
    // Posted by the node's own settle loop rather than our tick: its message is on disk (docs/settle.md).
    const s = input.serving.find((x) => getAddress(x.node.node) === p.node);
    if (s === undefined) throw new Error(`pool of unknown node ${p.node}`);
    const message = await readPostedMessage(s.party.dir, p.node, versionId, p.epoch);
    if (message !== undefined) posted.set(key, [...message]);
  }

  // 3. The auditor recomputes every root from the records it received by gossip.
  let metrics = { audited: 0, mismatches: 0, challenges: 0 };
  await waitFor("the auditor to audit every posted root", 90_000, async () => {
    await input.auditor.node.indexer.syncOnce();
    collect(await input.auditor.node.settle.tick(), posted, audits);
    metrics = await readAuditMetrics(input.auditor.node.apiUrl);
    return Math.max(metrics.audited, audits.size) >= pools.size;
  });
  for (const [key, match] of audits) if (!match) throw new Error(`the auditor found the root of pool ${key} wrong`);
  io.detail(
    `auditor: ${Math.max(metrics.audited, audits.size)} roots audited, ${metrics.mismatches} mismatches, ${metrics.challenges} challenges`,
  );

  // 4. The challenge window passes; the owners claim.
  let challengeEnd = 0n;
  for (const p of pools.values()) {
    const pool = await settlement.getPool(p.node, versionId, p.epoch);
    if (pool.challengeEnd > challengeEnd) challengeEnd = pool.challengeEnd;
  }
  await networkHelpers.time.increaseTo(challengeEnd + 1n);
  await networkHelpers.mine();
  for (const p of pools.values()) {
    const status = POOL_STATUS[Number(await settlement.poolStatus(p.node, versionId, p.epoch))];
    if (status !== "Claimable") {
      throw new Error(`pool of ${nameOf.get(p.node)} epoch ${p.epoch} is ${status}, not Claimable`);
    }
  }
  // Each owner runs `olnode claim --from-node <url>` against each posting node: the first that holds a pool's
  // message (its own, or gossiped) pays it; later runs find those leaves claimed and skip them.
  const claims: SettleOutcome["claims"][number][] = [];
  const owners = [...new Set(input.owners.values())];
  for (const owner of owners) {
    let total = 0n;
    for (const s of input.serving) {
      for (const c of await input.claim(owner, s.node.apiUrl)) {
        claims.push({ datasetId: c.datasetId, owner: owner.name, amount: c.amount });
        total += c.amount;
      }
    }
    io.detail(`${owner.name}: \`olnode claim --from-node\` paid ${formatOpen(total)}`);
  }
  for (const p of pools.values()) {
    const pool = await settlement.getPool(p.node, versionId, p.epoch);
    if (pool.claimed !== pool.amount) {
      throw new Error(
        `pool of ${nameOf.get(p.node)} epoch ${p.epoch}: ${formatOpen(pool.claimed)} claimed of ${formatOpen(pool.amount)}`,
      );
    }
  }

  // 5. The protocol parts are burned; the nodes release their bonds.
  for (const p of pools.values()) {
    if ((await settlement.getPool(p.node, versionId, p.epoch)).burn > 0n) {
      await (await settlement.connect(input.watcher).flushBurn(p.node, versionId, p.epoch)).wait();
    }
  }
  await waitFor("every node to release its root bonds", 60_000, async () => {
    await tickAll(serving);
    for (const p of pools.values()) if ((await settlement.getPool(p.node, versionId, p.epoch)).bond > 0n) return false;
    return true;
  });

  const settled: SettledPool[] = [];
  for (const p of pools.values()) {
    const pool = await settlement.getPool(p.node, versionId, p.epoch);
    const key = poolKey(p.node, p.epoch);
    settled.push({
      nodeName: nameOf.get(p.node) ?? p.node,
      node: p.node,
      epoch: p.epoch,
      amount: pool.amount,
      claimed: pool.claimed,
      root: pool.root as Hex,
      leaves: posted.get(key) ?? [],
      auditMatch: audits.get(key),
      redemptions: p.redemptions,
    });
  }
  settled.sort((a, b) => a.nodeName.localeCompare(b.nodeName) || Number(a.epoch - b.epoch));
  return { pools: settled, claims, ...metrics, fees };
}

function poolKey(node: Address, epoch: bigint): string {
  return `${getAddress(node)}/${epoch}`;
}

/** Takes the posted messages and audit verdicts a settle tick reports. */
function collect(
  result: Awaited<ReturnType<DevnetNode["settle"]["tick"]>>,
  posted: Map<string, AttributionLeaf[]>,
  audits: Map<string, boolean>,
): void {
  for (const p of result.post.posted) posted.set(poolKey(p.key.node, p.key.epoch), [...p.message.leaves]);
  for (const a of result.audit) {
    audits.set(poolKey(a.report.key.node, a.report.key.epoch), a.report.match);
    if (a.report.match && !posted.has(poolKey(a.report.key.node, a.report.key.epoch))) {
      posted.set(poolKey(a.report.key.node, a.report.key.epoch), [...a.report.leavesExpected]);
    }
  }
}

/** Lanes of the serving nodes whose latest receipt the chain has not collected yet. */
async function unredeemedLanes(input: SettleInput): Promise<number> {
  const { settlement } = input.protocol;
  let open = 0;
  for (const s of input.serving) {
    const lanes = await readServedLanes(s.node.apiUrl);
    for (const lane of lanes) {
      const onChain = await settlement.getLane(lane.payer, s.node.node, input.versionId, lane.lane);
      if (onChain.collected < lane.cumulative) open++;
    }
  }
  return open;
}

/** The lanes a node served, with their latest cumulative, from its records (explorer API). */
async function readServedLanes(apiUrl: string): Promise<{ payer: Address; lane: number; cumulative: bigint }[]> {
  const lanes = new Map<string, { payer: Address; lane: number; cumulative: bigint }>();
  let after: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const res = await fetch(`${apiUrl}/explorer/api/records?limit=100${after === undefined ? "" : `&after=${after}`}`);
    if (res.status !== 200) throw new Error(`${apiUrl}/explorer/api/records answered ${res.status}`);
    const body = (await res.json()) as {
      records: { receipt: { payer: Address; node: Address; lane: number; cumulative: string } }[];
      next?: string;
    };
    for (const { receipt } of body.records) {
      const key = `${receipt.payer}/${receipt.node}/${receipt.lane}`;
      const cumulative = BigInt(receipt.cumulative);
      const known = lanes.get(key);
      if (known === undefined || known.cumulative < cumulative) {
        lanes.set(key, { payer: receipt.payer, lane: receipt.lane, cumulative });
      }
    }
    if (body.next === undefined) break;
    after = body.next;
  }
  return [...lanes.values()];
}

/** A posted `/olp/attribution/1` message from a node's settle folder, when it is there. */
async function readPostedMessage(
  partyDir: string,
  node: Address,
  versionId: bigint,
  epoch: bigint,
): Promise<readonly AttributionLeaf[] | undefined> {
  for (const dir of [join(partyDir, "settle"), join(partyDir, "..", "settle")]) {
    try {
      const message = await (await PostedRoots.open(dir)).get(node, versionId, epoch);
      if (message !== undefined) return message.leaves;
    } catch {
      // not this folder
    }
  }
  return undefined;
}

/** The auditor's settle counters from its `/metrics`. */
async function readAuditMetrics(apiUrl: string): Promise<{ audited: number; mismatches: number; challenges: number }> {
  const res = await fetch(`${apiUrl}/metrics`);
  const text = res.status === 200 ? await res.text() : "";
  const value = (name: string): number => {
    let sum = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(" ").at(-1));
    }
    return sum;
  };
  return {
    audited: value("olnode_settle_pools_audited_total"),
    mismatches: value("olnode_settle_audit_mismatches_total"),
    challenges: value("olnode_settle_challenges_opened_total"),
  };
}
