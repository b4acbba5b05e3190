// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {ReceiptHashing} from "../libraries/ReceiptHashing.sol";

/// @title TapStyleBaselineMock
/// @dev CAUTION: test only; for bench/settlement.ts. The baseline a lane's cumulative receipt is measured against:
/// every receipt goes on-chain and is verified on its own, as escrows that pay per signed receipt do. Each receipt
/// costs an EIP-712 hash, an ECDSA recovery, a signer check, a replay mark (a new storage slot: receipts are unique,
/// so nothing else stops a replay) and a debit; the payout is one transfer per call. The escrow is folded in (one
/// contract, no cross-contract calls), which favours the baseline.
contract TapStyleBaselineMock is EIP712 {
    using SafeERC20 for IERC20;

    IERC20 private immutable _token;
    mapping(address payer => uint256 balance) private _balances;
    mapping(address signer => address payer) private _payerOfSigner;
    mapping(bytes32 digest => bool redeemed) private _redeemed;

    /// @notice The receipt's signature is malformed or is not its payer's or its payer's signer's.
    error TapStyleBaselineMockInvalidSignature(uint256 index);

    /// @notice The receipt was redeemed before.
    error TapStyleBaselineMockReplay(uint256 index);

    /// @param token_ the token paid in
    constructor(IERC20 token_) EIP712("TAP-style baseline", "1") {
        _token = token_;
    }

    /// @notice Adds `amount` of the caller's tokens to its balance.
    function deposit(uint256 amount) external {
        _balances[msg.sender] += amount;
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Lets `signer` sign receipts for the caller (no consent proof: the baseline only needs the lookup).
    function authorizeSigner(address signer) external {
        _payerOfSigner[signer] = msg.sender;
    }

    /// @notice Verifies and pays every receipt on its own; returns the total paid to the caller.
    function redeemEach(ISettlement.Receipt[] calldata receipts, bytes[] calldata signatures)
        external
        returns (uint256 total)
    {
        for (uint256 i = 0; i < receipts.length; ++i) {
            ISettlement.Receipt calldata receipt = receipts[i];
            bytes32 digest = _hashTypedDataV4(ReceiptHashing.hashReceipt(receipt));
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert TapStyleBaselineMockInvalidSignature(i);
            if (signer != receipt.payer && _payerOfSigner[signer] != receipt.payer) {
                revert TapStyleBaselineMockInvalidSignature(i);
            }
            if (_redeemed[digest]) revert TapStyleBaselineMockReplay(i);
            _redeemed[digest] = true;
            _balances[receipt.payer] -= receipt.value;
            total += receipt.value;
        }
        _token.safeTransfer(msg.sender, total);
    }

    /// @notice The digest a receipt's signer signs under this contract's domain.
    function receiptDigest(ISettlement.Receipt calldata receipt) external view returns (bytes32) {
        return _hashTypedDataV4(ReceiptHashing.hashReceipt(receipt));
    }
}
