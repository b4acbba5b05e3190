import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Address, Hex, PublicClient } from "viem";
import { AttributionIndex, attribute } from "../attribution/index.js";
import { CORPUS_FILE, JOB_FILE, parseTrainResult, RUN_DIR } from "../trainer/index.js";
import type { DappInference } from "./dapp.js";
import type { Protocol } from "./deployProtocol.js";
import type { GasLedger } from "./gasLedger.js";
import { scanGas } from "./gasScan.js";
import type { SettleOutcome } from "./settleFlow.js";
import { formatOpen } from "./wait.js";

/** One dataset in the report: on chain, its training share, and what inferences credited it. */
export interface ReportDataset {
  readonly id: bigint;
  readonly owner: string;
  readonly samples: bigint;
  readonly stake: bigint;
  readonly eligible: boolean;
  readonly duplicatesProven: bigint;
  /** ppm of the version's corpus tokens (0: not a training dataset). */
  readonly trainingSharePpm: number;
  /** Records whose weights name it. */
  readonly records: number;
  /** Σ value × weightPpm / 1e6 over the records: the fees attributed to it before the split. */
  readonly attributedWei: bigint;
  /** Paid to its owner from the pools. */
  readonly claimedWei: bigint;
  /** A few spans of outputs it holds (DESIGN §8), longest first. */
  readonly exampleSpans: readonly { readonly text: string; readonly occurrences: number }[];
}

/** Everything `npm start` reports, and what the e2e test checks. */
export interface DevnetReport {
  readonly chainId: number;
  readonly versionId: bigint;
  readonly supply: bigint;
  readonly totalSupply: bigint;
  /** supply − totalSupply: everything burned during the run. */
  readonly burned: bigint;
  readonly balances: readonly { name: string; address: Address; before: bigint; after: bigint }[];
  readonly held: ReadonlyMap<string, bigint>;
  readonly copycat: {
    readonly datasetId: bigint;
    readonly stakeBefore: bigint;
    readonly slashed: bigint;
    readonly reward: bigint;
    readonly eligible: boolean;
  };
  readonly datasets: readonly ReportDataset[];
  readonly inferences: number;
  /** Record ids each node holds, of the dapp's inferences. */
  readonly recordsSeen: ReadonlyMap<string, number>;
  /** Records whose signed weights equal an independent recomputation from the corpus (DESIGN §8). */
  readonly weightsRecomputed: { readonly matched: number; readonly checked: number };
  readonly settlement: SettleOutcome;
  readonly gas: GasLedger;
  readonly timings: readonly { step: number; title: string; seconds: number }[];
}

/** What the report is built from. */
export interface DevnetReportInput {
  readonly protocol: Protocol;
  readonly client: PublicClient;
  readonly startBlock: bigint;
  readonly supply: bigint;
  readonly accounts: ReadonlyMap<string, Address>;
  readonly balancesBefore: ReadonlyMap<string, bigint>;
  readonly balancesAfter: ReadonlyMap<string, bigint>;
  readonly versionId: bigint;
  readonly datasets: readonly { id: bigint; owner: string }[];
  readonly copycat: DevnetReport["copycat"];
  readonly inferences: readonly DappInference[];
  readonly recordsSeen: ReadonlyMap<string, number>;
  readonly settlement: SettleOutcome;
  /** The trained version's folder (corpus, job, result). */
  readonly versionDir: string;
  /** Node A's API: the records' weights are read from its explorer. */
  readonly apiUrl: string;
  readonly timings: DevnetReport["timings"];
}

const CONTRACTS = [
  "arbiter",
  "datanetRegistry",
  "nodeRegistry",
  "adapterRegistry",
  "paymentEscrow",
  "settlement",
] as const;

/** Reads the chain and the version's corpus and gathers the report. */
export async function buildDevnetReport(input: DevnetReportInput): Promise<DevnetReport> {
  const { protocol } = input;
  const totalSupply = await protocol.token.totalSupply();
  const held = new Map<string, bigint>();
  for (const name of CONTRACTS) held.set(name, await protocol.token.balanceOf(await protocol[name].getAddress()));

  const result = parseTrainResult(JSON.parse(await readFile(join(input.versionDir, RUN_DIR, "result.json"), "utf8")));
  const job = JSON.parse(await readFile(join(input.versionDir, JOB_FILE), "utf8")) as { config?: { minSpan?: number } };
  const shares = result.shares.map((s) => ({ datasetId: s.datasetId, weightPpm: s.weightPpm }));
  const samples = (await readFile(join(input.versionDir, CORPUS_FILE), "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const row = JSON.parse(l) as { datasetId: number; sampleHash: Hex; text: string };
      return { datasetId: BigInt(row.datasetId), sampleHash: row.sampleHash, text: row.text };
    });
  const index = AttributionIndex.build({
    versionId: input.versionId,
    samples,
    trainingShares: shares,
    minSpan: job.config?.minSpan ?? 8,
  });

  const attributed = new Map<bigint, { records: number; wei: bigint; spans: Map<string, number> }>();
  let matched = 0;
  for (const inference of input.inferences) {
    const record = await readRecord(input.apiUrl, inference.recordId);
    const mine = attribute(index, record.outputText);
    const same =
      mine.datasetIds.length === record.weights.length &&
      mine.datasetIds.every(
        (id, i) => record.weights[i]?.datasetId === id && record.weights[i]?.weightPpm === mine.weightsPpm[i],
      );
    if (same) matched++;
    for (const w of record.weights) {
      const entry = attributed.get(w.datasetId) ?? { records: 0, wei: 0n, spans: new Map<string, number>() };
      entry.records += 1;
      entry.wei += (record.value * BigInt(w.weightPpm)) / 1_000_000n;
      attributed.set(w.datasetId, entry);
    }
    for (const span of mine.spans) {
      for (const d of span.datasets) {
        const entry = attributed.get(d.datasetId) ?? { records: 0, wei: 0n, spans: new Map<string, number>() };
        entry.spans.set(span.text, span.occurrences);
        attributed.set(d.datasetId, entry);
      }
    }
  }

  const claimedBy = new Map<bigint, bigint>();
  for (const c of input.settlement.claims) claimedBy.set(c.datasetId, (claimedBy.get(c.datasetId) ?? 0n) + c.amount);
  const datasets: ReportDataset[] = [];
  for (const { id, owner } of input.datasets) {
    const d = await protocol.datanetRegistry.getDataset(id);
    const a = attributed.get(id);
    datasets.push({
      id,
      owner,
      samples: d.sampleCount,
      stake: d.stake,
      eligible: await protocol.datanetRegistry.isEligible(id),
      duplicatesProven: d.duplicateCount,
      trainingSharePpm: shares.find((s) => s.datasetId === id)?.weightPpm ?? 0,
      records: a?.records ?? 0,
      attributedWei: a?.wei ?? 0n,
      claimedWei: claimedBy.get(id) ?? 0n,
      exampleSpans: [...(a?.spans ?? new Map<string, number>())]
        .sort(([x], [y]) => y.length - x.length)
        .slice(0, 2)
        .map(([text, occurrences]) => ({ text, occurrences })),
    });
  }

  return {
    chainId: protocol.deployment.chainId,
    versionId: input.versionId,
    supply: input.supply,
    totalSupply,
    burned: input.supply - totalSupply,
    balances: [...input.accounts].map(([name, address]) => ({
      name,
      address,
      before: input.balancesBefore.get(name) ?? 0n,
      after: input.balancesAfter.get(name) ?? 0n,
    })),
    held,
    copycat: input.copycat,
    datasets,
    inferences: input.inferences.length,
    recordsSeen: input.recordsSeen,
    weightsRecomputed: { matched, checked: input.inferences.length },
    settlement: input.settlement,
    gas: await scanGas(input.client, protocol.deployment, protocol.deployment.deployBlock),
    timings: input.timings,
  };
}

/** A record as node A's explorer serves it: the receipt's value, the signed weights, the output. */
async function readRecord(
  apiUrl: string,
  recordId: Hex,
): Promise<{ value: bigint; weights: { datasetId: bigint; weightPpm: number }[]; outputText: string }> {
  const res = await fetch(`${apiUrl}/explorer/api/records/${recordId}`);
  if (res.status !== 200) throw new Error(`record ${recordId}: node A's explorer answered ${res.status}`);
  const body = (await res.json()) as {
    receipt: { value: string };
    record: { weights: { datasetId: string; weightPpm: number }[] };
    outputText: string;
  };
  return {
    value: BigInt(body.receipt.value),
    weights: body.record.weights.map((w) => ({ datasetId: BigInt(w.datasetId), weightPpm: w.weightPpm })),
    outputText: body.outputText,
  };
}

/**
 * The invariants a devnet run must hold, as the failures found (empty: all hold): supply conserved (wallets +
 * contracts + burned = supply), every pool claimed exactly, the copycat slashed and ineligible, every record on every
 * node, every record's weights recomputable, no challenge against an honest root.
 */
export function checkDevnetInvariants(report: DevnetReport): string[] {
  const failures: string[] = [];
  const wallets = report.balances.reduce((s, b) => s + b.after, 0n);
  const contracts = [...report.held.values()].reduce((s, v) => s + v, 0n);
  if (wallets + contracts + report.burned !== report.supply) {
    failures.push(
      `supply not conserved: wallets ${wallets} + contracts ${contracts} + burned ${report.burned} ≠ supply ${report.supply}`,
    );
  }
  for (const pool of report.settlement.pools) {
    if (pool.claimed !== pool.amount) {
      failures.push(`pool of ${pool.nodeName} epoch ${pool.epoch}: claimed ${pool.claimed} of ${pool.amount}`);
    }
  }
  const claimed = report.settlement.claims.reduce((s, c) => s + c.amount, 0n);
  const pools = report.settlement.pools.reduce((s, p) => s + p.amount, 0n);
  if (claimed !== pools) failures.push(`claims total ${claimed}, pools total ${pools}`);
  if (report.copycat.slashed <= 0n) failures.push("the copycat was not slashed");
  if (report.copycat.eligible) failures.push("the copycat's dataset is still eligible for training");
  for (const [name, n] of report.recordsSeen) {
    if (n !== report.inferences) failures.push(`${name} holds ${n} of ${report.inferences} records`);
  }
  if (report.weightsRecomputed.matched !== report.weightsRecomputed.checked) {
    failures.push(
      `${report.weightsRecomputed.checked - report.weightsRecomputed.matched} records' weights differ from the recomputation`,
    );
  }
  if (report.settlement.challenges !== 0 || report.settlement.mismatches !== 0) {
    failures.push(
      `the auditor found ${report.settlement.mismatches} mismatches and opened ${report.settlement.challenges} challenges`,
    );
  }
  return failures;
}

/** The report as text a person reads. */
export function formatDevnetReport(report: DevnetReport): string {
  const lines: string[] = [];
  const signed = (wei: bigint) => `${wei > 0n ? "+" : ""}${formatOpen(wei)}`;
  lines.push(
    "",
    "═══ Devnet report ═══",
    "",
    "Balance changes (OPEN in wallets, since funding; stakes, bonds and deposits are held by the contracts below)",
  );
  for (const b of report.balances) {
    const change = b.after - b.before;
    lines.push(`  ${b.name.padEnd(10)} ${signed(change).padStart(26)}   now ${formatOpen(b.after)}`);
  }
  lines.push("", "Held by the contracts");
  for (const [name, amount] of report.held) lines.push(`  ${name.padEnd(16)} ${formatOpen(amount)}`);
  const wallets = report.balances.reduce((s, b) => s + b.after, 0n);
  const contracts = [...report.held.values()].reduce((s, v) => s + v, 0n);
  lines.push(
    "",
    `Burned: ${formatOpen(report.burned)} (supply ${formatOpen(report.supply)} → ${formatOpen(report.totalSupply)})`,
    `Supply check: wallets ${formatOpen(wallets)} + contracts ${formatOpen(contracts)} + burned = ${
      wallets + contracts + report.burned === report.supply ? "supply ✓" : "NOT the supply ✗"
    }`,
    "",
    `Copycat: mallory's dataset ${report.copycat.datasetId} slashed ${formatOpen(report.copycat.slashed)} of ` +
      `${formatOpen(report.copycat.stakeBefore)} (${formatOpen(report.copycat.reward)} to the watcher, the rest burned); ` +
      `${report.copycat.eligible ? "still eligible" : "no longer eligible for training"}`,
    "",
    `Attribution per dataset (version ${report.versionId}, ${report.inferences} inferences)`,
  );
  for (const d of report.datasets) {
    lines.push(
      `  #${d.id} ${d.owner.padEnd(8)} share ${(d.trainingSharePpm / 10_000).toFixed(2).padStart(6)}%  ` +
        `records ${String(d.records).padStart(4)}  attributed ${formatOpen(d.attributedWei)}  claimed ${formatOpen(d.claimedWei)}`,
    );
    for (const s of d.exampleSpans) lines.push(`      span ×${s.occurrences}: "${s.text}"`);
  }
  lines.push(
    `  weights recomputed from the corpus: ${report.weightsRecomputed.matched}/${report.weightsRecomputed.checked} records match`,
    `  records held: ${[...report.recordsSeen].map(([n, c]) => `${n} ${c}`).join(", ")}`,
    "",
    "Pools (node, epoch): redemptions, amount, claimed, audit",
  );
  const { fees } = report.settlement;
  for (const p of report.settlement.pools) {
    lines.push(
      `  ${p.nodeName} epoch ${p.epoch}: ${p.redemptions} redemptions, ${formatOpen(p.amount)}, claimed ${formatOpen(p.claimed)}, ` +
        `audit ${p.auditMatch === undefined ? "done (metrics)" : p.auditMatch ? "match" : "MISMATCH"}`,
    );
  }
  lines.push(
    `  fees collected from the dapp's escrow: ${formatOpen(fees.collected)} = nodes ${formatOpen(fees.parts.node)} + ` +
      `adapter owner ${formatOpen(fees.parts.owner)} + datasets ${formatOpen(fees.parts.datasets)} + burned ${formatOpen(fees.parts.protocol)}`,
    `  auditor: ${report.settlement.audited} roots audited, ${report.settlement.mismatches} mismatches, ${report.settlement.challenges} challenges`,
    "",
    "Gas by function (calls × mean)",
  );
  for (const row of report.gas.summary()) {
    lines.push(`  ${row.label.padEnd(42)} ${String(row.calls).padStart(4)} × ${row.mean.toLocaleString("en-US")}`);
  }
  lines.push(
    `  total: ${report.gas.total().toLocaleString("en-US")} gas over ${report.gas.entries().length} transactions`,
  );
  lines.push("", "Time per step");
  for (const t of report.timings) lines.push(`  [${t.step}] ${t.seconds.toFixed(1).padStart(6)} s  ${t.title}`);
  return lines.join("\n");
}
