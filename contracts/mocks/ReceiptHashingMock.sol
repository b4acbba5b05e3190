// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {ReceiptHashing} from "../libraries/ReceiptHashing.sol";

/// @title ReceiptHashingMock
/// @dev CAUTION: test only. Exposes {ReceiptHashing} and the EIP-712 digest under any domain, so the golden vectors
/// of test/vectors/receipts.json (computed for a fixed chain id and contract address) are checked against Solidity.
contract ReceiptHashingMock {
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The Receipt type hash.
    function receiptTypehash() external pure returns (bytes32) {
        return ReceiptHashing.RECEIPT_TYPEHASH;
    }

    /// @notice The InferenceRecord type hash.
    function inferenceRecordTypehash() external pure returns (bytes32) {
        return ReceiptHashing.INFERENCE_RECORD_TYPEHASH;
    }

    /// @notice {ReceiptHashing-hashReceipt}.
    function hashReceipt(ISettlement.Receipt calldata receipt) external pure returns (bytes32) {
        return ReceiptHashing.hashReceipt(receipt);
    }

    /// @notice {ReceiptHashing-hashInferenceRecord}.
    function hashInferenceRecord(ISettlement.InferenceRecord calldata record) external pure returns (bytes32) {
        return ReceiptHashing.hashInferenceRecord(record);
    }

    /// @notice The EIP-712 domain separator of ("OLP Settlement", "1", `chainId`, `verifyingContract`).
    function domainSeparator(uint256 chainId, address verifyingContract) external pure returns (bytes32) {
        return _domainSeparator(chainId, verifyingContract);
    }

    /// @notice The receipt's EIP-712 digest under the Settlement domain of `chainId` and `verifyingContract`.
    function receiptDigest(ISettlement.Receipt calldata receipt, uint256 chainId, address verifyingContract)
        external
        pure
        returns (bytes32)
    {
        return MessageHashUtils.toTypedDataHash(
            _domainSeparator(chainId, verifyingContract), ReceiptHashing.hashReceipt(receipt)
        );
    }

    /// @notice The record's EIP-712 digest under the Settlement domain of `chainId` and `verifyingContract`.
    function inferenceRecordDigest(
        ISettlement.InferenceRecord calldata record,
        uint256 chainId,
        address verifyingContract
    ) external pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(
            _domainSeparator(chainId, verifyingContract), ReceiptHashing.hashInferenceRecord(record)
        );
    }

    function _domainSeparator(uint256 chainId, address verifyingContract) private pure returns (bytes32) {
        return keccak256(
            abi.encode(_DOMAIN_TYPEHASH, keccak256("OLP Settlement"), keccak256("1"), chainId, verifyingContract)
        );
    }
}
