import type { Address, Hash } from "viem";
import { writeContract } from "viem/actions";
import { paymentEscrowAbi } from "../chain/abi/index.js";
import { EscrowError, EscrowErrorCode } from "./errors.js";
import type { AccountClient } from "./types.js";

/** The parameters of {@link deposit}. */
export type DepositParameters = {
  /** The PaymentEscrow. */
  escrow: Address;
  /** The node the funds are for: only its receipts are collected from this account. */
  node: Address;
  /** OPEN (wei) to deposit, > 0; the escrow must be approved for it. */
  amount: bigint;
};

/** The transaction hash. */
export type DepositReturnType = Hash;

/**
 * Deposits `amount` of the account's OPEN into its escrow account with `node` (`PaymentEscrow.deposit`), after an
 * `approve`. A deposit never touches a thaw. Use {@link depositWithPermit} to skip the approval transaction.
 * Throws an `EscrowError` for a zero amount, before anything is sent.
 */
export async function deposit(
  client: AccountClient,
  { escrow, node, amount }: DepositParameters,
): Promise<DepositReturnType> {
  if (amount === 0n) throw new EscrowError({ code: EscrowErrorCode.ZERO_AMOUNT });
  return writeContract(client, {
    address: escrow,
    abi: paymentEscrowAbi,
    functionName: "deposit",
    args: [node, amount],
    account: client.account,
    chain: client.chain ?? null,
  });
}
