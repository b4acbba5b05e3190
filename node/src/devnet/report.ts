import { formatUnits } from "ethers";
import type { RegistriesTourResult } from "./registriesTour.js";

const open = (wei: bigint) => `${formatUnits(wei, 18)} OPEN`;

/** The tour's result as text a person reads: datasets, versions, who gained or lost what, the burn, gas. */
export function formatTourReport(result: RegistriesTourResult): string {
  const lines: string[] = [];
  lines.push("", "Datasets");
  for (const d of result.datasets) {
    lines.push(
      `  #${d.id} ${d.owner.padEnd(8)} ${String(d.samples).padStart(4)} samples  stake ${open(d.stake).padStart(18)}` +
        `  ${d.eligible ? "eligible" : "NOT eligible"}  duplicates proven: ${d.duplicatesProven}`,
    );
  }
  lines.push(
    "",
    `Duplicate proof: sample ${result.duplicate.sampleHash.slice(0, 18)}… slashed ${open(result.duplicate.slashed)}` +
      ` from the copy, ${open(result.duplicate.reward)} to the prover, the rest burned`,
    "",
    "Adapter versions",
  );
  for (const v of result.versions) lines.push(`  version ${v.id}: ${v.status.padEnd(8)} (challenge ${v.challenge})`);
  lines.push("", "Balance changes since funding (wallets)");
  for (const [role, change] of result.balanceChanges) {
    if (change !== 0n) lines.push(`  ${role.padEnd(13)} ${change > 0n ? "+" : ""}${open(change)}`);
  }
  lines.push("", "Held by the contracts");
  for (const [name, amount] of result.held) lines.push(`  ${name.padEnd(16)} ${open(amount)}`);
  lines.push("", `Burned: ${open(result.burned)}`, "", "Gas by function (calls, mean)");
  for (const row of result.gas.summary()) {
    lines.push(`  ${row.label.padEnd(42)} ${String(row.calls).padStart(3)} × ${row.mean.toLocaleString("en-US")}`);
  }
  lines.push(
    `  total: ${result.gas.total().toLocaleString("en-US")} gas over ${result.gas.entries().length} transactions`,
  );
  return lines.join("\n");
}
