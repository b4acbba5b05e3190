import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  checkDevnetInvariants,
  type DevnetRun,
  DevnetStepError,
  formatDevnetReport,
  runDevnet,
} from "../../node/src/devnet/index.js";
import { TrainerProcess } from "../../node/src/trainer/index.js";

/** The built-in architecture without pre-training, cached like test/node/integration/train-cli.test.ts's. */
const MODEL_DIR = join(tmpdir(), "olnode-test-models", "builtin-pretrain-0");

/** A short run: 8 training steps, 30 inferences; the rest is the real `npm start`. */
const SMALL = { steps: 8, checkpointInterval: 4, batchSize: 4, evalSamples: 0, inferences: 30, modelDir: MODEL_DIR };

describe("npm start: the devnet's whole lifecycle on one machine (e2e, a few minutes)", function () {
  this.timeout(600_000);

  let run: DevnetRun;
  const lines: string[] = [];

  before(async () => {
    const cached = await stat(join(MODEL_DIR, "model.safetensors")).then(
      () => true,
      () => false,
    );
    if (!cached) await new TrainerProcess().run("make-model", ["--out", MODEL_DIR, "--pretrain-steps", "0"]);
    run = await runDevnet(SMALL, { log: (line) => lines.push(line) });
  });

  after(async () => {
    await run?.close();
  });

  it("numbers every step and says what it does", () => {
    const steps = lines.filter((l) => /^\[\d+\] /.test(l));
    expect(steps.length).to.be.greaterThan(12);
    for (const [i, line] of steps.entries()) expect(line.startsWith(`[${i + 1}] `), line).to.equal(true);
    expect(lines.join("\n")).to.contain("olnode dataset add").and.to.contain("olnode train");
  });

  it("conserves the supply: wallets + contracts + burned = the minted supply, and something was burned", () => {
    const { report } = run;
    const wallets = report.balances.reduce((s, b) => s + b.after, 0n);
    const contracts = [...report.held.values()].reduce((s, v) => s + v, 0n);
    expect(wallets + contracts + report.burned).to.equal(report.supply);
    expect(report.burned).to.be.greaterThan(0n);
  });

  it("pays every pool out exactly: the owners' claims equal the pool amounts", () => {
    const { settlement } = run.report;
    expect(settlement.pools.length).to.be.at.least(3);
    for (const pool of settlement.pools) {
      expect(pool.amount).to.be.greaterThan(0n);
      expect(pool.claimed).to.equal(pool.amount);
    }
    const claimed = settlement.claims.reduce((s, c) => s + c.amount, 0n);
    expect(claimed).to.equal(settlement.pools.reduce((s, p) => s + p.amount, 0n));
    const byOwner = new Set(settlement.claims.map((c) => c.owner));
    expect([...byOwner].sort()).to.deep.equal(["alice", "bob", "carol"]);
  });

  it("slashes the copycat by its duplicate proof and leaves it out of training and rewards", () => {
    const { copycat, datasets } = run.report;
    expect(copycat.slashed).to.be.greaterThan(0n);
    expect(copycat.reward).to.be.greaterThan(0n).and.lessThan(copycat.slashed);
    expect(copycat.eligible).to.equal(false);
    const mallory = datasets.find((d) => d.owner === "mallory");
    expect(mallory?.duplicatesProven).to.equal(1n);
    expect(mallory?.trainingSharePpm).to.equal(0);
    expect(mallory?.claimedWei).to.equal(0n);
  });

  it("holds every inference's record on every node, and each record's weights are recomputable", () => {
    const { report } = run;
    expect(report.inferences).to.equal(SMALL.inferences);
    expect([...report.recordsSeen.keys()].sort()).to.deep.equal(["auditor", "node-a", "node-b", "node-c"]);
    for (const n of report.recordsSeen.values()) expect(n).to.equal(SMALL.inferences);
    expect(report.weightsRecomputed).to.deep.equal({ matched: SMALL.inferences, checked: SMALL.inferences });
  });

  it("has the auditor audit every root without a challenge", () => {
    const { settlement } = run.report;
    expect(settlement.audited).to.be.at.least(settlement.pools.length);
    expect(settlement.mismatches).to.equal(0);
    expect(settlement.challenges).to.equal(0);
  });

  it("holds every invariant and prints a report naming parties, burn, datasets and gas", () => {
    expect(checkDevnetInvariants(run.report)).to.deep.equal([]);
    const text = formatDevnetReport(run.report);
    for (const word of [
      "alice",
      "bob",
      "carol",
      "mallory",
      "node-a",
      "auditor",
      "dapp",
      "Burned:",
      "Settlement.redeem",
    ]) {
      expect(text).to.contain(word);
    }
    expect(run.report.gas.total()).to.be.greaterThan(0n);
  });

  it("serves node A's explorer at the printed URL", async () => {
    const res = await fetch(`${run.explorerUrl}api/overview`);
    expect(res.status).to.equal(200);
  });

  it("says which step failed and why", async () => {
    const failed = runDevnet({ ...SMALL, pythonPath: "/nonexistent/python3" }, { log: () => undefined });
    const err = await failed.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(DevnetStepError);
    expect((err as DevnetStepError).title).to.contain("trains a QLoRA adapter");
    expect((err as Error).message).to.match(/^step \d+ \(node A trains a QLoRA adapter.*\) failed: .*python3/);
  });
});
