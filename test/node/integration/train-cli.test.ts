import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { AbiCoder, keccak256, Wallet } from "ethers";
import { network } from "hardhat";
import type { JsonRpcServer, NetworkConnection } from "hardhat/types/network";
import { writeDeployment } from "../../../node/src/chain/index.js";
import { runCli } from "../../../node/src/cli/index.js";
import { readOperatorKeyFile } from "../../../node/src/config/index.js";
import { DEVNET_PARAMETERS, deployProtocol, type Protocol } from "../../../node/src/devnet/index.js";
import { getDatasetRoot, parseDataset } from "../../../node/src/protocol/index.js";
import { DEFAULT_TRAINER_DIR, TrainerProcess } from "../../../node/src/trainer/index.js";

const OPEN = 10n ** 18n;
const DATA = join(DEFAULT_TRAINER_DIR, "data", "advertise");
/** The built-in architecture without pre-training, cached like test/contracts/TrainerBridge.test.ts's. */
const MODEL_DIR = join(tmpdir(), "olnode-test-models", "builtin-pretrain-0");

const CHAIN_ID = 31_338;
const JOURNAL = join(import.meta.dirname, "..", "..", "..", "ignition", "deployments", `chain-${CHAIN_ID}`);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe("olnode dataset add, train, verify (Hardhat's EVM over HTTP, real Python trainer)", function () {
  this.timeout(240_000);

  let server: JsonRpcServer;
  let connection: NetworkConnection;
  let protocol: Protocol;
  let dir: string;
  let env: Record<string, string>;

  const olnode = (...argv: string[]): Promise<Run> => olnodeWith(env, ...argv);
  const olnodeWith = async (runEnv: Record<string, string>, ...argv: string[]): Promise<Run> => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(argv, {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: runEnv,
      cwd: dir,
    });
    return { code, stdout, stderr };
  };

  before(async () => {
    // Ignition journals deployments to an HTTP network on disk (ignition/deployments/chain-<id>) and would "resume"
    // a fresh chain from an old journal: a chain id of this test's own, journal removed before and after.
    await rm(JOURNAL, { recursive: true, force: true });
    server = await network.createServer({ network: "default", override: { chainId: CHAIN_ID } }, "127.0.0.1");
    const { port } = await server.listen();
    const rpcUrl = `http://127.0.0.1:${port}`;
    connection = await network.create({ network: "localhost", override: { url: rpcUrl } });
    // A chain that makes blocks on its own as well as on each transaction, as a real one does: the reveal and the
    // seal each need a block after the commit's.
    await connection.provider.request({ method: "evm_setIntervalMining", params: [200] });
    protocol = await deployProtocol(connection, {
      ...DEVNET_PARAMETERS,
      AdapterRegistry: { ...DEVNET_PARAMETERS.AdapterRegistry, minBond: 500n * OPEN },
    });
    dir = await mkdtemp(join(tmpdir(), "olnode-train-cli-"));
    await writeDeployment(join(dir, "deployment.json"), protocol.deployment);
    env = {
      OLNODE_CHAIN_RPC_URL: rpcUrl,
      OLNODE_CHAIN_DEPLOYMENT_FILE: "deployment.json",
      OLNODE_STORE_DIR: "node",
      OLNODE_TRAINER_PYTHON_PATH: "/usr/bin/python3",
    };
    const keys = await olnode("keys", "generate", "--operator", "--json");
    expect(keys.code, keys.stderr).to.equal(0);
    const operator = (JSON.parse(keys.stdout) as { operator: { address: string } }).operator.address;
    const [treasury] = await connection.ethers.getSigners();
    if (treasury === undefined) throw new Error("no signer");
    await (await treasury.sendTransaction({ to: operator, value: 10n * OPEN })).wait();
    await (await protocol.token.connect(treasury).transfer(operator, 10_000n * OPEN)).wait();
    await (
      await protocol.datanetRegistry.connect(treasury).createDatanet("olp://datanets/ad-copy", 100n * OPEN, OPEN / 10n)
    ).wait();
    await new TrainerProcess().run("make-model", ["--out", MODEL_DIR, "--pretrain-steps", "0"]);
  });

  after(async () => {
    await server?.close();
    await rm(JOURNAL, { recursive: true, force: true });
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("refuses an unknown datanet and a malformed file with clear errors", async () => {
    const unknown = await olnode("dataset", "add", join(DATA, "ads-1.jsonl"), "--datanet", "9", "--json");
    expect(unknown.code).to.equal(1);
    expect(JSON.parse(unknown.stderr)).to.have.nested.property("error.code", "CLI_ERROR_UNKNOWN_DATANET");
    await writeFile(join(dir, "bad.jsonl"), '{"instruction":"a","output":"b"}\nnot json\n');
    const bad = await olnode("dataset", "add", "bad.jsonl", "--datanet", "1");
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/^olnode: bad\.jsonl: line 2: /);
  });

  it("adds two shipped datasets, trains on them, registers the proof, and verifies a segment", async () => {
    const datasetIds: string[] = [];
    for (const file of ["ads-1.jsonl", "ads-3.sharegpt.jsonl"]) {
      const added = await olnode("dataset", "add", join(DATA, file), "--datanet", "1", "--json");
      expect(added.code, added.stderr).to.equal(0);
      const result = JSON.parse(added.stdout) as { datasetId: string; datasetRoot: string; file: string };
      const onChain = await protocol.datanetRegistry.getDataset(BigInt(result.datasetId));
      expect(onChain.root).to.equal(result.datasetRoot);
      expect(await readFile(result.file)).to.deep.equal(await readFile(join(DATA, file)));
      datasetIds.push(result.datasetId);
    }
    expect(datasetIds).to.deep.equal(["1", "2"]);
    const again = await olnode("dataset", "add", join(DATA, "ads-1.jsonl"), "--datanet", "1");
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/its root 0x[0-9a-f]{64} is already registered as dataset 1\n$/);

    await writeFile(
      join(dir, "train.json"),
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
    const trainArgs = [
      "train",
      "--adapter",
      "ads",
      "--datasets",
      "2,1",
      "--steps",
      "8",
      "--model",
      MODEL_DIR,
      "--train-config",
      "train.json",
      "--eval",
      join(DATA, "ads-eval.jsonl"),
      "--json",
    ];
    // A run that fails after its commitment gives the commitment up, so the adapter can commit again.
    const failed = await olnodeWith({ ...env, OLNODE_TRAINER_PYTHON_PATH: "/nonexistent/python3" }, ...trainArgs);
    expect(failed.code).to.equal(1);
    expect(JSON.parse(failed.stderr)).to.have.nested.property("error.code", "TRAINER_ERROR_SPAWN_FAILED");
    expect(failed.stdout).to.contain('"message":"abandoned commitment 1: the adapter can commit again"');
    expect(await protocol.adapterRegistry.commitmentStatusOf(1n)).to.equal(5n); // Abandoned

    const trained = await olnode(...trainArgs);
    expect(trained.code, trained.stderr).to.equal(0);
    const lines = trained.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const trainSteps = lines.filter((l) => l.type === "progress" && l.phase === "train").map((l) => l.step);
    expect(trainSteps).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    const result = lines.at(-1) as {
      type: string;
      versionId: string;
      weightsHash: string;
      checkpointRoot: string;
      checkpoints: number;
      evalScore: number;
      artifacts: string;
    };
    expect(result.type).to.equal("result");
    expect(result.versionId).to.equal("1");
    expect(result.checkpoints).to.equal(2);

    // The version on chain is the run's: the trainer's own result file, the registry and the CLI agree.
    const version = await protocol.adapterRegistry.getVersion(1n);
    const ran = JSON.parse(await readFile(join(result.artifacts, "run", "result.json"), "utf8")) as {
      checkpointRoot: string;
      weightsHash: string;
      evalScore: number;
    };
    expect(version.proof.checkpointRoot).to.equal(result.checkpointRoot).and.to.equal(ran.checkpointRoot);
    expect(version.proof.weightsHash).to.equal(result.weightsHash).and.to.equal(ran.weightsHash);
    expect(Number(version.proof.evalScore)).to.equal(result.evalScore).and.to.equal(ran.evalScore);
    expect((await protocol.adapterRegistry.getAdapter(1n)).name).to.equal("ads");

    const match = await olnode("verify", "1", "1");
    expect(match.code, match.stderr + match.stdout).to.equal(0);
    expect(match.stdout).to.match(/^version 1 segment 1: match\n/);

    const weights = join(result.artifacts, "run", "checkpoints", "1", "weights.safetensors");
    const bytes = new Uint8Array(await readFile(weights));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    await writeFile(weights, bytes);
    const mismatch = await olnode("verify", "1", "1", "--json");
    expect(mismatch.code, mismatch.stderr).to.equal(1);
    const verdict = JSON.parse(mismatch.stdout) as { match: boolean; mismatches: string[] };
    expect(verdict.match).to.equal(false);
    expect(verdict.mismatches).to.include("checkpoint 1 weightsHash");

    const outOfRange = await olnode("verify", "1", "3");
    expect(outOfRange.code).to.equal(2);
    expect(outOfRange.stderr).to.contain("version 1 has segments 1 to 2, not 3");
  });

  it("reveals the commitment of an earlier run that failed before its reveal, keeping its place in the order", async () => {
    const file = new Uint8Array(await readFile(join(DATA, "ads-2.jsonl")));
    const root = getDatasetRoot(parseDataset(file).map((s) => s.sampleHash));
    const key = await readOperatorKeyFile(join(dir, "node", "keys", "operator-key.json"));
    const salt = keccak256("0x01");
    const commitment = keccak256(
      AbiCoder.defaultAbiCoder().encode(["bytes32", "address", "bytes32"], [root, key.address, salt]),
    );
    // What the earlier run left: its pending file, and its commitment on chain.
    await mkdir(join(dir, "node", "datasets", "pending"), { recursive: true });
    await writeFile(
      join(dir, "node", "datasets", "pending", `${root}.json`),
      JSON.stringify({ datanetId: "1", salt, commitment }),
    );
    const wallet = new Wallet(key.privateKey, connection.ethers.provider);
    await (await protocol.datanetRegistry.connect(wallet).commitDataset(commitment)).wait();
    const { order } = await protocol.datanetRegistry.getCommitment(commitment);

    const added = await olnode("dataset", "add", join(DATA, "ads-2.jsonl"), "--datanet", "1", "--json");
    expect(added.code, added.stderr).to.equal(0);
    const result = JSON.parse(added.stdout) as { datasetId: string; commitTx: string | null; commitment: string };
    expect(result).to.deep.include({ commitTx: null, commitment });
    expect((await protocol.datanetRegistry.getDataset(BigInt(result.datasetId))).commitOrder).to.equal(order);
    let pendingLeft = true;
    await readFile(join(dir, "node", "datasets", "pending", `${root}.json`)).catch(() => {
      pendingLeft = false;
    });
    expect(pendingLeft).to.equal(false);
  });
});
