import type { ContractTransactionResponse } from "ethers";

/** One transaction the tour or the benchmark sent, with what it cost. */
export interface GasEntry {
  readonly label: string;
  readonly gasUsed: bigint;
}

/**
 * Records the gas of every transaction sent through it, under a label such as `DatanetRegistry.revealDataset`.
 * Used by the devnet report (gas spent per step) and by the gas benchmark (gas per user-facing function).
 */
export class GasLedger {
  readonly #entries: GasEntry[] = [];

  /** Waits for `tx` to be mined, records its gas under `label`, and returns the receipt. Reverts are thrown. */
  async record(label: string, tx: Promise<ContractTransactionResponse>) {
    const sent = await tx;
    const receipt = await sent.wait();
    if (receipt === null) throw new Error(`${label}: transaction ${sent.hash} has no receipt`);
    this.#entries.push({ label, gasUsed: receipt.gasUsed });
    return receipt;
  }

  /** Records a transaction someone else sent (a node, the CLI), found on the chain. */
  add(entry: GasEntry): void {
    this.#entries.push(entry);
  }

  /** Every recorded transaction, in order. */
  entries(): readonly GasEntry[] {
    return this.#entries;
  }

  /** Total gas over all recorded transactions. */
  total(): bigint {
    return this.#entries.reduce((sum, e) => sum + e.gasUsed, 0n);
  }

  /** Per label: calls, min, max and mean gas, sorted by label. */
  summary(): { label: string; calls: number; min: bigint; max: bigint; mean: bigint }[] {
    const byLabel = new Map<string, bigint[]>();
    for (const e of this.#entries) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e.gasUsed]);
    return [...byLabel.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, gas]) => {
        const sorted = [...gas].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        return {
          label,
          calls: gas.length,
          min: sorted[0] ?? 0n,
          max: sorted[sorted.length - 1] ?? 0n,
          mean: gas.reduce((s, g) => s + g, 0n) / BigInt(gas.length),
        };
      });
  }
}
