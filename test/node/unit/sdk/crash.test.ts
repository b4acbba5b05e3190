import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { encodeReceiptHeader, openLevelLaneStore } from "../../../../node/src/sdk/index.js";
import { DOMAIN, testLane } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./crashChild.ts", import.meta.url));

type Printed = { seq: string; header: string };

/** Runs the child until it has printed `lines` receipts, SIGKILLs it, and returns everything it printed. */
function runAndKill(location: string, lines: number): Promise<Printed[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, location], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let killed = false;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (!killed && out.split("\n").length > lines) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") return reject(new Error(`child exited without being killed: ${err}`));
      // A line cut by the kill is not a receipt the dapp sent.
      const complete = out.slice(0, out.lastIndexOf("\n") + 1);
      resolve(
        complete
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as Printed),
      );
    });
  });
}

describe("sdk lane store under kill -9 (THREATS #49: pay before, no seq signed twice)", function () {
  // Two child processes start tsx; the machine is shared.
  this.timeout(60_000);
  const location = mkdtempSync(join(tmpdir(), "olp-crash-"));
  after(() => rmSync(location, { recursive: true, force: true }));

  it("holds every receipt handed out, and the restarted SDK continues right after the last one written", async () => {
    const lane = testLane();
    let expectedFirst = 1n;
    for (const lines of [5, 12]) {
      const printed = await runAndKill(location, lines);
      expect(printed.length).to.be.at.least(lines);
      const seqs = printed.map((p) => BigInt(p.seq));
      // The run continued the lane where the store left it, one seq at a time.
      expect(seqs).to.deep.equal(seqs.map((_, i) => expectedFirst + BigInt(i)));
      const last = printed.at(-1) as Printed;

      const store = await openLevelLaneStore({ location, domain: DOMAIN });
      const state = await store.getLane(lane);
      await store.close();
      if (state === undefined) throw new Error("expected the lane's state");
      // Every receipt handed out was written first; at most one more was written and never handed out.
      expect(state.seq === BigInt(last.seq) || state.seq === BigInt(last.seq) + 1n, `stored ${state.seq}`).to.equal(
        true,
      );
      if (state.seq === BigInt(last.seq)) expect(encodeReceiptHeader(state.last)).to.equal(last.header);
      expect(state.cumulative).to.equal(state.seq * 7n);
      expectedFirst = state.seq + 1n;
    }
  });
});
