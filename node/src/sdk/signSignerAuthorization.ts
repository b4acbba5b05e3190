import { type Address, bytesToBigInt, type Hex, hashTypedData, isAddressEqual, recoverAddress } from "viem";
import { signTypedData } from "viem/actions";
import {
  parseStrictSignature,
  paymentEscrowDomain,
  ReceiptError,
  signerAuthorizationTypes,
} from "../protocol/index.js";
import { EscrowError, EscrowErrorCode } from "./errors.js";
import { getChainIdOf } from "./getChainIdOf.js";
import type { AccountClient } from "./types.js";

/** A signer's consent to sign receipts for one payer, ready for {@link authorizeSigner} (DESIGN §4). */
export type SignerAuthorization = {
  payer: Address;
  signer: Address;
  /** Used once per signer, ever. */
  nonce: bigint;
  /** The authorization must be sent by then (unix seconds). */
  deadline: bigint;
  /** The signer's EIP-712 signature: 65 bytes, low-s. */
  signature: Hex;
};

/** The parameters of {@link signSignerAuthorization}. */
export type SignSignerAuthorizationParameters = {
  /** The PaymentEscrow. */
  escrow: Address;
  /** The payer the signer will sign for; it sends the authorization. A signer belongs to one payer for ever. */
  payer: Address;
  /** Until when the payer may send it (unix seconds). */
  deadline: bigint;
  /** A nonce the signer never used; a random 256-bit one when left out. */
  nonce?: bigint;
  /** The chain; asked of the client when left out (so an offline signer passes it). */
  chainId?: bigint;
};

/** The signed authorization. */
export type SignSignerAuthorizationReturnType = SignerAuthorization;

/**
 * The signer's half of a signer authorization: the client's account (the signer, typically a hot key the dapp's
 * servers hold) signs EIP-712 `SignerAuthorization(address payer,address signer,uint256 nonce,uint256 deadline)` under
 * the domain ("OLP PaymentEscrow", "1", chain id, escrow). The payer then sends it with {@link authorizeSigner}.
 * Throws an `EscrowError` when the wallet's signature is not 65 bytes low-s by the account.
 */
export async function signSignerAuthorization(
  client: AccountClient,
  { escrow, payer, deadline, nonce = randomNonce(), chainId }: SignSignerAuthorizationParameters,
): Promise<SignSignerAuthorizationReturnType> {
  const { account } = client;
  const typedData = {
    domain: paymentEscrowDomain(chainId ?? (await getChainIdOf(client)), escrow),
    types: signerAuthorizationTypes,
    primaryType: "SignerAuthorization",
    message: { payer, signer: account.address, nonce, deadline },
  } as const;
  const signature = await signTypedData(client, { account, ...typedData });
  let recovered: Address | undefined;
  try {
    parseStrictSignature(signature);
    recovered = await recoverAddress({ hash: hashTypedData(typedData), signature });
  } catch (cause) {
    if (!(cause instanceof ReceiptError)) throw cause;
  }
  if (recovered === undefined || !isAddressEqual(recovered, account.address)) {
    throw new EscrowError({ code: EscrowErrorCode.BAD_SIGNATURE, expected: account.address, recovered });
  }
  return { payer, signer: account.address, nonce, deadline, signature };
}

/** 256 random bits: never used before, without asking the chain. */
function randomNonce(): bigint {
  return bytesToBigInt(crypto.getRandomValues(new Uint8Array(32)));
}
