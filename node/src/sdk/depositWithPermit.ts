import { type Address, type Hash, parseSignature } from "viem";
import { readContract, signTypedData, writeContract } from "viem/actions";
import { openTokenAbi, paymentEscrowAbi } from "../chain/abi/index.js";
import { openTokenDomain, permitTypes } from "../protocol/index.js";
import { EscrowError, EscrowErrorCode } from "./errors.js";
import { getChainIdOf } from "./getChainIdOf.js";
import type { AccountClient } from "./types.js";

/** The parameters of {@link depositWithPermit}. */
export type DepositWithPermitParameters = {
  /** The PaymentEscrow. */
  escrow: Address;
  /** The node the funds are for. */
  node: Address;
  /** OPEN (wei) to deposit, > 0. */
  amount: bigint;
  /** The permit's deadline (unix seconds); the transaction must be mined by then. */
  deadline: bigint;
  /** The OpenToken; read from the escrow when left out. */
  token?: Address;
};

/** The transaction hash. */
export type DepositWithPermitReturnType = Hash;

/**
 * Deposits with one transaction and no prior approval: the account signs an EIP-2612 permit of `amount` to the
 * escrow under OPEN's domain ("OpenLedger", "1", chain id, token) at its current permit nonce, and sends
 * `PaymentEscrow.depositWithPermit`. The escrow ignores a permit that fails (one front-run, say) and then needs the
 * allowance however it was given. Throws an `EscrowError` for a zero amount, before anything is signed.
 */
export async function depositWithPermit(
  client: AccountClient,
  { escrow, node, amount, deadline, token }: DepositWithPermitParameters,
): Promise<DepositWithPermitReturnType> {
  if (amount === 0n) throw new EscrowError({ code: EscrowErrorCode.ZERO_AMOUNT });
  const { account } = client;
  const tokenAddress =
    token ?? (await readContract(client, { address: escrow, abi: paymentEscrowAbi, functionName: "token" }));
  const [nonce, chainId] = await Promise.all([
    readContract(client, { address: tokenAddress, abi: openTokenAbi, functionName: "nonces", args: [account.address] }),
    getChainIdOf(client),
  ]);
  const permit = await signTypedData(client, {
    account,
    domain: openTokenDomain(chainId, tokenAddress),
    types: permitTypes,
    primaryType: "Permit",
    message: { owner: account.address, spender: escrow, value: amount, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(permit);
  return writeContract(client, {
    address: escrow,
    abi: paymentEscrowAbi,
    functionName: "depositWithPermit",
    args: [node, amount, deadline, Number(v ?? BigInt(yParity + 27)), r, s],
    account,
    chain: client.chain ?? null,
  });
}
