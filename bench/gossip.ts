// `npx tsx bench/gossip.ts`: gossip delivery latency across 10 nodes on loopback at 1,000 records/s for 10 s.
// Each node is its own process (a Network with the production gossip settings, IP colocation off for loopback, DHT
// off), connected to its three predecessors on a ring. Every node publishes 100 records/s (--batch entries a message),
// each entry carrying its send time in its output text; every other node's handler records now − send time. The p2p
// layer decodes every payload (decodeRecordsMessage); signature recovery is not in the loop. Writes
// bench/results/gossip.json and prints a table.
// Bounded: the run stops by itself, and the parent kills every child past a hard deadline.
//
// Options: --nodes 10 --rate 1000 --seconds 10 --batch 10 --out gossip.json (records/s across all nodes; entries a
// message: a node publishing 100 records/s batches them, as DESIGN §4 allows up to 256 a message).
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Network } from "../node/src/p2p/index.js";
import type { Entry } from "../node/src/protocol/index.js";

const OUT = new URL("./results/", import.meta.url);
/** After the last publish, receivers may go on delivering until none has delivered anything for this long... */
const DRAIN_IDLE_MS = 3_000;
/** ...or until this long has passed: what has not arrived by then counts as lost. */
const DRAIN_MAX_MS = 60_000;
/** Past this, the parent kills every child whatever they are doing. */
const HARD_DEADLINE_MS = 240_000;

type ToChild =
  | { type: "connect"; addresses: string[] }
  | { type: "status" }
  | { type: "run"; startAt: number; seconds: number; ratePerNode: number; batch: number }
  | { type: "report" }
  | { type: "close" };
type FromChild =
  | { type: "ready"; address: string }
  | { type: "connected" }
  | { type: "status"; meshPeers: number; received: number; published: number }
  | {
      type: "report";
      published: number;
      latencies: number[];
      received: number;
      cpuMs: number;
      peerScores: number[];
      meshPeers: number;
    }
  | { type: "closed" };

/** The wall clock in fractional ms, comparable across processes on one machine. */
const now = (): number => performance.timeOrigin + performance.now();

function entry(publisher: number, seq: number, sentAt: number): Entry {
  const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}` as const;
  return {
    receipt: {
      payer: hex(0xbeef, 20),
      node: hex(publisher + 1, 20),
      versionId: 1n,
      lane: publisher,
      seq: BigInt(seq),
      requestHash: hex(seq, 32),
      value: 10n ** 16n,
      cumulative: 10n ** 16n * BigInt(seq),
    },
    receiptSig: `0x${"11".repeat(64)}1b`,
    record: {
      receiptDigest: hex(seq + 1, 32),
      outputHash: hex(seq + 2, 32),
      promptTokens: 42,
      outputTokens: 128,
      datasetIds: [1n, 4n, 9n],
      weightsPpm: [500_000, 300_000, 200_000],
    },
    recordSig: `0x${"22".repeat(64)}1c`,
    // About the size of a short completion, with the send time the receivers read back.
    outputText: `${publisher}:${seq}:${sentAt}:${"x".repeat(400)}`,
  };
}

async function child(index: number, dir: string): Promise<void> {
  const send = (message: FromChild) => process.send?.(message);
  const latencies: number[] = [];
  let received = 0;
  let published = 0;
  let cpuAtStart = process.cpuUsage();
  const network = await Network.init(
    {
      peerKeyPath: join(dir, `node-${index}.key`),
      listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
      dht: false,
      ipColocationFactorWeight: 0,
      maxQueuedMessages: 4096,
    },
    {
      // The p2p layer decodes every payload (decodeRecordsMessage) before the validator; this one adds nothing.
      validators: { records: async () => {}, training: async () => {}, attribution: async () => {} },
      handlers: {
        onRecords: async (entries) => {
          const at = now();
          for (const e of entries) {
            received++;
            latencies.push(at - Number(e.outputText.split(":")[2]));
          }
        },
        onTraining: async () => {},
        onAttribution: async () => {},
        getRecords: async () => [],
        getSamples: async () => null,
        getCheckpoint: async () => null,
      },
    },
  );
  process.on("message", async (message: ToChild) => {
    switch (message.type) {
      case "connect":
        for (const address of message.addresses) await network.connect(address);
        send({ type: "connected" });
        break;
      case "status":
        send({ type: "status", meshPeers: network.getMeshPeers("records").length, received, published });
        break;
      case "run": {
        // One message of `batch` entries every batch / rate seconds, on schedule: a late tick sends what is due.
        const interval = (1000 * message.batch) / message.ratePerNode;
        const messages = Math.round((message.ratePerNode * message.seconds) / message.batch);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, message.startAt - now())));
        cpuAtStart = process.cpuUsage();
        const start = now();
        for (let sent = 0; sent < messages; ) {
          const due = Math.min(messages, Math.floor((now() - start) / interval) + 1);
          for (; sent < due; sent++) {
            const sentAt = now();
            const entries = Array.from({ length: message.batch }, (_, k) =>
              entry(index, sent * message.batch + k + 1, sentAt),
            );
            await network.publishRecords(entries);
            published += entries.length;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, start + sent * interval - now())));
        }
        break;
      }
      case "report":
        send({
          type: "report",
          published,
          latencies,
          received,
          cpuMs: cpuMsSince(cpuAtStart),
          peerScores: network.getConnectedPeers().map((peer) => network.getPeerScore(peer)),
          meshPeers: network.getMeshPeers("records").length,
        });
        break;
      case "close":
        await network.close();
        send({ type: "closed" });
        process.exit(0);
    }
  });
  const [address] = network.getMultiaddrs();
  send({ type: "ready", address: address ?? "" });
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string", default: "10" },
      rate: { type: "string", default: "1000" },
      seconds: { type: "string", default: "10" },
      batch: { type: "string", default: "10" },
      out: { type: "string", default: "gossip.json" },
    },
  });
  const nodes = Number(values.nodes);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const batch = Number(values.batch);
  const dir = mkdtempSync(join(tmpdir(), "olp-bench-gossip-"));
  const began = now();
  const loadBefore = loadavg()[0] ?? 0;
  const children: ChildProcess[] = [];
  const deadline = setTimeout(() => {
    console.error(`bench/gossip: past the ${HARD_DEADLINE_MS / 1000} s deadline, killing the nodes`);
    for (const c of children) c.kill("SIGKILL");
    process.exit(1);
  }, HARD_DEADLINE_MS);
  const next = (c: ChildProcess, type: FromChild["type"]) =>
    new Promise<FromChild>((resolve) => {
      const listen = (message: FromChild) => {
        if (message.type !== type) return;
        c.off("message", listen);
        resolve(message);
      };
      c.on("message", listen);
    });
  try {
    for (let i = 0; i < nodes; i++) {
      children.push(fork(new URL(import.meta.url).pathname, ["--child", String(i), dir], { stdio: "inherit" }));
    }
    const addresses = await Promise.all(
      children.map(async (c) => ((await next(c, "ready")) as Extract<FromChild, { type: "ready" }>).address),
    );
    console.error(`bench/gossip: ${nodes} nodes up after ${((now() - began) / 1000).toFixed(1)} s`);
    // A ring with chords: node i dials its three predecessors, so every node has about six connections.
    for (let i = 0; i < nodes; i++) {
      const c = children[i] as ChildProcess;
      const targets = [1, 2, 3].filter((k) => k < nodes).map((k) => addresses[(i - k + nodes) % nodes] ?? "");
      const done = next(c, "connected");
      c.send({ type: "connect", addresses: [...new Set(targets)] } satisfies ToChild);
      await done;
    }
    const status = () =>
      Promise.all(
        children.map(async (c) => {
          const reply = next(c, "status");
          c.send({ type: "status" } satisfies ToChild);
          return (await reply) as Extract<FromChild, { type: "status" }>;
        }),
      );
    const meshStart = now();
    for (;;) {
      const sizes = (await status()).map((s) => s.meshPeers);
      if (sizes.every((s) => s >= Math.min(3, nodes - 1))) break;
      if (now() - meshStart > 30_000) throw new Error(`no mesh after 30 s: ${sizes.join(",")}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const meshMs = now() - meshStart;
    console.error(`bench/gossip: mesh formed in ${(meshMs / 1000).toFixed(1)} s; publishing for ${seconds} s`);

    const startAt = now() + 500;
    for (const c of children)
      c.send({ type: "run", startAt, seconds, ratePerNode: rate / nodes, batch } satisfies ToChild);
    await new Promise((resolve) => setTimeout(resolve, 500 + seconds * 1000));
    // Drain: wait while deliveries still arrive (late is not lost), up to a bound.
    const drainStart = now();
    let lastProgress = now();
    let lastReceived = -1;
    for (;;) {
      const statuses = await status();
      const received = statuses.reduce((sum, s) => sum + s.received, 0);
      const published = statuses.reduce((sum, s) => sum + s.published, 0);
      if (received !== lastReceived) {
        lastReceived = received;
        lastProgress = now();
      }
      const complete = published === Math.round(rate * seconds) && received === published * (nodes - 1);
      if (complete || now() - lastProgress > DRAIN_IDLE_MS || now() - drainStart > DRAIN_MAX_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const drainMs = now() - drainStart;
    console.error(`bench/gossip: drained for ${(drainMs / 1000).toFixed(1)} s`);
    const reports = (await Promise.all(
      children.map(async (c) => {
        const report = next(c, "report");
        c.send({ type: "report" } satisfies ToChild);
        return report;
      }),
    )) as Extract<FromChild, { type: "report" }>[];
    await Promise.all(
      children.map(async (c) => {
        const closed = next(c, "closed");
        c.send({ type: "close" } satisfies ToChild);
        await closed;
      }),
    );

    const published = reports.reduce((s, r) => s + r.published, 0);
    const received = reports.reduce((s, r) => s + r.received, 0);
    const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const expected = published * (nodes - 1);
    const cpuSeconds = reports.reduce((s, r) => s + r.cpuMs, 0) / 1000;
    const scores = reports.flatMap((r) => r.peerScores);
    const round = (x: number) => Math.round(x * 100) / 100;
    const result = {
      what: "gossip delivery latency: publish on one node to the handler of each other node, real libp2p on loopback",
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        node: process.version,
        // Other work on the machine competes with the 10 nodes: a 1-minute load average above the CPU count means
        // the nodes waited for a core, and the latencies measure that wait too.
        loadAverageBefore: round(loadBefore),
        loadAverageAfter: round(loadavg()[0] ?? 0),
      },
      setup: {
        nodes,
        processes: "one per node",
        topology: "ring, each node dialling its 3 predecessors",
        recordsPerSecond: rate,
        seconds,
        entriesPerMessage: batch,
        outputTextBytes: 400,
        validator: "none beyond the p2p layer's decodeRecordsMessage (no signature recovery)",
        meshFormationMs: Math.round(meshMs),
        drainMs: Math.round(drainMs),
      },
      published,
      deliveries: received,
      expectedDeliveries: expected,
      deliveryRatio: round(received / expected),
      cpuSecondsAllNodes: round(cpuSeconds),
      // What the nodes thought of each other at the end: an overloaded node breaks IWANT promises (P7).
      peerScores: { min: round(Math.min(...scores)), max: round(Math.max(...scores)) },
      meshPeersPerNode: reports.map((r) => r.meshPeers),
      cpuMicrosecondsPerDelivery: round((cpuSeconds * 1e6) / received),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? Number.NaN),
      },
    };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(new URL(values.out, OUT), `${JSON.stringify(result, null, 2)}\n`);
    console.table({
      nodes,
      "records/s": rate,
      seconds,
      published,
      "delivered / expected": `${received} / ${expected}`,
      "p50 ms": result.latencyMs.p50,
      "p90 ms": result.latencyMs.p90,
      "p99 ms": result.latencyMs.p99,
      "max ms": result.latencyMs.max,
      "CPU µs / delivery": result.cpuMicrosecondsPerDelivery,
    });
    console.log(
      `wrote bench/results/${values.out} (${result.machine.cpus} CPUs, ${result.machine.cpuModel}, ` +
        `load average ${result.machine.loadAverageBefore} before, ${result.machine.loadAverageAfter} after)`,
    );
  } finally {
    clearTimeout(deadline);
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) {
  await child(Number(process.argv[childIndex + 1]), process.argv[childIndex + 2] ?? tmpdir());
} else {
  await parent();
}
