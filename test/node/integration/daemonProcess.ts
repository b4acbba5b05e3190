// `olnode start` as a child process, and a burst of paid requests cut by `kill -9`: shared by the daemon process test
// (a few hundred receipts) and the soak (10,000).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "chai";
import { type Hex, parseEventLogs } from "viem";
import { settlementAbi } from "../../../node/src/chain/abi/index.js";
import { getLaneId, RECORD_ID_HEADER } from "../../../node/src/protocol/index.js";
import { type DaemonWorld, type NodeHome, PRICE } from "./daemonFixture.js";
import { waitFor } from "./p2pHelpers.js";

const OLNODE = join(import.meta.dirname, "..", "..", "..", "bin", "olnode");

/** A running `olnode start`: its process, its API URL, and everything it wrote. */
export type NodeProcess = {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly node: string;
  output(): string;
  /** Resolves with the exit code (or the signal) once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals>;
};

/** Runs `bin/olnode start --json` in `home` with the fixture's environment; resolves once it printed where it listens. */
export async function spawnNode(
  world: DaemonWorld,
  home: NodeHome,
  overrides: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<NodeProcess> {
  const env = { ...process.env, ...world.startEnv(home, [], { OLNODE_LOG_LEVEL: "warn", ...overrides }) };
  const child = spawn(OLNODE, ["start", "--json"], { cwd: home.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const started = await new Promise<{ api: string; node: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`olnode start printed nothing in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      // `--json` prints one indented JSON object once the node listens.
      if (!stdout.trimEnd().endsWith("}")) return;
      try {
        const started = JSON.parse(stdout) as { api: string; node: string };
        clearTimeout(timer);
        resolve(started);
      } catch {
        // not complete yet
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`olnode start exited (${code}) before it started:\n${stderr}`));
    });
  });
  return { child, apiUrl: started.api, node: started.node, output: () => stderr, exited };
}

/** One acknowledged request: the lane, its seq and cumulative, the record id the node answered with. */
export type Acked = { lane: number; seq: bigint; cumulative: bigint; recordId: Hex };

/** What a burst left: the acknowledged receipts, how many requests failed (the kill), how long it ran. */
export type BurstResult = { acked: Acked[]; failed: number; sent: number; ms: number };

/**
 * Sends `total` paid requests (max_tokens 1) over `lanes` lanes, one request in flight per lane (a lane's receipts
 * must arrive in order), and calls `kill` once `killAfter` were acknowledged. A request the kill cut counts as failed;
 * a lane whose request failed stops (its next seq would be a gap).
 */
export async function burst(
  url: string,
  node: `0x${string}`,
  payer: Awaited<ReturnType<DaemonWorld["newPayer"]>>,
  opts: { total: number; lanes: number; killAfter: number; kill: () => void },
): Promise<BurstResult> {
  const acked: Acked[] = [];
  let sent = 0;
  let failed = 0;
  let killed = false;
  const started = Date.now();
  const runLane = async (lane: number) => {
    let seq = 0n;
    while (sent < opts.total) {
      sent++;
      seq++;
      try {
        const response = await payer.complete(url, node, `Type: hat; lane ${lane}; n ${seq}`, { lane, maxTokens: 1 });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        acked.push({ lane, seq, cumulative: seq * PRICE, recordId: response.headers.get(RECORD_ID_HEADER) as Hex });
      } catch {
        failed++;
        return;
      }
      if (!killed && acked.length >= opts.killAfter) {
        killed = true;
        opts.kill();
      }
    }
  };
  await Promise.all(Array.from({ length: opts.lanes }, (_, lane) => runLane(lane)));
  // Every lane stopped before the kill (refused requests): kill anyway, so the caller never waits on a live node, and
  // let its assertion on the acknowledged count say what happened.
  if (!killed) opts.kill();
  return { acked, failed, sent, ms: Date.now() - started };
}

/** The `Redeemed` events of one lane, from the chain's logs. */
export async function redeemedEvents(world: DaemonWorld, payer: Hex, node: Hex, lane: number) {
  const settlement = world.protocol.deployment.contracts.settlement;
  const logs = await world.connection.provider.request({
    method: "eth_getLogs",
    params: [{ address: settlement, fromBlock: "0x0", toBlock: "latest" }],
  });
  const events = parseEventLogs({ abi: settlementAbi, logs: logs as never, eventName: "Redeemed" });
  const id = getLaneId(payer, node, world.versionId, lane);
  return events.filter((e) => getLaneId(e.args.payer, e.args.node, e.args.versionId, e.args.lane) === id);
}

/** The highest acknowledged cumulative of each lane. */
export function highestAcked(acked: readonly Acked[]): Map<number, bigint> {
  const top = new Map<number, bigint>();
  for (const a of acked) if (a.cumulative > (top.get(a.lane) ?? 0n)) top.set(a.lane, a.cumulative);
  return top;
}

export function expectExited(code: number | NodeJS.Signals, expected: number | NodeJS.Signals, output: string): void {
  expect(code, output).to.equal(expected);
}

/**
 * Issue 4's crash test: `olnode start` in `home` as a child process, a burst of `total` paid requests over `lanes`
 * lanes, SIGKILL once half were acknowledged, restart; `olnode status` answers; every acknowledged receipt is in the
 * store; each lane was redeemed exactly once, to what the store holds (at least its highest acknowledged cumulative).
 * `track` is told the running child (for the caller's cleanup).
 */
export async function killDuringBurst(
  world: DaemonWorld,
  home: NodeHome,
  { total, lanes }: { total: number; lanes: number },
  track: (p: NodeProcess | undefined) => void,
): Promise<BurstResult> {
  const first = await spawnNode(world, home);
  track(first);
  const payer = await world.newPayer(first.node as Hex, BigInt(total) * PRICE * 2n);
  // The deposit must be in the node's chain view before the burst, or every lane's first request is refused.
  const depositBlock = BigInt(
    (await world.connection.provider.request({ method: "eth_blockNumber", params: [] })) as string,
  );
  await waitFor(
    async () => {
      const { chain } = (await (await fetch(`${first.apiUrl}/status`)).json()) as {
        chain: { synced: boolean; indexedBlock: string | null };
      };
      return chain.synced && chain.indexedBlock !== null && BigInt(chain.indexedBlock) >= depositBlock;
    },
    "the node to index the deposit",
    60_000,
    100,
  );
  // Wait for the deposit to be indexed: a first request answers 200.
  const result = await burst(first.apiUrl, first.node as Hex, payer, {
    total: total,
    lanes,
    killAfter: Math.floor(total / 2),
    kill: () => first.child.kill("SIGKILL"),
  });
  expect(await first.exited).to.equal("SIGKILL");
  process.stdout.write(
    `      burst: ${result.acked.length} acknowledged, ${result.failed} cut, ${result.sent} sent in ${result.ms} ms\n`,
  );
  expect(result.acked.length).to.be.at.least(Math.floor(total / 2));
  expect(result.failed).to.be.greaterThan(0);

  // Restart: the node comes back on the same store; its first settle tick redeems what it holds.
  const second = await spawnNode(world, home);
  track(second);
  const status = await world.olnode(home, "status", "--url", second.apiUrl);
  expect(status.code, status.stderr).to.equal(0);
  expect(status.stdout).to.contain(`node ${second.node}`).and.to.contain(`v${world.versionId}`);
  const statusJson = await world.olnode(home, "status", "--url", second.apiUrl, "--json");
  expect(JSON.parse(statusJson.stdout).node).to.equal(second.node);

  const top = highestAcked(result.acked);
  for (const [lane, cumulative] of top) {
    await waitFor(
      async () =>
        (await world.protocol.settlement.getLane(payer.account.address, second.node, world.versionId, lane))
          .collected >= cumulative,
      `lane ${lane} redeemed`,
      60_000,
      200,
    );
  }
  second.child.kill("SIGTERM");
  expect(await second.exited, second.output()).to.equal(0);
  track(undefined);

  // The same store, opened in process: every acknowledged receipt is there; each lane was redeemed once, to what
  // the store holds (at least the highest acknowledged cumulative), and another tick collects nothing.
  const node = await world.startNode(home);
  for (const a of result.acked) {
    const held = await node.store.getRecord(a.recordId);
    expect(held?.entry.receipt.seq, `lane ${a.lane} seq ${a.seq}`).to.equal(a.seq);
  }
  await node.settle.tick();
  for (const [lane, cumulative] of top) {
    const laneId = getLaneId(payer.account.address, node.node, world.versionId, lane);
    const stored = await node.store.getLane(laneId);
    const onChain = await world.protocol.settlement.getLane(payer.account.address, node.node, world.versionId, lane);
    expect(onChain.collected).to.be.at.least(cumulative);
    expect(onChain.collected).to.equal(stored?.cumulative);
    const events = await redeemedEvents(world, payer.account.address, node.node, lane);
    expect(events, `lane ${lane}`).to.have.length(1);
    expect(events[0]?.args.collected).to.equal(onChain.collected);
  }
  await node.close();
  return result;
}
