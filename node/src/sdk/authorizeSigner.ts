import { type Address, type Hash, isAddressEqual } from "viem";
import { writeContract } from "viem/actions";
import { paymentEscrowAbi } from "../chain/abi/index.js";
import { EscrowError, EscrowErrorCode } from "./errors.js";
import type { SignerAuthorization } from "./signSignerAuthorization.js";
import type { AccountClient } from "./types.js";

/** The parameters of {@link authorizeSigner}. */
export type AuthorizeSignerParameters = {
  /** The PaymentEscrow. */
  escrow: Address;
  /** What the signer signed with `signSignerAuthorization`, naming the client's account as payer. */
  authorization: SignerAuthorization;
};

/** The transaction hash. */
export type AuthorizeSignerReturnType = Hash;

/**
 * The payer's half: sends `PaymentEscrow.authorizeSigner(signer, deadline, nonce, signature)` from the client's
 * account, the payer. From then on receipts of the payer signed by the signer are redeemable, until the payer
 * revokes it (thaw then revoke, or an emergency revoke with a grace period). Throws an `EscrowError` when the
 * authorization names another payer, before anything is sent.
 */
export async function authorizeSigner(
  client: AccountClient,
  { escrow, authorization }: AuthorizeSignerParameters,
): Promise<AuthorizeSignerReturnType> {
  const { account } = client;
  if (!isAddressEqual(authorization.payer, account.address)) {
    throw new EscrowError({
      code: EscrowErrorCode.PAYER_MISMATCH,
      payer: authorization.payer,
      sender: account.address,
    });
  }
  const { signer, deadline, nonce, signature } = authorization;
  return writeContract(client, {
    address: escrow,
    abi: paymentEscrowAbi,
    functionName: "authorizeSigner",
    args: [signer, deadline, nonce, signature],
    account,
    chain: client.chain ?? null,
  });
}
