import { readFile, writeFile } from "node:fs/promises";
import { type Address, getAddress, isAddress } from "viem";

/** The protocol's contracts, by the names the node uses for them. */
export const DEPLOYMENT_CONTRACTS = [
  "openToken",
  "datanetRegistry",
  "nodeRegistry",
  "adapterRegistry",
  "arbiter",
  "paymentEscrow",
  "settlement",
] as const;

/** One of {@link DEPLOYMENT_CONTRACTS}. */
export type DeploymentContract = (typeof DEPLOYMENT_CONTRACTS)[number];

/**
 * Where the protocol lives on one chain: what `chain.deploymentFile` holds (docs/chain.md). The node never guesses an
 * address, and refuses a deployment whose chain id differs from the RPC's.
 */
export type Deployment = {
  /** The chain the contracts are deployed on. */
  readonly chainId: number;
  /** The block of the first deployment transaction: where the event indexer starts. */
  readonly deployBlock: bigint;
  /** Checksummed address of each contract. */
  readonly contracts: { readonly [K in DeploymentContract]: Address };
};

/** A deployment file that cannot be used; the message names the file and the field. */
export class DeploymentFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`deployment file ${path}: ${problem}`);
    this.name = "DeploymentFileError";
  }
}

/** The deployment as JSON: numbers as decimal strings, so a block number never loses precision. */
export function encodeDeployment(deployment: Deployment): string {
  const json = {
    chainId: deployment.chainId,
    deployBlock: deployment.deployBlock.toString(),
    contracts: Object.fromEntries(DEPLOYMENT_CONTRACTS.map((name) => [name, deployment.contracts[name]])),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Parses and checks a deployment file's text; `path` only names the file in errors. */
export function decodeDeployment(text: string, path: string): Deployment {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DeploymentFileError(path, `not JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new DeploymentFileError(path, "expected a JSON object with chainId, deployBlock and contracts");
  }
  const { chainId, deployBlock, contracts, ...unknown } = json as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new DeploymentFileError(path, `unknown key ${extra.map((k) => `"${k}"`).join(", ")}`);
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new DeploymentFileError(path, `"chainId" must be a positive integer, found ${JSON.stringify(chainId)}`);
  }
  if (typeof deployBlock !== "string" || !/^(0|[1-9][0-9]*)$/.test(deployBlock)) {
    throw new DeploymentFileError(path, `"deployBlock" must be a decimal string, found ${JSON.stringify(deployBlock)}`);
  }
  if (typeof contracts !== "object" || contracts === null || Array.isArray(contracts)) {
    throw new DeploymentFileError(path, `"contracts" must be an object of addresses`);
  }
  const byName = contracts as Record<string, unknown>;
  const extraContracts = Object.keys(byName).filter((k) => !(DEPLOYMENT_CONTRACTS as readonly string[]).includes(k));
  if (extraContracts.length > 0) {
    throw new DeploymentFileError(path, `unknown contract "contracts.${extraContracts[0]}"`);
  }
  const addresses = {} as Record<DeploymentContract, Address>;
  for (const name of DEPLOYMENT_CONTRACTS) {
    const address = byName[name];
    if (typeof address !== "string" || !isAddress(address, { strict: false })) {
      throw new DeploymentFileError(path, `"contracts.${name}" must be an address, found ${JSON.stringify(address)}`);
    }
    addresses[name] = getAddress(address);
  }
  return { chainId, deployBlock: BigInt(deployBlock), contracts: addresses };
}

/** Reads and checks `chain.deploymentFile`. */
export async function readDeployment(path: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new DeploymentFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeDeployment(text, path);
}

/** Writes a deployment file (what a deploy script or the devnet does). */
export async function writeDeployment(path: string, deployment: Deployment): Promise<void> {
  await writeFile(path, encodeDeployment(deployment));
}
