import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";
import { openTokenDomain, permitTypes } from "../protocol/index.js";
import type { Protocol } from "./deployProtocol.js";

/** Signs an EIP-2612 permit for OPEN with an ethers signer (the SDK's viem `depositWithPermit` does the same). */
export async function signPermit(
  connection: NetworkConnection,
  token: Protocol["token"],
  owner: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
) {
  const { chainId } = await connection.ethers.provider.getNetwork();
  const signature = await owner.signTypedData(
    { ...openTokenDomain(chainId, (await token.getAddress()) as Address) },
    { Permit: [...permitTypes.Permit] },
    { owner: owner.address, spender, value, nonce: await token.nonces(owner.address), deadline },
  );
  return connection.ethers.Signature.from(signature);
}
