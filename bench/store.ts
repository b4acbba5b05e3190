// `npx tsx bench/store.ts [--records N] [--kills N] [--skip-soak] [--skip-throughput] [--digested] [--out F]`: the
// store's write throughput and size per record, and the kill -9 soak (THREATS #49) 1,000 times. Not part of CI. Writes
// bench/results/store.json (or F) and prints a table. `--digested` writes the main phase's N records with
// acceptDigestedEntries (the digests the entry builder computed anyway, as the validator hands them), so 1,000,000
// records fit in minutes; without it the store hashes them again (acceptEntries).
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { concat, domainSeparator, type Hex, keccak256 } from "viem";
import { type Entry, hashInferenceRecord, hashOutputText, hashReceipt } from "../node/src/protocol/index.js";
import { type DigestedEntry, Store } from "../node/src/store/index.js";
import { makeRandom } from "../test/node/integration/fixtures/random.js";
import { runCrashHarness } from "../test/node/integration/fixtures/storeCrashHarness.js";
import { fakeSignature, LaneBuilder, TEST_DOMAIN, testLane } from "../test/node/unit/store/entries.js";

const OUT = new URL("./results/", import.meta.url);
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : Number(args[index + 1]);
};

const RECORDS = option("--records", 100_000);
const KILLS = option("--kills", 1_000);
const DIGESTED = flag("--digested");
const OUT_FILE = (() => {
  const index = args.indexOf("--out");
  return index === -1 ? "store.json" : String(args[index + 1]);
})();
const TARGET_RECORDS = 1_000_000;
/** Entries built (untimed) before each timed stretch of writes. */
const CHUNK = 8_192;
const SEPARATOR = domainSeparator({ domain: TEST_DOMAIN });
const random = makeRandom(42);

/** EIP-712 digest over a struct hash, with the domain separator hashed once (as the store does). */
const digestOf = (structHash: Hex): Hex => keccak256(concat(["0x1901", SEPARATOR, structHash]));

/** An entry of `lane` with an output of 0 to 800 characters (400 on average), and its digests. */
function nextEntry(lane: LaneBuilder): DigestedEntry {
  const receipt = lane.peekReceipt(1n + BigInt(Math.floor(random() * 1_000)));
  lane.seq = receipt.seq;
  lane.cumulative = receipt.cumulative;
  const outputText = "word ".repeat(Math.floor(random() * 160));
  const receiptDigest = digestOf(hashReceipt(receipt));
  const entry: Entry = {
    receipt,
    receiptSig: fakeSignature(Number(receipt.seq)),
    record: {
      receiptDigest,
      outputHash: hashOutputText(outputText),
      promptTokens: 50 + Math.floor(random() * 500),
      outputTokens: Math.floor(outputText.length / 5),
      datasetIds: [1n, 4n, 9n],
      weightsPpm: [500_000, 300_000, 200_000],
    },
    recordSig: fakeSignature(7 + Number(receipt.seq)),
    outputText,
  };
  return { entry, receiptDigest, recordId: digestOf(hashInferenceRecord(entry.record)) };
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    return sum + (stat.isDirectory() ? dirBytes(path) : stat.size);
  }, 0);
}

type Phase = { name: string; records: number; seconds: number; recordsPerSecond: number; batches: number };

/**
 * Writes `total` entries over `laneCount` lanes in messages of `perMessage`, `concurrency` messages in flight, through
 * `acceptEntries` (the store hashes) or `acceptDigestedEntries` (digests given, as from the validator).
 */
async function writePhase(
  name: string,
  store: Store,
  total: number,
  perMessage: number,
  concurrency: number,
  digested: boolean,
  laneOffset: number,
): Promise<Phase> {
  const lanes = Array.from({ length: concurrency }, (_, i) => new LaneBuilder(testLane(laneOffset + i)));
  let seconds = 0;
  let written = 0;
  let batches = 0;
  // Entries are built a chunk at a time outside the timed part: building them is the bench's work, not the store's.
  while (written < total) {
    const chunk = Math.min(CHUNK, total - written);
    const messages = lanes.map(() => [] as DigestedEntry[][]);
    for (let i = 0; i < chunk; i += perMessage) {
      const worker = (i / perMessage) % concurrency;
      const lane = lanes[worker] as LaneBuilder;
      messages[worker]?.push(Array.from({ length: Math.min(perMessage, chunk - i) }, () => nextEntry(lane)));
    }
    const started = performance.now();
    await Promise.all(
      messages.map(async (queue) => {
        for (const items of queue) {
          if (digested) await store.acceptDigestedEntries(items);
          else await store.acceptEntries(items.map((item) => item.entry));
          batches++;
        }
      }),
    );
    seconds += (performance.now() - started) / 1_000;
    written += chunk;
  }
  return { name, records: written, seconds, recordsPerSecond: written / seconds, batches };
}

async function throughput() {
  const dir = join(tmpdir(), `olnode-store-bench-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const rssBefore = process.memoryUsage().rss;
  const store = await Store.open({ dir, domain: TEST_DOMAIN });
  const phases: Phase[] = [];
  phases.push(await writePhase("1 entry per batch, 8 lanes in flight (fsync per batch)", store, 5_000, 1, 8, false, 0));
  phases.push(
    await writePhase(
      DIGESTED
        ? "64-entry messages, digests given (acceptDigestedEntries)"
        : "64-entry messages, store hashes (acceptEntries)",
      store,
      RECORDS,
      64,
      4,
      DIGESTED,
      100,
    ),
  );
  phases.push(
    await writePhase("64-entry messages, digests given (acceptDigestedEntries)", store, 20_000, 64, 4, true, 200),
  );
  const memory = process.memoryUsage();
  await store.close();
  const records = phases.reduce((sum, phase) => sum + phase.records, 0);
  const bytesAfterClose = dirBytes(dir);
  // Reopening replays the log into a table file, so this is what the records take in LevelDB's sorted tables.
  const reopened = await Store.open({ dir, domain: TEST_DOMAIN });
  await reopened.close();
  const bytesAfterReopen = dirBytes(dir);
  rmSync(dir, { recursive: true, force: true });
  const bytesPerRecord = Math.max(bytesAfterClose, bytesAfterReopen) / records;
  return {
    phases,
    records,
    bytesAfterClose,
    bytesAfterReopen,
    bytesPerRecord,
    extrapolatedBytesAt1M: Math.round(bytesPerRecord * TARGET_RECORDS),
    extrapolated: records < TARGET_RECORDS,
    rssBytes: memory.rss,
    rssGrowthBytes: memory.rss - rssBefore,
    heapUsedBytes: memory.heapUsed,
  };
}

async function soak() {
  const dir = join(tmpdir(), `olnode-store-soak-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await runCrashHarness({
    dir,
    kills: KILLS,
    seed: 1_000,
    fullCheckEvery: 50,
    onRound: (round, partial) => {
      if (round % 50 === 0) console.log(`  soak: ${round}/${KILLS} kills, ${partial.acknowledged} acknowledged`);
    },
  });
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const results: Record<string, unknown> = {
  what: "store writes (level 10, sync batches) and the kill -9 soak; entries carry 0-800 character outputs",
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
  at: new Date().toISOString(),
};
if (!flag("--skip-throughput")) {
  console.log(`Writing ${RECORDS.toLocaleString()} records…`);
  const t = await throughput();
  results.throughput = t;
  console.table(
    t.phases.map((p) => ({
      phase: p.name,
      records: p.records,
      batches: p.batches,
      seconds: p.seconds.toFixed(1),
      "records/s": Math.round(p.recordsPerSecond),
    })),
  );
  console.table({
    "bytes per record": Math.round(t.bytesPerRecord),
    [`bytes at 1M records${t.extrapolated ? ` (extrapolated from ${t.records.toLocaleString()})` : ""}`]:
      t.extrapolatedBytesAt1M,
    "RSS after writing (MiB)": Math.round(t.rssBytes / 2 ** 20),
    "heap used (MiB)": Math.round(t.heapUsedBytes / 2 ** 20),
  });
}
if (!flag("--skip-soak")) {
  console.log(`Soak: ${KILLS} kill -9 of a writing child…`);
  const s = await soak();
  results.soak = { ...s, problems: s.problems.slice(0, 20) };
  console.table({
    kills: s.kills,
    "killed in start-up": s.earlyKills,
    "acknowledged entries": s.acknowledged,
    "entries at the end": s.records,
    problems: s.problems.length,
    minutes: (s.seconds / 60).toFixed(1),
  });
  if (s.problems.length > 0) console.log(s.problems.slice(0, 20).join("\n"));
}
mkdirSync(OUT, { recursive: true });
writeFileSync(
  new URL(OUT_FILE, OUT),
  `${JSON.stringify(results, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
);
console.log(`Wrote bench/results/${OUT_FILE}`);
