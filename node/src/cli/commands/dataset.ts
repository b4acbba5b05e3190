import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type Address,
  encodeAbiParameters,
  formatUnits,
  type Hex,
  keccak256,
  parseEventLogs,
  parseUnits,
  toHex,
} from "viem";
import { datanetRegistryAbi, openTokenAbi } from "../../chain/index.js";
import { DatasetError, getDatasetRoot, parseDataset, type Sample, type SampleShape } from "../../protocol/index.js";
import { DatasetStore } from "../../trainer/index.js";
import { CliError, type Command, type CommandContext, ExitCode, writeJson } from "../command.js";
import { CONFIG_OPTION } from "./config.js";
import { openChainSession, requireWallet, sendCall, waitForBlock } from "./session.js";

/** What `olnode dataset inspect` reports. */
export interface DatasetSummary {
  readonly file: string;
  readonly bytes: number;
  readonly samples: number;
  readonly shapes: Readonly<Record<SampleShape, number>>;
  /** Attribution tokens (DESIGN §8) of the normalized texts: an estimate of the model's token count. */
  readonly tokens: number;
  readonly datasetRoot: Hex;
}

/**
 * The Unicode version of the Node.js the protocol pins (DESIGN §4; test/node/unit/protocol/purity.test.ts checks it):
 * another one may accept or normalize code points differently, and so compute another dataset root.
 */
export const PINNED_UNICODE_VERSION = "17.0";

/**
 * DESIGN §8's tokens: maximal runs of letters, marks and digits, and single other non-space characters. Counted on
 * normalized text, where the only space left is U+0020.
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+|[^\p{L}\p{M}\p{N} ]/gu;

/** Counts DESIGN §8 attribution tokens in a normalized text. */
export function countTokens(normalizedText: string): number {
  let count = 0;
  for (const _ of normalizedText.matchAll(TOKEN)) count++;
  return count;
}

/** Summarizes parsed samples: counts per shape, tokens, and the dataset root they commit to. */
export function summarizeDataset(file: string, bytes: number, samples: readonly Sample[]): DatasetSummary {
  const shapes: Record<SampleShape, number> = { alpaca: 0, sharegpt: 0 };
  let tokens = 0;
  for (const sample of samples) {
    shapes[sample.shape] += 1;
    tokens += countTokens(sample.normalizedText);
  }
  const datasetRoot = getDatasetRoot(samples.map((s) => s.sampleHash));
  return { file, bytes, samples: samples.length, shapes, tokens, datasetRoot };
}

/** `olnode dataset inspect <file.jsonl>`. */
export const datasetInspectCommand: Command = {
  path: ["dataset", "inspect"],
  summary: "check a dataset file: samples, shapes, tokens, dataset root",
  description: [
    "Parses a dataset file exactly as the protocol does (DESIGN §4: UTF-8 JSONL, Alpaca or ShareGPT lines) and",
    "prints its sample count, the count of each shape, an estimate of its tokens (DESIGN §8 attribution tokens)",
    "and its dataset root, the value registered on chain. A malformed file prints the line number and the",
    "problem, and exits 1.",
  ].join("\n"),
  positionals: [{ name: "file.jsonl", description: "the dataset file" }],
  options: {},
  configFlags: false,
  examples: ["olnode dataset inspect data/train.jsonl", "olnode dataset inspect data/train.jsonl --json"],
  async run(context) {
    const file = context.args.positionals[0] as string;
    const unicode = process.versions.unicode;
    if (unicode !== PINNED_UNICODE_VERSION) {
      throw new CliError(
        `this Node.js has Unicode ${unicode} tables, the protocol pins ${PINNED_UNICODE_VERSION}: its dataset root could differ from the network's; run bin/olnode, which uses the project's Node.js`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_UNICODE_VERSION",
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(resolve(context.io.cwd, file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const problem =
        code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a file" : (code ?? "unreadable");
      throw new CliError(`${file}: ${problem}`, ExitCode.USER_ERROR, "CLI_ERROR_FILE_NOT_READABLE");
    }
    let samples: Sample[];
    try {
      samples = parseDataset(bytes);
    } catch (err) {
      if (err instanceof DatasetError) throw new DatasetFileError(file, err);
      throw err;
    }
    const summary = summarizeDataset(file, bytes.length, samples);
    if (context.json) {
      writeJson(context.io.stdout, summary);
      return;
    }
    const lines = [
      `file         ${summary.file}`,
      `bytes        ${summary.bytes}`,
      `samples      ${summary.samples} (alpaca ${summary.shapes.alpaca}, sharegpt ${summary.shapes.sharegpt})`,
      `tokens       ~${summary.tokens} (DESIGN §8 attribution tokens)`,
      `datasetRoot  ${summary.datasetRoot}`,
    ];
    context.io.stdout.write(`${lines.join("\n")}\n`);
  },
};

/** A {@link DatasetError} with the file it was found in, for the CLI's message and `--json` output. */
export class DatasetFileError extends CliError {
  /**
   * @param file the file as the user named it
   * @param error the protocol's error (its `type` has the code and the line)
   */
  constructor(
    readonly file: string,
    readonly error: DatasetError,
  ) {
    super(`${file}: ${error.message}`, ExitCode.USER_ERROR, error.type.code);
    this.name = "DatasetFileError";
  }
}

/** What `olnode dataset add` reports. */
export interface DatasetAddResult {
  readonly datasetId: bigint;
  readonly datanetId: bigint;
  readonly datasetRoot: Hex;
  readonly samples: number;
  readonly tokens: number;
  /** OPEN wei staked. */
  readonly stake: bigint;
  readonly owner: Address;
  /** `null` when the commitment of an earlier run that failed before its reveal was reused. */
  readonly commitTx: Hex | null;
  readonly commitment: Hex;
  readonly revealTx: Hex;
  /** Where the samples are kept for training and for `/olp/req/samples/1`. */
  readonly file: string;
}

/** A pending registration: written before the commit is sent, so a failed reveal can be retried with the same salt. */
interface PendingRegistration {
  readonly datanetId: string;
  readonly salt: Hex;
  readonly commitment: Hex;
}

/** Blocks the CLI waits for after the commit before revealing (DESIGN §4: the root at least one block later). */
const REVEAL_WAIT_MS = 60_000;

/** `olnode dataset add <file.jsonl> --datanet <id> [--stake <OPEN>]`. */
export const datasetAddCommand: Command = {
  path: ["dataset", "add"],
  summary: "register a dataset in a datanet: stake, commit, reveal; keep its samples for training",
  description: [
    "Parses a dataset file as the protocol does (DESIGN §4), computes its dataset root and registers it in a",
    "datanet with DatanetRegistry's commit–reveal: commits keccak256(abi.encode(root, owner, salt)), waits for a",
    "later block, approves the stake and reveals the root with the stake. The operator key (keys.operatorKeyFile)",
    "owns the dataset and pays. The file is then kept under <store.dir>/datasets/<root>.jsonl, from where",
    "`olnode train` reads it and peers fetch it over /olp/req/samples/1.",
    "The stake defaults to the datanet's requirement (minStake, stakePerSample × samples); --stake may give more.",
  ].join("\n"),
  positionals: [{ name: "file.jsonl", description: "the dataset file (UTF-8 JSONL, Alpaca or ShareGPT lines)" }],
  options: {
    ...CONFIG_OPTION,
    datanet: { type: "string", valueName: "<id>", description: "the datanet to register in (required)" },
    stake: { type: "string", valueName: "<OPEN>", description: "OPEN to stake, e.g. 150 or 12.5 (default: required)" },
    uri: {
      type: "string",
      valueName: "<uri>",
      description: "where the samples are published (default olp://samples/<root>)",
    },
  },
  configFlags: true,
  examples: [
    "olnode dataset add trainer/data/advertise/ads-1.jsonl --datanet 1",
    "olnode dataset add data/train.jsonl --datanet 2 --stake 500 --json",
  ],
  async run(context) {
    const file = context.args.positionals[0] as string;
    const datanetId = parseId(context.args.options.datanet, "--datanet");
    const stakeFlag = context.args.options.stake;
    const stakeWanted = stakeFlag === undefined ? undefined : parseOpen(String(stakeFlag), "--stake");
    const bytes = await readDatasetFile(context, file);
    const samples = parseSamples(file, bytes);
    const summary = summarizeDataset(file, bytes.length, samples);
    const root = summary.datasetRoot;

    const session = await openChainSession(context);
    const owner = requireWallet(session).account.address;
    const { datanetRegistry, openToken } = session.deployment.contracts;
    const read = session.publicClient;
    const datanetCount = await read.readContract({
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "datanetCount",
    });
    if (datanetId > datanetCount) {
      throw new CliError(
        `unknown datanet ${datanetId}: the registry has ${datanetCount === 0n ? "none" : `datanets 1 to ${datanetCount}`}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_UNKNOWN_DATANET",
      );
    }
    const registered = await read.readContract({
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "datasetIdOfRoot",
      args: [root],
    });
    if (registered !== 0n) {
      throw new CliError(
        `${file}: its root ${root} is already registered as dataset ${registered}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_DATASET_EXISTS",
      );
    }
    const required = await read.readContract({
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "requiredStake",
      args: [datanetId, BigInt(samples.length)],
    });
    const stake = stakeWanted ?? required;
    if (stake < required) {
      throw new CliError(
        `--stake ${formatUnits(stake, 18)} OPEN is below what datanet ${datanetId} requires for ${samples.length} samples: ${formatUnits(required, 18)} OPEN`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_STAKE_TOO_LOW",
      );
    }
    const balance = await read.readContract({
      address: openToken,
      abi: openTokenAbi,
      functionName: "balanceOf",
      args: [owner],
    });
    if (balance < stake) {
      throw new CliError(
        `not enough OPEN: staking ${formatUnits(stake, 18)} OPEN, ${owner} holds ${formatUnits(balance, 18)} OPEN`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_NOT_ENOUGH_OPEN",
      );
    }

    // Commit. The salt is kept before the commit is sent: a run that failed after it (a reveal refused, a crash) is
    // retried by running the command again, which reveals the earlier commitment and keeps its place in the order.
    const pendingDir = join(session.storeDir, "datasets", "pending");
    const pendingPath = join(pendingDir, `${root}.json`);
    const commitmentOf = (salt: Hex): Hex =>
      keccak256(
        encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }], [root, owner, salt]),
      );
    const getCommitment = (commitment: Hex) =>
      read.readContract({
        address: datanetRegistry,
        abi: datanetRegistryAbi,
        functionName: "getCommitment",
        args: [commitment],
      });
    let salt = (await readPending(pendingPath, datanetId))?.salt ?? toHex(randomBytes(32));
    let commitment = commitmentOf(salt);
    let commitBlock = (await getCommitment(commitment)).blockNumber;
    if (commitBlock !== 0n) {
      const { revealDeadline } = await getCommitment(commitment);
      // The reveal would land in the next block at the earliest: past the deadline, the commitment has lapsed.
      if ((await read.getBlockNumber({ cacheTime: 0 })) + 1n > revealDeadline) {
        salt = toHex(randomBytes(32));
        commitment = commitmentOf(salt);
        commitBlock = 0n;
      }
    }
    let commitTx: Hex | undefined;
    if (commitBlock === 0n) {
      await mkdir(pendingDir, { recursive: true });
      const record: PendingRegistration = { datanetId: datanetId.toString(), salt, commitment };
      await writeFile(pendingPath, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      const receipt = await sendCall(session, {
        address: datanetRegistry,
        abi: datanetRegistryAbi,
        functionName: "commitDataset",
        args: [commitment],
      });
      commitTx = receipt.transactionHash;
      commitBlock = receipt.blockNumber;
    }
    const allowance = await read.readContract({
      address: openToken,
      abi: openTokenAbi,
      functionName: "allowance",
      args: [owner, datanetRegistry],
    });
    if (allowance < stake) {
      await sendCall(session, {
        address: openToken,
        abi: openTokenAbi,
        functionName: "approve",
        args: [datanetRegistry, stake],
      });
    }
    // DESIGN §4: the reveal must land in a block after the commit's. Its simulation runs on the head, so wait for it.
    await waitForBlock(read, commitBlock + 1n, REVEAL_WAIT_MS);
    const uri = typeof context.args.options.uri === "string" ? context.args.options.uri : `olp://samples/${root}`;
    const reveal = await sendCall(session, {
      address: datanetRegistry,
      abi: datanetRegistryAbi,
      functionName: "revealDataset",
      args: [
        {
          datanetId,
          root,
          sampleCount: BigInt(samples.length),
          tokenCount: BigInt(summary.tokens),
          uri,
          salt,
          stake,
        },
      ],
    });
    const [event] = parseEventLogs({ abi: datanetRegistryAbi, eventName: "DatasetRegistered", logs: reveal.logs });
    if (event === undefined) throw new Error(`no DatasetRegistered event in ${reveal.transactionHash}`);
    const stored = await new DatasetStore({ dir: join(session.storeDir, "datasets") }).put(bytes);
    await rm(pendingPath, { force: true });
    const result: DatasetAddResult = {
      datasetId: event.args.datasetId,
      datanetId,
      datasetRoot: root,
      samples: samples.length,
      tokens: summary.tokens,
      stake,
      owner,
      commitTx: commitTx ?? null,
      commitment,
      revealTx: reveal.transactionHash,
      file: stored.path,
    };
    if (context.json) {
      writeJson(context.io.stdout, result);
      return;
    }
    const lines = [
      `dataset      ${result.datasetId} in datanet ${datanetId}`,
      `datasetRoot  ${root}`,
      `samples      ${result.samples} (~${result.tokens} tokens)`,
      `stake        ${formatUnits(stake, 18)} OPEN from ${owner}`,
      `revealTx     ${result.revealTx}`,
      `stored       ${stored.path}`,
    ];
    context.io.stdout.write(`${lines.join("\n")}\n`);
  },
};

/** Reads a dataset file named on the command line; a missing file or a folder is the user's mistake. */
async function readDatasetFile(context: CommandContext, file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(resolve(context.io.cwd, file)));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a file" : (code ?? "unreadable");
    throw new CliError(`${file}: ${problem}`, ExitCode.USER_ERROR, "CLI_ERROR_FILE_NOT_READABLE");
  }
}

function parseSamples(file: string, bytes: Uint8Array): Sample[] {
  try {
    return parseDataset(bytes);
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetFileError(file, err);
    throw err;
  }
}

/** A positive decimal id flag (`--datanet 3`). */
export function parseId(value: string | boolean | undefined, flag: string): bigint {
  if (value === undefined) usage(`${flag} is required`);
  if (typeof value !== "string" || !/^[1-9][0-9]{0,30}$/.test(value)) {
    usage(`${flag} must be an id (a whole number from 1), found ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** An amount of OPEN in decimal (`12.5`), as wei; at most 18 decimals. */
export function parseOpen(value: string, flag: string): bigint {
  if (!/^(0|[1-9][0-9]*)(\.[0-9]{1,18})?$/.test(value)) {
    usage(
      `${flag} must be an amount of OPEN such as 150 or 12.5 (at most 18 decimals), found ${JSON.stringify(value)}`,
    );
  }
  return parseUnits(value, 18);
}

function usage(message: string): never {
  throw new CliError(message, ExitCode.USAGE_ERROR, "CLI_ERROR_FLAG_VALUE");
}

async function readPending(path: string, datanetId: bigint): Promise<PendingRegistration | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const pending = JSON.parse(text) as PendingRegistration;
  return pending.datanetId === datanetId.toString() ? pending : null;
}
