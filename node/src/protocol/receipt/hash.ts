import { type Address, encodeAbiParameters, type Hex, hashStruct, hashTypedData, hexToBigInt, keccak256 } from "viem";
import { inferenceRecordTypes, receiptTypes } from "./eip712.js";
import type { InferenceRecord, Receipt, SettlementDomain } from "./types.js";

/** The EIP-712 `hashStruct` of a receipt, as `ReceiptHashing.hashReceipt` computes it. */
export function hashReceipt(receipt: Receipt): Hex {
  return hashStruct({ data: receipt, primaryType: "Receipt", types: receiptTypes });
}

/** The EIP-712 digest a payer's signer signs for `receipt`; an inference record names it as `receiptDigest`. */
export function getReceiptDigest(domain: SettlementDomain, receipt: Receipt): Hex {
  return hashTypedData({ domain, types: receiptTypes, primaryType: "Receipt", message: receipt });
}

/** The EIP-712 `hashStruct` of an inference record, as `ReceiptHashing.hashInferenceRecord` computes it. */
export function hashInferenceRecord(record: InferenceRecord): Hex {
  return hashStruct({ data: record, primaryType: "InferenceRecord", types: inferenceRecordTypes });
}

/** The EIP-712 digest of an inference record: the record's id, which the node's operator signs (DESIGN §4). */
export function getInferenceRecordDigest(domain: SettlementDomain, record: InferenceRecord): Hex {
  return hashTypedData({ domain, types: inferenceRecordTypes, primaryType: "InferenceRecord", message: record });
}

/** The Settlement's key of a lane: `keccak256(abi.encode(payer, node, versionId, lane))`. */
export function getLaneId(payer: Address, node: Address, versionId: bigint, lane: number): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint256" }, { type: "uint32" }],
      [payer, node, versionId, lane],
    ),
  );
}

/** The Settlement's id of the pool (node, versionId, epoch): `uint256(keccak256(abi.encode(node, versionId, epoch)))`. */
export function getPoolId(node: Address, versionId: bigint, epoch: bigint): bigint {
  return hexToBigInt(
    keccak256(
      encodeAbiParameters([{ type: "address" }, { type: "uint256" }, { type: "uint64" }], [node, versionId, epoch]),
    ),
  );
}

/** `requestHash` of a receipt: keccak256 of the raw HTTP request body, exactly as sent (DESIGN §4). */
export function hashRequestBody(body: Uint8Array): Hex {
  return keccak256(body);
}

/** `outputHash` of a record: keccak256 of the UTF-8 bytes of the output text (DESIGN §4). */
export function hashOutputText(text: string): Hex {
  return keccak256(new TextEncoder().encode(text));
}

/**
 * The key receipts are deduplicated by: `keccak256(abi.encode(digest, signer))`, never the signature bytes, so the
 * two encodings of one signature are one receipt (DESIGN §4, THREATS #22).
 */
export function getReceiptKey(digest: Hex, signer: Address): Hex {
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }], [digest, signer]));
}
