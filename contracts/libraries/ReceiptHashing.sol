// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title EIP-712 struct hashes of the Receipt and the InferenceRecord (DESIGN §4)
/// @dev The type strings are the canonical ones, byte for byte; the tests recompute the type hashes from the
/// strings and compare digests with viem's and ethers' `signTypedData` (THREATS #6, #7), and the golden vectors of
/// test/vectors/receipts.json pin every hash. Every field is in both the type string and the encoding.
library ReceiptHashing {
    /// @notice `keccak256` of the canonical Receipt type string.
    bytes32 internal constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(address payer,address node,uint256 versionId,uint32 lane,uint64 seq,bytes32 requestHash,"
        "uint128 value,uint128 cumulative)"
    );

    /// @notice `keccak256` of the canonical InferenceRecord type string.
    bytes32 internal constant INFERENCE_RECORD_TYPEHASH = keccak256(
        "InferenceRecord(bytes32 receiptDigest,bytes32 outputHash,uint32 promptTokens,uint32 outputTokens,"
        "uint256[] datasetIds,uint32[] weightsPpm)"
    );

    /// @notice The EIP-712 `hashStruct` of a receipt.
    /// @dev All eight fields are static, so `abi.encode(typehash, receipt)` is exactly `typeHash ‖ encodeData`:
    /// each field one 32-byte word, in the order of the type string.
    function hashReceipt(ISettlement.Receipt calldata receipt) internal pure returns (bytes32) {
        return keccak256(abi.encode(RECEIPT_TYPEHASH, receipt));
    }

    /// @notice The EIP-712 `hashStruct` of an inference record.
    /// @dev Arrays are encoded as the keccak256 of their elements, each padded to 32 bytes, which is what
    /// `abi.encodePacked` does to array elements.
    function hashInferenceRecord(ISettlement.InferenceRecord calldata record) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                INFERENCE_RECORD_TYPEHASH,
                record.receiptDigest,
                record.outputHash,
                record.promptTokens,
                record.outputTokens,
                keccak256(abi.encodePacked(record.datasetIds)),
                keccak256(abi.encodePacked(record.weightsPpm))
            )
        );
    }
}
