import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { CONFIG_KEYS } from "../../../../node/src/config/index.js";
import { olnode, tempDir } from "./helpers.js";

const RPC_URL = "https://eth.example.io/v3/0123456789abcdef0123456789abcdef";
const START_ENV = { OLNODE_CHAIN_RPC_URL: RPC_URL, OLNODE_CHAIN_DEPLOYMENT_FILE: "deployment.json" };

describe("cli: olnode config", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => remove());

  describe("config check", () => {
    it("prints every effective value with its source, the RPC URL redacted", async () => {
      await writeFile(join(dir, "olnode.json"), JSON.stringify({ chain: { rpcUrl: RPC_URL }, api: { port: 9001 } }));
      const { code, stdout, stderr } = await olnode(
        ["config", "check", "--config", "olnode.json", "--log.level", "debug"],
        { cwd: dir, env: { OLNODE_CHAIN_DEPLOYMENT_FILE: "deployment.json" } },
      );
      expect(code, stderr).to.equal(0);
      expect(stdout).to.match(/^config ok \(file olnode\.json\)\n/);
      expect(stdout).to.match(/chain\.rpcUrl +"\[redacted\]" +file\n/);
      expect(stdout).to.match(/chain\.deploymentFile +"deployment\.json" +env\n/);
      expect(stdout).to.match(/api\.port +9001 +file\n/);
      expect(stdout).to.match(/log\.level +"debug" +flag\n/);
      expect(stdout).to.match(/api\.host +"127\.0\.0\.1" +default\n/);
      expect(stdout).to.match(/keys\.operatorKeyFile +"\[redacted\]" +derived\n/);
      expect(stdout).not.to.contain("0123456789abcdef");
    });

    it("takes the config file from OLNODE_CONFIG, and --config over it", async () => {
      await writeFile(join(dir, "a.json"), JSON.stringify({ api: { port: 1111 } }));
      await writeFile(join(dir, "b.json"), JSON.stringify({ api: { port: 2222 } }));
      const fromEnv = await olnode(["config", "check", "--json"], {
        cwd: dir,
        env: { ...START_ENV, OLNODE_CONFIG: "a.json" },
      });
      expect(JSON.parse(fromEnv.stdout).config.api.port).to.equal(1111);
      const fromFlag = await olnode(["config", "check", "--json", "--config", "b.json"], {
        cwd: dir,
        env: { ...START_ENV, OLNODE_CONFIG: "a.json" },
      });
      expect(JSON.parse(fromFlag.stdout).config.api.port).to.equal(2222);
    });

    it("--json prints the redacted config, its sources and the file", async () => {
      const { code, stdout } = await olnode(["config", "check", "--json", "--api.port", "7"], {
        cwd: dir,
        env: START_ENV,
      });
      expect(code).to.equal(0);
      const json = JSON.parse(stdout);
      expect(json.ok).to.equal(true);
      expect(json.file).to.equal(null);
      expect(json.config.chain.rpcUrl).to.equal("[redacted]");
      expect(json.config.api.port).to.equal(7);
      expect(json.config.settle.redeemValueWei).to.equal("1000000000000000000");
      expect(json.sources["api.port"]).to.equal("flag");
      expect(json.sources["chain.rpcUrl"]).to.equal("env");
      expect(Object.keys(json.sources)).to.have.members(CONFIG_KEYS);
      expect(stdout).not.to.contain("0123456789abcdef");
    });

    it("exits 1 naming the keys a node needs to start", async () => {
      const { code, stdout, stderr } = await olnode(["config", "check"], { cwd: dir });
      expect(code).to.equal(1);
      expect(stdout).to.equal("");
      expect(stderr).to.equal(
        "olnode: chain.rpcUrl and chain.deploymentFile are required to start a node: set them in the config file or OLNODE_CHAIN_RPC_URL and OLNODE_CHAIN_DEPLOYMENT_FILE\n",
      );
    });

    it("exits 1 naming an unknown key of the file, with the closest", async () => {
      await writeFile(join(dir, "olnode.json"), JSON.stringify({ p2p: { listn: [] } }));
      const { code, stderr } = await olnode(["config", "check", "--config", "olnode.json"], {
        cwd: dir,
        env: START_ENV,
      });
      expect(code).to.equal(1);
      expect(stderr).to.equal("olnode: unknown key p2p.listn in config file olnode.json; did you mean p2p.listen?\n");
    });

    it("exits 1 naming an unknown OLNODE_ variable and a bad value in one", async () => {
      const unknown = await olnode(["config", "check"], { cwd: dir, env: { ...START_ENV, OLNODE_API_PROT: "1" } });
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.contain("unknown environment variable OLNODE_API_PROT; did you mean OLNODE_API_PORT?");
      const bad = await olnode(["config", "check"], { cwd: dir, env: { ...START_ENV, OLNODE_API_PORT: "http" } });
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.equal(
        'olnode: api.port (from OLNODE_API_PORT): expected an integer from 0 to 65535, found the string "http"\n',
      );
    });

    it("exits 2 on a bad value or an unknown key given as a flag", async () => {
      const bad = await olnode(["config", "check", "--api.port", "http"], { cwd: dir, env: START_ENV });
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.contain("api.port (from --api.port): expected an integer from 0 to 65535");
      const unknown = await olnode(["config", "check", "--p2p.listn", "x"], { cwd: dir, env: START_ENV });
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.contain("unknown flag --p2p.listn; did you mean --p2p.listen?");
    });

    it("exits 2 on a secret given as a flag, without echoing it", async () => {
      const { code, stderr } = await olnode(["config", "check", "--chain.rpcUrl", RPC_URL], {
        cwd: dir,
        env: START_ENV,
      });
      expect(code).to.equal(2);
      expect(stderr).to.contain("chain.rpcUrl cannot be a flag: it is a secret");
      expect(stderr).to.contain("OLNODE_CHAIN_RPC_URL");
      expect(stderr).not.to.contain("0123456789abcdef");
    });

    it("exits 1 when the config file is missing or not JSON", async () => {
      const missing = await olnode(["config", "check", "--config", "none.json"], { cwd: dir, env: START_ENV });
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.equal("olnode: no config file at none.json\n");
      await writeFile(join(dir, "broken.json"), `{"chain": {"rpcUrl": "${RPC_URL}"`);
      const broken = await olnode(["config", "check", "--config", "broken.json"], { cwd: dir, env: START_ENV });
      expect(broken.code).to.equal(1);
      expect(broken.stderr).to.match(/^olnode: config file broken\.json: not valid JSON at line 1, column \d+\n$/);
      expect(broken.stderr).not.to.contain("0123456789abcdef");
    });
  });

  describe("config keys", () => {
    it("lists every key with its variable and flag", async () => {
      const { code, stdout } = await olnode(["config", "keys"]);
      expect(code).to.equal(0);
      for (const key of CONFIG_KEYS) expect(stdout).to.contain(`${key} (`);
      expect(stdout).to.contain(
        "env: OLNODE_CHAIN_RPC_URL   flag: none (secrets come from the file or the environment)",
      );
    });

    it("--markdown prints the table docs/config.md holds", async () => {
      const { stdout } = await olnode(["config", "keys", "--markdown"]);
      const docs = readFileSync(new URL("../../../../docs/config.md", import.meta.url), "utf8");
      expect(docs).to.contain(stdout);
    });

    it("--json prints one object per key", async () => {
      const keys = JSON.parse((await olnode(["config", "keys", "--json"])).stdout) as {
        key: string;
        secret: boolean;
      }[];
      expect(keys.map((k) => k.key)).to.deep.equal(CONFIG_KEYS);
      expect(keys.find((k) => k.key === "chain.rpcUrl")?.secret).to.equal(true);
    });
  });
});
