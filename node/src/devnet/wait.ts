const OPEN = 10n ** 18n;

/** An amount of OPEN for people: `12.5 OPEN`. */
export function formatOpen(wei: bigint): string {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const whole = abs / OPEN;
  const frac = (abs % OPEN).toString().padStart(18, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole.toLocaleString("en-US")}${frac === "" ? "" : `.${frac}`} OPEN`;
}

/** Polls `condition` every 250 ms until it holds, at most `timeoutMs`; the error says what was awaited and where it stood. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  condition: () => Promise<boolean>,
  state?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const where = state === undefined ? "" : ` (${state()})`;
      const why = lastError === undefined ? "" : `; last error: ${(lastError as Error).message}`;
      throw new Error(`waited ${Math.round(timeoutMs / 1000)} s for ${what}${where}${why}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
