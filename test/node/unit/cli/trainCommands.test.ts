import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { olnode, tempDir } from "./helpers.js";

/** Argument errors are found before the config, the chain or the trainer is touched: no chain runs here. */
describe("cli: olnode dataset add, train, verify (arguments and help)", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => remove());

  for (const [argv, usage] of [
    [["dataset", "add", "--help"], "Usage: olnode dataset add <file.jsonl> [options] [--section.key value ...]"],
    [["train", "--help"], "Usage: olnode train [options] [--section.key value ...]"],
    [["verify", "--help"], "Usage: olnode verify <versionId> <segment> [options] [--section.key value ...]"],
  ] as const) {
    it(`prints the help of ${argv.slice(0, -1).join(" ")} on stdout and exits 0`, async () => {
      const { code, stdout, stderr } = await olnode(argv);
      expect(code).to.equal(0);
      expect(stderr).to.equal("");
      expect(stdout.split("\n")[0]).to.equal(usage);
      expect(stdout).to.contain("--json");
    });
  }

  it("lists the new commands in the tool's help", async () => {
    const { stdout } = await olnode(["--help"]);
    expect(stdout).to.match(/\n {2}dataset add +register a dataset/);
    expect(stdout).to.match(/\n {2}train +train an adapter/);
    expect(stdout).to.match(/\n {2}verify +re-run one segment/);
  });

  const usageErrors: [string, readonly string[], string][] = [
    ["dataset add without --datanet", ["dataset", "add", "x.jsonl"], "--datanet is required"],
    ["dataset add with a datanet id of 0", ["dataset", "add", "x.jsonl", "--datanet", "0"], "--datanet must be an id"],
    ["dataset add with a negative stake", ["dataset", "add", "x.jsonl", "--datanet", "1", "--stake", "-5"], "--stake"],
    [
      "dataset add with 19 decimals of stake",
      ["dataset", "add", "x.jsonl", "--datanet", "1", "--stake", "1.0000000000000000001"],
      "at most 18 decimals",
    ],
    ["dataset add without its file", ["dataset", "add", "--datanet", "1"], "missing <file.jsonl>"],
    ["train without --adapter", ["train", "--datasets", "1"], "--adapter is required"],
    ["train without --datasets", ["train", "--adapter", "ads"], "--datasets is required"],
    ["train naming a dataset twice", ["train", "--adapter", "ads", "--datasets", "1,2,1"], "names dataset 1 twice"],
    ["train with a bad dataset id", ["train", "--adapter", "ads", "--datasets", "1,x"], "--datasets must be an id"],
    [
      "train with --method ptuning",
      ["train", "--adapter", "a", "--datasets", "1", "--method", "ptuning"],
      "qlora or lora",
    ],
    ["train with --steps 0", ["train", "--adapter", "a", "--datasets", "1", "--steps", "0"], "--steps must be"],
    ["train with an unknown flag", ["train", "--adaptr", "a"], "did you mean --adapter?"],
    ["verify without a segment", ["verify", "1"], "missing <segment>"],
    ["verify with segment 0", ["verify", "1", "0"], "<segment> must be a whole number from 1"],
    ["verify with version x", ["verify", "x", "1"], "<versionId> must be an id"],
  ];
  for (const [name, argv, message] of usageErrors) {
    it(`refuses ${name} with exit 2`, async () => {
      const { code, stdout, stderr } = await olnode(argv, { cwd: dir });
      expect(code).to.equal(2);
      expect(stdout).to.equal("");
      expect(stderr).to.contain(message);
    });
  }

  it("refuses a dataset file that is not JSONL, naming the line, before reaching for the chain", async () => {
    await writeFile(join(dir, "bad.jsonl"), '{"instruction":"a","output":"b"}\n{"instruction": 3}\n');
    const { code, stderr } = await olnode(["dataset", "add", "bad.jsonl", "--datanet", "1", "--json"], { cwd: dir });
    expect(code).to.equal(1);
    const { error } = JSON.parse(stderr) as { error: { code: string; message: string; context: { line: number } } };
    expect(error.message).to.match(/^bad\.jsonl: line 2: /);
    expect(error.context.line).to.equal(2);
  });

  it("says the chain is not configured when chain.rpcUrl is unset", async () => {
    await writeFile(join(dir, "ok.jsonl"), '{"instruction":"a","output":"b"}\n');
    const { code, stderr } = await olnode(["dataset", "add", "ok.jsonl", "--datanet", "1"], { cwd: dir });
    expect(code).to.equal(1);
    expect(stderr).to.contain("chain.rpcUrl and chain.deploymentFile are needed");
  });

  it("says the chain is down without printing its URL, and verify exits 2", async () => {
    await writeFile(join(dir, "ok.jsonl"), '{"instruction":"a","output":"b"}\n');
    await writeFile(
      join(dir, "deployment.json"),
      JSON.stringify({
        chainId: 31337,
        deployBlock: "0",
        contracts: Object.fromEntries(
          [
            "openToken",
            "datanetRegistry",
            "nodeRegistry",
            "adapterRegistry",
            "arbiter",
            "paymentEscrow",
            "settlement",
          ].map((name, i) => [name, `0x${String(i + 1).padStart(40, "0")}`]),
        ),
      }),
    );
    // Port 9 (discard) on loopback: nothing listens there.
    const env = {
      OLNODE_CHAIN_RPC_URL: "http://127.0.0.1:9/secret-key",
      OLNODE_CHAIN_DEPLOYMENT_FILE: "deployment.json",
    };
    const added = await olnode(["dataset", "add", "ok.jsonl", "--datanet", "1", "--json"], { cwd: dir, env });
    expect(added.code).to.equal(1);
    expect(JSON.parse(added.stderr)).to.have.nested.property("error.code", "CLI_ERROR_CHAIN_UNREACHABLE");
    expect(added.stderr).to.not.contain("secret-key");
    const verified = await olnode(["verify", "1", "1"], { cwd: dir, env });
    expect(verified.code).to.equal(2);
    expect(verified.stderr).to.contain("cannot reach the chain");
  });
});
