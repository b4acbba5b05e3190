import { resolve } from "node:path";
import {
  type Abi,
  type Account,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Deployment, DeploymentFileError, readDeployment } from "../../chain/index.js";
import { type OlnodeConfig, readOperatorKeyFile } from "../../config/index.js";
import { CliError, type CommandContext, ExitCode } from "../command.js";
import { loadConfig } from "./config.js";

/** What a command that talks to the chain works with. */
export interface ChainSession {
  readonly config: OlnodeConfig;
  readonly deployment: Deployment;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** Sends as the operator key (`keys.operatorKeyFile`); absent when the command asked for a read-only session. */
  readonly walletClient: WalletClient<Transport, Chain, Account> | undefined;
  /** `store.dir`, absolute. */
  readonly storeDir: string;
}

/** How often the CLI polls the chain for receipts and blocks (a devnet makes blocks fast). */
const POLL_INTERVAL_MS = 250;

/**
 * Reads the config (file, environment, config flags), the deployment file and, unless `readOnly`, the operator key;
 * connects to `chain.rpcUrl` and checks that the RPC's chain id is the deployment's.
 *
 * @throws {CliError} `CLI_ERROR_CHAIN_NOT_CONFIGURED`, `CLI_ERROR_DEPLOYMENT_FILE`, `CLI_ERROR_CHAIN_UNREACHABLE`,
 * `CLI_ERROR_WRONG_CHAIN`; the key file's `KeyFileError`
 */
export async function openChainSession(
  context: CommandContext,
  opts: { readonly readOnly?: boolean; readonly nodeConfigPath?: string | undefined } = {},
): Promise<ChainSession> {
  const options = { ...context.args.options, config: opts.nodeConfigPath };
  const { config } = await loadConfig({ ...context, args: { ...context.args, options } });
  const { rpcUrl, deploymentFile } = config.chain;
  if (rpcUrl === undefined || deploymentFile === undefined) {
    throw new CliError(
      "chain.rpcUrl and chain.deploymentFile are needed to reach the protocol: set them in the config file or OLNODE_CHAIN_RPC_URL and OLNODE_CHAIN_DEPLOYMENT_FILE",
      ExitCode.USER_ERROR,
      "CLI_ERROR_CHAIN_NOT_CONFIGURED",
    );
  }
  let deployment: Deployment;
  try {
    deployment = await readDeployment(resolve(context.io.cwd, deploymentFile));
  } catch (err) {
    if (err instanceof DeploymentFileError) {
      throw new CliError(err.message, ExitCode.USER_ERROR, "CLI_ERROR_DEPLOYMENT_FILE");
    }
    throw err;
  }
  const chain = defineChain({
    id: deployment.chainId,
    name: `chain ${deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  // No retries: a chain that is down should say so at once, not after a minute of back-off.
  const transport = http(rpcUrl, { retryCount: 0, timeout: 30_000 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: POLL_INTERVAL_MS });
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch {
    // The URL is a secret (it may carry an API key): never print it.
    throw new CliError(
      "cannot reach the chain at chain.rpcUrl: is the node running and the URL right?",
      ExitCode.USER_ERROR,
      "CLI_ERROR_CHAIN_UNREACHABLE",
    );
  }
  if (chainId !== deployment.chainId) {
    throw new CliError(
      `chain.rpcUrl serves chain ${chainId}, the deployment file ${deploymentFile} is for chain ${deployment.chainId}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_WRONG_CHAIN",
    );
  }
  let walletClient: WalletClient<Transport, Chain, Account> | undefined;
  if (opts.readOnly !== true) {
    const key = await readOperatorKeyFile(resolve(context.io.cwd, config.keys.operatorKeyFile));
    walletClient = createWalletClient({ chain, transport, account: privateKeyToAccount(key.privateKey) });
  }
  return { config, deployment, publicClient, walletClient, storeDir: resolve(context.io.cwd, config.store.dir) };
}

/** The wallet of a session opened for sending. */
export function requireWallet(session: ChainSession): WalletClient<Transport, Chain, Account> {
  if (session.walletClient === undefined) throw new Error("this session was opened read-only");
  return session.walletClient;
}

/** A contract's custom error name and arguments when `err` is a revert, else viem's short message. */
export function describeChainError(err: unknown): string {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) {
      return `${reverted.data.errorName}(${(reverted.data.args ?? []).map(String).join(", ")})`;
    }
    return err.shortMessage;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Polls until the head is at least `block` (bounded by `timeoutMs`): the next block, on a chain that makes them. */
export async function waitForBlock(
  publicClient: PublicClient<Transport, Chain>,
  block: bigint,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (head >= block) return;
    if (Date.now() >= deadline) {
      throw new CliError(
        `waited ${Math.round(timeoutMs / 1000)} s for block ${block}, the chain is at ${head}: is it producing blocks? (a devnet that mines only on transactions needs interval mining)`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_BLOCK_TIMEOUT",
      );
    }
    await new Promise((r) => setTimeout(r, publicClient.pollingInterval));
  }
}

/** A contract call the CLI sends. */
export interface ContractCall {
  readonly address: `0x${string}`;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
}

/**
 * Simulates (so a revert names the contract's custom error before gas is spent), sends from the session's wallet and
 * waits for a successful receipt.
 *
 * @throws {CliError} `CLI_ERROR_TX_FAILED` naming the function and the revert
 */
export async function sendCall(session: ChainSession, call: ContractCall): Promise<TransactionReceipt> {
  const wallet = requireWallet(session);
  try {
    const { request } = await session.publicClient.simulateContract({ ...call, account: wallet.account });
    const hash = await wallet.writeContract(request);
    const receipt = await session.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  } catch (err) {
    throw new CliError(
      `${call.functionName} failed: ${describeChainError(err)}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_TX_FAILED",
    );
  }
}
