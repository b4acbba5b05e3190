import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  encodeAbiParameters,
  keccak256,
  type Transport,
  type WalletClient,
} from "viem";
import { hardhat } from "viem/chains";
import ProtocolModule from "../../ignition/modules/Protocol.js";
import { adapterRegistryAbi, datanetRegistryAbi, openTokenAbi } from "../../node/src/chain/abi/index.js";
import { getDatasetRoot, parseDataset, trainingSeed } from "../../node/src/protocol/index.js";
import {
  buildTrainingCorpus,
  buildTrainingJob,
  buildVersionProof,
  commitTraining,
  createTrainConfig,
  DEFAULT_TRAINER_DIR,
  getBaseModelHash,
  getConfigHash,
  getTrainingCommitment,
  getTrainingSeed,
  getVersionProof,
  hashSafetensors,
  renderProgressBar,
  sealCommitment,
  submitVersion,
  TrainerErrorCode,
  TrainerProcess,
  TrainerService,
  TrainingProgress,
  type TrainingProgressSnapshot,
} from "../../node/src/trainer/index.js";

const OPEN = 10n ** 18n;
const DATA = join(DEFAULT_TRAINER_DIR, "data", "advertise");
/**
 * The built-in model's architecture without its 2-minute pre-training (`--pretrain-steps 0`): what the proof needs
 * is a real model and real checkpoints, not a good one. `make-model` caches the folder by recipe, so only the first
 * run on a machine pays its ≈ 10 s.
 */
const MODEL_DIR = join(tmpdir(), "olnode-test-models", "builtin-pretrain-0");

describe("Trainer bridge end to end (Hardhat EVM, real Python trainer)", function () {
  this.timeout(180_000);

  it("registers two datasets, commits, seals, trains, submits the proof, and verifies a segment", async () => {
    const connection = await network.create();
    const deployed = await connection.ignition.deploy(ProtocolModule, {
      parameters: { DatanetRegistry: { revealWindowBlocks: 50n }, AdapterRegistry: { minBond: 500n * OPEN } },
    });
    const address = async (c: { getAddress(): Promise<string> }) => (await c.getAddress()) as Address;
    const token = await address(deployed.token);
    const datanetRegistry = await address(deployed.datanetRegistry);
    const adapterRegistry = await address(deployed.adapterRegistry);

    const transport = custom(connection.provider);
    const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 });
    const [treasury, alice, bob, operator] = await createWalletClient({ chain: hardhat, transport }).getAddresses();
    const wallet = (account: Address | undefined): WalletClient<Transport, Chain, Account> =>
      createWalletClient({ chain: hardhat, transport, account: account as Address });
    /** Setup transactions of the other actors (contributors, curator), each waited for. */
    const write = async (
      from: Address | undefined,
      call: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] },
    ) => {
      const hash = await wallet(from).writeContract(call);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).to.equal("success");
    };
    for (const to of [alice, bob, operator]) {
      await write(treasury, {
        address: token,
        abi: openTokenAbi,
        functionName: "transfer",
        args: [to, 10_000n * OPEN],
      });
    }

    // Two contributors register the shipped data sets: commit, then reveal with the stake a block later.
    await write(treasury, {
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "createDatanet",
      args: ["olp://datanets/ad-copy", 100n * OPEN, OPEN / 10n],
    });
    const files = await Promise.all(
      ["ads-1.jsonl", "ads-3.sharegpt.jsonl"].map(async (f) => new Uint8Array(await readFile(join(DATA, f)))),
    );
    for (const [i, owner] of [alice, bob].entries()) {
      const samples = parseDataset(files[i] as Uint8Array);
      const root = getDatasetRoot(samples.map((s) => s.sampleHash));
      const salt = keccak256(new TextEncoder().encode(`salt ${i}`));
      const commitment = keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }],
          [root, owner as Address, salt],
        ),
      );
      await write(owner, {
        address: datanetRegistry,
        abi: datanetRegistryAbi,
        functionName: "commitDataset",
        args: [commitment],
      });
      const sampleCount = BigInt(samples.length);
      const stake = await publicClient.readContract({
        address: datanetRegistry,
        abi: datanetRegistryAbi,
        functionName: "requiredStake",
        args: [1n, sampleCount],
      });
      await write(owner, {
        address: token,
        abi: openTokenAbi,
        functionName: "approve",
        args: [datanetRegistry, stake],
      });
      await write(owner, {
        address: datanetRegistry,
        abi: datanetRegistryAbi,
        functionName: "revealDataset",
        args: [{ datanetId: 1n, root, sampleCount, tokenCount: sampleCount * 40n, uri: `olp://ds/${i}`, salt, stake }],
      });
    }

    // The node: base model and config hashes first, then the commitment, sealed a block later.
    const node = { publicClient, walletClient: wallet(operator) };
    await write(operator, {
      address: adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "createAdapter",
      args: ["ads"],
    });
    await new TrainerProcess().run("make-model", ["--out", MODEL_DIR, "--pretrain-steps", "0"]);
    const config = createTrainConfig({
      steps: 8,
      checkpointInterval: 4,
      batchSize: 4,
      maxSeqLen: 128,
      warmupSteps: 2,
      precision: "fp32",
    });
    const baseModelHash = await getBaseModelHash(MODEL_DIR);
    const configHash = getConfigHash(config);
    const { commitmentId } = await commitTraining(node, {
      adapterRegistry,
      adapterId: 1n,
      baseModelHash,
      configHash,
      datasetIds: [1n, 2n],
    });
    await connection.networkHelpers.mine();
    const sealed = await sealCommitment(node, { adapterRegistry, commitmentId });
    const seed = await getTrainingSeed(publicClient, { adapterRegistry, commitmentId });
    expect(seed).to.equal(sealed.seed);
    expect(seed).to.equal(trainingSeed({ configHash, datasetIds: [1n, 2n], commitBlockhash: sealed.commitBlockhash }));

    // The corpus from the registered datasets, in their commit order, then a short real run.
    const datasets = await Promise.all(
      [1n, 2n].map(async (datasetId, i) => {
        const d = await publicClient.readContract({
          address: datanetRegistry,
          abi: datanetRegistryAbi,
          functionName: "getDataset",
          args: [datasetId],
        });
        return { datasetId, root: d.root, commitOrder: d.commitOrder, file: files[i] as Uint8Array };
      }),
    );
    const corpus = buildTrainingCorpus({ training: datasets });
    const job = buildTrainingJob({ config, corpus, commitBlockhash: sealed.commitBlockhash, modelDir: MODEL_DIR });
    const service = new TrainerService({ artifactsDir: await mkdtemp(join(tmpdir(), "olnode-bridge-")) });
    const progress = new TrainingProgress();
    const snapshots: TrainingProgressSnapshot[] = [];
    progress.on("progress", (s) => snapshots.push(s));
    const run = await service.train(commitmentId, job, { onEvent: (e) => progress.update(e) });
    expect(snapshots.filter((s) => s.phase === "train").map((s) => s.step)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.current.phase).to.equal("done");
    const last = snapshots.filter((s) => s.phase === "train").at(-1) as TrainingProgressSnapshot;
    expect(renderProgressBar(last.step, last.steps, last.loss, 10)).to.match(
      /^\[==========\] 8\/8 100% {2}loss \d+\.\d{4}$/,
    );

    // The node's own tensor hash of every stored checkpoint equals the trainer's.
    for (const checkpoint of run.checkpoints) {
      const weights = await readFile(join(run.job.runDir, "checkpoints", String(checkpoint.k), "weights.safetensors"));
      expect(hashSafetensors(weights), `checkpoint ${checkpoint.k}`).to.equal(checkpoint.weightsHash);
    }

    // The proof, checked against the chain of checkpoints, the seed and the commitment, then submitted with the bond.
    const commitment = await getTrainingCommitment(publicClient, { adapterRegistry, commitmentId });
    const proof = buildVersionProof({ result: run.result, checkpoints: run.checkpoints, seed, commitment });
    expect(proof.checkpointCount).to.equal(2);
    const minBond = await publicClient.readContract({
      address: adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "minBond",
    });
    let bondTooLow: unknown;
    await submitVersion(node, { adapterRegistry, commitmentId, proof, bond: minBond - 1n }).catch((err) => {
      bondTooLow = err;
    });
    expect(bondTooLow).to.have.nested.property("type.code", TrainerErrorCode.TX_FAILED);
    expect(bondTooLow)
      .to.have.nested.property("type.reason")
      .that.matches(/^AdapterRegistryBondTooLow\(/);
    const submitted = await submitVersion(node, { adapterRegistry, commitmentId, proof, bond: minBond });
    expect(submitted.versionId).to.equal(1n);
    expect(await getVersionProof(publicClient, { adapterRegistry, versionId: submitted.versionId })).to.deep.equal(
      proof,
    );
    expect(proof).to.deep.include({
      weightsHash: run.result.weightsHash,
      checkpointRoot: run.result.checkpointRoot,
      finalHead: run.result.finalHead,
      contributorsRoot: run.result.contributorsRoot,
      evalScore: run.result.evalScore,
    });

    // Stored per version; segment 1 re-runs bitwise; a tampered checkpoint does not.
    await service.store.promote({ versionId: submitted.versionId, commitmentId, proof, txHash: submitted.txHash });
    const verified = await service.verifySegment(submitted.versionId, 1);
    expect(verified).to.deep.include({ match: true, segment: 1, mismatches: [] });
    const stored = await service.getCheckpoint(submitted.versionId, 1);
    expect(stored).to.not.equal(null);
    const tampered = new Uint8Array(stored?.weights ?? []);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0x01;
    const weightsPath = join(
      service.store.versionDir(submitted.versionId),
      "run",
      "checkpoints",
      "1",
      "weights.safetensors",
    );
    await writeFile(weightsPath, tampered);
    const mismatch = await service.verifySegment(submitted.versionId, 1);
    expect(mismatch.match).to.equal(false);
    expect(mismatch.mismatches).to.include("checkpoint 1 weightsHash");
    await service.close();
  });
});
