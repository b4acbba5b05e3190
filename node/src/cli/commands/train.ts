import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { formatUnits, type Hex } from "viem";
import { adapterRegistryAbi, openTokenAbi } from "../../chain/index.js";
import {
  buildTrainingCorpus,
  buildTrainingJob,
  buildVersionProof,
  commitTraining,
  createTrainConfig,
  getBaseModelHash,
  getConfigHash,
  getEvalSplit,
  getTrainingCommitment,
  getTrainingSeed,
  sealCommitment,
  submitVersion,
  type TrainConfig,
  type TrainedRun,
  TrainerProcess,
  TrainerService,
} from "../../trainer/index.js";
import { CliError, type Command, type CommandContext, ExitCode } from "../command.js";
import { parseId, parseOpen } from "./dataset.js";
import { type ChainSession, openChainSession, requireWallet, sendCall } from "./session.js";
import { readEarlierDatasets, readTrainingDatasets, resolveAdapter } from "./trainInputs.js";
import { ProgressPrinter } from "./trainProgress.js";

/** What `olnode train` reports when the version is on chain. */
export interface TrainCommandResult {
  readonly adapterId: bigint;
  readonly commitmentId: bigint;
  readonly versionId: bigint;
  readonly weightsHash: Hex;
  readonly checkpointRoot: Hex;
  readonly checkpoints: number;
  /** ROUGE-L F1 on the held-out split, in basis points (0 without `--eval`). */
  readonly evalScore: number;
  readonly bond: bigint;
  readonly submitTx: Hex;
  /** The version's folder in the artifact store. */
  readonly artifacts: string;
}

/** The most datasets one run may name. */
const MAX_TRAINING_DATASETS = 64;
/** How long the seal waits for the block after the commitment's. */
const SEAL_WAIT_MS = 120_000;

/** `olnode train`. */
export const trainCommand: Command = {
  path: ["train"],
  summary: "train an adapter on registered datasets and put its proof of training on chain",
  description: [
    "Trains a LoRA/QLoRA adapter with the Python trainer and registers the result (DESIGN §7):",
    "  1. reads the datasets from the registry and their files from <store.dir>/datasets (`olnode dataset add`",
    "     keeps them there), checked against the registered roots, and builds the training corpus;",
    "  2. commits the base model, config and datasets (AdapterRegistry.commitTraining), then seals the commitment",
    "     once the chain has made the next block: the seal stores that block's hash, which seeds the run;",
    "  3. runs the trainer, with a progress bar on stderr (plain lines when stderr is not a terminal);",
    "  4. checks the proof against the checkpoints, submits the version with its bond, and stores the run under",
    "     <store.dir>/trainer/versions/<versionId> (what `olnode verify` and peers read).",
    "--adapter names an adapter id, or a name: the operator's adapter of that name, created when missing.",
    "--train-config is a JSON object of TrainConfig fields (docs/trainer.md); --method and --steps override it.",
    "--model builtin creates the built-in model under <inference.modelDir>/builtin once (a few minutes).",
  ].join("\n"),
  positionals: [],
  options: {
    config: { type: "string", valueName: "<path>", description: "node config file (JSON); default: $OLNODE_CONFIG" },
    adapter: { type: "string", valueName: "<id|name>", description: "the adapter to train (required)" },
    datasets: { type: "string", valueName: "<ids>", description: "dataset ids, comma-separated, e.g. 1,2 (required)" },
    method: { type: "string", valueName: "<qlora|lora>", description: "adapter method (default: the config's, qlora)" },
    steps: { type: "string", valueName: "<N>", description: "optimizer steps, a multiple of checkpointInterval" },
    "train-config": { type: "string", valueName: "<train.json>", description: "TrainConfig fields as JSON" },
    model: { type: "string", valueName: "<dir|builtin>", description: "base model folder (default: builtin)" },
    eval: { type: "string", valueName: "<file.jsonl>", description: "held-out split: pinned in the config, scored" },
    bond: { type: "string", valueName: "<OPEN>", description: "OPEN bonded on the version (default: minBond)" },
  },
  configFlags: true,
  examples: [
    "olnode train --adapter ads --datasets 1,2 --steps 400 --eval trainer/data/advertise/ads-eval.jsonl",
    "olnode train --adapter 3 --datasets 1 --method lora --train-config train.json --model models/llama --json",
  ],
  async run(context) {
    const flags = readTrainFlags(context);
    const config = await readTrainConfig(context, flags);
    const evalFile = flags.evalPath === undefined ? undefined : await readUserFile(context, flags.evalPath, "--eval");
    const trainConfig =
      evalFile === undefined ? config : createTrainConfig({ ...config, evalSplit: getEvalSplit(evalFile) });

    const session = await openChainSession(context, { nodeConfigPath: flags.nodeConfigPath });
    const progress = new ProgressPrinter(context);
    const { adapterRegistry } = session.deployment.contracts;
    const training = await readTrainingDatasets(session, flags.datasetIds);
    const others = await readEarlierDatasets(session, training);
    // Everything that can be checked is checked before the commitment: the corpus against the registered roots, the
    // model, the adapter, the bond and the OPEN to pay it.
    const corpus = buildTrainingCorpus({ training, others });
    const bond = await checkBond(session, flags.bond);
    const modelDir = await prepareModel(context, session, flags.model, progress);
    const baseModelHash = await getBaseModelHash(modelDir);
    const adapterId = await resolveAdapter(session, flags.adapter, progress);
    const clients = { publicClient: session.publicClient, walletClient: requireWallet(session) };
    const configHash = getConfigHash(trainConfig);
    progress.line(`committing: adapter ${adapterId}, datasets ${flags.datasetIds.join(",")}, config ${configHash}`);
    const { commitmentId } = await commitTraining(clients, {
      adapterRegistry,
      adapterId,
      baseModelHash,
      configHash,
      datasetIds: flags.datasetIds,
    });

    const service = new TrainerService({
      artifactsDir: join(session.storeDir, "trainer"),
      python: session.config.trainer.pythonPath,
    });
    try {
      let run: TrainedRun;
      let seed: Hex;
      try {
        progress.line(`sealing commitment ${commitmentId}: waiting for the next block`);
        const sealed = await sealCommitment(clients, { adapterRegistry, commitmentId, timeoutMs: SEAL_WAIT_MS });
        seed = await getTrainingSeed(session.publicClient, { adapterRegistry, commitmentId });
        const job = buildTrainingJob({
          config: trainConfig,
          corpus,
          commitBlockhash: sealed.commitBlockhash,
          modelDir,
          ...(evalFile === undefined ? {} : { evalFile }),
        });
        run = await service.train(commitmentId, job, { onEvent: (event) => progress.event(event) });
        progress.done();
      } catch (err) {
        // An open commitment blocks the adapter's next one: give it up, so running the command again works.
        progress.done();
        await abandon(session, commitmentId, progress);
        throw err;
      }
      const commitment = await getTrainingCommitment(session.publicClient, { adapterRegistry, commitmentId });
      const proof = buildVersionProof({ result: run.result, checkpoints: run.checkpoints, seed, commitment });
      const submitted = await submitVersion(clients, { adapterRegistry, commitmentId, proof, bond });
      const artifacts = await service.store.promote({
        versionId: submitted.versionId,
        commitmentId,
        proof,
        txHash: submitted.txHash,
      });
      printResult(context, {
        adapterId,
        commitmentId,
        versionId: submitted.versionId,
        weightsHash: proof.weightsHash,
        checkpointRoot: proof.checkpointRoot,
        checkpoints: proof.checkpointCount,
        evalScore: proof.evalScore,
        bond,
        submitTx: submitted.txHash,
        artifacts,
      });
    } finally {
      await service.close();
    }
  },
};

/** The version's bond: `--bond` or the registry's `minBond`; at least `minBond`, and held by the operator. */
async function checkBond(session: ChainSession, wanted: bigint | undefined): Promise<bigint> {
  const { adapterRegistry, openToken } = session.deployment.contracts;
  const minBond = await session.publicClient.readContract({
    address: adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "minBond",
  });
  const bond = wanted ?? minBond;
  if (bond < minBond) {
    throw new CliError(
      `--bond ${formatUnits(bond, 18)} OPEN is below the registry's minBond of ${formatUnits(minBond, 18)} OPEN`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_BOND_TOO_LOW",
    );
  }
  const operator = requireWallet(session).account.address;
  const balance = await session.publicClient.readContract({
    address: openToken,
    abi: openTokenAbi,
    functionName: "balanceOf",
    args: [operator],
  });
  if (balance < bond) {
    throw new CliError(
      `not enough OPEN for the bond: ${formatUnits(bond, 18)} OPEN, ${operator} holds ${formatUnits(balance, 18)} OPEN`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_NOT_ENOUGH_OPEN",
    );
  }
  return bond;
}

/** `abandonCommitment`, best effort: the run's own error is what the user must see, so a failure here is a line. */
async function abandon(session: ChainSession, commitmentId: bigint, progress: ProgressPrinter): Promise<void> {
  try {
    await sendCall(session, {
      address: session.deployment.contracts.adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "abandonCommitment",
      args: [commitmentId],
    });
    progress.line(`abandoned commitment ${commitmentId}: the adapter can commit again`);
  } catch (err) {
    progress.line(`could not abandon commitment ${commitmentId}: ${(err as Error).message}`);
  }
}

interface TrainFlags {
  readonly adapter: string;
  readonly datasetIds: readonly bigint[];
  readonly method: string | undefined;
  readonly steps: number | undefined;
  readonly trainConfigPath: string | undefined;
  readonly model: string;
  readonly evalPath: string | undefined;
  readonly bond: bigint | undefined;
  readonly nodeConfigPath: string | undefined;
}

function readTrainFlags(context: CommandContext): TrainFlags {
  const o = context.args.options;
  const text = (name: string): string | undefined => (typeof o[name] === "string" ? (o[name] as string) : undefined);
  const adapter = text("adapter");
  if (adapter === undefined || adapter.trim() === "") usage("--adapter is required: an adapter id or name");
  const datasets = text("datasets");
  if (datasets === undefined) usage("--datasets is required: dataset ids, comma-separated (e.g. 1,2)");
  const datasetIds = datasets.split(",").map((id) => parseId(id.trim(), "--datasets"));
  datasetIds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < datasetIds.length; i++) {
    if (datasetIds[i] === datasetIds[i - 1]) usage(`--datasets names dataset ${datasetIds[i]} twice`);
  }
  if (datasetIds.length > MAX_TRAINING_DATASETS) usage(`--datasets names more than ${MAX_TRAINING_DATASETS} datasets`);
  const method = text("method");
  if (method !== undefined && method !== "qlora" && method !== "lora") {
    usage(`--method must be qlora or lora, found ${JSON.stringify(method)}`);
  }
  const stepsText = text("steps");
  if (stepsText !== undefined && !/^[1-9][0-9]{0,8}$/.test(stepsText)) {
    usage(`--steps must be a whole number from 1, found ${JSON.stringify(stepsText)}`);
  }
  const bondText = text("bond");
  return {
    adapter,
    datasetIds,
    method,
    steps: stepsText === undefined ? undefined : Number(stepsText),
    trainConfigPath: text("train-config"),
    model: text("model") ?? "builtin",
    evalPath: text("eval"),
    bond: bondText === undefined ? undefined : parseOpen(bondText, "--bond"),
    nodeConfigPath: text("config"),
  };
}

/** The train config: the file's fields, then `--method` and `--steps`; every field checked (`CONFIG_INVALID`). */
async function readTrainConfig(context: CommandContext, flags: TrainFlags): Promise<TrainConfig> {
  let fields: Record<string, unknown> = {};
  if (flags.trainConfigPath !== undefined) {
    const bytes = await readUserFile(context, flags.trainConfigPath, "--train-config");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new CliError(
        `${flags.trainConfigPath}: not JSON (${(err as Error).message})`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_TRAIN_CONFIG",
      );
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new CliError(
        `${flags.trainConfigPath}: expected a JSON object of TrainConfig fields`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_TRAIN_CONFIG",
      );
    }
    fields = json as Record<string, unknown>;
  }
  if (flags.method !== undefined) fields.method = flags.method;
  if (flags.steps !== undefined) fields.steps = flags.steps;
  return createTrainConfig(fields as Partial<TrainConfig>);
}

async function readUserFile(context: CommandContext, path: string, flag: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(resolve(context.io.cwd, path)));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a file" : code;
    throw new CliError(
      `${flag} ${path}: ${problem ?? "unreadable"}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_FILE_NOT_READABLE",
    );
  }
}

/** The model folder: `builtin` is made (once, cached by the trainer) under `inference.modelDir`. */
async function prepareModel(
  context: CommandContext,
  session: ChainSession,
  model: string,
  progress: ProgressPrinter,
): Promise<string> {
  if (model !== "builtin") return resolve(context.io.cwd, model);
  const dir = resolve(context.io.cwd, session.config.inference.modelDir, "builtin");
  progress.line(`preparing the built-in model in ${dir} (cached after the first run)`);
  // Its own progress: the make-model run's result would otherwise end the training bar before training starts.
  const modelProgress = new ProgressPrinter(context);
  await new TrainerProcess({ python: session.config.trainer.pythonPath }).run("make-model", ["--out", dir], {
    onEvent: (event) => modelProgress.event(event),
  });
  modelProgress.done();
  return dir;
}

function printResult(context: CommandContext, r: TrainCommandResult): void {
  if (context.json) {
    const json = JSON.stringify({ type: "result", ...r }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    context.io.stdout.write(`${json}\n`);
    return;
  }
  const lines = [
    `version         ${r.versionId} (adapter ${r.adapterId}, commitment ${r.commitmentId})`,
    `weightsHash     ${r.weightsHash}`,
    `checkpointRoot  ${r.checkpointRoot} (${r.checkpoints} segments)`,
    `eval ROUGE-L    ${(r.evalScore / 100).toFixed(2)} (evalScore ${r.evalScore} bps${r.evalScore === 0 ? ", no --eval split" : ""})`,
    `bond            ${formatUnits(r.bond, 18)} OPEN`,
    `submitTx        ${r.submitTx}`,
    `artifacts       ${r.artifacts}`,
  ];
  context.io.stdout.write(`${lines.join("\n")}\n`);
}

function usage(message: string): never {
  throw new CliError(message, ExitCode.USAGE_ERROR, "CLI_ERROR_FLAG_VALUE");
}
