// The four guides of docs/, run as a user would: every ```sh block, in order, in a copy of the repository, with
// the variables the guides export kept from block to block. Slow (it trains an adapter): `npm run test:e2e`.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";

const REPO = join(import.meta.dirname, "..", "..");
/** Where the test runs the guides' blocks, in this order; the contributor's claim waits for an audited epoch. */
const ORDER = ["guide-contributor", "guide-operator", "guide-dapp", "guide-auditor", "guide-contributor#2"] as const;
const SPLIT = "<!-- e2e: after guide-auditor -->";
/** Ports the guides name, each mapped to a free one so the test never meets a chain or node already running. */
const PORTS = [8545, 8470, 8471, 9700, 9701];
const BLOCK_TIMEOUT_MS = 600_000;

/** One ```sh block of a guide. */
type Block = { guide: string; index: number; text: string };
/** What a block printed. */
type Ran = Block & { code: number | null; stdout: string; stderr: string };

/** The ```sh blocks of a markdown text, in order; ```sh no-test blocks (clone, install) are left out. */
function shBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```sh([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(fence)) {
    if ((m[1] ?? "").includes("no-test")) continue;
    blocks.push(m[2] ?? "");
  }
  return blocks;
}

function guideBlocks(): Block[] {
  const all: Block[] = [];
  const seen = new Set<string>();
  for (const entry of ORDER) {
    const [name, part] = entry.split("#") as [string, string | undefined];
    const text = readFileSync(join(REPO, "docs", `${name}.md`), "utf8");
    const [first, second = ""] = text.split(SPLIT);
    const blocks = shBlocks(part === "2" ? second : (first ?? ""));
    blocks.forEach((block, index) => {
      // The setup steps are the same in every guide: a user does them once.
      if (seen.has(block)) return;
      seen.add(block);
      all.push({ guide: entry, index, text: block });
    });
  }
  return all;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** A fresh checkout: the tracked and new files of this tree, the compiled artifacts, the shared node_modules. */
function makeSandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), "olnode-guides-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO, encoding: "utf8" })
    .split("\0")
    .filter((f) => f.length > 0 && !f.startsWith("local/") && existsSync(join(REPO, f)));
  for (const file of files) cpSync(join(REPO, file), join(dir, file), { recursive: true });
  // Built outputs, so `npm run build` finds its cache (a fresh clone compiles for a minute or two instead).
  for (const built of ["artifacts", "cache", "types"]) {
    if (existsSync(join(REPO, built))) cpSync(join(REPO, built), join(dir, built), { recursive: true });
  }
  symlinkSync(realpathSync(join(REPO, "node_modules")), join(dir, "node_modules"));
  return dir;
}

describe("the guides in docs/ run, command by command, from a fresh checkout", function () {
  this.timeout(3_600_000);
  let sandbox: string;
  const groups: number[] = [];
  const ran: Ran[] = [];
  let ports: Map<number, number>;

  /** Runs one block in its own bash and process group, with the variables earlier blocks exported. */
  const runBlock = async (block: Block): Promise<Ran> => {
    let text = block.text;
    for (const [from, to] of ports) text = text.replace(new RegExp(`\\b${from}\\b`, "g"), String(to));
    const envFile = join(sandbox, ".guide-env.sh");
    const script = join(sandbox, ".guide-block.sh");
    writeFileSync(script, `set -e -o pipefail\n[ -f ${envFile} ] && . ${envFile}\n${text}\nexport -p > ${envFile}\n`);
    const child: ChildProcess = spawn("bash", [script], {
      cwd: sandbox,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: userEnv(),
    });
    if (child.pid !== undefined) groups.push(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), BLOCK_TIMEOUT_MS);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const result = { ...block, code, stdout, stderr };
    ran.push(result);
    return result;
  };

  before(async () => {
    sandbox = makeSandbox();
    ports = new Map();
    for (const port of PORTS) ports.set(port, await freePort());
  });

  after(async () => {
    // Stop what the guides left running (the chain, the nodes): each block's process group.
    for (const pgid of groups) signalGroup(pgid, "SIGTERM");
    const end = Date.now() + 20_000;
    while (Date.now() < end && groups.some(alive)) await new Promise((r) => setTimeout(r, 200));
    for (const pgid of groups) signalGroup(pgid, "SIGKILL");
    // OLNODE_E2E_KEEP=1 keeps the sandbox (its local/*.log) to look at.
    if (process.env.OLNODE_E2E_KEEP !== "1") rmSync(sandbox, { recursive: true, force: true });
  });

  it("runs every ```sh block of the four guides with exit code 0, showing what the guides promise", async () => {
    const blocks = guideBlocks();
    expect(blocks.length).to.be.greaterThan(20);
    for (const block of blocks) {
      const result = await runBlock(block);
      const where = `${block.guide} block ${block.index + 1}:\n${block.text}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr.slice(-4000)}`;
      expect(result.code, where).to.equal(0);
    }
    const out = (guide: string) =>
      ran
        .filter((r) => r.guide === guide)
        .map((r) => r.stdout)
        .join("\n");
    // The contributor registered datasets 1 and 2 in datanet 1.
    expect(out("guide-contributor")).to.match(/dataset\s+1 in datanet 1/);
    expect(out("guide-contributor")).to.match(/dataset\s+2 in datanet 1/);
    // The operator's version is on chain, active, served by both nodes, and the explorer answers.
    expect(out("guide-operator")).to.match(/version\s+1 \(adapter 1/);
    expect(out("guide-operator")).to.match(/activated version 1/);
    expect(out("guide-operator").match(/serving\s+v1/g)?.length).to.equal(2);
    expect(out("guide-operator")).to.include("explorer up");
    // The dapp paid twice, got two checked records, and saw the lane collected on chain.
    expect(out("guide-dapp").match(/record\s+0x[0-9a-f]{64} \(seq \d+, paid 0\.01 OPEN\)/g)?.length).to.equal(2);
    expect(out("guide-dapp")).to.match(/settled: lane 0 collected 0\.02 OPEN up to seq 2/);
    // The auditor recomputed the node's posted root and found it right.
    expect(out("guide-auditor")).to.match(/pool 0x[0-9a-fA-F]{40} version 1 epoch \d+/);
    expect(out("guide-auditor")).to.match(/result\s+MATCH/);
    expect(out("guide-auditor")).to.not.match(/MISMATCH/);
    // The contributor claimed the datasets' part of the pool.
    expect(out("guide-contributor#2")).to.match(/claimed [0-9.]+ OPEN for 0x/);
    expect(out("guide-contributor#2")).to.not.match(/claimed 0 OPEN/);
  });
});

/** The environment of a user's fresh terminal: no OLNODE_* left from this process, the trainer's Python named. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("OLNODE_") && !k.startsWith("npm_")) env[k] = v;
  // What the guides tell a user whose first python3 lacks PyTorch.
  env.OLNODE_TRAINER_PYTHON_PATH = process.env.OLNODE_TRAINER_PYTHON_PATH ?? "/usr/bin/python3";
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return env;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
