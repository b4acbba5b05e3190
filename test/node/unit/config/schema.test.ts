import { readFileSync } from "node:fs";
import { expect } from "chai";
import { formatConfigKeysMarkdown } from "../../../../node/src/cli/index.js";
import {
  CONFIG_KEYS,
  CONFIG_PATH_ENV,
  CONFIG_SCHEMA,
  closestMatch,
  describeConfigKeys,
  getSecretValues,
  parseConfig,
  REDACTED,
  REQUIRED_TO_START_KEYS,
  redactConfig,
  requireStartKeys,
  toEnvName,
} from "../../../../node/src/config/index.js";
import { file, SECRET_RPC_URL } from "./helpers.js";

const DOCS = new URL("../../../../docs/config.md", import.meta.url);

describe("config: the schema table", () => {
  for (const key of CONFIG_KEYS) {
    const option = CONFIG_SCHEMA[key];

    it(`${key}: env and flag follow the naming rule`, () => {
      expect(option.env).to.equal(toEnvName(key));
      expect(option.flag).to.equal(option.secret ? null : `--${key}`);
    });

    it(`${key}: says what it does and why its default is what it is`, () => {
      expect(option.description.length, "description").to.be.greaterThan(10);
      expect(option.why.length, "why").to.be.greaterThan(10);
    });
  }

  it("gives every key its own environment variable, none of them OLNODE_CONFIG", () => {
    const envs = CONFIG_KEYS.map((key) => CONFIG_SCHEMA[key].env);
    expect(new Set(envs).size).to.equal(envs.length);
    expect(envs).not.to.include(CONFIG_PATH_ENV);
  });

  it("marks keys and URLs as secrets", () => {
    const secrets = CONFIG_KEYS.filter((key) => CONFIG_SCHEMA[key].secret);
    expect(secrets).to.have.members([
      "chain.rpcUrl",
      "keys.operatorKeyFile",
      "p2p.peerKeyFile",
      "inference.upstreamUrl",
      "inference.upstreamApiKey",
    ]);
  });

  it("requires the chain's RPC URL and deployment file to start", () => {
    expect(REQUIRED_TO_START_KEYS).to.deep.equal(["chain.rpcUrl", "chain.deploymentFile"]);
  });

  it("has defaults that its own types accept (printed and read back)", () => {
    for (const { key, default: shown } of describeConfigKeys()) {
      if (shown === undefined || shown.startsWith("<")) continue;
      const option = CONFIG_SCHEMA[key];
      const roundTrip = option.type.toJson(option.type.fromJson(JSON.parse(shown)) as never);
      expect(JSON.stringify(roundTrip), key).to.equal(shown);
    }
  });

  it("docs/config.md holds the table this schema prints (regenerate: olnode config keys --markdown)", () => {
    const docs = readFileSync(DOCS, "utf8");
    const match = /<!-- config-keys:start -->\n([\s\S]*?)<!-- config-keys:end -->/.exec(docs);
    expect(match, "docs/config.md has the config-keys markers").not.to.equal(null);
    expect(match?.[1]).to.equal(formatConfigKeysMarkdown(describeConfigKeys()));
  });

  it("docs/config.md's example file is a valid config", () => {
    const example = /```json\n([\s\S]*?)```/.exec(readFileSync(DOCS, "utf8"))?.[1];
    expect(example, "docs/config.md has a json example").to.be.a("string");
    const config = requireStartKeys(parseConfig({ file: { path: "docs/config.md", text: example ?? "" } }));
    expect(config.chain.confirmations).to.equal(0);
  });
});

describe("config: redaction", () => {
  const config = parseConfig({
    file: file({ chain: { rpcUrl: SECRET_RPC_URL }, inference: { upstreamApiKey: "sk-upstream-abcdef" } }),
    env: { OLNODE_KEYS_OPERATOR_KEY_FILE: "/secrets/operator-key.json" },
  });

  it("prints set secrets as [redacted] and unset ones as null", () => {
    const json = redactConfig(config);
    expect(json.chain?.rpcUrl).to.equal(REDACTED);
    expect(json.keys?.operatorKeyFile).to.equal(REDACTED);
    expect(json.p2p?.peerKeyFile).to.equal(REDACTED);
    expect(json.inference?.upstreamApiKey).to.equal(REDACTED);
    expect(json.inference?.upstreamUrl).to.equal(null);
    expect(json.chain?.deploymentFile).to.equal(null);
  });

  it("prints other values as JSON, wei as a decimal string", () => {
    const json = redactConfig(config);
    expect(json.api).to.deep.equal({ host: "127.0.0.1", port: 8470 });
    expect(json.settle?.redeemValueWei).to.equal("1000000000000000000");
  });

  it("holds no secret value anywhere in the printed view", () => {
    const text = JSON.stringify(redactConfig(config));
    for (const secret of getSecretValues(config)) expect(text).not.to.contain(secret);
  });

  it("lists the values of the secrets that are set, for the logger", () => {
    expect(getSecretValues(config)).to.have.members([
      SECRET_RPC_URL,
      "/secrets/operator-key.json",
      config.p2p.peerKeyFile,
      "sk-upstream-abcdef",
    ]);
  });
});

describe("config: closestMatch", () => {
  it("finds one-edit typos, swaps and case slips", () => {
    expect(closestMatch("p2p.listn", CONFIG_KEYS)).to.equal("p2p.listen");
    expect(closestMatch("api.prot", CONFIG_KEYS)).to.equal("api.port");
    expect(closestMatch("LOG.LEVEL", CONFIG_KEYS)).to.equal("log.level");
  });

  it("gives nothing for short inputs more than one edit away, or anything more than three", () => {
    expect(closestMatch("ab", ["xy"])).to.equal(undefined);
    expect(closestMatch("store.directory", CONFIG_KEYS)).to.equal(undefined);
  });
});
