import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type Address,
  type Chain,
  formatUnits,
  getAddress,
  type Hex,
  isAddress,
  type LocalAccount,
  type PublicClient,
  parseUnits,
  type Transport,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  ChainError,
  ChainErrorCode,
  checkChain,
  createChainClients,
  type Deployment,
  DeploymentFileError,
  isTransportError,
  readDeployment,
  TxSender,
} from "../../chain/index.js";
import { type ResolvedConfig, readOperatorKeyFile } from "../../config/index.js";
import { type AttributionMessage, type ContributorShare, decodeAttributionMessage, PPM } from "../../protocol/index.js";
import { PostedRoots, SettleError } from "../../settle/index.js";
import { CliError, type CommandContext, type CommandOption, ExitCode } from "../command.js";
import { CONFIG_OPTION, loadConfig } from "./config.js";

/** OPEN has 18 decimals. */
export const OPEN_DECIMALS = 18;
/** Blocks per `eth_getLogs` when a command scans the chain's history. */
export const LOG_CHUNK_BLOCKS = 10_000n;
/** Most events a command reads from one scan: more is refused rather than held in memory. */
export const MAX_SCANNED_EVENTS = 100_000;

/** `--config` and `--key-file`, shared by every command that sends transactions. */
export const KEY_OPTIONS: Readonly<Record<string, CommandOption>> = {
  ...CONFIG_OPTION,
  "key-file": {
    type: "string",
    valueName: "<path>",
    description:
      "the key that signs and pays (a key file as `olnode keys generate` writes); default keys.operatorKeyFile",
  },
};

/** The chain a command talks to: the deployment, a reader, and (with a key) the account and its sender. */
export type ChainSession = {
  readonly config: ResolvedConfig["config"];
  readonly deployment: Deployment;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** Where the RPC is, for messages (scheme and host only: a URL may carry an API key). */
  readonly rpcHost: string;
  readonly account: LocalAccount | undefined;
  readonly sender: TxSender | undefined;
  close(): Promise<void>;
};

/**
 * Opens the chain of the config (`chain.rpcUrl`, `chain.deploymentFile`) and, with `key`, the key of `--key-file` or
 * `keys.operatorKeyFile`; checks that the RPC serves the deployment's chain before anything is read or sent.
 *
 * @throws {CliError} a setting is missing, the chain cannot be reached or is another chain
 */
export async function openChainSession(context: CommandContext, key: boolean): Promise<ChainSession> {
  const { config } = await loadConfig(context);
  const { rpcUrl, deploymentFile } = config.chain;
  if (rpcUrl === undefined) {
    throw new CliError(
      "chain.rpcUrl is not set: set it in the config file or OLNODE_CHAIN_RPC_URL",
      ExitCode.USAGE_ERROR,
    );
  }
  if (deploymentFile === undefined) {
    throw new CliError(
      "chain.deploymentFile is not set: give --chain.deploymentFile <path> or OLNODE_CHAIN_DEPLOYMENT_FILE",
      ExitCode.USAGE_ERROR,
    );
  }
  let deployment: Deployment;
  try {
    deployment = await readDeployment(resolve(context.io.cwd, deploymentFile));
  } catch (err) {
    if (err instanceof DeploymentFileError)
      throw new CliError(err.message, ExitCode.USER_ERROR, "CLI_ERROR_DEPLOYMENT");
    throw err;
  }
  let rpcHost: string;
  try {
    const url = new URL(rpcUrl);
    rpcHost = `${url.protocol}//${url.host}`;
  } catch {
    throw new CliError(`chain.rpcUrl ${JSON.stringify(rpcUrl)} is not a URL`, ExitCode.USER_ERROR);
  }
  let account: LocalAccount | undefined;
  if (key) {
    const given = context.args.options["key-file"];
    const path = resolve(context.io.cwd, typeof given === "string" ? given : config.keys.operatorKeyFile);
    const keyFile = await readOperatorKeyFile(path);
    account = privateKeyToAccount(keyFile.privateKey);
  }
  const { publicClient } = createChainClients({
    rpcUrl,
    chainId: deployment.chainId,
    retryCount: 1,
    retryDelayMs: 100,
    timeoutMs: 10_000,
    pollingIntervalMs: 100,
  });
  await onChain(rpcHost, () => checkChain(publicClient, deployment));
  const sender =
    account === undefined
      ? undefined
      : new TxSender(
          { maxAttempts: 2, retryBaseMs: 100, receiptPollMs: 100, maxWaitMs: 120_000 },
          { client: publicClient, account, chainId: deployment.chainId },
        );
  return {
    config,
    deployment,
    publicClient,
    rpcHost,
    account,
    sender,
    async close() {
      await sender?.close();
    },
  };
}

/**
 * Runs `fn` and turns the chain's failures into one clear line: the RPC unreachable, a transaction the chain refuses
 * (with its custom error), a settle error.
 */
export async function onChain<T>(rpcHost: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof ChainError) {
      if (err.type.code === ChainErrorCode.RPC_UNAVAILABLE) throw chainDown(rpcHost);
      throw new CliError(err.message, ExitCode.USER_ERROR, err.type.code);
    }
    if (err instanceof SettleError) throw new CliError(err.message, ExitCode.USER_ERROR, err.type.code);
    if (isTransportError(err)) throw chainDown(rpcHost);
    // The SDK's and other modules' coded errors (`err.type.code`) say what went wrong in one line.
    const code = (err as { type?: { code?: unknown } }).type?.code;
    if (typeof code === "string" && err instanceof Error) throw new CliError(err.message, ExitCode.USER_ERROR, code);
    throw err;
  }
}

function chainDown(rpcHost: string): CliError {
  return new CliError(
    `cannot reach the chain at ${rpcHost} (chain.rpcUrl): is the RPC running?`,
    ExitCode.USER_ERROR,
    "CLI_ERROR_CHAIN_UNAVAILABLE",
  );
}

/** Parses an amount of OPEN ("12", "0.5", up to 18 decimals) to wei. */
export function parseOpen(value: string, flag: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value)) {
    throw new CliError(
      `${flag} ${JSON.stringify(value)} is not an amount of OPEN: expected a number like 10 or 0.25 (at most 18 decimals)`,
      ExitCode.USAGE_ERROR,
      "CLI_ERROR_BAD_AMOUNT",
    );
  }
  return parseUnits(value, OPEN_DECIMALS);
}

/** Wei as OPEN, for people: "1.5 OPEN". */
export function formatOpen(wei: bigint): string {
  return `${formatUnits(wei, OPEN_DECIMALS)} OPEN`;
}

/** Parses an address flag (any case; checksummed back). */
export function parseAddressArg(value: string, flag: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new CliError(
      `${flag} ${JSON.stringify(value)} is not an address: expected 0x and 40 hex digits`,
      ExitCode.USAGE_ERROR,
      "CLI_ERROR_BAD_ADDRESS",
    );
  }
  return getAddress(value);
}

/** Parses a non-negative integer argument (ids, epochs). */
export function parseUintArg(value: string, name: string): bigint {
  if (!/^\d+$/.test(value) || value.length > 78) {
    throw new CliError(
      `${name} ${JSON.stringify(value)} is not a whole number`,
      ExitCode.USAGE_ERROR,
      "CLI_ERROR_BAD_NUMBER",
    );
  }
  return BigInt(value);
}

/** A required string flag, or a usage error naming it. */
export function requireFlag(context: CommandContext, name: string, valueName: string): string {
  const value = context.args.options[name];
  if (typeof value !== "string") {
    throw new CliError(`missing --${name} ${valueName}`, ExitCode.USAGE_ERROR, "CLI_ERROR_MISSING_ARGUMENT");
  }
  return value;
}

/** An optional string flag. */
export function optionalFlag(context: CommandContext, name: string): string | undefined {
  const value = context.args.options[name];
  return typeof value === "string" ? value : undefined;
}

/** The transaction sender of a session opened with a key. */
export function senderOf(session: ChainSession): { sender: TxSender; account: LocalAccount } {
  if (session.sender === undefined || session.account === undefined) throw new Error("session opened without a key");
  return { sender: session.sender, account: session.account };
}

/** Most bytes of one `/olp/attribution/1` message fetched from a node (gossip's own bound is 1 MiB). */
export const MAX_ATTRIBUTION_MESSAGE_BYTES = 4 * 1024 * 1024;
/** How long a node has to answer for one message. */
const FETCH_TIMEOUT_MS = 10_000;

/** The path a node serves a pool's `/olp/attribution/1` message at (the encoded message, application/octet-stream). */
export function attributionMessagePath(node: Address, versionId: bigint, epoch: bigint): string {
  return `/olp/attribution/${node.toLowerCase()}/${versionId}/${epoch}`;
}

/**
 * Where a claimer or an auditor gets the `/olp/attribution/1` messages (the leaves are not on chain): a folder as
 * settle's PostedRoots keeps them (`<node>-<versionId>-<epoch>.posted|.final`, the encoded message), one such file,
 * and/or a node's HTTP API (`GET <url>/olp/attribution/<node>/<versionId>/<epoch>`). The caller checks a message
 * against the on-chain root before using it.
 */
export class PostedSource {
  private constructor(
    private readonly folder: PostedRoots | undefined,
    private readonly file: AttributionMessage | undefined,
    private readonly nodeUrl: string | undefined,
  ) {}

  /** @throws {CliError} when `path` is neither a folder nor a readable message file, or `nodeUrl` is not http(s) */
  static async open(cwd: string, path: string | undefined, nodeUrl?: string): Promise<PostedSource> {
    if (nodeUrl !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(nodeUrl);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
        throw new CliError(
          `--from-node ${JSON.stringify(nodeUrl)} is not an http(s) URL`,
          ExitCode.USAGE_ERROR,
          "CLI_ERROR_BAD_URL",
        );
      }
    }
    const base = nodeUrl?.replace(/\/+$/, "");
    if (path === undefined) return new PostedSource(undefined, undefined, base);
    const full = resolve(cwd, path);
    let isDir: boolean;
    try {
      isDir = (await stat(full)).isDirectory();
    } catch {
      throw new CliError(`--posted: no file or folder at ${path}`, ExitCode.USER_ERROR, "CLI_ERROR_POSTED");
    }
    if (isDir) return new PostedSource(await PostedRoots.open(full), undefined, base);
    try {
      return new PostedSource(undefined, decodeAttributionMessage(toHex(await readFile(full))), base);
    } catch (err) {
      throw new CliError(
        `--posted: ${path} is not an /olp/attribution/1 message (${(err as Error).message})`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_POSTED",
      );
    }
  }

  /** The message of pool (node, versionId, epoch), or undefined when no source has it. */
  async get(node: Address, versionId: bigint, epoch: bigint): Promise<AttributionMessage | undefined> {
    if (this.folder !== undefined) {
      try {
        const found = await this.folder.get(node, versionId, epoch);
        if (found !== undefined) return found;
      } catch {
        // a corrupt file is as good as none
      }
    }
    const m = this.file;
    if (
      m !== undefined &&
      m.node.toLowerCase() === node.toLowerCase() &&
      m.versionId === versionId &&
      m.epoch === epoch
    )
      return m;
    if (this.nodeUrl !== undefined) return this.fetchFromNode(node, versionId, epoch);
    return undefined;
  }

  private async fetchFromNode(
    node: Address,
    versionId: bigint,
    epoch: bigint,
  ): Promise<AttributionMessage | undefined> {
    const url = `${this.nodeUrl}${attributionMessagePath(node, versionId, epoch)}`;
    let bytes: Uint8Array;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const length = Number(res.headers.get("content-length") ?? "0");
      if (length > MAX_ATTRIBUTION_MESSAGE_BYTES) throw new Error(`${length} bytes, above the bound`);
      bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length > MAX_ATTRIBUTION_MESSAGE_BYTES) throw new Error(`${bytes.length} bytes, above the bound`);
    } catch (err) {
      throw new CliError(
        `--from-node: cannot get ${url}: ${(err as Error).message}`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_FROM_NODE",
      );
    }
    let message: AttributionMessage;
    try {
      message = decodeAttributionMessage(toHex(bytes));
    } catch {
      return undefined; // not a message: as good as none (the pool is reported as skipped)
    }
    const same =
      message.node.toLowerCase() === node.toLowerCase() && message.versionId === versionId && message.epoch === epoch;
    return same ? message : undefined;
  }
}

/**
 * Reads a training-shares file: JSON `[{ "datasetId": "1", "weightPpm": 600000 }, …]` (what the version's proof
 * artifacts hold). The caller checks it against the version's contributors root.
 */
export async function readSharesFile(cwd: string, path: string): Promise<ContributorShare[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(resolve(cwd, path), "utf8"));
  } catch (err) {
    throw new CliError(
      `--shares: cannot read ${path}: ${(err as Error).message}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_SHARES",
    );
  }
  const bad = (why: string) => new CliError(`--shares: ${path} ${why}`, ExitCode.USER_ERROR, "CLI_ERROR_SHARES");
  if (!Array.isArray(json) || json.length === 0 || json.length > 10_000)
    throw bad("must be a JSON array of 1 to 10,000 { datasetId, weightPpm }");
  return json.map((item, i) => {
    const { datasetId, weightPpm } = (item ?? {}) as { datasetId?: unknown; weightPpm?: unknown };
    if ((typeof datasetId !== "string" && typeof datasetId !== "number") || !/^\d+$/.test(String(datasetId)))
      throw bad(`item ${i}: datasetId must be a whole number`);
    if (typeof weightPpm !== "number" || !Number.isInteger(weightPpm) || weightPpm < 0 || weightPpm > PPM)
      throw bad(`item ${i}: weightPpm must be an integer from 0 to ${PPM}`);
    return { datasetId: BigInt(datasetId), weightPpm };
  });
}

/** A transaction hash, shortened for text output. */
export function shortHash(hash: Hex): string {
  return `${hash.slice(0, 10)}…${hash.slice(-6)}`;
}
