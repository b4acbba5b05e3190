import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { network } from "hardhat";
import type { JsonRpcServer, NetworkConnection } from "hardhat/types/network";
import { type Address, getAddress, isAddress } from "viem";
import { type Deployment, readDeployment, writeDeployment } from "../chain/index.js";
import { DEVNET_PARAMETERS, deployProtocol, type Protocol } from "./deployProtocol.js";

const OPEN = 10n ** 18n;
const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");

/** The datanet every local chain starts with: the ad-copy datanet of `trainer/data/advertise`. */
export const LOCAL_DATANET = {
  uri: "olp://datanets/ad-copy",
  minStake: 100n * OPEN,
  stakePerSample: OPEN / 10n,
} as const;

/** What the faucet sends each address unless told otherwise. */
export const FAUCET_DEFAULTS = { eth: 10n * OPEN, open: 10_000n * OPEN } as const;

/** Options of {@link startLocalChain}. */
export type LocalChainOptions = {
  /** Interface the JSON-RPC server binds to (default 127.0.0.1). */
  readonly host?: string | undefined;
  /** Its port (default 8545, Hardhat's). */
  readonly port?: number | undefined;
  /** Chain id (default 31337, Hardhat's). */
  readonly chainId?: number | undefined;
  /** A block every this many milliseconds (default 1000), besides one per transaction. */
  readonly intervalMs?: number | undefined;
  /** Where the deployment file goes (default `./local/deployment.json`). */
  readonly deploymentFile: string;
};

/** A served chain with the protocol deployed and datanet 1 created. */
export type LocalChain = {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly protocol: Protocol;
  readonly deployment: Deployment;
  readonly deploymentFile: string;
  readonly datanetId: bigint;
  close(): Promise<void>;
};

/**
 * Serves Hardhat's EVM over JSON-RPC (interval mining), deploys the protocol with the devnet's minute-scale
 * parameters, writes the deployment file the node reads, and creates the ad-copy datanet (id 1) from Hardhat's first
 * dev account, which also holds the whole OPEN supply (the faucet's source).
 */
export async function startLocalChain(options: LocalChainOptions): Promise<LocalChain> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8545;
  const chainId = options.chainId ?? 31337;
  const intervalMs = options.intervalMs ?? 1000;
  if (!Number.isInteger(intervalMs) || intervalMs < 1)
    throw new Error(`interval ${intervalMs} ms is not a positive integer`);
  // A fresh chain each start: Ignition's journal of a previous one would name contracts this chain lacks.
  const journal = join(REPO_ROOT, "ignition", "deployments", `chain-${chainId}`);
  await rm(journal, { recursive: true, force: true });
  const server: JsonRpcServer = await network.createServer({ network: "default", override: { chainId } }, host, port);
  let listening: { address: string; port: number };
  try {
    listening = await server.listen();
  } catch (err) {
    throw new Error(`cannot serve a chain on ${host}:${port} (${(err as Error).message}): is one running already?`);
  }
  const rpcUrl = `http://${listening.address}:${listening.port}`;
  const connection = await connect(rpcUrl);
  try {
    await connection.provider.request({ method: "evm_setIntervalMining", params: [intervalMs] });
    const protocol = await deployProtocol(connection, DEVNET_PARAMETERS);
    const [treasury] = await connection.ethers.getSigners();
    if (treasury === undefined) throw new Error("the chain has no dev account");
    await (
      await protocol.datanetRegistry
        .connect(treasury)
        .createDatanet(LOCAL_DATANET.uri, LOCAL_DATANET.minStake, LOCAL_DATANET.stakePerSample)
    ).wait();
    const deploymentFile = resolve(options.deploymentFile);
    await mkdir(dirname(deploymentFile), { recursive: true });
    await writeDeployment(deploymentFile, protocol.deployment);
    return {
      rpcUrl,
      chainId,
      protocol,
      deployment: protocol.deployment,
      deploymentFile,
      datanetId: 1n,
      async close() {
        await connection.close();
        await server.close();
      },
    };
  } catch (err) {
    await connection.close();
    await server.close();
    throw err;
  }
}

/** A Hardhat connection to a running chain, signing with Hardhat's dev accounts (the node's `eth_accounts`). */
async function connect(rpcUrl: string): Promise<NetworkConnection> {
  return network.create({ network: "localhost", override: { url: rpcUrl } });
}

/** Runs `action` against a running local chain, with the protocol bound to the deployment file's addresses. */
async function withChain<T>(
  rpcUrl: string,
  deploymentFile: string | undefined,
  action: (connection: NetworkConnection, deployment: Deployment | undefined) => Promise<T>,
): Promise<T> {
  const connection = await connect(rpcUrl);
  try {
    try {
      await connection.provider.request({ method: "eth_chainId", params: [] });
    } catch (err) {
      throw new Error(`no chain answers at ${rpcUrl} (${(err as Error).message}): start one with \`npm run chain\``);
    }
    const deployment = deploymentFile === undefined ? undefined : await readDeployment(resolve(deploymentFile));
    return await action(connection, deployment);
  } finally {
    await connection.close();
  }
}

/** What {@link fundAccounts} sent to one address. */
export type FaucetGrant = { readonly address: Address; readonly eth: bigint; readonly open: bigint };

/** Sends ETH (for gas) and OPEN from Hardhat's first dev account to each address. Addresses are checked first. */
export async function fundAccounts(
  rpcUrl: string,
  deploymentFile: string,
  addresses: readonly string[],
  amounts: { eth: bigint; open: bigint } = FAUCET_DEFAULTS,
): Promise<FaucetGrant[]> {
  if (addresses.length === 0) throw new Error("--fund needs at least one address");
  const bad = addresses.find((a) => !isAddress(a, { strict: false }));
  if (bad !== undefined) throw new Error(`--fund: ${JSON.stringify(bad)} is not an address`);
  return withChain(rpcUrl, deploymentFile, async (connection, deployment) => {
    if (deployment === undefined) throw new Error("no deployment");
    const [treasury] = await connection.ethers.getSigners();
    if (treasury === undefined) throw new Error("the chain has no dev account");
    const token = await connection.ethers.getContractAt("OpenToken", deployment.contracts.openToken, treasury);
    const grants: FaucetGrant[] = [];
    for (const raw of addresses) {
      const address = getAddress(raw);
      if (amounts.eth > 0n) await (await treasury.sendTransaction({ to: address, value: amounts.eth })).wait();
      if (amounts.open > 0n) await (await token.transfer(address, amounts.open)).wait();
      grants.push({ address, eth: amounts.eth, open: amounts.open });
    }
    return grants;
  });
}

/** Where the clock stands after {@link advanceTime}: the latest block's time and, with a deployment, the epoch. */
export type AdvancedTime = { readonly timestamp: bigint; readonly epoch?: bigint; readonly epochLength?: bigint };

/**
 * Moves the chain's clock `seconds` on and mines a block. With the deployment file, also reads the Settlement's
 * current epoch, so a user knows which epoch just ended.
 */
export async function advanceTime(rpcUrl: string, seconds: number, deploymentFile?: string): Promise<AdvancedTime> {
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new Error(`--advance ${seconds}: seconds must be a positive integer`);
  return withChain(rpcUrl, deploymentFile, async (connection, deployment) => {
    await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await connection.provider.request({ method: "evm_mine", params: [] });
    const block = await connection.ethers.provider.getBlock("latest");
    if (block === null) throw new Error("no latest block");
    if (deployment === undefined) return { timestamp: BigInt(block.timestamp) };
    const settlement = await connection.ethers.getContractAt("Settlement", deployment.contracts.settlement);
    return {
      timestamp: BigInt(block.timestamp),
      epoch: await settlement.currentEpoch(),
      epochLength: await settlement.epochLength(),
    };
  });
}

/** Activates a pending version whose challenge window has passed (anyone may); returns the transaction hash. */
export async function activateVersion(rpcUrl: string, deploymentFile: string, versionId: bigint): Promise<string> {
  if (versionId < 1n) throw new Error(`--activate ${versionId}: version ids start at 1`);
  return withChain(rpcUrl, deploymentFile, async (connection, deployment) => {
    if (deployment === undefined) throw new Error("no deployment");
    const [treasury] = await connection.ethers.getSigners();
    if (treasury === undefined) throw new Error("the chain has no dev account");
    const registry = await connection.ethers.getContractAt(
      "AdapterRegistry",
      deployment.contracts.adapterRegistry,
      treasury,
    );
    try {
      const receipt = await (await registry.activate(versionId)).wait();
      if (receipt === null) throw new Error("no receipt");
      return receipt.hash;
    } catch (err) {
      const reason = registry.interface.parseError(((err as { data?: string }).data ?? "0x") as string);
      const detail = reason === null ? (err as Error).message : `${reason.name}(${reason.args.join(", ")})`;
      throw new Error(
        `cannot activate version ${versionId}: ${detail} (has its challenge window passed? --advance 1800)`,
      );
    }
  });
}
