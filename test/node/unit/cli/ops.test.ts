import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { encodeDeployment } from "../../../../node/src/chain/index.js";
import { olnode, tempDir } from "./helpers.js";

const NODE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("cli: olnode node, deposit, claim, audit (arguments and help)", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => remove());

  for (const argv of [["node", "register"], ["node", "price"], ["deposit"], ["claim"], ["audit"]]) {
    it(`${argv.join(" ")} --help prints its usage, options and examples`, async () => {
      const { code, stdout, stderr } = await olnode([...argv, "--help"]);
      expect([code, stderr]).to.deep.equal([0, ""]);
      expect(stdout).to.contain(`Usage: olnode ${argv.join(" ")}`);
      expect(stdout).to.contain("--key-file <path>");
      expect(stdout).to.contain(`Examples:\n  olnode ${argv.join(" ")}`);
    });
  }

  it("lists the new commands in the tool's help", async () => {
    const { stdout } = await olnode(["--help"]);
    for (const name of ["audit", "claim", "deposit", "node price", "node register"]) {
      expect(stdout).to.match(new RegExp(`\\n  ${name} +\\S`));
    }
  });

  const usageErrors: [string[], string][] = [
    [["deposit"], "missing --node <address> (or --authorize <path>)"],
    [["deposit", "--node", NODE], "missing --amount <OPEN> (or --authorize <path>)"],
    [
      ["deposit", "--node", NODE, "--amount", "1.5x"],
      '--amount "1.5x" is not an amount of OPEN: expected a number like 10 or 0.25 (at most 18 decimals)',
    ],
    [
      ["deposit", "--node", NODE, "--amount", "0.0000000000000000001"],
      '--amount "0.0000000000000000001" is not an amount of OPEN',
    ],
    [["deposit", "--node", NODE, "--amount", "0"], "--amount must be above 0"],
    [
      ["deposit", "--node", "0x1234", "--amount", "1"],
      '--node "0x1234" is not an address: expected 0x and 40 hex digits',
    ],
    [["deposit", "--authorize", "signer.json", "--amount", "1"], "--authorize takes no --amount"],
    [["node", "register", "--endpoint", "https://n.example"], "missing --stake <OPEN>"],
    [["node", "register", "--stake", "100"], "missing --endpoint <url>"],
    [
      ["node", "register", "--stake", "1e3", "--endpoint", "https://n.example"],
      '--stake "1e3" is not an amount of OPEN',
    ],
    [
      ["node", "register", "--stake", "100", "--endpoint", "ftp://n.example"],
      "--endpoint must be http(s)://, found ftp:",
    ],
    [
      ["node", "register", "--stake", "100", "--endpoint", "https://n.example", "--operator", "bob"],
      '--operator "bob" is not an address',
    ],
    [["node", "price", "1"], "missing <price>"],
    [["node", "price", "v1", "0.01"], 'versionId "v1" is not a whole number'],
    [["node", "price", "1", "cheap"], 'price "cheap" is not an amount of OPEN'],
    [["claim", "--dataset", "x"], '--dataset "x" is not a whole number'],
    [["audit"], "missing --epoch <n>"],
    [["audit", "--epoch", "1"], "missing --shares <path>"],
    [["audit", "--epoch", "-"], '--epoch "-" is not a whole number'],
    [["audit", "--epoch", "1", "--node", "x", "--shares", "s.json"], '--node "x" is not an address'],
  ];
  for (const [argv, message] of usageErrors) {
    it(`refuses ${argv.join(" ")} with exit 2: ${message}`, async () => {
      const { code, stdout, stderr } = await olnode(argv, { cwd: dir });
      expect(code).to.equal(2);
      expect(stdout).to.equal("");
      expect(stderr).to.contain(`olnode: ${message}`);
    });
  }

  it("gives the JSON error code with --json", async () => {
    const { code, stderr } = await olnode(["deposit", "--node", NODE, "--amount", "1.5x", "--json"]);
    expect(code).to.equal(2);
    expect(JSON.parse(stderr).error.code).to.equal("CLI_ERROR_BAD_AMOUNT");
  });

  it("names the missing chain settings", async () => {
    const noRpc = await olnode(["node", "price", "1", "0.01"], { cwd: dir });
    expect([noRpc.code, noRpc.stderr]).to.deep.equal([
      2,
      "olnode: chain.rpcUrl is not set: set it in the config file or OLNODE_CHAIN_RPC_URL (see 'olnode node price --help')\n",
    ]);
    const noDeployment = await olnode(["node", "price", "1", "0.01"], {
      cwd: dir,
      env: { OLNODE_CHAIN_RPC_URL: "http://127.0.0.1:1" },
    });
    expect(noDeployment.code).to.equal(2);
    expect(noDeployment.stderr).to.contain("chain.deploymentFile is not set");
  });

  it("reads the shares file strictly", async () => {
    await writeFile(join(dir, "s.json"), JSON.stringify([{ datasetId: "1", weightPpm: 1.5 }]));
    const { code, stderr } = await olnode(["audit", "--epoch", "1", "--shares", "s.json"], { cwd: dir });
    expect(code).to.equal(1);
    expect(stderr).to.contain("--shares: s.json item 0: weightPpm must be an integer from 0 to 1000000");
  });

  it("says the chain cannot be reached when nothing answers at chain.rpcUrl", async () => {
    const address = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
    await writeFile(
      join(dir, "deployment.json"),
      encodeDeployment({
        chainId: 31337,
        deployBlock: 0n,
        contracts: {
          openToken: address(1),
          datanetRegistry: address(2),
          adapterRegistry: address(3),
          nodeRegistry: address(4),
          arbiter: address(5),
          paymentEscrow: address(6),
          settlement: address(7),
        } as never,
      }),
    );
    await writeFile(join(dir, "s.json"), JSON.stringify([{ datasetId: "1", weightPpm: 1_000_000 }]));
    const { code, stderr } = await olnode(["audit", "--epoch", "1", "--shares", "s.json"], {
      cwd: dir,
      env: { OLNODE_CHAIN_RPC_URL: "http://127.0.0.1:1/secret-key", OLNODE_CHAIN_DEPLOYMENT_FILE: "deployment.json" },
    });
    expect([code, stderr]).to.deep.equal([
      1,
      "olnode: cannot reach the chain at http://127.0.0.1:1 (chain.rpcUrl): is the RPC running?\n",
    ]);
  });
});
