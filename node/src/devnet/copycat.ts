/**
 * Builds the copycat's dataset of the devnet: the first `copied` samples of an honest dataset with their letters
 * upper-cased and single spaces doubled (the same normalized text, so the same sample hashes: DESIGN §4), followed by
 * `own` lines of the copycat's own. What a lazy thief would register to farm someone else's rewards.
 */
export function makeCopycatDataset(original: Uint8Array, copied: number, own: readonly string[]): Uint8Array {
  const lines = new TextDecoder()
    .decode(original)
    .split("\n")
    .filter((l) => l.length > 0);
  if (lines.length < copied) throw new Error(`the original has ${lines.length} samples, cannot copy ${copied}`);
  const disguised = lines.slice(0, copied).map((line) => {
    const record = JSON.parse(line) as Record<string, string>;
    const changed = Object.fromEntries(
      Object.entries(record).map(([key, value]) => [
        key,
        value.replace(/[a-z]/g, (c) => c.toUpperCase()).replace(/ /g, "  "),
      ]),
    );
    return JSON.stringify(changed);
  });
  return new TextEncoder().encode(`${[...disguised, ...own].join("\n")}\n`);
}
