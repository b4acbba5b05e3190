import type { NetworkConnection } from "hardhat/types/network";
import { type Address, getAddress } from "viem";
import ProtocolModule from "../../../ignition/modules/Protocol.js";
import type {
  AdapterRegistry,
  Arbiter,
  DatanetRegistry,
  NodeRegistry,
  OpenToken,
  PaymentEscrow,
  Settlement,
} from "../../../types/ethers-contracts/index.js";
import type { Deployment } from "../chain/index.js";

/** The deployed protocol, as typed ethers contracts. */
export interface Protocol {
  readonly token: OpenToken;
  readonly arbiter: Arbiter;
  readonly datanetRegistry: DatanetRegistry;
  readonly nodeRegistry: NodeRegistry;
  readonly adapterRegistry: AdapterRegistry;
  readonly paymentEscrow: PaymentEscrow;
  readonly settlement: Settlement;
  /** The addresses, chain id and first block, as `chain.deploymentFile` holds them. */
  readonly deployment: Deployment;
}

const MINUTE = 60n;

/**
 * Devnet parameters: every period in minutes so a local run shows whole lifecycles (the production defaults live in
 * the Ignition modules). Keyed by Ignition module id.
 */
export const DEVNET_PARAMETERS = {
  Arbiter: {
    commitPeriod: 10n * MINUTE,
    revealPeriod: 10n * MINUTE,
    verifierUnbondingPeriod: 30n * MINUTE,
  },
  DatanetRegistry: { revealWindowBlocks: 50n, unbondingPeriod: 30n * MINUTE },
  NodeRegistry: { unbondingPeriod: 30n * MINUTE },
  AdapterRegistry: { challengeWindow: 30n * MINUTE },
  PaymentEscrow: { thawingPeriod: 30n * MINUTE, signerThawingPeriod: 10n * MINUTE, revokeGracePeriod: MINUTE },
  Settlement: {
    epochLength: 10n * MINUTE,
    postWindow: 10n * MINUTE,
    challengeWindow: 10n * MINUTE,
    extension: MINUTE,
    // Claims must stay open at least the contract's MIN_CLAIM_PERIOD (7 days) past the windows.
    claimExpiry: 8n * 24n * 60n * MINUTE,
  },
} as const;

/**
 * Deploys and wires the whole protocol with the Ignition `Protocol` module (the same module an operator deploys
 * with `hardhat ignition deploy`), then binds typed contracts to the addresses.
 */
export async function deployProtocol(
  connection: NetworkConnection,
  parameters: Record<string, Record<string, bigint | string>> = DEVNET_PARAMETERS,
): Promise<Protocol> {
  const { ethers } = connection;
  const deployBlock = BigInt(await ethers.provider.getBlockNumber()) + 1n;
  const deployed = await connection.ignition.deploy(ProtocolModule, { parameters });
  const address = async (contract: { getAddress(): Promise<string> }): Promise<Address> =>
    getAddress(await contract.getAddress());
  const deployment: Deployment = {
    chainId: Number((await ethers.provider.getNetwork()).chainId),
    deployBlock,
    contracts: {
      openToken: await address(deployed.token),
      datanetRegistry: await address(deployed.datanetRegistry),
      nodeRegistry: await address(deployed.nodeRegistry),
      adapterRegistry: await address(deployed.adapterRegistry),
      arbiter: await address(deployed.arbiter),
      paymentEscrow: await address(deployed.paymentEscrow),
      settlement: await address(deployed.settlement),
    },
  };
  return {
    deployment,
    token: await ethers.getContractAt("OpenToken", await deployed.token.getAddress()),
    arbiter: await ethers.getContractAt("Arbiter", await deployed.arbiter.getAddress()),
    datanetRegistry: await ethers.getContractAt("DatanetRegistry", await deployed.datanetRegistry.getAddress()),
    nodeRegistry: await ethers.getContractAt("NodeRegistry", await deployed.nodeRegistry.getAddress()),
    adapterRegistry: await ethers.getContractAt("AdapterRegistry", await deployed.adapterRegistry.getAddress()),
    paymentEscrow: await ethers.getContractAt("PaymentEscrow", await deployed.paymentEscrow.getAddress()),
    settlement: await ethers.getContractAt("Settlement", await deployed.settlement.getAddress()),
  };
}
