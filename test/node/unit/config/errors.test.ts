import { expect } from "chai";
import {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  ConfigErrorCode,
  type ConfigKey,
  parseConfig,
  requireStartKeys,
} from "../../../../node/src/config/index.js";
import { expectConfigError, file, SECRET_RPC_URL } from "./helpers.js";

const SECRET_KEYS = CONFIG_KEYS.filter((key) => CONFIG_SCHEMA[key].secret);

describe("config: errors name the key", () => {
  describe("unknown keys, variables and flags", () => {
    it("refuses an unknown key in the file, suggesting the closest", () => {
      const err = expectConfigError(
        () => parseConfig({ file: file({ p2p: { listn: ["/ip4/0.0.0.0/tcp/1"] } }) }),
        ConfigErrorCode.UNKNOWN_KEY,
        { key: "p2p.listn", path: "olnode.json", suggestion: "p2p.listen" },
      );
      expect(err.message).to.equal("unknown key p2p.listn in config file olnode.json; did you mean p2p.listen?");
    });

    it("refuses an unknown section, suggesting the closest", () => {
      const err = expectConfigError(() => parseConfig({ file: file({ chian: {} }) }), ConfigErrorCode.UNKNOWN_KEY, {
        key: "chian",
        suggestion: "chain",
      });
      expect(err.message).to.contain("did you mean chain?");
    });

    it("suggests a key of another section when the field is right but the section wrong", () => {
      expectConfigError(() => parseConfig({ file: file({ api: { listen: [] } }) }), ConfigErrorCode.UNKNOWN_KEY, {
        key: "api.listen",
        suggestion: "p2p.listen",
      });
    });

    it("suggests nothing for a key far from every valid one", () => {
      const err = expectConfigError(
        () => parseConfig({ file: file({ api: { completelyDifferent: 1 } }) }),
        ConfigErrorCode.UNKNOWN_KEY,
        { key: "api.completelyDifferent", suggestion: undefined },
      );
      expect(err.message).not.to.contain("did you mean");
    });

    it("refuses an unknown OLNODE_ variable, suggesting the closest", () => {
      const err = expectConfigError(
        () => parseConfig({ env: { OLNODE_P2P_LISTN: "/ip4/0.0.0.0/tcp/1" } }),
        ConfigErrorCode.UNKNOWN_ENV,
        { name: "OLNODE_P2P_LISTN", suggestion: "OLNODE_P2P_LISTEN" },
      );
      expect(err.message).to.equal("unknown environment variable OLNODE_P2P_LISTN; did you mean OLNODE_P2P_LISTEN?");
    });

    it("suggests OLNODE_CONFIG for a misspelt config path variable", () => {
      expectConfigError(() => parseConfig({ env: { OLNODE_CONFG: "x.json" } }), ConfigErrorCode.UNKNOWN_ENV, {
        suggestion: "OLNODE_CONFIG",
      });
    });

    it("refuses an unknown flag, suggesting the closest", () => {
      const err = expectConfigError(
        () => parseConfig({ argv: ["--p2p.listn", "/ip4/0.0.0.0/tcp/1"] }),
        ConfigErrorCode.UNKNOWN_FLAG,
        { flag: "--p2p.listn", suggestion: "--p2p.listen" },
      );
      expect(err.message).to.equal("unknown flag --p2p.listn; did you mean --p2p.listen?");
      expect(err.isUsageError).to.equal(true);
    });

    it("never suggests a secret as a flag", () => {
      expectConfigError(() => parseConfig({ argv: ["--chain.rpcUr", "x"] }), ConfigErrorCode.UNKNOWN_FLAG, {
        suggestion: undefined,
      });
    });

    it("refuses --no- on a flag that is not a boolean", () => {
      expectConfigError(() => parseConfig({ argv: ["--no-api.port"] }), ConfigErrorCode.UNKNOWN_FLAG, {
        flag: "--no-api.port",
        suggestion: "--api.port",
      });
    });

    it("refuses an argument that is not a flag", () => {
      expectConfigError(() => parseConfig({ argv: ["8080"] }), ConfigErrorCode.UNEXPECTED_ARGUMENT, {
        argument: "8080",
      });
    });

    it("refuses a flag given twice, and a value flag without its value", () => {
      expectConfigError(
        () => parseConfig({ argv: ["--api.port", "1", "--api.port", "2"] }),
        ConfigErrorCode.DUPLICATE_FLAG,
        { flag: "--api.port" },
      );
      expectConfigError(() => parseConfig({ argv: ["--api.port"] }), ConfigErrorCode.MISSING_FLAG_VALUE, {
        flag: "--api.port",
      });
    });
  });

  describe("secrets never come from flags", () => {
    for (const key of SECRET_KEYS) {
      it(`refuses --${key}, saying why and where to set it`, () => {
        const err = expectConfigError(
          () => parseConfig({ argv: [`--${key}`, SECRET_RPC_URL] }),
          ConfigErrorCode.SECRET_FLAG,
          { key, env: CONFIG_SCHEMA[key].env },
        );
        expect(err.message).to.contain("it is a secret");
        expect(err.message).to.contain(CONFIG_SCHEMA[key].env);
        expect(err.message).not.to.contain(SECRET_RPC_URL);
        expect(err.isUsageError).to.equal(true);
      });
    }

    it("refuses --chain.rpcUrl=value too", () => {
      expectConfigError(
        () => parseConfig({ argv: [`--chain.rpcUrl=${SECRET_RPC_URL}`] }),
        ConfigErrorCode.SECRET_FLAG,
        {
          key: "chain.rpcUrl",
        },
      );
    });

    it("takes the same secrets from the file and the environment", () => {
      const config = parseConfig({
        file: file({ chain: { rpcUrl: SECRET_RPC_URL } }),
        env: { OLNODE_KEYS_OPERATOR_KEY_FILE: "/secrets/op.json", OLNODE_INFERENCE_UPSTREAM_API_KEY: "sk-test-123456" },
      });
      expect(config.chain.rpcUrl).to.equal(SECRET_RPC_URL);
      expect(config.keys.operatorKeyFile).to.equal("/secrets/op.json");
      expect(config.inference.upstreamApiKey).to.equal("sk-test-123456");
    });
  });

  describe("bad values name the key, the expected type and what was found", () => {
    const cases: [string, ConfigKey, string, string][] = [
      ["a port that is not a number", "api.port", "abc", 'the string "abc"'],
      ["a port above 65535", "api.port", "70000", 'the string "70000"'],
      ["a negative count", "chain.confirmations", "-1", 'the string "-1"'],
      ["a fractional integer", "chain.pollIntervalMs", "1.5", 'the string "1.5"'],
      ["an interval below its floor", "chain.pollIntervalMs", "10", 'the string "10"'],
      ["a boolean that is not one", "p2p.dht", "yes", 'the string "yes"'],
      ["a level not in the list", "log.level", "verbose", 'the string "verbose"'],
      ["a backend not in the list", "inference.backend", "vllm", 'the string "vllm"'],
      ["wei that is negative", "settle.redeemValueWei", "-5", 'the string "-5"'],
      ["wei in exponent notation", "settle.redeemValueWei", "1e18", 'the string "1e18"'],
      ["a positive colocation weight", "p2p.ipColocationWeight", "5", 'the string "5"'],
      ["a multiaddr that is not one", "p2p.listen", "0.0.0.0:9700", 'item 1: the string "0.0.0.0:9700"'],
      [
        "a bootstrap peer without its peer id",
        "p2p.bootstrap",
        "/ip4/1.2.3.4/tcp/1",
        'item 1: the string "/ip4/1.2.3.4/tcp/1"',
      ],
    ];
    for (const [what, key, text, found] of cases) {
      it(`refuses ${what} (${key}) from the environment`, () => {
        const env = CONFIG_SCHEMA[key].env;
        const err = expectConfigError(() => parseConfig({ env: { [env]: text } }), ConfigErrorCode.INVALID_VALUE, {
          key,
          source: "env",
          origin: env,
          expected: CONFIG_SCHEMA[key].type.expected,
          found,
        });
        expect(err.message).to.match(new RegExp(`^${key.replace(".", "\\.")} \\(from ${env}\\): expected `));
        expect(err.isUsageError).to.equal(false);
      });
    }

    it("refuses a bad flag value as a usage error", () => {
      const err = expectConfigError(
        () => parseConfig({ argv: ["--api.port", "http"] }),
        ConfigErrorCode.INVALID_VALUE,
        {
          key: "api.port",
          source: "flag",
          origin: "--api.port",
        },
      );
      expect(err.isUsageError).to.equal(true);
    });

    it("refuses JSON of the wrong type in the file (strings for numbers, numbers for strings)", () => {
      const err = expectConfigError(
        () => parseConfig({ file: file({ api: { port: "8080" } }) }),
        ConfigErrorCode.INVALID_VALUE,
        { key: "api.port", source: "file", origin: "olnode.json", found: 'the string "8080"' },
      );
      expect(err.message).to.equal(
        'api.port (from config file olnode.json): expected an integer from 0 to 65535, found the string "8080"',
      );
      expectConfigError(() => parseConfig({ file: file({ api: { host: 127 } }) }), ConfigErrorCode.INVALID_VALUE, {
        key: "api.host",
        found: "the number 127",
      });
      expectConfigError(() => parseConfig({ file: file({ p2p: { dht: "true" } }) }), ConfigErrorCode.INVALID_VALUE, {
        key: "p2p.dht",
      });
      expectConfigError(
        () => parseConfig({ file: file({ p2p: { listen: "/ip4/0.0.0.0/tcp/1" } }) }),
        ConfigErrorCode.INVALID_VALUE,
        {
          key: "p2p.listen",
          found: 'the string "/ip4/0.0.0.0/tcp/1"',
        },
      );
      expectConfigError(() => parseConfig({ file: file({ store: { dir: null } }) }), ConfigErrorCode.INVALID_VALUE, {
        key: "store.dir",
        found: "null",
      });
    });

    it("refuses wei as a JSON number, saying why", () => {
      const err = expectConfigError(
        () => parseConfig({ file: file({ settle: { redeemValueWei: 1e18 } }) }),
        ConfigErrorCode.INVALID_VALUE,
        { key: "settle.redeemValueWei", reason: "write wei as a decimal string: JSON numbers lose precision" },
      );
      expect(err.message).to.contain("decimal string");
    });

    it("refuses wei above 2^128 − 1", () => {
      expectConfigError(
        () => parseConfig({ env: { OLNODE_SETTLE_REDEEM_VALUE_WEI: (1n << 128n).toString() } }),
        ConfigErrorCode.INVALID_VALUE,
        { key: "settle.redeemValueWei", reason: "above 2^128 − 1" },
      );
    });

    it("refuses a list longer than its bound", () => {
      const many = Array.from({ length: 17 }, (_, i) => `/ip4/127.0.0.1/tcp/${i + 1}`);
      expectConfigError(() => parseConfig({ file: file({ p2p: { listen: many } }) }), ConfigErrorCode.INVALID_VALUE, {
        key: "p2p.listen",
        reason: "more than 16 items",
      });
    });

    it("refuses an RPC URL of another scheme without printing it", () => {
      const secret = "ftp://user:hunter2@rpc.example";
      const err = expectConfigError(
        () => parseConfig({ env: { OLNODE_CHAIN_RPC_URL: secret } }),
        ConfigErrorCode.INVALID_VALUE,
        { key: "chain.rpcUrl", found: "a string (not shown: chain.rpcUrl is a secret)" },
      );
      expect(err.message).not.to.contain("hunter2");
      expect(JSON.stringify(err.type)).not.to.contain("hunter2");
    });

    it("refuses an empty API key without printing anything of it", () => {
      expectConfigError(
        () => parseConfig({ file: file({ inference: { upstreamApiKey: "" } }) }),
        ConfigErrorCode.INVALID_VALUE,
        { key: "inference.upstreamApiKey", found: "a string (not shown: inference.upstreamApiKey is a secret)" },
      );
    });
  });

  describe("the file's shape", () => {
    it("refuses text that is not JSON, without quoting it (it may hold a secret)", () => {
      const text = `{"chain": {"rpcUrl": "${SECRET_RPC_URL}"`;
      const err = expectConfigError(
        () => parseConfig({ file: { path: "olnode.json", text } }),
        ConfigErrorCode.INVALID_FILE,
        { path: "olnode.json" },
      );
      expect(err.message).to.match(/^config file olnode\.json: not valid JSON/);
      expect(err.message).not.to.contain("0123456789abcdef");
      const noPosition = expectConfigError(
        () => parseConfig({ file: { path: "olnode.json", text: `nope ${SECRET_RPC_URL}` } }),
        ConfigErrorCode.INVALID_FILE,
      );
      expect(noPosition.message).not.to.contain("0123456789abcdef");
    });

    it("refuses a file that is not an object of sections", () => {
      expectConfigError(() => parseConfig({ file: file([1, 2]) }), ConfigErrorCode.INVALID_FILE, {
        problem:
          "expected an object of sections (chain, keys, p2p, api, store, settle, inference, trainer, metrics, log), found an array",
      });
      expectConfigError(() => parseConfig({ file: file({ api: 8080 }) }), ConfigErrorCode.INVALID_FILE, {
        problem: "expected section api to be an object of keys, found a number",
      });
    });

    it("refuses dotted keys at the top level (sections nest)", () => {
      expectConfigError(() => parseConfig({ file: file({ "api.port": 1 }) }), ConfigErrorCode.UNKNOWN_KEY, {
        key: "api.port",
      });
    });
  });

  describe("keys that must be set", () => {
    it("requireStartKeys names every unset key a node needs, with its variable", () => {
      const err = expectConfigError(() => requireStartKeys(parseConfig({})), ConfigErrorCode.MISSING_KEYS, {
        keys: ["chain.rpcUrl", "chain.deploymentFile"],
        envs: ["OLNODE_CHAIN_RPC_URL", "OLNODE_CHAIN_DEPLOYMENT_FILE"],
      });
      expect(err.message).to.equal(
        "chain.rpcUrl and chain.deploymentFile are required to start a node: set them in the config file or OLNODE_CHAIN_RPC_URL and OLNODE_CHAIN_DEPLOYMENT_FILE",
      );
    });

    it("requireStartKeys names only what is missing", () => {
      expectConfigError(
        () => requireStartKeys(parseConfig({ env: { OLNODE_CHAIN_RPC_URL: "http://127.0.0.1:8545" } })),
        ConfigErrorCode.MISSING_KEYS,
        { keys: ["chain.deploymentFile"] },
      );
    });

    it("requires inference.upstreamUrl when the backend is openai-compatible", () => {
      const err = expectConfigError(
        () => parseConfig({ argv: ["--inference.backend", "openai-compatible"] }),
        ConfigErrorCode.MISSING_KEYS,
        { keys: ["inference.upstreamUrl"] },
      );
      expect(err.message).to.contain("when inference.backend is openai-compatible");
    });
  });
});
