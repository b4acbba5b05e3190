import { expect } from "chai";
import {
  checkDevnetInvariants,
  type DevnetReport,
  DevnetStepError,
  GasLedger,
  parseDevnetArgs,
  Steps,
} from "../../../../node/src/devnet/index.js";

describe("devnet: arguments, steps and invariants", () => {
  it("parses npm start's flags and refuses unknown or malformed ones, naming them", () => {
    const args = parseDevnetArgs(["--", "--once", "--steps", "40", "--inferences=12", "--dir", "run"], "/tmp/x");
    expect(args.once).to.equal(true);
    expect(args.options).to.deep.equal({ steps: 40, inferences: 12, dir: "/tmp/x/run" });
    expect(parseDevnetArgs(["--help"], "/").help).to.equal(true);
    expect(() => parseDevnetArgs(["--stpes", "4"], "/")).to.throw("unknown argument --stpes");
    expect(() => parseDevnetArgs(["--steps", "four"], "/")).to.throw('--steps must be a whole number, found "four"');
    expect(() => parseDevnetArgs(["--steps"], "/")).to.throw("--steps needs a value");
  });

  it("numbers steps and names the failing one", async () => {
    const lines: string[] = [];
    const steps = new Steps((l) => lines.push(l));
    expect(await steps.run("first", async () => 1)).to.equal(1);
    const err = await steps
      .run("second", async () => {
        throw new Error("boom", { cause: new Error("the reason") });
      })
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DevnetStepError);
    expect((err as DevnetStepError).step).to.equal(2);
    expect((err as Error).message).to.equal("step 2 (second) failed: boom: the reason");
    expect(lines).to.deep.equal(["[1] first", "[2] second"]);
  });

  it("finds a supply that does not add up, an unclaimed pool and a record missing on a node", () => {
    const report = {
      supply: 1_000n,
      burned: 10n,
      balances: [{ name: "a", address: "0x", before: 0n, after: 900n }],
      held: new Map([["settlement", 90n]]),
      copycat: { datasetId: 4n, stakeBefore: 10n, slashed: 5n, reward: 4n, eligible: false },
      inferences: 3,
      recordsSeen: new Map([
        ["node-a", 3],
        ["node-b", 3],
      ]),
      weightsRecomputed: { matched: 3, checked: 3 },
      settlement: {
        pools: [{ nodeName: "node-a", epoch: 1n, amount: 7n, claimed: 7n }],
        claims: [{ datasetId: 1n, owner: "alice", amount: 7n }],
        audited: 1,
        mismatches: 0,
        challenges: 0,
      },
      gas: new GasLedger(),
    } as unknown as DevnetReport;
    expect(checkDevnetInvariants(report)).to.deep.equal([]);
    const broken = {
      ...report,
      burned: 9n,
      recordsSeen: new Map([["node-b", 2]]),
      settlement: { ...report.settlement, pools: [{ nodeName: "node-a", epoch: 1n, amount: 8n, claimed: 7n }] },
    } as unknown as DevnetReport;
    expect(checkDevnetInvariants(broken)).to.deep.equal([
      "supply not conserved: wallets 900 + contracts 90 + burned 9 ≠ supply 1000",
      "pool of node-a epoch 1: claimed 7 of 8",
      "claims total 7, pools total 8",
      "node-b holds 2 of 3 records",
    ]);
  });
});
