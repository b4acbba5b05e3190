import type { Address } from "viem";

/** EIP-712 domain name of OPEN's EIP-2612 permits (DESIGN §3): the token's name. */
export const OPEN_TOKEN_DOMAIN_NAME = "OpenLedger";

/** EIP-712 domain version of OPEN's permits. */
export const OPEN_TOKEN_DOMAIN_VERSION = "1";

/** EIP-712 domain name of signer authorizations (DESIGN §4). */
export const PAYMENT_ESCROW_DOMAIN_NAME = "OLP PaymentEscrow";

/** EIP-712 domain version of signer authorizations. */
export const PAYMENT_ESCROW_DOMAIN_VERSION = "1";

/** The canonical SignerAuthorization type string (DESIGN §4); its keccak256 is the escrow's typehash. */
export const SIGNER_AUTHORIZATION_TYPE =
  "SignerAuthorization(address payer,address signer,uint256 nonce,uint256 deadline)";

/** EIP-712 types of a signer authorization, with `primaryType: "SignerAuthorization"`. */
export const signerAuthorizationTypes = {
  SignerAuthorization: [
    { name: "payer", type: "address" },
    { name: "signer", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** EIP-712 types of an EIP-2612 permit, with `primaryType: "Permit"`. */
export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** An EIP-712 domain with every field the protocol's contracts use. */
export type ContractDomain = { name: string; version: string; chainId: bigint; verifyingContract: Address };

/** The domain of signer authorizations: the PaymentEscrow at `verifyingContract` on chain `chainId`. */
export function paymentEscrowDomain(chainId: bigint, verifyingContract: Address): ContractDomain {
  return { name: PAYMENT_ESCROW_DOMAIN_NAME, version: PAYMENT_ESCROW_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The domain of OPEN permits: the OpenToken at `verifyingContract` on chain `chainId`. */
export function openTokenDomain(chainId: bigint, verifyingContract: Address): ContractDomain {
  return { name: OPEN_TOKEN_DOMAIN_NAME, version: OPEN_TOKEN_DOMAIN_VERSION, chainId, verifyingContract };
}
