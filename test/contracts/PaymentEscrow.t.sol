// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {PaymentEscrow} from "../../contracts/PaymentEscrow.sol";
import {IPaymentEscrow} from "../../contracts/interfaces/IPaymentEscrow.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Drives a PaymentEscrow through random sequences of deposits, top-ups, thaws, cancels, withdrawals,
/// collections and clock moves, over 3 payers × 2 nodes, and keeps ghost totals for the invariant test. Every call
/// is shaped to succeed, so the sequences reach deep states; a view that disagrees with what a call then pays sets
/// a flag instead of reverting (reverts are dropped by the runner, flags are not).
/// It lives in this file, not its own: Hardhat writes artifacts only for the test files it runs, and the invariant
/// runner needs the handler's artifact (in its own file, running this file alone finds "no contracts to fuzz").
contract PaymentEscrowHandler {
    PaymentEscrow public immutable escrow;
    OpenToken public immutable token;
    address public immutable collector;

    address[3] private _payers = [address(0xA11CE), address(0xB0B), address(0xCA401)];
    address[2] private _nodes = [address(0x4E0DE1), address(0x4E0DE2)];

    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    uint256 public ghostCollected;
    uint256 public ghostReleased;
    uint256 public withdrawals;
    uint256 public collections;
    /// @dev Set when a withdrawal paid other than `withdrawable` said, or a collection other than
    /// `min(amount, collectable)` (THREATS #27).
    bool public viewMismatch;

    constructor(PaymentEscrow escrow_, OpenToken token_, address collector_) {
        escrow = escrow_;
        token = token_;
        collector = collector_;
    }

    function deposit(uint256 payerSeed, uint256 nodeSeed, uint256 amount) external {
        address payer = _payer(payerSeed);
        uint256 available = token.balanceOf(payer);
        if (available == 0) return;
        amount = _bound(amount, 1, available);
        vm.prank(payer);
        escrow.deposit(_node(nodeSeed), amount);
        ghostDeposited += amount;
    }

    function depositTo(uint256 fromSeed, uint256 payerSeed, uint256 nodeSeed, uint256 amount) external {
        address from = _payer(fromSeed);
        uint256 available = token.balanceOf(from);
        if (available == 0) return;
        // Small top-ups, 1 wei included: the griefing amounts of THREATS #10 and #11.
        amount = _bound(amount, 1, available < 1000 ? available : 1000);
        vm.prank(from);
        escrow.depositTo(_payer(payerSeed), _node(nodeSeed), amount);
        ghostDeposited += amount;
    }

    function thaw(uint256 payerSeed, uint256 nodeSeed, uint256 amount) external {
        address payer = _payer(payerSeed);
        address node = _node(nodeSeed);
        uint256 balance = escrow.accountOf(payer, node).balance;
        if (balance == 0) return;
        amount = _bound(amount, 1, balance);
        vm.prank(payer);
        escrow.thaw(node, amount);
    }

    function cancelThaw(uint256 payerSeed, uint256 nodeSeed) external {
        address payer = _payer(payerSeed);
        address node = _node(nodeSeed);
        if (escrow.accountOf(payer, node).thawEnd == 0) return;
        vm.prank(payer);
        escrow.cancelThaw(node);
    }

    function withdraw(uint256 payerSeed, uint256 nodeSeed) external {
        address payer = _payer(payerSeed);
        address node = _node(nodeSeed);
        uint64 thawEnd = escrow.accountOf(payer, node).thawEnd;
        if (thawEnd == 0) return;
        if (block.timestamp <= thawEnd) vm.warp(uint256(thawEnd) + 1);
        uint256 expected = escrow.withdrawable(payer, node);
        uint256 before = token.balanceOf(payer);
        vm.prank(payer);
        uint256 paid = escrow.withdraw(node);
        if (paid != expected || token.balanceOf(payer) - before != expected) viewMismatch = true;
        ghostWithdrawn += paid;
        withdrawals++;
    }

    function collect(uint256 payerSeed, uint256 nodeSeed, uint256 amount) external {
        address payer = _payer(payerSeed);
        address node = _node(nodeSeed);
        uint256 collectable = escrow.collectable(payer, node);
        // Up to twice what is there: underfunded collections are the interesting ones (THREATS #9).
        amount = _bound(amount, 0, 2 * collectable + 1);
        uint256 expected = amount < collectable ? amount : collectable;
        uint256 before = escrow.collectedUnreleased();
        vm.prank(collector);
        uint256 collected = escrow.collect(payer, node, amount);
        if (collected != expected || escrow.collectedUnreleased() - before != expected) viewMismatch = true;
        ghostCollected += collected;
        collections++;
    }

    /// @dev The collector pays out part of what it collected, to itself or to a payer (never more than collected).
    function release(uint256 toSeed, uint256 amount) external {
        address to = toSeed % 2 == 0 ? collector : _payer(toSeed);
        uint256 unreleased = escrow.collectedUnreleased();
        amount = _bound(amount, 0, unreleased);
        uint256 before = token.balanceOf(to);
        vm.prank(collector);
        escrow.release(to, amount);
        if (token.balanceOf(to) - before != amount) viewMismatch = true;
        ghostReleased += amount;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, 10 days));
    }

    function payers() external view returns (address[3] memory) {
        return _payers;
    }

    function nodes() external view returns (address[2] memory) {
        return _nodes;
    }

    function sumOfBalances() external view returns (uint256 sum) {
        for (uint256 i = 0; i < _payers.length; i++) {
            for (uint256 j = 0; j < _nodes.length; j++) {
                sum += escrow.accountOf(_payers[i], _nodes[j]).balance;
            }
        }
    }

    /// @dev Whether every account keeps `thawing ≤ balance` and `thawEnd == 0 ⇔ thawing == 0`.
    function accountsWellFormed() external view returns (bool) {
        for (uint256 i = 0; i < _payers.length; i++) {
            for (uint256 j = 0; j < _nodes.length; j++) {
                IPaymentEscrow.Account memory account = escrow.accountOf(_payers[i], _nodes[j]);
                if (account.thawing > account.balance) return false;
                if ((account.thawEnd == 0) != (account.thawing == 0)) return false;
            }
        }
        return true;
    }

    function _payer(uint256 seed) private view returns (address) {
        return _payers[seed % _payers.length];
    }

    function _node(uint256 seed) private view returns (address) {
        return _nodes[seed % _nodes.length];
    }

    function _bound(uint256 x, uint256 min, uint256 max) private pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}

/// @dev Fuzz tests of the escrow's arithmetic and signature forms, and invariant tests over the handler's random
/// sequences: the token balance of the escrow is the sum of the account balances, and no account ever thaws more
/// than it holds.
contract PaymentEscrowTest {
    uint64 internal constant THAWING_PERIOD = 7 days;
    uint64 internal constant SIGNER_THAWING_PERIOD = 3 days;
    uint64 internal constant REVOKE_GRACE_PERIOD = 1 hours;
    uint256 internal constant FUNDS = 1_000_000 ether;
    /// @dev secp256k1 group order: `n − s` is the high-s twin of a low-s signature.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal constant COLLECTOR = address(0xC011EC7);
    address internal constant PAYER = address(0xA11CE);
    address internal constant NODE = address(0x4E0DE1);
    address internal constant STRANGER = address(0x57A4);

    struct Proof {
        address signer;
        uint256 deadline;
        bytes32 digest;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    OpenToken internal token;
    PaymentEscrow internal escrow;
    PaymentEscrowHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new OpenToken(address(this), 10 * FUNDS);
        escrow = new PaymentEscrow(token, address(this), THAWING_PERIOD, SIGNER_THAWING_PERIOD, REVOKE_GRACE_PERIOD);
        escrow.setCollector(COLLECTOR);
        handler = new PaymentEscrowHandler(escrow, token, COLLECTOR);
        address[3] memory payers = handler.payers();
        for (uint256 i = 0; i < payers.length; i++) {
            _fund(payers[i]);
        }
        _fund(STRANGER);
    }

    /// @dev The invariant runner calls only the handler (forge-std's `StdInvariant` shape: the runner reads this
    /// list; `targetContract` is a forge-std helper, not a cheatcode, and Hardhat does not answer it).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev THREATS #9, #13, #26, #27: after any deposit, thaw, collection and wait, `thawing ≤ balance`, the
    /// collection paid `min(amount, balance)`, and the withdrawal pays exactly what `withdrawable` said.
    function testFuzzThawCollectWithdraw(uint256 deposited, uint256 thawed, uint256 requested, uint256 elapsed)
        public
    {
        deposited = _bound(deposited, 1, FUNDS);
        thawed = _bound(thawed, 1, deposited);
        requested = _bound(requested, 0, 2 * deposited);
        elapsed = _bound(elapsed, 0, 2 * THAWING_PERIOD);

        vm.startPrank(PAYER);
        escrow.deposit(NODE, deposited);
        escrow.thaw(NODE, thawed);
        vm.stopPrank();
        uint64 thawEnd = escrow.accountOf(PAYER, NODE).thawEnd;
        vm.warp(block.timestamp + elapsed);

        vm.prank(COLLECTOR);
        uint256 collected = escrow.collect(PAYER, NODE, requested);
        uint256 left = deposited - collected;
        _eq(collected, requested < deposited ? requested : deposited, "collect pays min(amount, balance)");
        IPaymentEscrow.Account memory account = escrow.accountOf(PAYER, NODE);
        _eq(account.balance, left, "balance");
        _eq(account.thawing, thawed < left ? thawed : left, "thawing clamped to the balance");
        _eq(account.thawEnd, account.thawing == 0 ? 0 : thawEnd, "thaw end kept, or reset at 0");
        _eq(escrow.collectedUnreleased(), collected, "collected, held for the collector");
        _eq(token.balanceOf(address(escrow)), left + collected, "escrow holds the balance and the collected");

        if (account.thawing == 0) {
            vm.prank(PAYER);
            vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.PaymentEscrowNotThawing.selector, PAYER, NODE));
            escrow.withdraw(NODE);
            return;
        }
        if (block.timestamp <= thawEnd) vm.warp(uint256(thawEnd) + 1);
        uint256 expected = escrow.withdrawable(PAYER, NODE);
        _eq(expected, account.thawing, "withdrawable is the thawing amount after the thaw end");
        uint256 before = token.balanceOf(PAYER);
        vm.prank(PAYER);
        uint256 paid = escrow.withdraw(NODE);
        _eq(paid, expected, "withdraw returns what the view said");
        _eq(token.balanceOf(PAYER) - before, expected, "withdraw pays what the view said");
        _eq(token.balanceOf(address(escrow)), left - paid + collected, "escrow holds the rest and the collected");
    }

    /// @dev THREATS #26: collecting from an account whose whole balance thaws keeps `thawing ≤ balance`, and the
    /// last withdrawal still succeeds.
    function testFuzzCollectFromFullyThawingAccount(uint256 deposited, uint256 requested) public {
        deposited = _bound(deposited, 1, FUNDS);
        requested = _bound(requested, 1, deposited);
        vm.startPrank(PAYER);
        escrow.deposit(NODE, deposited);
        escrow.thaw(NODE, deposited);
        vm.stopPrank();
        vm.prank(COLLECTOR);
        escrow.collect(PAYER, NODE, requested);
        IPaymentEscrow.Account memory account = escrow.accountOf(PAYER, NODE);
        _eq(account.thawing, account.balance, "the thaw shrinks with the balance");
        vm.warp(block.timestamp + THAWING_PERIOD + 1);
        if (account.balance == 0) {
            _eq(account.thawEnd, 0, "an emptied thaw ends");
            return;
        }
        vm.prank(PAYER);
        _eq(escrow.withdraw(NODE), deposited - requested, "the last withdrawal pays the rest");
        _eq(token.balanceOf(address(escrow)), requested, "nothing stranded: only the collected is left");
    }

    /// @dev THREATS #11, #10: a deposit by anyone, of any size, never touches a thaw.
    function testFuzzDepositNeverTouchesThaw(uint256 deposited, uint256 thawed, uint256 topUp) public {
        deposited = _bound(deposited, 1, FUNDS);
        thawed = _bound(thawed, 1, deposited);
        topUp = _bound(topUp, 1, FUNDS);
        vm.startPrank(PAYER);
        escrow.deposit(NODE, deposited);
        escrow.thaw(NODE, thawed);
        vm.stopPrank();
        IPaymentEscrow.Account memory before = escrow.accountOf(PAYER, NODE);
        vm.warp(block.timestamp + 1 days);
        vm.prank(STRANGER);
        escrow.depositTo(PAYER, NODE, topUp);
        IPaymentEscrow.Account memory account = escrow.accountOf(PAYER, NODE);
        _eq(account.balance, deposited + topUp, "balance grows");
        _eq(account.thawing, before.thawing, "thawing untouched");
        _eq(account.thawEnd, before.thawEnd, "thaw end untouched");
    }

    /// @dev THREATS #16: a thaw, a collection and a withdrawal on one (payer, node) never change another account.
    function testFuzzAccountsAreIsolated(uint256 amount, uint256 thawed, uint256 requested) public {
        amount = _bound(amount, 1, FUNDS / 4);
        thawed = _bound(thawed, 1, amount);
        address payer2 = handler.payers()[1];
        address node2 = handler.nodes()[1];
        vm.startPrank(PAYER);
        escrow.deposit(NODE, amount);
        escrow.deposit(node2, amount);
        escrow.thaw(node2, thawed);
        vm.stopPrank();
        vm.startPrank(payer2);
        escrow.deposit(NODE, amount);
        escrow.thaw(NODE, thawed);
        vm.stopPrank();
        bytes32 other = keccak256(abi.encode(escrow.accountOf(PAYER, node2)));
        bytes32 otherPayer = keccak256(abi.encode(escrow.accountOf(payer2, NODE)));

        vm.prank(PAYER);
        escrow.thaw(NODE, thawed);
        vm.prank(COLLECTOR);
        escrow.collect(PAYER, NODE, requested);
        vm.warp(block.timestamp + THAWING_PERIOD + 1);
        if (escrow.withdrawable(PAYER, NODE) != 0) {
            vm.prank(PAYER);
            escrow.withdraw(NODE);
        }
        require(other == keccak256(abi.encode(escrow.accountOf(PAYER, node2))), "(payer, node2) changed");
        require(otherPayer == keccak256(abi.encode(escrow.accountOf(payer2, NODE))), "(payer2, node) changed");
    }

    /// @dev THREATS #15: at a clock near 2^64 a thaw reverts instead of wrapping to an instant unlock.
    function testFuzzThawNeverWrapsNearUint64Max(uint256 timestamp) public {
        escrow.setThawingPeriod(escrow.MAX_PERIOD());
        uint256 period = escrow.MAX_PERIOD();
        timestamp = _bound(timestamp, type(uint64).max - 2 * period, type(uint64).max);
        vm.prank(PAYER);
        escrow.deposit(NODE, 100);
        vm.warp(timestamp);
        if (timestamp + period > type(uint64).max) {
            vm.prank(PAYER);
            vm.expectRevert(
                abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 64, timestamp + period)
            );
            escrow.thaw(NODE, 100);
            return;
        }
        vm.prank(PAYER);
        escrow.thaw(NODE, 100);
        uint64 thawEnd = escrow.accountOf(PAYER, NODE).thawEnd;
        _eq(thawEnd, timestamp + period, "thaw end");
        _eq(escrow.withdrawable(PAYER, NODE), 0, "nothing withdrawable before the end");
        vm.prank(PAYER);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.PaymentEscrowStillThawing.selector, PAYER, NODE, thawEnd)
        );
        escrow.withdraw(NODE);
    }

    /// @dev THREATS #22: the high-s twin of a valid proof recovers to the same signer, and is refused.
    function testFuzzHighSTwinRefused(uint256 privateKey, uint256 nonce, uint256 lifetime) public {
        Proof memory proof = _proof(privateKey, nonce, lifetime);
        bytes32 highS = bytes32(SECP256K1_N - uint256(proof.s));
        uint8 flippedV = proof.v == 27 ? 28 : 27;
        require(ecrecover(proof.digest, flippedV, proof.r, highS) == proof.signer, "the twin is a real signature");
        vm.prank(PAYER);
        vm.expectRevert(IPaymentEscrow.PaymentEscrowInvalidSignature.selector);
        escrow.authorizeSigner(proof.signer, proof.deadline, nonce, abi.encodePacked(proof.r, highS, flippedV));
        _authorizeCanonical(proof, nonce);
    }

    /// @dev THREATS #22: the EIP-2098 64-byte form `r ‖ (yParity << 255 | s)` of a valid proof is refused.
    function testFuzzCompactFormRefused(uint256 privateKey, uint256 nonce, uint256 lifetime) public {
        Proof memory proof = _proof(privateKey, nonce, lifetime);
        bytes32 vs = bytes32(uint256(proof.s) | (uint256(proof.v - 27) << 255));
        vm.prank(PAYER);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.PaymentEscrowInvalidSignatureLength.selector, 64));
        escrow.authorizeSigner(proof.signer, proof.deadline, nonce, abi.encodePacked(proof.r, vs));
        _authorizeCanonical(proof, nonce);
    }

    /// @dev THREATS #8: after a fork to another chain id the domain changes, and the same proof recovers to
    /// someone else.
    function testFuzzProofFailsAfterChainIdChange(uint256 privateKey, uint256 nonce, uint256 lifetime, uint64 chainId)
        public
    {
        Proof memory proof = _proof(privateKey, nonce, lifetime);
        uint256 original = block.chainid;
        if (chainId == original) return;
        vm.chainId(chainId);
        bytes32 forkDigest = escrow.signerAuthorizationDigest(PAYER, proof.signer, nonce, proof.deadline);
        address recovered = ecrecover(forkDigest, proof.v, proof.r, proof.s);
        vm.prank(PAYER);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.PaymentEscrowSignatureMismatch.selector, proof.signer, recovered)
        );
        escrow.authorizeSigner(proof.signer, proof.deadline, nonce, abi.encodePacked(proof.r, proof.s, proof.v));
        vm.chainId(original);
        _authorizeCanonical(proof, nonce);
    }

    /// @dev One campaign (each invariant function runs its own, and the machine is shared) checking, after every
    /// call of a random sequence:
    /// - the token balance of the escrow is the sum of what it owes, across every account, plus what the collector
    ///   collected and has not released (DESIGN §3);
    /// - nothing is created or lost: what came in is held, withdrawn or released; what was collected is unreleased or
    ///   released;
    /// - `thawing ≤ balance`, and a thaw end exactly when something thaws (THREATS #13, #26);
    /// - every withdrawal paid what `withdrawable` said, every collection `min(amount, collectable)` (THREATS #27).
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariantEscrowHoldsWhatItOwes() public view {
        uint256 held = token.balanceOf(address(escrow));
        uint256 unreleased = escrow.collectedUnreleased();
        _eq(held, handler.sumOfBalances() + unreleased, "escrow balance == sum of account balances + unreleased");
        _eq(
            handler.ghostDeposited(),
            held + handler.ghostWithdrawn() + handler.ghostReleased(),
            "deposited == held + withdrawn + released"
        );
        _eq(handler.ghostCollected(), unreleased + handler.ghostReleased(), "collected == unreleased + released");
        require(handler.accountsWellFormed(), "an account thaws more than it holds, or has a stale thaw end");
        require(!handler.viewMismatch(), "a payout differed from its view");
    }

    function _fund(address who) internal {
        token.transfer(who, FUNDS);
        vm.prank(who);
        token.approve(address(escrow), type(uint256).max);
    }

    /// @dev A signer authorization for PAYER by a fuzzed key (never PAYER's own address).
    function _proof(uint256 privateKey, uint256 nonce, uint256 lifetime) internal returns (Proof memory proof) {
        proof.signer = vm.addr(_bound(privateKey, 1, SECP256K1_N - 1));
        vm.assume(proof.signer != PAYER);
        proof.deadline = block.timestamp + _bound(lifetime, 0, 365 days);
        proof.digest = escrow.signerAuthorizationDigest(PAYER, proof.signer, nonce, proof.deadline);
        (proof.v, proof.r, proof.s) = vm.sign(_bound(privateKey, 1, SECP256K1_N - 1), proof.digest);
    }

    /// @dev The canonical 65-byte form still works: the refusals before were about the encoding only.
    function _authorizeCanonical(Proof memory proof, uint256 nonce) internal {
        vm.prank(PAYER);
        escrow.authorizeSigner(proof.signer, proof.deadline, nonce, abi.encodePacked(proof.r, proof.s, proof.v));
        require(escrow.isAuthorizedSigner(PAYER, proof.signer), "authorized");
        require(escrow.payerOfSigner(proof.signer) == PAYER, "belongs to the payer");
    }

    function _eq(uint256 a, uint256 b, string memory what) internal pure {
        require(a == b, what);
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
