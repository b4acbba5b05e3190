import { join } from "node:path";
import { type Address, parseEventLogs } from "viem";
import { adapterRegistryAbi, datanetRegistryAbi } from "../../chain/index.js";
import { parseDataset } from "../../protocol/index.js";
import { DatasetStore, type OwnerDatasetInput, type TrainingDatasetInput } from "../../trainer/index.js";
import { CliError, ExitCode } from "../command.js";
import { parseId } from "./dataset.js";
import { type ChainSession, requireWallet, sendCall } from "./session.js";
import type { ProgressPrinter } from "./trainProgress.js";

/** The most registered datasets scanned for earlier owners (bounded reads). */
const MAX_SCANNED_DATASETS = 10_000;

/** The training datasets from the registry, each with its file from the local dataset store. */
export async function readTrainingDatasets(
  session: ChainSession,
  datasetIds: readonly bigint[],
): Promise<TrainingDatasetInput[]> {
  const { datanetRegistry } = session.deployment.contracts;
  const count = await session.publicClient.readContract({
    address: datanetRegistry,
    abi: datanetRegistryAbi,
    functionName: "datasetCount",
  });
  const store = new DatasetStore({ dir: join(session.storeDir, "datasets") });
  const inputs: TrainingDatasetInput[] = [];
  for (const datasetId of datasetIds) {
    if (datasetId > count) {
      throw new CliError(
        `unknown dataset ${datasetId}: the registry has ${count === 0n ? "none" : `datasets 1 to ${count}`}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_UNKNOWN_DATASET",
      );
    }
    const dataset = await session.publicClient.readContract({
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "getDataset",
      args: [datasetId],
    });
    const file = await store.read(dataset.root);
    if (file === null) {
      throw new CliError(
        `dataset ${datasetId} (root ${dataset.root}) is not held by this node: add its file with 'olnode dataset add', or copy it to ${store.pathOf(dataset.root)}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_DATASET_NOT_HELD",
      );
    }
    inputs.push({ datasetId, root: dataset.root, commitOrder: dataset.commitOrder, file });
  }
  return inputs;
}

/**
 * Every other registered dataset committed before the last training dataset (DESIGN §7: a sample belongs to the
 * earliest-committed dataset holding it; later ones can own nothing). Their sample hashes come from local files: one
 * this node lacks could own training samples, so it is an error rather than a guess.
 */
export async function readEarlierDatasets(
  session: ChainSession,
  training: readonly TrainingDatasetInput[],
): Promise<OwnerDatasetInput[]> {
  const { datanetRegistry } = session.deployment.contracts;
  const count = await session.publicClient.readContract({
    address: datanetRegistry,
    abi: datanetRegistryAbi,
    functionName: "datasetCount",
  });
  if (count > BigInt(MAX_SCANNED_DATASETS)) {
    throw new CliError(
      `the registry holds ${count} datasets; this command scans at most ${MAX_SCANNED_DATASETS} for earlier owners`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_TOO_MANY_DATASETS",
    );
  }
  let lastOrder = 0n;
  for (const d of training) if (d.commitOrder > lastOrder) lastOrder = d.commitOrder;
  const trainingIds = new Set(training.map((d) => d.datasetId));
  const store = new DatasetStore({ dir: join(session.storeDir, "datasets") });
  const others: OwnerDatasetInput[] = [];
  for (let datasetId = 1n; datasetId <= count; datasetId++) {
    if (trainingIds.has(datasetId)) continue;
    const dataset = await session.publicClient.readContract({
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "getDataset",
      args: [datasetId],
    });
    if (dataset.commitOrder >= lastOrder) continue;
    const file = await store.read(dataset.root);
    if (file === null) {
      throw new CliError(
        `dataset ${datasetId} (root ${dataset.root}) was committed before the training datasets and may own some of their samples (DESIGN §7), but this node does not hold it: add its file with 'olnode dataset add' or copy it to ${store.pathOf(dataset.root)}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_DATASET_NOT_HELD",
      );
    }
    const sampleHashes = parseDataset(file).map((s) => s.sampleHash);
    others.push({ datasetId, commitOrder: dataset.commitOrder, sampleHashes });
  }
  return others;
}

/** An adapter id the operator owns, or the operator's adapter of that name (created when there is none). */
export async function resolveAdapter(
  session: ChainSession,
  adapter: string,
  progress: ProgressPrinter,
): Promise<bigint> {
  const { adapterRegistry } = session.deployment.contracts;
  const owner = requireWallet(session).account.address;
  if (/^[0-9]+$/.test(adapter)) {
    const adapterId = parseId(adapter, "--adapter");
    const count = await session.publicClient.readContract({
      address: adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "adapterCount",
    });
    if (adapterId > count) {
      throw new CliError(`unknown adapter ${adapterId}`, ExitCode.USER_ERROR, "CLI_ERROR_UNKNOWN_ADAPTER");
    }
    const found = await session.publicClient.readContract({
      address: adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "getAdapter",
      args: [adapterId],
    });
    if (found.owner.toLowerCase() !== owner.toLowerCase()) {
      throw new CliError(
        `adapter ${adapterId} belongs to ${found.owner}, not to the operator ${owner}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_NOT_ADAPTER_OWNER",
      );
    }
    return adapterId;
  }
  const created = await session.publicClient.getContractEvents({
    address: adapterRegistry,
    abi: adapterRegistryAbi,
    eventName: "AdapterCreated",
    args: { owner: owner as Address },
    fromBlock: session.deployment.deployBlock,
    strict: true,
  });
  const mine = created.find((log) => log.args.name === adapter);
  if (mine !== undefined) return mine.args.adapterId;
  progress.line(`creating adapter ${JSON.stringify(adapter)}`);
  const receipt = await sendCall(session, {
    address: adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "createAdapter",
    args: [adapter],
  });
  const [event] = parseEventLogs({ abi: adapterRegistryAbi, eventName: "AdapterCreated", logs: receipt.logs });
  if (event === undefined) throw new Error(`no AdapterCreated event in ${receipt.transactionHash}`);
  return event.args.adapterId;
}
