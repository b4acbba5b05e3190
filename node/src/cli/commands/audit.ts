import { resolve } from "node:path";
import { type Address, type Hex, isAddressEqual, zeroHash } from "viem";
import { type AttributionIndex, attribute, loadIndex } from "../../attribution/index.js";
import type { ContributorShare } from "../../protocol/index.js";
import { settlementDomain } from "../../protocol/index.js";
import {
  Auditor,
  type AuditReport,
  auditPool,
  CheckedShares,
  gatherPool,
  type OpenedChallenge,
  PoolStatus,
} from "../../settle/index.js";
import { Store } from "../../store/index.js";
import { CliError, type Command, ExitCode, writeJson } from "../command.js";
import {
  type ChainSession,
  formatOpen,
  KEY_OPTIONS,
  onChain,
  openChainSession,
  optionalFlag,
  PostedSource,
  parseAddressArg,
  parseUintArg,
  readSharesFile,
  requireFlag,
  senderOf,
} from "./chainSupport.js";
import { scanPostedRoots } from "./claim.js";

/** Records whose recomputed weights differ, listed by id at most (the count is always complete). */
const MAX_LISTED_DIFFERENCES = 10;

/** How the records' weights were checked. */
export type WeightsCheck =
  | { mode: "trusted" }
  | { mode: "recomputed"; records: number; differing: number; differingIds: Hex[] };

/** One pool's audit, as the command reports it. */
export type PoolAudit = {
  node: Address;
  versionId: bigint;
  epoch: bigint;
  status: string;
  amount: bigint;
  postedRoot: Hex;
  expectedRoot: Hex;
  match: boolean;
  complete: boolean;
  missingSeqs: bigint;
  source: "store" | "logs";
  leavesMatch: boolean | undefined;
  perDataset: { datasetId: bigint; inferences: number; amount: bigint; sharePpm: number }[];
  weights: WeightsCheck;
  challenge: OpenedChallenge | undefined;
};

/** `olnode audit`. */
export const auditCommand: Command = {
  path: ["audit"],
  summary: "recompute the attribution roots of an epoch and compare them with the posted ones",
  description: [
    "For each pool of epoch <n> with a posted attribution root (optionally one node and one version), recomputes the",
    "root from the records in a node store (--store, default store.dir: the gossip store; stop the node first or copy",
    "it, level allows one process) and the pool's on-chain redemptions, with settle's auditPool, and prints per",
    "dataset the attributed inferences, the amount and its share, and whether the posted root matches.",
    "",
    "The version's training shares (--shares) weigh private records and seqs without a record; they are checked",
    "against the version's contributors root. With --index <file> (the version's attribution index, as the node's",
    "AttributionService saves it) each record's weights are recomputed from its output text and compared with the",
    "signed ones; without it the signed weights are trusted, and the report says so. --posted (or --from-node <url>:",
    "GET <url>/olp/attribution/<node>/<version>/<epoch>) compares the poster's leaves too. --challenge opens the",
    "attribution-root challenge (Arbiter.openChallenge, bond approved first) for each mismatching pool still in its",
    "challenge window, sent from keys.operatorKeyFile or --key-file.",
  ].join("\n"),
  positionals: [],
  options: {
    ...KEY_OPTIONS,
    epoch: { type: "string", valueName: "<n>", description: "the epoch to audit" },
    node: { type: "string", valueName: "<address>", description: "only this node's pools" },
    version: { type: "string", valueName: "<id>", description: "only this adapter version's pools" },
    store: {
      type: "string",
      valueName: "<dir>",
      description: "the node store with the gossiped records (default store.dir)",
    },
    shares: { type: "string", valueName: "<path>", description: "training shares JSON [{datasetId, weightPpm}]" },
    index: { type: "string", valueName: "<path>", description: "the version's attribution index file" },
    posted: { type: "string", valueName: "<path>", description: "/olp/attribution/1 messages (folder or file)" },
    "from-node": {
      type: "string",
      valueName: "<url>",
      description: "a node's API to fetch /olp/attribution/1 messages from",
    },
    challenge: { type: "boolean", description: "challenge each mismatching root still in its window" },
  },
  configFlags: true,
  examples: [
    "olnode audit --epoch 42 --shares shares-v1.json",
    "olnode audit --epoch 42 --node 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --version 1 --store ./data/store --shares shares-v1.json --challenge",
  ],
  async run(context) {
    const epoch = parseUintArg(requireFlag(context, "epoch", "<n>"), "--epoch");
    const nodeFlag = optionalFlag(context, "node");
    const onlyNode = nodeFlag === undefined ? undefined : parseAddressArg(nodeFlag, "--node");
    const versionFlag = optionalFlag(context, "version");
    const onlyVersion = versionFlag === undefined ? undefined : parseUintArg(versionFlag, "--version");
    const shares = await readSharesFile(context.io.cwd, requireFlag(context, "shares", "<path>"));
    const posted = await PostedSource.open(
      context.io.cwd,
      optionalFlag(context, "posted"),
      optionalFlag(context, "from-node"),
    );
    const indexPath = optionalFlag(context, "index");
    const challenge = context.args.options.challenge === true;
    const session = await openChainSession(context, challenge);
    let store: Store | undefined;
    try {
      const { deployment } = session;
      const storeDir = resolve(context.io.cwd, optionalFlag(context, "store") ?? session.config.store.dir);
      store = await openStore(storeDir, session);
      const opened = store;
      const audits = await onChain(session.rpcHost, async () => {
        const pools = (await scanPostedRoots(session)).filter(
          (p) =>
            p.epoch === epoch &&
            (onlyNode === undefined || isAddressEqual(p.node, onlyNode)) &&
            (onlyVersion === undefined || p.versionId === onlyVersion),
        );
        const trainingShares = {
          getTrainingShares: async (_versionId: bigint): Promise<readonly ContributorShare[]> => shares,
        };
        const checked = new CheckedShares(deployment.contracts.adapterRegistry, {
          reader: session.publicClient,
          trainingShares,
        });
        const readOpts = { settlement: deployment.contracts.settlement, deployBlock: deployment.deployBlock };
        const modules = { store: opened, reader: session.publicClient, shares: checked };
        const out: PoolAudit[] = [];
        for (const pool of pools) {
          const key = { node: pool.node, versionId: pool.versionId, epoch };
          const message = await posted.get(key.node, key.versionId, epoch);
          const report = await auditPool(
            modules,
            { ...readOpts, ...(message === undefined ? {} : { posted: message }) },
            key,
          );
          const inferences = await countInferences(opened, session, readOpts, key);
          const weights =
            indexPath === undefined
              ? ({ mode: "trusted" } as const)
              : await recomputeWeights(opened, session, readOpts, key, resolve(context.io.cwd, indexPath));
          let opened_: OpenedChallenge | undefined;
          if (challenge && !report.match && report.postedRoot !== zeroHash) {
            if (report.status !== PoolStatus.Challenging) {
              throw new CliError(
                `pool ${key.node} v${key.versionId} epoch ${epoch} mismatches but its challenge window is over (${PoolStatus[report.status]})`,
                ExitCode.USER_ERROR,
                "CLI_ERROR_WINDOW_CLOSED",
              );
            }
            const { sender, account } = senderOf(session);
            const auditor = new Auditor(
              {
                ...readOpts,
                challenger: account.address,
                arbiter: deployment.contracts.arbiter,
                openToken: deployment.contracts.openToken,
              },
              { ...modules, txSender: sender },
            );
            opened_ = await auditor.challenge(key, report.expectedRoot);
          }
          out.push(toPoolAudit(report, inferences, weights, opened_));
        }
        return out;
      });
      if (context.json) {
        writeJson(context.io.stdout, { epoch, store: storeDir, pools: audits });
        return;
      }
      context.io.stdout.write(formatAudits(epoch, audits));
    } finally {
      await store?.close();
      await session.close();
    }
  },
};

async function openStore(dir: string, session: ChainSession): Promise<Store> {
  const domain = settlementDomain(BigInt(session.deployment.chainId), session.deployment.contracts.settlement);
  try {
    return await Store.open({ dir, domain });
  } catch (err) {
    throw new CliError(
      `cannot open the node store at ${dir}: ${(err as Error).message} (is the node running? level allows one process)`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_STORE",
    );
  }
}

type ReadOpts = { settlement: Address; deployBlock: bigint };
type Key = { node: Address; versionId: bigint; epoch: bigint };

/** Per dataset, how many of the pool's records named it (private and missing seqs are not inferences we can name). */
async function countInferences(store: Store, session: ChainSession, readOpts: ReadOpts, key: Key) {
  const gathered = await gatherPool({ store, reader: session.publicClient }, readOpts, key);
  const counts = new Map<bigint, number>();
  for (const redemption of gathered.redemptions) {
    for (const record of redemption.records) {
      if (record.isPrivate) continue;
      for (const id of record.datasetIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

/** Recomputes each public record's weights from its output text with the version's attribution index. */
async function recomputeWeights(
  store: Store,
  session: ChainSession,
  readOpts: ReadOpts,
  key: Key,
  indexPath: string,
): Promise<WeightsCheck> {
  let index: AttributionIndex;
  try {
    index = await loadIndex(indexPath, key.versionId);
  } catch (err) {
    throw new CliError(`--index: ${(err as Error).message}`, ExitCode.USER_ERROR, "CLI_ERROR_INDEX");
  }
  const gathered = await gatherPool({ store, reader: session.publicClient }, readOpts, key);
  let records = 0;
  let differing = 0;
  const differingIds: Hex[] = [];
  for (const redemption of gathered.redemptions) {
    for (const covered of redemption.records) {
      if (covered.isPrivate) continue;
      const stored = await store.getRecord(covered.recordId);
      if (stored === undefined) continue;
      records += 1;
      const result = attribute(index, stored.entry.outputText);
      const same =
        result.datasetIds.length === covered.datasetIds.length &&
        result.datasetIds.every(
          (id, i) => id === covered.datasetIds[i] && result.weightsPpm[i] === covered.weightsPpm[i],
        );
      if (!same) {
        differing += 1;
        if (differingIds.length < MAX_LISTED_DIFFERENCES) differingIds.push(covered.recordId);
      }
    }
  }
  return { mode: "recomputed", records, differing, differingIds };
}

function toPoolAudit(
  report: AuditReport,
  inferences: Map<bigint, number>,
  weights: WeightsCheck,
  challenge: OpenedChallenge | undefined,
): PoolAudit {
  const leavesMatch =
    report.leavesPosted === undefined
      ? undefined
      : report.leavesPosted.length === report.leavesExpected.length &&
        report.leavesPosted.every(
          (l, i) =>
            l.datasetId === report.leavesExpected[i]?.datasetId && l.amount === report.leavesExpected[i]?.amount,
        );
  return {
    node: report.key.node,
    versionId: report.key.versionId,
    epoch: report.key.epoch,
    status: PoolStatus[report.status] ?? String(report.status),
    amount: report.pool.amount,
    postedRoot: report.postedRoot,
    expectedRoot: report.expectedRoot,
    match: report.match,
    complete: report.complete,
    missingSeqs: report.missingSeqs,
    source: report.source,
    leavesMatch,
    perDataset: report.perDataset.map((d) => ({
      datasetId: d.datasetId,
      inferences: inferences.get(d.datasetId) ?? 0,
      amount: d.amount,
      sharePpm: d.share,
    })),
    weights,
    challenge,
  };
}

function formatAudits(epoch: bigint, audits: readonly PoolAudit[]): string {
  if (audits.length === 0) return `no posted attribution root in epoch ${epoch} to audit\n`;
  const out: string[] = [];
  for (const a of audits) {
    out.push(`pool ${a.node} version ${a.versionId} epoch ${a.epoch} (${a.status}, ${formatOpen(a.amount)})`);
    out.push(`  posted root    ${a.postedRoot}`);
    out.push(`  recomputed     ${a.expectedRoot}`);
    out.push(
      `  result         ${a.match ? "MATCH" : "MISMATCH"}${a.complete ? "" : ` (incomplete: ${a.missingSeqs} covered seqs without a record)`}`,
    );
    if (a.leavesMatch !== undefined) out.push(`  posted leaves  ${a.leavesMatch ? "match" : "differ"}`);
    out.push(
      a.weights.mode === "trusted"
        ? "  weights        trusted the records' signed weights (no --index)"
        : `  weights        recomputed ${a.weights.records} records: ${a.weights.differing} differ${a.weights.differingIds.length > 0 ? ` (${a.weights.differingIds.join(", ")})` : ""}`,
    );
    const rows = [["dataset", "inferences", "amount", "share"]];
    for (const d of a.perDataset) {
      rows.push([
        d.datasetId.toString(),
        d.inferences.toString(),
        formatOpen(d.amount),
        `${(d.sharePpm / 10_000).toFixed(2)} %`,
      ]);
    }
    const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
    for (const row of rows) out.push(`    ${row.map((c, i) => c.padStart(widths[i] as number)).join("  ")}`);
    if (a.challenge !== undefined) {
      out.push(
        `  challenged     challenge ${a.challenge.challengeId} (bond ${formatOpen(a.challenge.bond)}), tx ${a.challenge.hash}`,
      );
    }
    out.push("");
  }
  return `${out.join("\n")}`;
}
