import { type Address, type Hex, parseEventLogs } from "viem";
import { adapterRegistryAbi, datanetRegistryAbi, settlementAbi } from "../../chain/index.js";
import {
  buildAttributionTree,
  type ContributorShare,
  contributorsProof,
  contributorsRoot,
  getAttributionProof,
  getPoolId,
} from "../../protocol/index.js";
import { PoolStatus } from "../../settle/index.js";
import { CliError, type Command, ExitCode, writeJson } from "../command.js";
import {
  type ChainSession,
  formatOpen,
  KEY_OPTIONS,
  LOG_CHUNK_BLOCKS,
  MAX_SCANNED_EVENTS,
  onChain,
  openChainSession,
  optionalFlag,
  PostedSource,
  parseUintArg,
  readSharesFile,
  senderOf,
} from "./chainSupport.js";

/** Leaves per claim transaction (each leaf is a proof and a transfer; keeps a transaction well under a block). */
export const MAX_CLAIMS_PER_TX = 50;

/** A pool with a posted root, as `AttributionRootPosted` announced it. */
export type PostedPoolEvent = { node: Address; versionId: bigint; epoch: bigint; root: Hex; blockNumber: bigint };

/** Every `AttributionRootPosted` since the deployment, in chunks of {@link LOG_CHUNK_BLOCKS} blocks. */
export async function scanPostedRoots(session: ChainSession): Promise<PostedPoolEvent[]> {
  const out: PostedPoolEvent[] = [];
  const head = await session.publicClient.getBlockNumber();
  for (let from = session.deployment.deployBlock; from <= head; from += LOG_CHUNK_BLOCKS) {
    const to = from + LOG_CHUNK_BLOCKS - 1n < head ? from + LOG_CHUNK_BLOCKS - 1n : head;
    const events = await session.publicClient.getContractEvents({
      address: session.deployment.contracts.settlement,
      abi: settlementAbi,
      eventName: "AttributionRootPosted",
      fromBlock: from,
      toBlock: to,
      strict: true,
    });
    for (const e of events) {
      out.push({
        node: e.args.node,
        versionId: e.args.versionId,
        epoch: e.args.epoch,
        root: e.args.root,
        blockNumber: e.blockNumber,
      });
      if (out.length > MAX_SCANNED_EVENTS) {
        throw new CliError(
          `more than ${MAX_SCANNED_EVENTS} posted roots on chain: narrow with --dataset`,
          ExitCode.USER_ERROR,
        );
      }
    }
  }
  return out;
}

/** The datasets `owner` registered (DatasetRegistered) and still owns. */
async function datasetsOwnedBy(session: ChainSession, owner: Address): Promise<bigint[]> {
  const head = await session.publicClient.getBlockNumber();
  const ids = new Set<bigint>();
  for (let from = session.deployment.deployBlock; from <= head; from += LOG_CHUNK_BLOCKS) {
    const to = from + LOG_CHUNK_BLOCKS - 1n < head ? from + LOG_CHUNK_BLOCKS - 1n : head;
    const events = await session.publicClient.getContractEvents({
      address: session.deployment.contracts.datanetRegistry,
      abi: datanetRegistryAbi,
      eventName: "DatasetRegistered",
      args: { owner },
      fromBlock: from,
      toBlock: to,
      strict: true,
    });
    for (const e of events) ids.add(e.args.datasetId);
  }
  const owned: bigint[] = [];
  for (const id of ids) if ((await datasetOwner(session, id)).toLowerCase() === owner.toLowerCase()) owned.push(id);
  return owned.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function datasetOwner(session: ChainSession, datasetId: bigint): Promise<Address> {
  const dataset = await session.publicClient.readContract({
    address: session.deployment.contracts.datanetRegistry,
    abi: datanetRegistryAbi,
    functionName: "getDataset",
    args: [datasetId],
  });
  return dataset.owner;
}

/** One leaf claimed (or to claim). */
export type ClaimLine = {
  node: Address;
  versionId: bigint;
  epoch: bigint;
  datasetId: bigint;
  amount: bigint;
  kind: "root" | "fallback";
};

/** A pool left unclaimed, and why. */
export type SkippedPool = { node: Address; versionId: bigint; epoch: bigint; reason: string };

/** `olnode claim`. */
export const claimCommand: Command = {
  path: ["claim"],
  summary: "claim what your datasets earned from final attribution roots",
  description: [
    "For every dataset the key owns (keys.operatorKeyFile, or --key-file; --dataset picks one), finds the pools whose",
    "attribution root is final (AttributionRootPosted on chain, status Claimable), proves each dataset's leaf against",
    "the root and claims them all with Settlement.claim, up to 50 leaves a transaction. A pool whose root an upheld",
    "challenge rejected (status Fallback) is claimed with Settlement.claimFallback against the version's contributors",
    "root, from --shares.",
    "",
    "The leaves are not on chain: they are the posting node's /olp/attribution/1 message, kept in its settle folder",
    "(<node>-<version>-<epoch>.posted or .final). Give that folder, or a copy of one message file, with --posted; or",
    "a node's API with --from-node (GET <url>/olp/attribution/<node>/<version>/<epoch>, the encoded message; any node",
    "that kept the gossip can serve it). Each message must give the pool's on-chain root, else the pool is skipped:",
    "a node cannot make you claim a wrong amount. Already claimed leaves are skipped.",
  ].join("\n"),
  positionals: [],
  options: {
    ...KEY_OPTIONS,
    dataset: { type: "string", valueName: "<id>", description: "claim for this dataset only (the key must own it)" },
    posted: {
      type: "string",
      valueName: "<path>",
      description: "folder (or one file) of /olp/attribution/1 messages: the posting node's settle folder",
    },
    "from-node": {
      type: "string",
      valueName: "<url>",
      description: "a node's API to fetch messages from: GET <url>/olp/attribution/<node>/<version>/<epoch>",
    },
    shares: {
      type: "string",
      valueName: "<path>",
      description: "training shares JSON [{datasetId, weightPpm}] of the version, for fallback pools",
    },
  },
  configFlags: true,
  examples: [
    "olnode claim --posted /var/lib/olnode/settle --key-file owner.json",
    "olnode claim --dataset 3 --posted 0xNode-1-42.final --json",
    "olnode claim --from-node https://node.example.com --key-file owner.json",
  ],
  async run(context) {
    const datasetFlag = optionalFlag(context, "dataset");
    const only = datasetFlag === undefined ? undefined : parseUintArg(datasetFlag, "--dataset");
    const posted = await PostedSource.open(
      context.io.cwd,
      optionalFlag(context, "posted"),
      optionalFlag(context, "from-node"),
    );
    const sharesPath = optionalFlag(context, "shares");
    const shares = sharesPath === undefined ? undefined : await readSharesFile(context.io.cwd, sharesPath);
    const session = await openChainSession(context, true);
    try {
      const { sender, account } = senderOf(session);
      const settlement = session.deployment.contracts.settlement;
      const outcome = await onChain(session.rpcHost, async () => {
        let datasets: bigint[];
        if (only !== undefined) {
          const owner = await datasetOwner(session, only);
          if (owner.toLowerCase() !== account.address.toLowerCase()) {
            throw new CliError(
              `dataset ${only} is owned by ${owner}, not by ${account.address}`,
              ExitCode.USER_ERROR,
              "CLI_ERROR_NOT_OWNER",
            );
          }
          datasets = [only];
        } else {
          datasets = await datasetsOwnedBy(session, account.address);
        }
        const claims: (ClaimLine & { expectedRoot: Hex; proof: Hex[] })[] = [];
        const fallbacks: (ClaimLine & { weightPpm: number; proof: Hex[] })[] = [];
        const skipped: SkippedPool[] = [];
        if (datasets.length === 0) return { datasets, claims, fallbacks, skipped, hashes: [] as Hex[] };
        const checkedShares = new Map<bigint, readonly ContributorShare[]>();
        for (const pool of await scanPostedRoots(session)) {
          const { node, versionId, epoch } = pool;
          const status = (await session.publicClient.readContract({
            address: settlement,
            abi: settlementAbi,
            functionName: "poolStatus",
            args: [node, versionId, epoch],
          })) as PoolStatus;
          if (status !== PoolStatus.Claimable && status !== PoolStatus.Fallback) continue;
          const poolId = getPoolId(node, versionId, epoch);
          const open: bigint[] = [];
          for (const datasetId of datasets) {
            const claimed = await session.publicClient.readContract({
              address: settlement,
              abi: settlementAbi,
              functionName: "isClaimed",
              args: [poolId, datasetId],
            });
            if (!claimed) open.push(datasetId);
          }
          if (open.length === 0) continue;
          if (status === PoolStatus.Claimable) {
            const message = await posted.get(node, versionId, epoch);
            if (message === undefined) {
              skipped.push({
                node,
                versionId,
                epoch,
                reason: "no /olp/attribution/1 message for it (--posted, --from-node)",
              });
              continue;
            }
            if (message.leaves.length === 0 || buildAttributionTree(message.leaves).root !== pool.root) {
              skipped.push({ node, versionId, epoch, reason: "its message's leaves do not give the on-chain root" });
              continue;
            }
            for (const datasetId of open) {
              const leaf = message.leaves.find((l) => l.datasetId === datasetId);
              if (leaf === undefined || leaf.amount === 0n) continue;
              claims.push({
                node,
                versionId,
                epoch,
                datasetId,
                amount: leaf.amount,
                kind: "root",
                expectedRoot: pool.root,
                proof: getAttributionProof(message.leaves, datasetId),
              });
            }
          } else {
            const versionShares = await sharesOf(session, versionId, shares, checkedShares);
            if (typeof versionShares === "string") {
              skipped.push({ node, versionId, epoch, reason: versionShares });
              continue;
            }
            const amount = (
              await session.publicClient.readContract({
                address: settlement,
                abi: settlementAbi,
                functionName: "getPool",
                args: [node, versionId, epoch],
              })
            ).amount;
            for (const datasetId of open) {
              const share = versionShares.find((s) => s.datasetId === datasetId);
              if (share === undefined || share.weightPpm === 0) continue;
              fallbacks.push({
                node,
                versionId,
                epoch,
                datasetId,
                amount: (amount * BigInt(share.weightPpm)) / 1_000_000n,
                kind: "fallback",
                weightPpm: share.weightPpm,
                proof: contributorsProof(versionShares, datasetId),
              });
            }
          }
        }
        const hashes: Hex[] = [];
        for (let i = 0; i < claims.length; i += MAX_CLAIMS_PER_TX) {
          const batch = claims.slice(i, i + MAX_CLAIMS_PER_TX);
          const sent = await sender.send({
            label: "Settlement.claim",
            address: settlement,
            abi: settlementAbi,
            functionName: "claim",
            args: [
              batch.map((c) => ({
                node: c.node,
                versionId: c.versionId,
                epoch: c.epoch,
                datasetId: c.datasetId,
                amount: c.amount,
                expectedRoot: c.expectedRoot,
                proof: c.proof,
              })),
            ],
          });
          hashes.push(sent.hash);
        }
        for (let i = 0; i < fallbacks.length; i += MAX_CLAIMS_PER_TX) {
          const batch = fallbacks.slice(i, i + MAX_CLAIMS_PER_TX);
          const sent = await sender.send({
            label: "Settlement.claimFallback",
            address: settlement,
            abi: settlementAbi,
            functionName: "claimFallback",
            args: [
              batch.map((c) => ({
                node: c.node,
                versionId: c.versionId,
                epoch: c.epoch,
                datasetId: c.datasetId,
                weightPpm: c.weightPpm,
                proof: c.proof,
              })),
            ],
          });
          hashes.push(sent.hash);
          // The contract computes a fallback leaf's amount: report what it paid.
          for (const e of parseEventLogs({
            abi: settlementAbi,
            logs: sent.receipt.logs,
            eventName: "FallbackClaimed",
          })) {
            const line = batch.find(
              (c) => getPoolId(c.node, c.versionId, c.epoch) === e.args.poolId && c.datasetId === e.args.datasetId,
            );
            if (line !== undefined) line.amount = e.args.amount;
          }
        }
        return { datasets, claims, fallbacks, skipped, hashes };
      });
      const lines: ClaimLine[] = [...outcome.claims, ...outcome.fallbacks].map(
        ({ node, versionId, epoch, datasetId, amount, kind }) => ({ node, versionId, epoch, datasetId, amount, kind }),
      );
      const total = lines.reduce((sum, l) => sum + l.amount, 0n);
      if (context.json) {
        writeJson(context.io.stdout, {
          owner: account.address,
          datasets: outcome.datasets,
          claimed: lines,
          total,
          skipped: outcome.skipped,
          transactions: outcome.hashes,
        });
        return;
      }
      const out: string[] = [];
      if (outcome.datasets.length === 0) out.push(`${account.address} owns no dataset: nothing to claim`);
      else if (lines.length === 0) {
        out.push(
          `nothing to claim for dataset${outcome.datasets.length > 1 ? "s" : ""} ${outcome.datasets.join(", ")}`,
        );
      } else {
        out.push(`claimed ${formatOpen(total)} for ${account.address}`);
        for (const l of lines) {
          out.push(
            `  pool ${l.node} v${l.versionId} epoch ${l.epoch}  dataset ${l.datasetId}  ${formatOpen(l.amount)}${l.kind === "fallback" ? " (fallback)" : ""}`,
          );
        }
        for (const hash of outcome.hashes) out.push(`  tx ${hash}`);
      }
      for (const s of outcome.skipped) {
        out.push(`  skipped pool ${s.node} v${s.versionId} epoch ${s.epoch}: ${s.reason}`);
      }
      context.io.stdout.write(`${out.join("\n")}\n`);
    } finally {
      await session.close();
    }
  },
};

/** The version's shares from --shares, checked against its contributors root; a reason string when unusable. */
async function sharesOf(
  session: ChainSession,
  versionId: bigint,
  given: readonly ContributorShare[] | undefined,
  cache: Map<bigint, readonly ContributorShare[]>,
): Promise<readonly ContributorShare[] | string> {
  if (given === undefined) return "the root was rejected: claiming it needs the version's training shares (--shares)";
  const cached = cache.get(versionId);
  if (cached !== undefined) return cached;
  const version = await session.publicClient.readContract({
    address: session.deployment.contracts.adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "getVersion",
    args: [versionId],
  });
  if (contributorsRoot(given) !== version.proof.contributorsRoot) {
    return `--shares do not give version ${versionId}'s contributors root`;
  }
  cache.set(versionId, given);
  return given;
}
