import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { network } from "hardhat";
import { type Address, createPublicClient, defineChain, getAddress, type Hex, http, type PublicClient } from "viem";
import { writeDeployment } from "../chain/index.js";
import type { Writer } from "../cli/index.js";
import { parseConfig, requireStartKeys } from "../config/index.js";
import { buildDatasetTree, getSampleProof, parseDataset } from "../protocol/index.js";
import { DatasetStore, DEFAULT_TRAINER_DIR, TrainerProcess } from "../trainer/index.js";
import { serveChain } from "./chainServer.js";
import { makeCopycatDataset } from "./copycat.js";
import { Dapp, type Dapp as DappType } from "./dapp.js";
import { deployProtocol, type Protocol } from "./deployProtocol.js";
import type { DevnetReport } from "./devnetReport.js";
import { buildDevnetReport } from "./devnetReport.js";
import { type DevnetNode, type StartNode, startOlNode } from "./nodes.js";
import { runOlnode } from "./olnodeCli.js";
import { createParties, NODE_NAMES, type Party, type PartyName, partyOf, SERVING_NODES } from "./parties.js";
import { settleEpoch } from "./settleFlow.js";
import { type DevnetLog, Steps } from "./steps.js";
import { formatOpen, waitFor } from "./wait.js";

const OPEN = 10n ** 18n;
const ETH = 10n ** 18n;

/** What a devnet run can be told. */
export interface DevnetOptions {
  /** Optimizer steps of the adapter's training (a multiple of {@link DevnetOptions.checkpointInterval}). */
  readonly steps: number;
  /** Steps per checkpoint segment (DESIGN §7's K). */
  readonly checkpointInterval: number;
  /** Samples per optimizer step. */
  readonly batchSize: number;
  /** Paid inferences the dapp sends, spread over the three nodes. */
  readonly inferences: number;
  /** Base model folder; absent: the built-in model, made once and cached under `modelCacheDir`. */
  readonly modelDir?: string;
  /** Where the built-in model is cached between runs. */
  readonly modelCacheDir: string;
  /** The run's folder (parties' stores, keys, deployment file); absent: a fresh temporary folder. */
  readonly dir?: string;
  /** Held-out samples scored by ROUGE-L after training (0: no eval). */
  readonly evalSamples: number;
  /** Interval mining, in milliseconds: the chain makes a block this often as well as on each transaction. */
  readonly blockIntervalMs: number;
  /** The Python that runs the trainer. */
  readonly pythonPath: string;
  /** Where the training progress bar goes (stderr). */
  readonly progress?: Writer & { isTTY?: boolean };
}

/** The defaults of `npm start`: about four minutes on two shared cores once the built-in model is cached. */
export const DEFAULT_DEVNET_OPTIONS: DevnetOptions = {
  steps: 100,
  checkpointInterval: 20,
  batchSize: 8,
  inferences: 300,
  modelCacheDir: resolve(DEFAULT_TRAINER_DIR, "..", ".olnode", "devnet", "models"),
  evalSamples: 4,
  blockIntervalMs: 1000,
  pythonPath: "/usr/bin/python3",
};

/** What the devnet's callers get: the report, the explorer's URL, and `close()`, which stops everything. */
export interface DevnetRun {
  readonly report: DevnetReport;
  /** The explorer of node A. */
  readonly explorerUrl: string;
  /** The run's folder. */
  readonly dir: string;
  close(): Promise<void>;
}

/** What the devnet is built from: where it says what it does, and how a node is started (tests may wrap it). */
export interface DevnetModules {
  readonly log: DevnetLog;
  readonly startNode?: StartNode;
}

/** The shipped data (trainer/data/advertise): three contributors' files and the held-out split. */
const DATA_DIR = join(DEFAULT_TRAINER_DIR, "data", "advertise");

/** A price per inference: 0.01 OPEN. */
const PRICE = OPEN / 100n;

/**
 * `npm start`: the whole protocol on one machine, step by step (DESIGN §1's lifecycle). A Hardhat chain served on
 * 127.0.0.1, the Ignition deployment, two datanets with three contributors' shipped datasets registered by
 * `olnode dataset add` and a copycat caught by a duplicate proof, four staked nodes, an adapter trained by
 * `olnode train` on node A (progress bar), its challenge window passed and the version installed on nodes B and C and
 * the auditor, three serving nodes and an auditor started as `OlNode`s on loopback, a dapp paying for inferences
 * through the SDK, records gossiped to every node, lanes redeemed, the epoch's attribution roots posted, audited and
 * claimed by the dataset owners. Returns the report; the nodes (and node A's explorer) keep running until `close()`.
 *
 * Every step is logged as `[n] what it does`; a failure is a {@link DevnetStepError} naming the step.
 */
export async function runDevnet(options: Partial<DevnetOptions>, modules: DevnetModules): Promise<DevnetRun> {
  const opts: DevnetOptions = { ...DEFAULT_DEVNET_OPTIONS, ...options };
  checkOptions(opts);
  const startNode = modules.startNode ?? startOlNode;
  const steps = new Steps(modules.log);
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        modules.log(`     (while closing: ${(err as Error).message})`);
      }
    }
  };
  try {
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "olnode-devnet-")));
    await mkdir(dir, { recursive: true });

    const { connection, rpcUrl } = await steps.run(
      `starting a Hardhat chain on 127.0.0.1 (a block every ${opts.blockIntervalMs} ms and on each transaction)`,
      async () => {
        const connection = await network.create();
        await connection.provider.request({ method: "evm_setIntervalMining", params: [opts.blockIntervalMs] });
        const server = await serveChain(connection.provider);
        cleanups.push(async () => {
          await server.close();
          await connection.close();
        });
        steps.detail(`JSON-RPC at ${server.url}`);
        return { connection, rpcUrl: server.url };
      },
    );
    const { ethers, networkHelpers } = connection;

    const { protocol, deploymentFile, client } = await steps.run(
      "deploying the protocol with the Ignition module (token, arbiter, registries, escrow, settlement)",
      async () => {
        const protocol = await deployProtocol(connection);
        const deploymentFile = join(dir, "deployment.json");
        await writeDeployment(deploymentFile, protocol.deployment);
        steps.detail(`deployment file ${deploymentFile}`);
        const chain = defineChain({
          id: protocol.deployment.chainId,
          name: "devnet",
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: { default: { http: [rpcUrl] } },
        });
        const client = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 250 }) as PublicClient;
        return { protocol, deploymentFile, client, chain };
      },
    );
    const { token, datanetRegistry, nodeRegistry, adapterRegistry } = protocol;
    const [treasury, curatorA, curatorB, watcher] = await ethers.getSigners();
    if (treasury === undefined || curatorA === undefined || curatorB === undefined || watcher === undefined) {
      throw new Error("the chain has fewer than 4 accounts");
    }
    const supply = await token.totalSupply();

    const parties = await steps.run(
      "creating keys for 4 contributors, 3 nodes, an auditor and a dapp; the treasury funds them with ETH and OPEN",
      async () => {
        const parties = await createParties(connection, dir);
        const funding: Record<PartyName, bigint> = {
          alice: 1_000n * OPEN,
          bob: 1_000n * OPEN,
          carol: 1_000n * OPEN,
          mallory: 1_000n * OPEN,
          "node-a": 5_000n * OPEN,
          "node-b": 5_000n * OPEN,
          "node-c": 5_000n * OPEN,
          auditor: 5_000n * OPEN,
          dapp: 2_000n * OPEN,
        };
        for (const party of parties.values()) {
          await (await treasury.sendTransaction({ to: party.address, value: 100n * ETH })).wait();
          await (await token.connect(treasury).transfer(party.address, funding[party.name])).wait();
        }
        for (const [name, amount] of [
          ["curatorA", 1_000n * OPEN],
          ["curatorB", 1_000n * OPEN],
          ["watcher", 1_000n * OPEN],
        ] as const) {
          const to = { curatorA, curatorB, watcher }[name];
          await (await token.connect(treasury).transfer(to.address, amount)).wait();
        }
        return parties;
      },
    );
    const party = (name: PartyName): Party => partyOf(parties, name);
    const accounts = new Map<string, Address>([
      ["treasury", getAddress(treasury.address)],
      ["curator A", getAddress(curatorA.address)],
      ["curator B", getAddress(curatorB.address)],
      ["watcher", getAddress(watcher.address)],
      ...[...parties.values()].map((p) => [p.name, p.address] as const),
    ]);
    const balancesBefore = await balancesOf(protocol, accounts);
    const startBlock = BigInt(await ethers.provider.getBlockNumber());

    const envOf = (p: Party): Record<string, string> => ({
      OLNODE_CHAIN_RPC_URL: rpcUrl,
      OLNODE_CHAIN_DEPLOYMENT_FILE: deploymentFile,
      OLNODE_CHAIN_CONFIRMATIONS: "0",
      OLNODE_STORE_DIR: p.dir,
      OLNODE_TRAINER_PYTHON_PATH: opts.pythonPath,
      OLNODE_INFERENCE_MODEL_DIR: opts.modelCacheDir,
    });

    await steps.run("curators create two datanets: ad copy as instructions, and ad copy as conversations", async () => {
      await (
        await datanetRegistry
          .connect(curatorA)
          .createDatanet("olp://datanets/ad-copy-instructions", 100n * OPEN, OPEN / 2n)
      ).wait();
      await (
        await datanetRegistry
          .connect(curatorB)
          .createDatanet("olp://datanets/ad-copy-conversations", 100n * OPEN, OPEN / 2n)
      ).wait();
    });

    const files = {
      alice: await readFile(join(DATA_DIR, "ads-1.jsonl")),
      bob: await readFile(join(DATA_DIR, "ads-2.jsonl")),
      carol: await readFile(join(DATA_DIR, "ads-3.sharegpt.jsonl")),
    };
    const datasetIds = await steps.run(
      "alice and bob register ads-1 and ads-2 in datanet 1, carol ads-3 in datanet 2: `olnode dataset add` (commit, reveal with stake)",
      async () => {
        const add = async (who: "alice" | "bob" | "carol", file: string, datanet: number) => {
          const { stdout } = await runOlnode(
            ["dataset", "add", join(DATA_DIR, file), "--datanet", String(datanet), "--json"],
            { env: envOf(party(who)), cwd: party(who).dir },
          );
          const result = JSON.parse(stdout) as { datasetId: string; samples: number; stake: string };
          steps.detail(
            `${who}: dataset ${result.datasetId}, ${result.samples} samples, staked ${formatOpen(BigInt(result.stake))}`,
          );
          return BigInt(result.datasetId);
        };
        // One after the other: the commit order is the ownership order of shared samples (DESIGN §7).
        const alice = await add("alice", "ads-1.jsonl", 1);
        const bob = await add("bob", "ads-2.jsonl", 1);
        const carol = await add("carol", "ads-3.sharegpt.jsonl", 2);
        return { alice, bob, carol };
      },
    );

    const copycat = await steps.run(
      "mallory registers a disguised copy of alice's first samples; a watcher proves the duplicate and the copy is slashed",
      async () => {
        const mallory = party("mallory");
        const file = makeCopycatDataset(files.alice, 5, [
          JSON.stringify({
            instruction: "Write advertising copy for the product.",
            input: "type: scarf | colour: red | material: silk",
            output: "A red silk scarf, light as a promise.",
          }),
        ]);
        const path = join(mallory.dir, "clothing-ads.jsonl");
        await writeFile(path, file);
        const { stdout } = await runOlnode(["dataset", "add", path, "--datanet", "1", "--json"], {
          env: envOf(mallory),
          cwd: mallory.dir,
        });
        const datasetId = BigInt((JSON.parse(stdout) as { datasetId: string }).datasetId);
        const stakeBefore = (await datanetRegistry.getDataset(datasetId)).stake;
        const aliceSamples = parseDataset(files.alice);
        const copied = parseDataset(file);
        const stolen = copied[0];
        if (stolen === undefined) throw new Error("the copycat's file is empty");
        const receipt = await (
          await datanetRegistry
            .connect(watcher)
            .proveDuplicate(
              stolen.sampleHash,
              datasetIds.alice,
              getSampleProof(buildDatasetTree(aliceSamples.map((s) => s.sampleHash)), stolen.sampleHash),
              datasetId,
              getSampleProof(buildDatasetTree(copied.map((s) => s.sampleHash)), stolen.sampleHash),
            )
        ).wait();
        const proven = receipt?.logs
          .map((l) => datanetRegistry.interface.parseLog(l))
          .find((e) => e?.name === "DuplicateProven");
        if (!proven) throw new Error("proveDuplicate emitted no DuplicateProven event");
        const slashed = proven.args.slashed as bigint;
        const reward = proven.args.reward as bigint;
        const eligible = await datanetRegistry.isEligible(datasetId);
        steps.detail(
          `mallory's dataset ${datasetId}: stake ${formatOpen(stakeBefore)} → ${formatOpen(stakeBefore - slashed)}, ` +
            `${formatOpen(reward)} to the watcher, ${formatOpen(slashed - reward)} burned; ${eligible ? "still" : "no longer"} eligible for training`,
        );
        return { datasetId, slashed, reward, stakeBefore, sampleHash: stolen.sampleHash, eligible };
      },
    );

    const ports = new Map<PartyName, number>();
    await steps.run(
      "the three nodes and the auditor stake 1,000 OPEN each and register peer id and endpoint",
      async () => {
        for (const name of NODE_NAMES) {
          const p = party(name);
          const port = await getFreePort();
          ports.set(name, port);
          const registry = nodeRegistry.connect(p.wallet);
          await (await token.connect(p.wallet).approve(await nodeRegistry.getAddress(), 1_000n * OPEN)).wait();
          await (
            await registry.register(p.address, 1_000n * OPEN, String(p.peerId), `http://127.0.0.1:${port}`)
          ).wait();
          steps.detail(`${name}: ${p.address}, peer ${String(p.peerId).slice(0, 16)}…, http://127.0.0.1:${port}`);
        }
      },
    );

    const modelDir = await steps.run(
      opts.modelDir === undefined
        ? "preparing the built-in base model (made once, then cached)"
        : `using the base model in ${opts.modelDir}`,
      async () => {
        if (opts.modelDir !== undefined) return opts.modelDir;
        const out = join(opts.modelCacheDir, "builtin");
        let shown = 0;
        await new TrainerProcess({ python: opts.pythonPath }).run("make-model", ["--out", out], {
          onEvent: (event) => {
            if (event.type !== "progress" || event.phase !== "make-model" || !("fields" in event)) return;
            const { cached, step, steps: total } = event.fields as { cached?: boolean; step?: number; steps?: number };
            if (cached === true) steps.detail(`cached in ${out}`);
            else if (typeof step === "number" && typeof total === "number" && step - shown >= total / 4) {
              shown = step;
              steps.detail(`pre-training ${step}/${total}`);
            }
          },
        });
        return out;
      },
    );

    const versionId = await steps.run(
      `node A trains a QLoRA adapter on datasets ${datasetIds.alice}, ${datasetIds.bob}, ${datasetIds.carol} with \`olnode train\` (${opts.steps} steps on CPU)`,
      async () => {
        const nodeA = party("node-a");
        // Node A holds the datasets it trains on (fetching them from peers over /olp/req/samples/1 is not in the CLI yet).
        const store = new DatasetStore({ dir: join(nodeA.dir, "datasets") });
        for (const bytes of Object.values(files)) await store.put(new Uint8Array(bytes));
        const trainConfig = join(nodeA.dir, "train.json");
        await writeFile(
          trainConfig,
          JSON.stringify({
            checkpointInterval: opts.checkpointInterval,
            batchSize: opts.batchSize,
            warmupSteps: Math.min(10, opts.steps / 2),
            evalSamples: Math.max(1, opts.evalSamples),
            evalMaxNewTokens: 48,
          }),
        );
        const argv = [
          "train",
          "--adapter",
          "ad-copy",
          "--datasets",
          [datasetIds.alice, datasetIds.bob, datasetIds.carol].join(","),
          "--steps",
          String(opts.steps),
          "--train-config",
          trainConfig,
          "--model",
          modelDir,
          ...(opts.evalSamples > 0 ? ["--eval", join(DATA_DIR, "ads-eval.jsonl")] : []),
        ];
        const { stdout } = await runOlnode(argv, {
          env: envOf(nodeA),
          cwd: nodeA.dir,
          ...(opts.progress === undefined ? {} : { stderr: opts.progress }),
        });
        for (const line of stdout.trim().split("\n")) steps.detail(line);
        return await adapterRegistry.versionCount();
      },
    );

    await steps.run(
      "the version's challenge window passes (chain time moved on); anyone activates it; blocks from now on only with transactions",
      async () => {
        const version = await adapterRegistry.getVersion(versionId);
        await networkHelpers.time.increaseTo(version.challengeEnd + 1n);
        await (await adapterRegistry.connect(watcher).activate(versionId)).wait();
        // From here on a block per transaction is enough (the CLI's reveal and seal needed blocks of their own), and a
        // chain that only moves when something happens keeps the nodes' indexers at its head: a node judges gossiped
        // records only when synced (CHAIN_NOT_SYNCED is IGNORE, and an ignored message is not offered again).
        await connection.provider.request({ method: "evm_setIntervalMining", params: [0] });
        const status = await adapterRegistry.statusOf(versionId);
        if (status !== 2n)
          throw new Error(`version ${versionId} has status ${status} after activation, expected 2 (Active)`);
        steps.detail(`version ${versionId} is Active`);
      },
    );

    await steps.run(
      "installing the version on nodes B and C and the auditor (copying node A's version folder) and setting prices",
      async () => {
        const from = join(party("node-a").dir, "trainer", "versions", versionId.toString());
        for (const name of ["node-b", "node-c", "auditor"] as const) {
          await cp(from, join(party(name).dir, "trainer", "versions", versionId.toString()), { recursive: true });
        }
        for (const name of SERVING_NODES) {
          await (await nodeRegistry.connect(party(name).wallet).setPrice(versionId, PRICE)).wait();
        }
        steps.detail(`each serving node charges ${formatOpen(PRICE)} per inference of version ${versionId}`);
      },
    );

    const nodes = await steps.run(
      "starting three nodes and an auditor on loopback (libp2p gossip, HTTP API)",
      async () => {
        const started = new Map<PartyName, DevnetNode>();
        const start = async (name: PartyName, bootstrap: readonly string[]) => {
          const p = party(name);
          const env: Record<string, string> = {
            ...envOf(p),
            OLNODE_CHAIN_POLL_INTERVAL_MS: "250",
            OLNODE_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
            OLNODE_P2P_DHT: "false",
            OLNODE_P2P_IP_COLOCATION_WEIGHT: "0",
            OLNODE_API_PORT: String(ports.get(name)),
            OLNODE_SETTLE_REDEEM_VALUE_WEI: "1",
            OLNODE_SETTLE_REDEEM_AGE_SECONDS: "60",
            // The devnet ticks settle itself, step by step; the nodes' own loops wait an hour.
            OLNODE_SETTLE_TICK_INTERVAL_MS: "3600000",
            OLNODE_LOG_LEVEL: "warn",
            ...(name === "auditor" ? { OLNODE_SETTLE_AUDITOR: "true", OLNODE_SETTLE_POST_EPOCHS: "false" } : {}),
            ...(bootstrap.length > 0 ? { OLNODE_P2P_BOOTSTRAP: bootstrap.join(",") } : {}),
          };
          const config = requireStartKeys(parseConfig({ env }));
          const node = await startNode(config, { cwd: p.dir, name });
          cleanups.push(() => node.close());
          started.set(name, node);
          steps.detail(`${name}: ${node.apiUrl} (node ${node.node})`);
        };
        await start("node-a", []);
        // The others dial node A: one bootstrap peer is enough for gossipsub to find the rest.
        const bootstrap = started.get("node-a")?.multiaddrs ?? [];
        await Promise.all((["node-b", "node-c", "auditor"] as const).map((name) => start(name, bootstrap)));
        await waitFor("every node to see its peers and serve the version", 60_000, async () => {
          for (const [name, node] of started) {
            const status = await getJson<{ peers?: number }>(`${node.apiUrl}/status`);
            if ((status?.peers ?? 0) < (name === "node-a" ? NODE_NAMES.length - 1 : 1)) return false;
            if (!(SERVING_NODES as readonly string[]).includes(name)) continue;
            const models = await getJson<{ data?: { version_id?: string }[] }>(`${node.apiUrl}/v1/models`);
            if (!(models?.data ?? []).some((m) => m.version_id === versionId.toString())) return false;
          }
          return true;
        });
        return started;
      },
    );
    const nodeOf = (name: PartyName): DevnetNode => {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`node ${name} is not running`);
      return node;
    };

    const dapp: DappType = await steps.run(
      "the dapp deposits 100 OPEN in escrow for each node through the SDK (permit and deposit in one transaction)",
      async () => {
        const d = await Dapp.open({
          privateKey: party("dapp").key.privateKey,
          dir: party("dapp").dir,
          chain:
            client.chain ??
            defineChain({
              id: protocol.deployment.chainId,
              name: "devnet",
              nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
              rpcUrls: { default: { http: [rpcUrl] } },
            }),
          rpcUrl,
          deployment: protocol.deployment,
        });
        cleanups.push(() => d.close());
        const now = (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
        await d.deposit(
          SERVING_NODES.map((n) => nodeOf(n).node),
          100n * OPEN,
          BigInt(now) + 3_600n,
        );
        // A deposit applies once the node has indexed it (DESIGN §4).
        for (const name of SERVING_NODES) await nodeOf(name).indexer.syncOnce();
        return d;
      },
    );

    const prompts = (await readFile(join(DATA_DIR, "ads-eval.jsonl"), "utf8"))
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        const s = JSON.parse(l) as { instruction: string; input?: string };
        return s.input === undefined || s.input === "" ? s.instruction : `${s.instruction}\n${s.input}`;
      });
    const inferences = await steps.run(
      `the dapp pays for ${opts.inferences} inferences across the three nodes: one signed receipt each (SDK nextReceipt)`,
      async () => {
        const paid = SERVING_NODES.map((name) => ({
          name,
          node: nodeOf(name).node,
          apiUrl: nodeOf(name).apiUrl,
          price: PRICE,
        }));
        const started = Date.now();
        let lastShown = 0;
        const result = await dapp.infer(paid, versionId, opts.inferences, prompts, (done) => {
          if (done - lastShown >= Math.max(1, Math.floor(opts.inferences / 5)) || done === opts.inferences) {
            lastShown = done;
            steps.detail(`${done}/${opts.inferences} answered (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          }
        });
        const example = result[0];
        if (example !== undefined) {
          steps.detail(
            `e.g. ${JSON.stringify(example.prompt.split("\n").at(-1))} → ${JSON.stringify(example.outputText)}`,
          );
        }
        return result;
      },
    );

    const recordsSeen = await steps.run(
      "waiting for every record to reach every node by gossip (/olp/records/1)",
      async () => {
        const wanted = new Set(inferences.map((i) => i.recordId.toLowerCase()));
        const held = new Map<PartyName, number>();
        try {
          await waitFor(
            `all ${wanted.size} records on all ${NODE_NAMES.length} nodes`,
            60_000,
            async () => {
              for (const name of NODE_NAMES) {
                const ids = await listRecordIds(nodeOf(name).apiUrl);
                let n = 0;
                for (const id of wanted) if (ids.has(id)) n++;
                held.set(name, n);
              }
              return [...held.values()].every((n) => n === wanted.size);
            },
            () => [...held].map(([name, n]) => `${name} ${n}/${wanted.size}`).join(", "),
          );
        } catch (err) {
          // What each node's records validator said (its p2p metrics): the reason a record is missing.
          const outcomes: string[] = [];
          for (const name of NODE_NAMES) outcomes.push(`${name}: ${await gossipOutcomes(nodeOf(name).apiUrl)}`);
          throw new Error(`${(err as Error).message}; gossip outcomes: ${outcomes.join("; ")}`);
        }
        steps.detail([...held].map(([name, n]) => `${name} holds ${n}`).join(", "));
        return held;
      },
    );

    const settlement = await steps.run(
      "settling: nodes redeem their lanes, the epoch ends, each node posts its attribution root, the auditor audits, the window passes, owners claim",
      async () =>
        settleEpoch(
          {
            protocol,
            connection,
            versionId,
            serving: SERVING_NODES.map((name) => ({ name, party: party(name), node: nodeOf(name) })),
            auditor: { party: party("auditor"), node: nodeOf("auditor") },
            owners: new Map([
              [datasetIds.alice, party("alice")],
              [datasetIds.bob, party("bob")],
              [datasetIds.carol, party("carol")],
            ]),
            watcher,
            claim: async (owner, nodeUrl) => {
              const { stdout } = await runOlnode(["claim", "--from-node", nodeUrl, "--json"], {
                env: envOf(owner),
                cwd: owner.dir,
              });
              const out = JSON.parse(stdout) as { claimed: { datasetId: string; amount: string; kind: string }[] };
              return out.claimed.map((c) => ({ datasetId: BigInt(c.datasetId), amount: BigInt(c.amount) }));
            },
          },
          { detail: (line) => steps.detail(line) },
        ),
    );

    const report = await steps.run("writing the report", async () =>
      buildDevnetReport({
        protocol,
        client,
        startBlock,
        supply,
        accounts,
        balancesBefore,
        balancesAfter: await balancesOf(protocol, accounts),
        versionId,
        datasets: [
          { id: datasetIds.alice, owner: "alice" },
          { id: datasetIds.bob, owner: "bob" },
          { id: datasetIds.carol, owner: "carol" },
          { id: copycat.datasetId, owner: "mallory" },
        ],
        copycat,
        inferences,
        recordsSeen,
        settlement,
        versionDir: join(party("node-a").dir, "trainer", "versions", versionId.toString()),
        apiUrl: nodeOf("node-a").apiUrl,
        timings: steps.timings(),
      }),
    );
    return { report, explorerUrl: `${nodeOf("node-a").apiUrl}/explorer/`, dir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function checkOptions(opts: DevnetOptions): void {
  const whole = (name: keyof DevnetOptions, min: number) => {
    const v = opts[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`devnet option ${name}: expected a whole number from ${min}, found ${String(v)}`);
    }
  };
  whole("steps", 1);
  whole("checkpointInterval", 1);
  whole("batchSize", 1);
  whole("inferences", 1);
  whole("evalSamples", 0);
  whole("blockIntervalMs", 50);
  if (opts.steps % opts.checkpointInterval !== 0) {
    throw new Error(
      `devnet option steps: ${opts.steps} is not a multiple of the checkpoint interval ${opts.checkpointInterval} (DESIGN §7)`,
    );
  }
}

/** OPEN balances of every named account. */
async function balancesOf(protocol: Protocol, accounts: ReadonlyMap<string, Address>): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const [name, address] of accounts) out.set(name, await protocol.token.balanceOf(address));
  return out;
}

async function getJson<T>(url: string): Promise<T | undefined> {
  const res = await fetch(url);
  if (res.status !== 200) return undefined;
  return (await res.json()) as T;
}

/** A node's `/olp/records/1` validation outcomes from its metrics: `accept ×12, ignore SEQ_GAP ×3`. */
async function gossipOutcomes(apiUrl: string): Promise<string> {
  const res = await fetch(`${apiUrl}/metrics`).catch(() => undefined);
  if (res === undefined || res.status !== 200) return "metrics unavailable";
  const counts: string[] = [];
  for (const line of (await res.text()).split("\n")) {
    const m = /^olnode_p2p_gossip_messages_total\{(.*)\} (\S+)$/.exec(line);
    if (m === null || !(m[1] ?? "").includes("records")) continue;
    const labels = Object.fromEntries([...(m[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    counts.push(`${labels.result} ${labels.code === "ACCEPT" ? "" : `${labels.code} `}×${m[2]}`);
  }
  return counts.length === 0 ? "no records messages" : counts.join(", ");
}

/** Every record id a node holds, from its explorer's records pages (100 a page). */
async function listRecordIds(apiUrl: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const query = after === undefined ? "limit=100" : `limit=100&after=${after}`;
    const body = await getJson<{ records: { recordId: Hex }[]; next?: Hex }>(`${apiUrl}/explorer/api/records?${query}`);
    if (body === undefined) throw new Error(`${apiUrl}/explorer/api/records did not answer 200`);
    for (const r of body.records) ids.add(r.recordId.toLowerCase());
    if (body.next === undefined) break;
    after = body.next;
  }
  return ids;
}

/** A TCP port free on loopback now (the node binds it moments later; a devnet on one machine). */
async function getFreePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
