import { join } from "node:path";
import { expect } from "chai";
import {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  getValue,
  parseConfig,
  requireStartKeys,
  resolveConfig,
} from "../../../../node/src/config/index.js";
import { BOOTSTRAP_ADDR, file } from "./helpers.js";

describe("config: parseConfig", () => {
  it("gives every key its default when nothing is set", () => {
    const { config, sources } = resolveConfig({});
    expect(config.api).to.deep.equal({ host: "127.0.0.1", port: 8470 });
    expect(config.chain.rpcUrl).to.equal(undefined);
    expect(config.settle.redeemValueWei).to.equal(10n ** 18n);
    expect(config.p2p.listen).to.deep.equal(["/ip4/0.0.0.0/tcp/9700"]);
    expect(config.log).to.deep.equal({ level: "info", format: "pretty" });
    for (const key of CONFIG_KEYS) expect(["default", "derived"]).to.include(sources[key]);
  });

  it("takes flags over environment over file over defaults, key by key", () => {
    const { config, sources } = resolveConfig({
      file: file({ api: { port: 1001, host: "10.0.0.1" }, chain: { confirmations: 7 }, log: { level: "debug" } }),
      env: { OLNODE_API_PORT: "1002", OLNODE_API_HOST: "10.0.0.2" },
      argv: ["--api.port", "1003"],
    });
    expect(config.api.port).to.equal(1003);
    expect(sources["api.port"]).to.equal("flag");
    expect(config.api.host).to.equal("10.0.0.2");
    expect(sources["api.host"]).to.equal("env");
    expect(config.chain.confirmations).to.equal(7);
    expect(sources["chain.confirmations"]).to.equal("file");
    expect(config.log.level).to.equal("debug");
    expect(config.chain.pollIntervalMs).to.equal(2000);
    expect(sources["chain.pollIntervalMs"]).to.equal("default");
  });

  it("reads flags as --key value, --key=value, bare booleans and --no- booleans", () => {
    const config = parseConfig({
      argv: [
        "--api.port=9000",
        "--metrics.enabled",
        "--no-p2p.dht",
        "--settle.postEpochs=false",
        "--log.format",
        "json",
      ],
    });
    expect(config.api.port).to.equal(9000);
    expect(config.metrics.enabled).to.equal(true);
    expect(config.p2p.dht).to.equal(false);
    expect(config.settle.postEpochs).to.equal(false);
    expect(config.log.format).to.equal("json");
  });

  it("reads booleans from the environment as true/false/1/0", () => {
    expect(parseConfig({ env: { OLNODE_P2P_DHT: "0" } }).p2p.dht).to.equal(false);
    expect(parseConfig({ env: { OLNODE_METRICS_ENABLED: "1" } }).metrics.enabled).to.equal(true);
    expect(parseConfig({ env: { OLNODE_METRICS_ENABLED: "true" } }).metrics.enabled).to.equal(true);
  });

  it("reads lists as JSON arrays in the file, comma-separated in the environment, repeated or comma-separated in flags", () => {
    const fromFile = parseConfig({ file: file({ p2p: { bootstrap: [BOOTSTRAP_ADDR] } }) });
    expect(fromFile.p2p.bootstrap).to.deep.equal([BOOTSTRAP_ADDR]);
    const fromEnv = parseConfig({ env: { OLNODE_P2P_LISTEN: "/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2" } });
    expect(fromEnv.p2p.listen).to.deep.equal(["/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/2"]);
    const fromFlags = parseConfig({
      env: { OLNODE_P2P_LISTEN: "/ip4/127.0.0.1/tcp/5" },
      argv: ["--p2p.listen", "/ip4/127.0.0.1/tcp/3", "--p2p.listen=/ip4/127.0.0.1/tcp/4,/ip6/::1/tcp/4"],
    });
    // Flags replace the environment's list; repeated flags add up.
    expect(fromFlags.p2p.listen).to.deep.equal(["/ip4/127.0.0.1/tcp/3", "/ip4/127.0.0.1/tcp/4", "/ip6/::1/tcp/4"]);
    expect(parseConfig({ argv: ["--p2p.listen="] }).p2p.listen).to.deep.equal([]);
  });

  it("treats an empty environment variable as unset", () => {
    const { config, sources } = resolveConfig({ file: file({ api: { port: 1234 } }), env: { OLNODE_API_PORT: "" } });
    expect(config.api.port).to.equal(1234);
    expect(sources["api.port"]).to.equal("file");
  });

  it("ignores variables without the OLNODE_ prefix and OLNODE_CONFIG (the CLI's)", () => {
    const config = parseConfig({ env: { PATH: "/usr/bin", OLNODE: "x", OLNODE_CONFIG: "olnode.json", HOME: "/root" } });
    expect(config.api.port).to.equal(8470);
  });

  it("derives key files and the model folder from store.dir, whichever source set it", () => {
    const fromFlag = resolveConfig({ argv: ["--store.dir", "/var/lib/olnode"] });
    expect(fromFlag.config.keys.operatorKeyFile).to.equal(join("/var/lib/olnode", "keys", "operator-key.json"));
    expect(fromFlag.config.p2p.peerKeyFile).to.equal(join("/var/lib/olnode", "keys", "peer-key.json"));
    expect(fromFlag.config.inference.modelDir).to.equal(join("/var/lib/olnode", "models"));
    expect(fromFlag.sources["keys.operatorKeyFile"]).to.equal("derived");
    const fromEnv = parseConfig({ env: { OLNODE_STORE_DIR: "/data" } });
    expect(fromEnv.p2p.peerKeyFile).to.equal(join("/data", "keys", "peer-key.json"));
  });

  it("keeps a derived key's own value when one is given", () => {
    const { config, sources } = resolveConfig({
      argv: ["--store.dir", "/data"],
      env: { OLNODE_KEYS_OPERATOR_KEY_FILE: "/secrets/operator.json" },
    });
    expect(config.keys.operatorKeyFile).to.equal("/secrets/operator.json");
    expect(sources["keys.operatorKeyFile"]).to.equal("env");
  });

  it("reads wei as decimal strings into bigints beyond 2^53", () => {
    const config = parseConfig({ file: file({ settle: { redeemValueWei: "123456789012345678901234567" } }) });
    expect(config.settle.redeemValueWei).to.equal(123456789012345678901234567n);
    expect(parseConfig({ env: { OLNODE_SETTLE_REDEEM_VALUE_WEI: "0" } }).settle.redeemValueWei).to.equal(0n);
  });

  it("accepts the openai-compatible backend with its upstream URL", () => {
    const config = parseConfig({
      argv: ["--inference.backend", "openai-compatible"],
      env: { OLNODE_INFERENCE_UPSTREAM_URL: "http://127.0.0.1:8000/v1" },
    });
    expect(config.inference.backend).to.equal("openai-compatible");
    expect(config.inference.upstreamUrl).to.equal("http://127.0.0.1:8000/v1");
  });

  it("returns a frozen config", () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.api)).to.equal(true);
    expect(Object.isFrozen(config.p2p.listen)).to.equal(true);
  });

  it("reads every key by its dotted name with getValue", () => {
    const config = parseConfig({ argv: ["--api.port", "1"] });
    expect(getValue(config, "api.port")).to.equal(1);
    for (const key of CONFIG_KEYS) expect(() => getValue(config, key)).not.to.throw();
  });

  it("requireStartKeys passes once the chain's RPC URL and deployment file are set", () => {
    const config = parseConfig({
      env: { OLNODE_CHAIN_RPC_URL: "http://127.0.0.1:8545", OLNODE_CHAIN_DEPLOYMENT_FILE: "deployment.json" },
    });
    const started = requireStartKeys(config);
    expect(started.chain.rpcUrl).to.equal("http://127.0.0.1:8545");
  });

  it("has a row for every key of OlnodeConfig and nothing else", () => {
    const config = parseConfig({});
    const keys = Object.entries(config).flatMap(([section, fields]) =>
      Object.keys(fields).map((f) => `${section}.${f}`),
    );
    expect(keys).to.deep.equal(Object.keys(CONFIG_SCHEMA));
  });
});
