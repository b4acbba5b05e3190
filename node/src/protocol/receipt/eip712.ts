import type { Address } from "viem";
import type { SettlementDomain } from "./types.js";

/** EIP-712 domain name of receipts and records (DESIGN §4). */
export const SETTLEMENT_DOMAIN_NAME = "OLP Settlement";

/** EIP-712 domain version of receipts and records (DESIGN §4). */
export const SETTLEMENT_DOMAIN_VERSION = "1";

/** The canonical Receipt type string, byte for byte (DESIGN §4); its keccak256 is `Settlement.RECEIPT_TYPEHASH`. */
export const RECEIPT_TYPE =
  "Receipt(address payer,address node,uint256 versionId,uint32 lane,uint64 seq,bytes32 requestHash,uint128 value,uint128 cumulative)";

/** The canonical InferenceRecord type string, byte for byte (DESIGN §4). */
export const INFERENCE_RECORD_TYPE =
  "InferenceRecord(bytes32 receiptDigest,bytes32 outputHash,uint32 promptTokens,uint32 outputTokens,uint256[] datasetIds,uint32[] weightsPpm)";

/** EIP-712 types of a receipt, for viem's `signTypedData` / `hashTypedData` with `primaryType: "Receipt"`. */
export const receiptTypes = {
  Receipt: [
    { name: "payer", type: "address" },
    { name: "node", type: "address" },
    { name: "versionId", type: "uint256" },
    { name: "lane", type: "uint32" },
    { name: "seq", type: "uint64" },
    { name: "requestHash", type: "bytes32" },
    { name: "value", type: "uint128" },
    { name: "cumulative", type: "uint128" },
  ],
} as const;

/** EIP-712 types of an inference record, with `primaryType: "InferenceRecord"`. */
export const inferenceRecordTypes = {
  InferenceRecord: [
    { name: "receiptDigest", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "promptTokens", type: "uint32" },
    { name: "outputTokens", type: "uint32" },
    { name: "datasetIds", type: "uint256[]" },
    { name: "weightsPpm", type: "uint32[]" },
  ],
} as const;

/** The EIP-712 domain of the Settlement at `verifyingContract` on chain `chainId`. */
export function settlementDomain(chainId: bigint, verifyingContract: Address): SettlementDomain {
  return { name: SETTLEMENT_DOMAIN_NAME, version: SETTLEMENT_DOMAIN_VERSION, chainId, verifyingContract };
}
