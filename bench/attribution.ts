// `node --expose-gc --import tsx bench/attribution.ts [--size MB] [--outputs N] [--datasets N]`: DESIGN §8
// attribution at scale on a generated, deterministic corpus (Zipf-distributed words, so common phrases repeat):
// index build throughput (MB of text per second), index memory per MB of text, file size and load time, and the
// latency of one attribution (~200-token outputs, most with copied spans) on one core. Not part of CI. Writes
// bench/results/attribution.json and prints a table.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import {
  AttributionIndex,
  type AttributionSample,
  attribute,
  loadIndex,
  saveIndex,
} from "../node/src/attribution/index.js";
import type { ContributorShare } from "../node/src/protocol/index.js";

const OUT = new URL("./results/", import.meta.url);
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};

const SIZE_MB = option("--size", 100);
const OUTPUTS = option("--outputs", 2_000);
const DATASETS = option("--datasets", 64);
const VOCABULARY = 50_000;
const ZIPF_S = 1.07;
const MIN_SPAN = 8;
const GOAL_P50_MS = 5;

/** mulberry32: the same seed, the same corpus. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20_260_101);
const SYLLABLES = "ka ri to mu se na lo vi pe da zu ne ho sa qi be tu fa mo ye gi lu xo ra wi".split(" ");
const words = Array.from({ length: VOCABULARY }, (_, i) => {
  let w = "";
  let n = i + 1;
  do {
    w += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  } while (n > 0);
  return w;
});
const cdf = new Float64Array(VOCABULARY);
{
  let sum = 0;
  for (let i = 0; i < VOCABULARY; i++) {
    sum += 1 / (i + 1) ** ZIPF_S;
    cdf[i] = sum;
  }
  for (let i = 0; i < VOCABULARY; i++) cdf[i] = (cdf[i] as number) / sum;
}
function word(): string {
  const x = random();
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return words[lo] as string;
}
function sentence(wordCount: number): string {
  const parts: string[] = [];
  for (let i = 0; i < wordCount; i++) {
    parts.push(word());
    if (i % 11 === 10) parts.push(random() < 0.5 ? "," : ".");
  }
  return parts.join(" ");
}

function generateCorpus(bytes: number): { samples: AttributionSample[]; textBytes: number } {
  const samples: AttributionSample[] = [];
  let textBytes = 0;
  while (textBytes < bytes) {
    const text = `Q: ${sentence(8 + Math.floor(random() * 20))}\nA: ${sentence(80 + Math.floor(random() * 320))}`;
    // A stand-in sample hash (sha256, unique per text): the keccak check is DESIGN §4's and off in this bench.
    const sampleHash = `0x${createHash("sha256").update(text).digest("hex")}` as Hex;
    samples.push({ datasetId: BigInt(1 + Math.floor(random() * DATASETS)), sampleHash, text });
    textBytes += Buffer.byteLength(text);
  }
  return { samples, textBytes };
}

function sharesOf(samples: readonly AttributionSample[]): ContributorShare[] {
  const bytes = new Map<bigint, number>();
  for (const s of samples) bytes.set(s.datasetId, (bytes.get(s.datasetId) ?? 0) + s.text.length);
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  const ids = [...bytes.keys()].sort((a, b) => (a < b ? -1 : 1));
  const shares = ids.map((datasetId) => ({
    datasetId,
    weightPpm: Math.floor(((bytes.get(datasetId) ?? 0) * 1e6) / total),
  }));
  const first = shares[0] as ContributorShare;
  first.weightPpm += 1_000_000 - shares.reduce((a, s) => a + s.weightPpm, 0);
  return shares;
}

/** ~200 tokens: generated text, and in 3 of 4 outputs one to three spans of 10 to 60 tokens copied from the corpus. */
function generateOutput(samples: readonly AttributionSample[]): string {
  const pieces: string[] = [sentence(30)];
  const copies = random() < 0.25 ? 0 : 1 + Math.floor(random() * 3);
  for (let k = 0; k < copies; k++) {
    const source = (samples[Math.floor(random() * samples.length)] as AttributionSample).text.split(" ");
    const length = 10 + Math.floor(random() * 50);
    const start = Math.floor(random() * Math.max(1, source.length - length));
    pieces.push(source.slice(start, start + length).join(" "));
    pieces.push(sentence(15));
  }
  while (pieces.join(" ").split(" ").length < 190) pieces.push(sentence(20));
  return pieces.join(" ");
}

function memory(): { heap: number; external: number; arrayBuffers: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const MB = 1024 * 1024;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

const t0 = performance.now();
let corpus: { samples: AttributionSample[]; textBytes: number } | undefined = generateCorpus(SIZE_MB * MB);
const { textBytes } = corpus;
const sampleCount = corpus.samples.length;
const generateSeconds = (performance.now() - t0) / 1000;
const trainingShares = sharesOf(corpus.samples);
const outputs = Array.from({ length: OUTPUTS }, () =>
  generateOutput((corpus as { samples: AttributionSample[] }).samples),
);
const before = memory();
const loadBefore = loadavg()[0] as number;
const buildCpu = process.cpuUsage();
const buildStart = performance.now();
let index: AttributionIndex | undefined = AttributionIndex.build({
  versionId: 1n,
  samples: corpus.samples,
  trainingShares,
  minSpan: MIN_SPAN,
  checkSampleHashes: false,
});
const buildSeconds = (performance.now() - buildStart) / 1000;
const buildCpuSeconds = cpuSeconds(process.cpuUsage(buildCpu));
const after = memory();
const retained = after.heap + after.external - (before.heap + before.external);
const { positions, vocabularySize, arrayBytes } = index;
// The node keeps no corpus text once the index is built: neither does the bench, so GC pauses are the node's own.
corpus = undefined;

const dir = mkdtempSync(join(tmpdir(), "olp-attribution-bench-"));
const path = join(dir, "1.olpidx");
const saveStart = performance.now();
await saveIndex(index, path);
const saveSeconds = (performance.now() - saveStart) / 1000;
index = undefined;
memory();
const fileBytes = statSync(path).size;
const loadStart = performance.now();
const loaded = await loadIndex(path, 1n);
const loadSeconds = (performance.now() - loadStart) / 1000;
rmSync(dir, { recursive: true, force: true });
memory();

for (const output of outputs.slice(0, 50)) attribute(loaded, output); // warm-up
const latencies: number[] = [];
const attributionCpu = process.cpuUsage();
let spans = 0;
let withSpans = 0;
let tokens = 0;
for (const output of outputs) {
  const start = performance.now();
  const result = attribute(loaded, output);
  latencies.push(performance.now() - start);
  spans += result.spans.length;
  if (result.spans.length > 0) withSpans++;
  tokens += result.outputTokens;
}
const attributionCpuMs = (cpuSeconds(process.cpuUsage(attributionCpu)) * 1000) / OUTPUTS;
const attributionWallMs = latencies.reduce((a, b) => a + b, 0) / OUTPUTS;
latencies.sort((a, b) => a - b);

const results = {
  machine: {
    loadAverageAtBuild: round(loadBefore),
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
  },
  corpus: {
    requestedMB: SIZE_MB,
    textMB: round(textBytes / MB),
    samples: sampleCount,
    datasets: DATASETS,
    positions,
    vocabulary: vocabularySize,
    generateSeconds: round(generateSeconds),
  },
  build: {
    seconds: round(buildSeconds),
    mbPerSecond: round(textBytes / MB / buildSeconds),
    cpuSeconds: round(buildCpuSeconds),
    mbPerCpuSecond: round(textBytes / MB / buildCpuSeconds),
    sampleHashCheck: false,
  },
  memory: {
    arrayBytesPerMB: Math.round(arrayBytes / (textBytes / MB)),
    retainedBytesPerMB: Math.round(retained / (textBytes / MB)),
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === "function",
  },
  file: {
    bytes: fileBytes,
    bytesPerMB: Math.round(fileBytes / (textBytes / MB)),
    saveSeconds: round(saveSeconds),
    loadSeconds: round(loadSeconds),
  },
  attribution: {
    outputs: OUTPUTS,
    meanTokens: round(tokens / OUTPUTS, 1),
    outputsWithSpans: withSpans,
    spans,
    minSpan: MIN_SPAN,
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
    maxMs: round(latencies.at(-1) ?? 0, 3),
    meanMs: round(attributionWallMs, 3),
    meanCpuMs: round(attributionCpuMs, 3),
    cpuShare: round(attributionCpuMs / attributionWallMs),
    goalP50Ms: GOAL_P50_MS,
  },
};

mkdirSync(OUT, { recursive: true });
writeFileSync(new URL("attribution.json", OUT), `${JSON.stringify(results, null, 2)}\n`);
const table = [
  ["corpus", `${results.corpus.textMB} MB, ${results.corpus.samples} samples, ${results.corpus.positions} positions`],
  [
    "index build",
    `${results.build.seconds} s wall (${results.build.mbPerSecond} MB/s), ${results.build.cpuSeconds} s CPU (${results.build.mbPerCpuSecond} MB/s)`,
  ],
  [
    "index memory",
    `${round(results.memory.arrayBytesPerMB / MB)} MB arrays / MB text, ${round(results.memory.retainedBytesPerMB / MB)} MB retained / MB text`,
  ],
  ["index file", `${round(fileBytes / MB)} MB, save ${results.file.saveSeconds} s, load ${results.file.loadSeconds} s`],
  [
    "attribution",
    `p50 ${results.attribution.p50Ms} ms, p99 ${results.attribution.p99Ms} ms, max ${results.attribution.maxMs} ms, mean ${results.attribution.meanMs} ms wall / ${results.attribution.meanCpuMs} ms CPU`,
  ],
  ["machine", `${results.machine.cpus} cores, load average ${results.machine.loadAverageAtBuild} at the build`],
  ["outputs", `${OUTPUTS} of ~${results.attribution.meanTokens} tokens, ${withSpans} with spans, ${spans} spans`],
];
const width = Math.max(...table.map(([k]) => (k as string).length));
for (const [k, v] of table) console.log(`${(k as string).padEnd(width)}  ${v}`);
