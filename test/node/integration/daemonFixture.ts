// A local protocol for node-daemon tests: Hardhat's EVM served over HTTP, the protocol deployed, two shipped datasets
// registered and one adapter version trained on them through the real `olnode` CLI and the Python trainer, activated
// and priced; then any number of real `OlNode`s (level stores on disk, libp2p on loopback) serving that version.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { network } from "hardhat";
import type { JsonRpcServer, NetworkConnection } from "hardhat/types/network";
import { type Address, createWalletClient, defineChain, type Hex, http } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { writeDeployment } from "../../../node/src/chain/index.js";
import { runCli } from "../../../node/src/cli/index.js";
import { parseConfig, readOperatorKeyFile, requireStartKeys } from "../../../node/src/config/index.js";
import { DEVNET_PARAMETERS, deployProtocol, type Protocol } from "../../../node/src/devnet/index.js";
import { createLogger, type Logger } from "../../../node/src/logger/index.js";
import { Metrics } from "../../../node/src/metrics/index.js";
import { OlNode } from "../../../node/src/node/index.js";
import { settlementDomain } from "../../../node/src/protocol/index.js";
import {
  createMemoryLaneStore,
  depositWithPermit,
  type LaneStore,
  nextReceipt,
  RECEIPT_HEADER,
} from "../../../node/src/sdk/index.js";
import { DEFAULT_TRAINER_DIR, TrainerProcess } from "../../../node/src/trainer/index.js";

export const OPEN = 10n ** 18n;
/** The price every node sets for the version, in wei. */
export const PRICE = OPEN / 100n;
const DATA = join(DEFAULT_TRAINER_DIR, "data", "advertise");
const MODEL_DIR = join(tmpdir(), "olnode-test-models", "builtin-pretrain-0");
const HOUR = 3600;

/** One `olnode` run's exit code and output. */
export type CliRun = { code: number; stdout: string; stderr: string };

/** A node's folder and operator key, before or after it starts. */
export type NodeHome = { name: string; dir: string; operator: PrivateKeyAccount; env: Record<string, string> };

/** The chain, the trained version and the homes of the nodes. */
export type DaemonWorld = {
  readonly server: JsonRpcServer;
  readonly connection: NetworkConnection;
  readonly protocol: Protocol;
  readonly rpcUrl: string;
  readonly root: string;
  readonly versionId: bigint;
  /** The home whose operator trained the version (its store holds the artifacts). */
  readonly trainer: NodeHome;
  readonly logger: Logger;
  olnode(home: NodeHome, ...argv: string[]): Promise<CliRun>;
  /** A registered, priced node home holding the version (a copy of the trainer's artifacts). */
  addNode(name: string): Promise<NodeHome>;
  /** Starts a node; `bootstrap` are others' multiaddrs; `overrides` are extra `OLNODE_*` variables. */
  startNode(home: NodeHome, bootstrap?: string[], overrides?: Record<string, string>): Promise<OlNode>;
  /** The `OLNODE_*` variables {@link startNode} starts `home` with (for `olnode start` as a child process). */
  startEnv(home: NodeHome, bootstrap?: string[], overrides?: Record<string, string>): Record<string, string>;
  /** The metrics registry a node {@link startNode} started writes to. */
  metricsOf(node: OlNode): Metrics;
  /** The operator key of a home. */
  operatorKey(home: NodeHome): Promise<Hex>;
  /** A funded dapp account with a deposit for `node` and an in-memory lane store. */
  newPayer(node: Address, deposit: bigint): Promise<Payer>;
  /** Moves the chain's clock on and mines a block. */
  advanceTime(seconds: number): Promise<void>;
  close(): Promise<void>;
};

/** A dapp that pays for inferences with the SDK. */
export type Payer = {
  readonly account: PrivateKeyAccount;
  readonly lanes: LaneStore;
  /** POSTs `/v1/completions` to `apiUrl` with the next receipt of `lane` (default 0) for `node`. */
  complete(apiUrl: string, node: Address, prompt: string, opts?: CompleteOptions): Promise<Response>;
};

/** How {@link Payer.complete} asks: which lane, how many tokens. */
export type CompleteOptions = { lane?: number; maxTokens?: number };

const NODE_STAKE = 1_000n * OPEN;

/**
 * Builds the world once per test file (about a minute: it trains a real adapter for 8 steps on CPU). Chain id is the
 * caller's, so test files never share an Ignition journal.
 */
export async function createDaemonWorld(chainId: number): Promise<DaemonWorld> {
  const journal = join(import.meta.dirname, "..", "..", "..", "ignition", "deployments", `chain-${chainId}`);
  await rm(journal, { recursive: true, force: true });
  const server = await network.createServer({ network: "default", override: { chainId } }, "127.0.0.1");
  const { port } = await server.listen();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const connection = await network.create({ network: "localhost", override: { url: rpcUrl } });
  await connection.provider.request({ method: "evm_setIntervalMining", params: [200] });
  const protocol = await deployProtocol(connection, {
    ...DEVNET_PARAMETERS,
    AdapterRegistry: { ...DEVNET_PARAMETERS.AdapterRegistry, minBond: 500n * OPEN },
  });
  const root = await mkdtemp(join(tmpdir(), "olnode-daemon-"));
  await writeDeployment(join(root, "deployment.json"), protocol.deployment);
  const [treasury] = await connection.ethers.getSigners();
  if (treasury === undefined) throw new Error("no signer");
  const logger = createLogger({ level: process.env.OLNODE_TEST_LOG === "1" ? "debug" : "error", format: "pretty" });
  const chain = defineChain({
    id: chainId,
    name: "test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });

  const olnode = async (home: NodeHome, ...argv: string[]): Promise<CliRun> => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(argv, {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: home.env,
      cwd: home.dir,
    });
    return { code, stdout, stderr };
  };
  const fund = async (to: Address, tokens: bigint) => {
    await (await treasury.sendTransaction({ to, value: 10n * OPEN })).wait();
    await (await protocol.token.connect(treasury).transfer(to, tokens)).wait();
  };
  const newHome = async (name: string): Promise<NodeHome> => {
    const dir = join(root, name);
    const env = {
      OLNODE_CHAIN_RPC_URL: rpcUrl,
      OLNODE_CHAIN_DEPLOYMENT_FILE: join(root, "deployment.json"),
      OLNODE_CHAIN_CONFIRMATIONS: "0",
      OLNODE_CHAIN_POLL_INTERVAL_MS: "200",
      OLNODE_STORE_DIR: dir,
      OLNODE_TRAINER_PYTHON_PATH: "/usr/bin/python3",
    };
    const home = { name, dir, env, operator: privateKeyToAccount(`0x${"00".repeat(31)}01`) };
    const keys = await olnode(home, "keys", "generate", "--json");
    expect(keys.code, keys.stderr).to.equal(0);
    const key = await readOperatorKeyFile(join(dir, "keys", "operator-key.json"));
    const operator = privateKeyToAccount(key.privateKey);
    await fund(operator.address, 10_000n * OPEN);
    return { ...home, operator };
  };
  // Train the version once, through the CLI, as an operator would.
  await (
    await protocol.datanetRegistry.connect(treasury).createDatanet("olp://datanets/ad-copy", 100n * OPEN, OPEN / 10n)
  ).wait();
  await new TrainerProcess().run("make-model", ["--out", MODEL_DIR, "--pretrain-steps", "0"]);
  const trainer = await newHome("trainer");
  for (const file of ["ads-1.jsonl", "ads-3.sharegpt.jsonl"]) {
    const added = await olnode(trainer, "dataset", "add", join(DATA, file), "--datanet", "1", "--json");
    expect(added.code, added.stderr).to.equal(0);
  }
  const trainConfig = join(root, "train.json");
  await writeFile(
    trainConfig,
    JSON.stringify({
      checkpointInterval: 4,
      batchSize: 4,
      maxSeqLen: 128,
      warmupSteps: 2,
      precision: "fp32",
      evalSamples: 2,
      evalMaxNewTokens: 16,
    }),
  );
  const trained = await olnode(
    trainer,
    "train",
    "--adapter",
    "ads",
    "--datasets",
    "1,2",
    "--steps",
    "8",
    "--model",
    MODEL_DIR,
    "--train-config",
    trainConfig,
    "--json",
  );
  expect(trained.code, trained.stderr).to.equal(0);
  const result = JSON.parse(trained.stdout.trim().split("\n").at(-1) ?? "{}") as { versionId: string };
  const versionId = BigInt(result.versionId);
  await connection.provider.request({ method: "evm_increaseTime", params: [HOUR] });
  await connection.provider.request({ method: "evm_mine", params: [] });
  await (await protocol.adapterRegistry.connect(treasury).activate(versionId)).wait();

  const ethersWallet = async (account: PrivateKeyAccount) => {
    const key = await readOperatorKeyFile(join(root, homes.get(account.address) ?? "", "keys", "operator-key.json"));
    return new Wallet(key.privateKey, connection.ethers.provider);
  };
  const homes = new Map<string, string>();
  homes.set(trainer.operator.address, trainer.name);
  const registerAndPrice = async (home: NodeHome) => {
    const wallet = await ethersWallet(home.operator);
    await (await protocol.token.connect(wallet).approve(await protocol.nodeRegistry.getAddress(), NODE_STAKE)).wait();
    await (
      await protocol.nodeRegistry
        .connect(wallet)
        .register(home.operator.address, NODE_STAKE, `peer-${home.name}`, `http://${home.name}`)
    ).wait();
    await (await protocol.nodeRegistry.connect(wallet).setPrice(versionId, PRICE)).wait();
  };
  await registerAndPrice(trainer);
  const versionDir = join(trainer.dir, "trainer", "versions", versionId.toString());

  const started: OlNode[] = [];
  const metricsByNode = new Map<OlNode, Metrics>();
  const world: DaemonWorld = {
    server,
    connection,
    protocol,
    rpcUrl,
    root,
    versionId,
    trainer,
    logger,
    olnode,
    async addNode(name) {
      const home = await newHome(name);
      homes.set(home.operator.address, home.name);
      await registerAndPrice(home);
      await cp(versionDir, join(home.dir, "trainer", "versions", versionId.toString()), { recursive: true });
      return home;
    },
    startEnv(home, bootstrap = [], overrides = {}) {
      return {
        ...home.env,
        OLNODE_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
        OLNODE_P2P_DHT: "false",
        OLNODE_P2P_IP_COLOCATION_WEIGHT: "0",
        OLNODE_P2P_BOOTSTRAP: bootstrap.join(","),
        OLNODE_API_PORT: "0",
        OLNODE_SETTLE_TICK_INTERVAL_MS: "3600000",
        OLNODE_SETTLE_REDEEM_VALUE_WEI: "1",
        ...overrides,
      };
    },
    async startNode(home, bootstrap = [], overrides = {}) {
      const config = requireStartKeys(parseConfig({ env: world.startEnv(home, bootstrap, overrides) }));
      const metrics = new Metrics({ defaultMetrics: false });
      const node = await OlNode.init({ config, cwd: home.dir }, { logger: logger.child(home.name), metrics });
      started.push(node);
      metricsByNode.set(node, metrics);
      return node;
    },
    metricsOf(node) {
      const metrics = metricsByNode.get(node);
      if (metrics === undefined) throw new Error("not a node this world started");
      return metrics;
    },
    async operatorKey(home) {
      return (await readOperatorKeyFile(join(home.dir, "keys", "operator-key.json"))).privateKey;
    },
    async newPayer(node, deposit) {
      const account = privateKeyToAccount(generatePrivateKey());
      await fund(account.address, deposit);
      const escrow = await protocol.paymentEscrow.getAddress();
      const client = createWalletClient({ account, chain, transport: http(rpcUrl) });
      await depositWithPermit(client, {
        escrow: escrow as Address,
        node,
        amount: deposit,
        deadline: BigInt(Math.floor(Date.now() / 1000) + 10 * HOUR),
      });
      const lanes = await createMemoryLaneStore({
        domain: settlementDomain(BigInt(chainId), protocol.deployment.contracts.settlement),
      });
      return {
        account,
        lanes,
        async complete(apiUrl, nodeAddress, prompt, opts = {}) {
          const body = new TextEncoder().encode(
            JSON.stringify({ model: `v${versionId}`, prompt, max_tokens: opts.maxTokens ?? 8 }),
          );
          const lane = { payer: account.address, node: nodeAddress, versionId, lane: opts.lane ?? 0 };
          const { header } = await nextReceipt(client, { store: lanes, lane, requestBody: body, value: PRICE });
          return fetch(`${apiUrl}/v1/completions`, {
            method: "POST",
            body,
            headers: { [RECEIPT_HEADER]: header, "content-type": "application/json" },
          });
        },
      };
    },
    async advanceTime(seconds) {
      await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
      await connection.provider.request({ method: "evm_mine", params: [] });
    },
    async close() {
      for (const node of started.reverse()) await node.close();
      await server.close();
      await rm(journal, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    },
  };
  return world;
}
