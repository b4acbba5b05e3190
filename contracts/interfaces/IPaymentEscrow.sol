// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Prepaid OPEN balances of dapps (payers) per node, and the signers payers authorize
/// @notice A dapp deposits OPEN for one node, signs receipts with its own key or an authorized signer, and the
/// Settlement (the collector) collects what the receipts owe. The dapp gets unused funds back by thawing them and
/// withdrawing strictly after the thawing period; collection may spend thawing funds, so a node never loses what a
/// receipt already promised.
/// @dev The one ABI source for the escrow: structs, events, errors and functions. See docs/escrow.md.
interface IPaymentEscrow {
    /// @notice A payer's funds for one node.
    /// @dev Invariants: `thawing ≤ balance`; `thawEnd == 0` exactly when `thawing == 0`. `balance` and `thawing` share
    /// one slot, so a collection reads and writes one slot in the common case.
    struct Account {
        // OPEN (wei) the collector can still collect, thawing funds included.
        uint128 balance;
        // OPEN (wei) the payer asked to withdraw; never above `balance`.
        uint128 thawing;
        // Withdrawal opens strictly after this time (seconds); 0 when nothing thaws.
        uint64 thawEnd;
    }

    /// @notice What the escrow knows about a signer address.
    /// @dev `payer` and `revokedAt` share one slot: {isAuthorizedSigner} reads one slot.
    struct Signer {
        // The payer it was authorized for; set once and kept forever, revoked or not. 0: never authorized.
        address payer;
        // 0 while not revoked; else the signer is authorized strictly before this time.
        uint64 revokedAt;
        // Revocation by {revokeSigner} opens strictly after this time; 0 when not thawing.
        uint64 thawEnd;
    }

    /// @notice The collector was set (once, for ever).
    event CollectorSet(address indexed collector);

    /// @notice The thawing period of payers' funds changed; thaws already started keep their end.
    event ThawingPeriodSet(uint64 period);

    /// @notice The thawing period of signers changed; signer thaws already started keep their end.
    event SignerThawingPeriodSet(uint64 period);

    /// @notice The grace period of emergency signer revocations changed.
    event RevokeGracePeriodSet(uint64 period);

    /// @notice `from` added `amount` to the account (`payer`, `node`).
    event Deposited(address indexed payer, address indexed node, address indexed from, uint256 amount);

    /// @notice `payer` started thawing `amount` of its account with `node`, replacing any earlier thaw.
    event ThawStarted(address indexed payer, address indexed node, uint256 amount, uint64 thawEnd);

    /// @notice `payer` canceled the thaw of its account with `node`.
    event ThawCanceled(address indexed payer, address indexed node);

    /// @notice `payer` withdrew `amount` from its account with `node`.
    event Withdrawn(address indexed payer, address indexed node, uint256 amount);

    /// @notice The collector collected `amount` from the account (`payer`, `node`).
    /// @dev The thawing amount is then `min(thawing, balance)`, and the thaw ends when that is 0: indexers derive it.
    event Collected(address indexed payer, address indexed node, uint256 amount);

    /// @notice The collector had `amount` of what it collected paid out to `to`.
    event Released(address indexed to, uint256 amount);

    /// @notice `signer` now signs for `payer`, with its authorization numbered `nonce`.
    event SignerAuthorized(address indexed payer, address indexed signer, uint256 nonce);

    /// @notice `payer` started thawing `signer`; it stays authorized and can be revoked strictly after `thawEnd`.
    event SignerThawStarted(address indexed payer, address indexed signer, uint64 thawEnd);

    /// @notice `payer` canceled the thaw of `signer`.
    event SignerThawCanceled(address indexed payer, address indexed signer);

    /// @notice `signer` is authorized for `payer` strictly before `revokedAt` and never again.
    /// @dev `revokedAt` is the block time for {revokeSigner} and later by the grace period for {emergencyRevokeSigner}.
    event SignerRevoked(address indexed payer, address indexed signer, uint64 revokedAt);

    /// @notice An address that must be set is zero.
    error PaymentEscrowZeroAddress();

    /// @notice An amount that must be positive is zero.
    error PaymentEscrowZeroAmount();

    /// @notice A period is above `maxPeriod` (THREATS #15).
    error PaymentEscrowPeriodTooLong(uint64 period, uint64 maxPeriod);

    /// @notice The collector is set once; it already is `collector`.
    error PaymentEscrowCollectorAlreadySet(address collector);

    /// @notice Only the collector collects.
    error PaymentEscrowCallerNotCollector(address caller);

    /// @notice The collector asked to release more than it collected and has not released yet.
    error PaymentEscrowReleaseExceedsCollected(uint256 amount, uint256 collected);

    /// @notice A deposit would take the balance of (`payer`, `node`) to `balance`, above 2^128 − 1.
    error PaymentEscrowBalanceOverflow(address payer, address node, uint256 balance);

    /// @notice `amount` is above the `balance` of (`payer`, `node`).
    error PaymentEscrowInsufficientBalance(address payer, address node, uint256 balance, uint256 amount);

    /// @notice Nothing thaws in the account (`payer`, `node`).
    error PaymentEscrowNotThawing(address payer, address node);

    /// @notice The account (`payer`, `node`) thaws until `thawEnd`; withdrawal opens strictly after it.
    error PaymentEscrowStillThawing(address payer, address node, uint64 thawEnd);

    /// @notice A payer's own address is always its signer; it cannot be authorized, thawed or revoked.
    error PaymentEscrowSignerIsPayer(address signer);

    /// @notice The signer authorization's `deadline` has passed.
    error PaymentEscrowAuthorizationExpired(uint256 deadline);

    /// @notice `signer` already used `nonce` in an authorization (THREATS #19).
    error PaymentEscrowNonceUsed(address signer, uint256 nonce);

    /// @notice `signer` is already authorized for `payer` (THREATS #18).
    error PaymentEscrowSignerAlreadyAuthorized(address payer, address signer);

    /// @notice `signer` belongs to `payer`, another payer, for ever (THREATS #5).
    error PaymentEscrowSignerOfAnotherPayer(address signer, address payer);

    /// @notice `signer` is revoked, or will be at `revokedAt`; it can never be authorized again (THREATS #18).
    error PaymentEscrowSignerRevoked(address signer, uint64 revokedAt);

    /// @notice `signer` is not a signer `payer` authorized.
    error PaymentEscrowSignerNotAuthorized(address payer, address signer);

    /// @notice `signer` is not thawing.
    error PaymentEscrowSignerNotThawing(address signer);

    /// @notice `signer` thaws until `thawEnd`; revocation opens strictly after it.
    error PaymentEscrowSignerStillThawing(address signer, uint64 thawEnd);

    /// @notice Signatures are 65 bytes `r‖s‖v`; this one has `length` (THREATS #22).
    error PaymentEscrowInvalidSignatureLength(uint256 length);

    /// @notice The signature is malformed: `s` above n/2, `v` not 27 or 28, or no address recovers (THREATS #22).
    error PaymentEscrowInvalidSignature();

    /// @notice The signature recovers to `recovered`, not to `signer`.
    error PaymentEscrowSignatureMismatch(address signer, address recovered);

    /// @notice Sets the collector, the Settlement contract, once.
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - `collector_` is not zero;
    /// - no collector is set yet.
    ///
    /// Emits a {CollectorSet} event.
    function setCollector(address collector_) external;

    /// @notice Sets the thawing period of payers' funds. Thaws already started keep their end (THREATS #25).
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - `period` is at most `MAX_PERIOD`.
    ///
    /// Emits a {ThawingPeriodSet} event.
    function setThawingPeriod(uint64 period) external;

    /// @notice Sets the thawing period of signers. Signer thaws already started keep their end.
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - `period` is at most `MAX_PERIOD`.
    ///
    /// Emits a {SignerThawingPeriodSet} event.
    function setSignerThawingPeriod(uint64 period) external;

    /// @notice Sets how long a signer stays valid after an emergency revocation.
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - `period` is at most `MAX_PERIOD`.
    ///
    /// Emits a {RevokeGracePeriodSet} event.
    function setRevokeGracePeriod(uint64 period) external;

    /// @notice Stops deposits and signer authorizations. Thaws, withdrawals, collections and signer revocations go on,
    /// so nothing earned or owed is stranded (THREATS #17).
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - the escrow is not paused.
    ///
    /// Emits a {Paused} event.
    function pause() external;

    /// @notice Lets deposits and signer authorizations resume.
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - the escrow is paused.
    ///
    /// Emits an {Unpaused} event.
    function unpause() external;

    /// @notice Adds `amount` of the caller's OPEN to its account with `node`. Never touches a thaw (THREATS #11).
    /// @dev Requirements:
    ///
    /// - the escrow is not paused;
    /// - `node` is not zero and `amount` is not zero;
    /// - the balance stays below 2^128;
    /// - the caller approved the escrow for `amount`.
    ///
    /// Emits a {Deposited} event.
    function deposit(address node, uint256 amount) external;

    /// @notice Adds `amount` of the caller's OPEN to the account (`payer`, `node`). Anyone may top up anyone; it
    /// never touches the payer's thaw (THREATS #11).
    /// @dev Requirements: as {deposit}, and `payer` is not zero.
    ///
    /// Emits a {Deposited} event.
    function depositTo(address payer, address node, uint256 amount) external;

    /// @notice {deposit} after an EIP-2612 permit of `amount` from the caller to the escrow.
    /// @dev The permit is tried and its failure ignored (it may have been front-run); the transfer then needs the
    /// allowance, however it was given. Requirements: as {deposit}.
    ///
    /// Emits a {Deposited} event.
    function depositWithPermit(address node, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice {depositTo} after an EIP-2612 permit of `amount` from the caller to the escrow.
    /// @dev As {depositWithPermit}. Requirements: as {depositTo}.
    ///
    /// Emits a {Deposited} event.
    function depositToWithPermit(
        address payer,
        address node,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Starts thawing `amount` of the caller's account with `node`: it can be withdrawn strictly after
    /// `now + thawingPeriod`. The amount replaces (is not added to) any earlier thaw, and the timer restarts
    /// (THREATS #14).
    /// @dev Requirements:
    ///
    /// - `amount` is not zero and at most the balance.
    ///
    /// Emits a {ThawStarted} event.
    function thaw(address node, uint256 amount) external;

    /// @notice Cancels the thaw of the caller's account with `node`.
    /// @dev Requirements:
    ///
    /// - the account is thawing.
    ///
    /// Emits a {ThawCanceled} event.
    function cancelThaw(address node) external;

    /// @notice Pays the thawing amount of the caller's account with `node` to the caller and ends the thaw.
    /// @dev Requirements:
    ///
    /// - the account is thawing;
    /// - the block time is strictly after the thaw end (THREATS #12).
    ///
    /// Emits a {Withdrawn} event.
    /// @return amount what was paid, as {withdrawable} said
    function withdraw(address node) external returns (uint256 amount);

    /// @notice Pays `min(amount, balance)` of the account (`payer`, `node`) to the collector, thawing funds
    /// included, and clamps the thawing amount to what is left. What is not paid stays owed: the collector tracks
    /// it and collects it later (THREATS #9). No token moves: the paid amount leaves the account and joins what the
    /// escrow holds for the collector ({collectedUnreleased}), which the collector pays out with {release}.
    /// @dev Requirements:
    ///
    /// - the caller is the collector.
    ///
    /// Emits a {Collected} event when something is paid (nothing happens when 0 is).
    /// @return collected what was paid
    function collect(address payer, address node, uint256 amount) external returns (uint256 collected);

    /// @notice Pays `amount` of what the collector collected and has not released yet to `to`.
    ///
    /// Requirements:
    /// - the caller is the collector;
    /// - `amount` is at most {collectedUnreleased}.
    ///
    /// Emits a {Released} event.
    function release(address to, uint256 amount) external;

    /// @notice Authorizes `signer` to sign receipts for the caller, with the signer's EIP-712
    /// `SignerAuthorization(address payer,address signer,uint256 nonce,uint256 deadline)` signature naming the
    /// caller as `payer`. A signer belongs to one payer for ever.
    /// @dev Requirements:
    ///
    /// - the escrow is not paused;
    /// - `signer` is not zero and not the caller;
    /// - the block time is at most `deadline`;
    /// - `signer` has not used `nonce`;
    /// - `signer` was never authorized before, by anyone;
    /// - `signature` is 65 bytes `r‖s‖v`, low-s, by `signer`.
    ///
    /// Emits a {SignerAuthorized} event.
    function authorizeSigner(address signer, uint256 deadline, uint256 nonce, bytes calldata signature) external;

    /// @notice Starts thawing the caller's `signer`: it stays authorized, and can be revoked strictly after
    /// `now + signerThawingPeriod`. Calling it again restarts the timer.
    /// @dev Requirements:
    ///
    /// - `signer` is the caller's and not revoked.
    ///
    /// Emits a {SignerThawStarted} event.
    function thawSigner(address signer) external;

    /// @notice Cancels the thaw of the caller's `signer`.
    /// @dev Requirements:
    ///
    /// - `signer` is the caller's, not revoked, and thawing.
    ///
    /// Emits a {SignerThawCanceled} event.
    function cancelThawSigner(address signer) external;

    /// @notice Revokes the caller's thawed `signer`, now and for ever.
    /// @dev Requirements:
    ///
    /// - `signer` is the caller's, not revoked, and thawing;
    /// - the block time is strictly after the signer's thaw end.
    ///
    /// Emits a {SignerRevoked} event.
    function revokeSigner(address signer) external;

    /// @notice Revokes the caller's `signer` without thawing: it stays authorized for `revokeGracePeriod` more
    /// seconds, so nodes can redeem what it already signed, and never again after. For a leaked key.
    /// @dev Requirements:
    ///
    /// - `signer` is the caller's and not revoked.
    ///
    /// Emits a {SignerRevoked} event.
    function emergencyRevokeSigner(address signer) external;

    /// @notice The token held, OPEN.
    function token() external view returns (IERC20);

    /// @notice The only address that collects; 0 until set.
    function collector() external view returns (address);

    /// @notice OPEN (wei) collected and not released yet: the escrow holds it for the collector.
    function collectedUnreleased() external view returns (uint256);

    /// @notice Seconds between a thaw and the first second its funds can be withdrawn.
    function thawingPeriod() external view returns (uint64);

    /// @notice Seconds between a signer thaw and the first second the signer can be revoked.
    function signerThawingPeriod() external view returns (uint64);

    /// @notice Seconds a signer stays authorized after an emergency revocation.
    function revokeGracePeriod() external view returns (uint64);

    /// @notice The account (`payer`, `node`).
    function accountOf(address payer, address node) external view returns (Account memory);

    /// @notice The most a collection from (`payer`, `node`) pays now: the whole balance, thawing funds included.
    function collectable(address payer, address node) external view returns (uint256);

    /// @notice What {withdraw} would pay the payer now: the thawing amount once the thaw has ended, else 0.
    function withdrawable(address payer, address node) external view returns (uint256);

    /// @notice Whether receipts of `payer` signed by `signer` are valid now: `signer` is `payer` itself, or a signer
    /// `payer` authorized that is not yet revoked (a thawing signer still is).
    function isAuthorizedSigner(address payer, address signer) external view returns (bool);

    /// @notice The payer `signer` was authorized for, kept after revocation; 0 if never authorized. A payer's own
    /// address signs for it without an entry here.
    function payerOfSigner(address signer) external view returns (address);

    /// @notice The escrow's record of `signer`.
    function signerState(address signer) external view returns (Signer memory);

    /// @notice Whether `signer` used `nonce` in an authorization.
    function isNonceUsed(address signer, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 digest `signer` signs to authorize itself for `payer`.
    function signerAuthorizationDigest(address payer, address signer, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);
}
