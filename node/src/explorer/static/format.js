// Formatting of the API's decimal strings: amounts are wei as strings, never JS numbers, so nothing loses precision.

const WEI = 10n ** 18n;

/** "1234500000000000000" → "1.2345 OPEN" (up to `digits` decimals, trailing zeros dropped). */
export function formatOpen(wei, digits = 6) {
  const value = BigInt(wei);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const whole = (abs / WEI).toLocaleString("en-US");
  const frac = (abs % WEI).toString().padStart(18, "0").slice(0, digits).replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""} OPEN`;
}

/** A short hash or address with the full one in a title. */
export function shortHex(hex, keep = 10) {
  const text = String(hex);
  return text.length <= keep + 4 ? text : `${text.slice(0, keep)}…${text.slice(-4)}`;
}

/** Unix seconds (decimal string) → ISO time in UTC. */
export function formatTime(seconds) {
  return `${new Date(Number(seconds) * 1000).toISOString().replace(".000", "").replace("T", " ").replace("Z", " UTC")}`;
}

/** ppm → percent with up to 4 decimals. */
export function formatPpm(ppm) {
  return `${(Number(ppm) / 10_000).toFixed(4).replace(/\.?0+$/, "")} %`;
}

/** basis points → percent. */
export function formatBps(bps) {
  return `${(Number(bps) / 100).toFixed(2)} %`;
}

/** The ratio of two bigints as a float in [0, 1], for pixel sizes only. */
export function ratio(part, whole) {
  const w = BigInt(whole);
  if (w === 0n) return 0;
  return Number((BigInt(part) * 1_000_000n) / w) / 1_000_000;
}

/** The receipts a redemption first covered: seqs fromSeq+1 … toSeq, or a top-up of an already-covered receipt. */
export function seqRange(r) {
  const from = BigInt(r.fromSeq) + 1n;
  const to = BigInt(r.toSeq);
  if (from > to) return `top-up of seq ${to}`;
  return from === to ? `seq ${to}` : `seqs ${from}–${to}`;
}
