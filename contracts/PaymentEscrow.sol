// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPaymentEscrow} from "./interfaces/IPaymentEscrow.sol";

/// @title PaymentEscrow: dapps' prepaid OPEN per (payer, node), and their receipt signers
/// @notice Modelled on The Graph's TAP/GraphTally escrow, with one collector (the Settlement) and accounts keyed by
/// (payer, node) only. See docs/escrow.md for the dapp's and the auditor's view.
/// @dev The token balance of this contract equals the sum of all account balances plus what the collector collected
/// and has not released: deposits add to one balance what they pull in, withdrawals take from one balance what they
/// pay out, collections move an amount from one balance to the collector's unreleased total without moving tokens
/// (a redemption spares a token transfer), releases take from that total what they pay out, and nothing else moves
/// tokens.
/// The token must be a plain ERC-20 (no fee on transfer, no rebasing), as OPEN is.
contract PaymentEscrow is IPaymentEscrow, Ownable2Step, Pausable, ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice The longest any period can be set to (THREATS #15): 90 days keeps `now + period` far inside uint64
    /// and bounds how long governance can lock a payer's funds or keep a leaked signer alive.
    uint64 public constant MAX_PERIOD = 90 days;

    /// @notice keccak256 of the canonical EIP-712 type string (DESIGN §4); the tests recompute it (THREATS #7).
    bytes32 public constant SIGNER_AUTHORIZATION_TYPEHASH =
        keccak256("SignerAuthorization(address payer,address signer,uint256 nonce,uint256 deadline)");

    /// @dev Fixed at deploy: balances are denominated in it, so it can never change.
    IERC20 private immutable _token;

    /// @dev One slot with the collector, which every collection reads anyway. 96 bits hold 7.9×10^28 wei, above all
    /// the OPEN there is (the supply is fixed at 10^27); {SafeCast} reverts beyond.
    address private _collector;
    uint96 private _collectedUnreleased;
    uint64 private _thawingPeriod;
    uint64 private _signerThawingPeriod;
    uint64 private _revokeGracePeriod;

    mapping(address payer => mapping(address node => Account)) private _accounts;
    mapping(address signer => Signer) private _signers;
    mapping(address signer => mapping(uint256 nonce => bool)) private _usedNonces;

    /// @param token_ the token held, OPEN
    /// @param initialOwner governance: sets the collector once, the periods, and pauses
    /// @param thawingPeriod_ seconds before thawing funds can be withdrawn
    /// @param signerThawingPeriod_ seconds before a thawing signer can be revoked
    /// @param revokeGracePeriod_ seconds a signer stays valid after an emergency revocation
    constructor(
        IERC20 token_,
        address initialOwner,
        uint64 thawingPeriod_,
        uint64 signerThawingPeriod_,
        uint64 revokeGracePeriod_
    ) Ownable(initialOwner) EIP712("OLP PaymentEscrow", "1") {
        if (address(token_) == address(0)) revert PaymentEscrowZeroAddress();
        _token = token_;
        _setThawingPeriod(thawingPeriod_);
        _setSignerThawingPeriod(signerThawingPeriod_);
        _setRevokeGracePeriod(revokeGracePeriod_);
    }

    /// @inheritdoc IPaymentEscrow
    function setCollector(address collector_) external onlyOwner {
        if (collector_ == address(0)) revert PaymentEscrowZeroAddress();
        if (_collector != address(0)) revert PaymentEscrowCollectorAlreadySet(_collector);
        _collector = collector_;
        emit CollectorSet(collector_);
    }

    /// @inheritdoc IPaymentEscrow
    function setThawingPeriod(uint64 period) external onlyOwner {
        _setThawingPeriod(period);
    }

    /// @inheritdoc IPaymentEscrow
    function setSignerThawingPeriod(uint64 period) external onlyOwner {
        _setSignerThawingPeriod(period);
    }

    /// @inheritdoc IPaymentEscrow
    function setRevokeGracePeriod(uint64 period) external onlyOwner {
        _setRevokeGracePeriod(period);
    }

    /// @inheritdoc IPaymentEscrow
    function pause() external onlyOwner {
        _pause();
    }

    /// @inheritdoc IPaymentEscrow
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @inheritdoc IPaymentEscrow
    function deposit(address node, uint256 amount) external whenNotPaused nonReentrant {
        _deposit(msg.sender, node, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function depositTo(address payer, address node, uint256 amount) external whenNotPaused nonReentrant {
        _deposit(payer, node, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function depositWithPermit(address node, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
        nonReentrant
    {
        _tryPermit(amount, deadline, v, r, s);
        _deposit(msg.sender, node, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function depositToWithPermit(
        address payer,
        address node,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused nonReentrant {
        _tryPermit(amount, deadline, v, r, s);
        _deposit(payer, node, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function thaw(address node, uint256 amount) external {
        if (amount == 0) revert PaymentEscrowZeroAmount();
        Account storage account = _accounts[msg.sender][node];
        uint256 balance = account.balance;
        if (amount > balance) revert PaymentEscrowInsufficientBalance(msg.sender, node, balance, amount);
        // Checked: a timestamp near 2^64 reverts instead of wrapping to an instant unlock (THREATS #15).
        uint64 thawEnd = SafeCast.toUint64(block.timestamp + _thawingPeriod);
        // amount ≤ balance < 2^128, so the cast is exact.
        account.thawing = uint128(amount);
        account.thawEnd = thawEnd;
        emit ThawStarted(msg.sender, node, amount, thawEnd);
    }

    /// @inheritdoc IPaymentEscrow
    function cancelThaw(address node) external {
        Account storage account = _accounts[msg.sender][node];
        if (account.thawEnd == 0) revert PaymentEscrowNotThawing(msg.sender, node);
        account.thawing = 0;
        account.thawEnd = 0;
        emit ThawCanceled(msg.sender, node);
    }

    /// @inheritdoc IPaymentEscrow
    function withdraw(address node) external nonReentrant returns (uint256 amount) {
        Account storage account = _accounts[msg.sender][node];
        uint64 thawEnd = account.thawEnd;
        if (thawEnd == 0) revert PaymentEscrowNotThawing(msg.sender, node);
        if (block.timestamp <= thawEnd) revert PaymentEscrowStillThawing(msg.sender, node, thawEnd);
        // thawing ≤ balance always (every path that lowers the balance clamps it), so this is min(thawing, balance).
        amount = account.thawing;
        unchecked {
            // amount = thawing ≤ balance: no underflow.
            account.balance -= uint128(amount);
        }
        account.thawing = 0;
        account.thawEnd = 0;
        emit Withdrawn(msg.sender, node, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IPaymentEscrow
    /// @dev Not `nonReentrant`: it calls nothing outside this contract, so there is nothing to re-enter from, and
    /// the guard's storage round trip would be paid on every redemption.
    function collect(address payer, address node, uint256 amount) external returns (uint256 collected) {
        if (msg.sender != _collector) revert PaymentEscrowCallerNotCollector(msg.sender);
        Account storage account = _accounts[payer][node];
        uint256 balance = account.balance;
        collected = amount < balance ? amount : balance;
        if (collected == 0) return 0;
        unchecked {
            // collected ≤ balance: no underflow.
            balance -= collected;
        }
        // balance is below the old balance, which fit in 128 bits.
        account.balance = uint128(balance);
        if (account.thawing > balance) {
            // Collection may spend thawing funds; what thaws is then what is left (THREATS #13).
            account.thawing = uint128(balance);
            if (balance == 0) account.thawEnd = 0;
        }
        // The tokens stay here: they move from the account to the collector's unreleased total.
        _collectedUnreleased = SafeCast.toUint96(_collectedUnreleased + collected);
        emit Collected(payer, node, collected);
    }

    /// @inheritdoc IPaymentEscrow
    function release(address to, uint256 amount) external nonReentrant {
        if (msg.sender != _collector) revert PaymentEscrowCallerNotCollector(msg.sender);
        uint256 unreleased = _collectedUnreleased;
        if (amount > unreleased) revert PaymentEscrowReleaseExceedsCollected(amount, unreleased);
        unchecked {
            // amount ≤ unreleased, which fits in 96 bits: no underflow, and the result fits.
            _collectedUnreleased = uint96(unreleased - amount);
        }
        emit Released(to, amount);
        _token.safeTransfer(to, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function authorizeSigner(address signer, uint256 deadline, uint256 nonce, bytes calldata signature)
        external
        whenNotPaused
    {
        if (signer == address(0)) revert PaymentEscrowZeroAddress();
        if (signer == msg.sender) revert PaymentEscrowSignerIsPayer(signer);
        if (block.timestamp > deadline) revert PaymentEscrowAuthorizationExpired(deadline);
        // The nonce is checked before the signer's state so that a replayed proof fails on its own (THREATS #19).
        if (_usedNonces[signer][nonce]) revert PaymentEscrowNonceUsed(signer, nonce);
        Signer storage state = _signers[signer];
        address current = state.payer;
        if (current != address(0)) {
            // A signer belongs to one payer for ever, and is authorized at most once (THREATS #5, #18).
            if (current != msg.sender) revert PaymentEscrowSignerOfAnotherPayer(signer, current);
            if (state.revokedAt != 0) revert PaymentEscrowSignerRevoked(signer, state.revokedAt);
            revert PaymentEscrowSignerAlreadyAuthorized(msg.sender, signer);
        }
        _checkSignature(signer, signerAuthorizationDigest(msg.sender, signer, nonce, deadline), signature);
        _usedNonces[signer][nonce] = true;
        state.payer = msg.sender;
        emit SignerAuthorized(msg.sender, signer, nonce);
    }

    /// @inheritdoc IPaymentEscrow
    function thawSigner(address signer) external {
        Signer storage state = _ownLiveSigner(signer);
        uint64 thawEnd = SafeCast.toUint64(block.timestamp + _signerThawingPeriod);
        state.thawEnd = thawEnd;
        emit SignerThawStarted(msg.sender, signer, thawEnd);
    }

    /// @inheritdoc IPaymentEscrow
    function cancelThawSigner(address signer) external {
        Signer storage state = _ownLiveSigner(signer);
        if (state.thawEnd == 0) revert PaymentEscrowSignerNotThawing(signer);
        state.thawEnd = 0;
        emit SignerThawCanceled(msg.sender, signer);
    }

    /// @inheritdoc IPaymentEscrow
    function revokeSigner(address signer) external {
        Signer storage state = _ownLiveSigner(signer);
        uint64 thawEnd = state.thawEnd;
        if (thawEnd == 0) revert PaymentEscrowSignerNotThawing(signer);
        if (block.timestamp <= thawEnd) revert PaymentEscrowSignerStillThawing(signer, thawEnd);
        uint64 revokedAt = SafeCast.toUint64(block.timestamp);
        state.revokedAt = revokedAt;
        state.thawEnd = 0;
        emit SignerRevoked(msg.sender, signer, revokedAt);
    }

    /// @inheritdoc IPaymentEscrow
    function emergencyRevokeSigner(address signer) external {
        Signer storage state = _ownLiveSigner(signer);
        uint64 revokedAt = SafeCast.toUint64(block.timestamp + _revokeGracePeriod);
        state.revokedAt = revokedAt;
        state.thawEnd = 0;
        emit SignerRevoked(msg.sender, signer, revokedAt);
    }

    /// @inheritdoc IPaymentEscrow
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IPaymentEscrow
    function collector() external view returns (address) {
        return _collector;
    }

    /// @inheritdoc IPaymentEscrow
    function collectedUnreleased() external view returns (uint256) {
        return _collectedUnreleased;
    }

    /// @inheritdoc IPaymentEscrow
    function thawingPeriod() external view returns (uint64) {
        return _thawingPeriod;
    }

    /// @inheritdoc IPaymentEscrow
    function signerThawingPeriod() external view returns (uint64) {
        return _signerThawingPeriod;
    }

    /// @inheritdoc IPaymentEscrow
    function revokeGracePeriod() external view returns (uint64) {
        return _revokeGracePeriod;
    }

    /// @inheritdoc IPaymentEscrow
    function accountOf(address payer, address node) external view returns (Account memory) {
        return _accounts[payer][node];
    }

    /// @inheritdoc IPaymentEscrow
    function collectable(address payer, address node) external view returns (uint256) {
        return _accounts[payer][node].balance;
    }

    /// @inheritdoc IPaymentEscrow
    function withdrawable(address payer, address node) external view returns (uint256) {
        Account storage account = _accounts[payer][node];
        uint64 thawEnd = account.thawEnd;
        return thawEnd != 0 && block.timestamp > thawEnd ? account.thawing : 0;
    }

    /// @inheritdoc IPaymentEscrow
    function isAuthorizedSigner(address payer, address signer) external view returns (bool) {
        // Without the zero checks, any unknown signer (payer 0 in storage) would sign for payer 0.
        if (payer == address(0) || signer == address(0)) return false;
        if (signer == payer) return true;
        Signer storage state = _signers[signer];
        uint64 revokedAt = state.revokedAt;
        return state.payer == payer && (revokedAt == 0 || block.timestamp < revokedAt);
    }

    /// @inheritdoc IPaymentEscrow
    function payerOfSigner(address signer) external view returns (address) {
        return _signers[signer].payer;
    }

    /// @inheritdoc IPaymentEscrow
    function signerState(address signer) external view returns (Signer memory) {
        return _signers[signer];
    }

    /// @inheritdoc IPaymentEscrow
    function isNonceUsed(address signer, uint256 nonce) external view returns (bool) {
        return _usedNonces[signer][nonce];
    }

    /// @inheritdoc IPaymentEscrow
    function signerAuthorizationDigest(address payer, address signer, uint256 nonce, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(SIGNER_AUTHORIZATION_TYPEHASH, payer, signer, nonce, deadline)));
    }

    function _deposit(address payer, address node, uint256 amount) private {
        if (payer == address(0) || node == address(0)) revert PaymentEscrowZeroAddress();
        if (amount == 0) revert PaymentEscrowZeroAmount();
        Account storage account = _accounts[payer][node];
        // Checked addition in 256 bits, then the 128-bit bound of the slot.
        uint256 balance = account.balance + amount;
        if (balance > type(uint128).max) revert PaymentEscrowBalanceOverflow(payer, node, balance);
        // Only the balance: a deposit, by anyone, never touches a thaw (THREATS #11).
        account.balance = uint128(balance);
        emit Deposited(payer, node, msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _setThawingPeriod(uint64 period) private {
        _checkPeriod(period);
        _thawingPeriod = period;
        emit ThawingPeriodSet(period);
    }

    function _setSignerThawingPeriod(uint64 period) private {
        _checkPeriod(period);
        _signerThawingPeriod = period;
        emit SignerThawingPeriodSet(period);
    }

    function _setRevokeGracePeriod(uint64 period) private {
        _checkPeriod(period);
        _revokeGracePeriod = period;
        emit RevokeGracePeriodSet(period);
    }

    /// @dev A failed permit is ignored: it may have been front-run by someone submitting the same signature, and
    /// the transfer that follows fails anyway when no allowance was given.
    function _tryPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
    }

    /// @dev The caller's signer, authorized and not revoked (a thawing one is).
    function _ownLiveSigner(address signer) private view returns (Signer storage state) {
        if (signer == msg.sender) revert PaymentEscrowSignerIsPayer(signer);
        state = _signers[signer];
        if (state.payer != msg.sender) revert PaymentEscrowSignerNotAuthorized(msg.sender, signer);
        if (state.revokedAt != 0) revert PaymentEscrowSignerRevoked(signer, state.revokedAt);
    }

    /// @dev Only the 65-byte `r‖s‖v` form, low-s, `v` 27 or 28 (DESIGN §4, THREATS #22). The length is checked here
    /// and not left to ECDSA, whose refusal of 64-byte signatures is deprecated.
    function _checkSignature(address signer, bytes32 digest, bytes calldata signature) private pure {
        if (signature.length != 65) revert PaymentEscrowInvalidSignatureLength(signature.length);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert PaymentEscrowInvalidSignature();
        if (recovered != signer) revert PaymentEscrowSignatureMismatch(signer, recovered);
    }

    function _checkPeriod(uint64 period) private pure {
        if (period > MAX_PERIOD) revert PaymentEscrowPeriodTooLong(period, MAX_PERIOD);
    }
}
