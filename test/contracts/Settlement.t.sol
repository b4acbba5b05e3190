// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {PaymentEscrow} from "../../contracts/PaymentEscrow.sol";
import {Settlement} from "../../contracts/Settlement.sol";
import {IAdapterRegistry} from "../../contracts/interfaces/IAdapterRegistry.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {IDatanetRegistry} from "../../contracts/interfaces/IDatanetRegistry.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {Split} from "../../contracts/libraries/Split.sol";
import {AdapterRegistryMock} from "../../contracts/mocks/AdapterRegistryMock.sol";
import {DatanetRegistryMock} from "../../contracts/mocks/DatanetRegistryMock.sol";
import {vm} from "./utils/Vm.sol";

/// @dev The protocol around one Settlement, shared by the handler and the tests: OPEN, the escrow, a real
/// NodeRegistry with one node, mocks for the adapter and dataset registries, three payers with known keys, and a
/// version 1 whose contributors root is the two-leaf tree {1: 60 %, 2: 40 %}. The Arbiter is whoever deploys it.
contract SettlementWorld {
    uint64 internal constant EPOCH = 1 days;
    uint128 internal constant PRICE = 1e15;
    uint256 internal constant BOND = 100 ether;
    uint32 internal constant SHARE_1 = 600_000;
    uint32 internal constant SHARE_2 = 400_000;
    address internal constant OWNER = address(0xAD0);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant NODE = address(0x4E0DE);
    address internal constant OPERATOR = address(0x0BE7A);

    OpenToken public token;
    PaymentEscrow public escrow;
    NodeRegistry public nodes;
    AdapterRegistryMock public adapters;
    DatanetRegistryMock public datanets;
    Settlement public settlement;
    uint256[3] internal _keys = [uint256(0xA1), 0xA2, 0xA3];
    address[3] internal _payers;

    /// @dev Deploys the world; the caller is the Settlement's Arbiter and holds the rest of the supply.
    function _deployWorld(address arbiter) internal {
        token = new OpenToken(address(this), 1e9 ether);
        escrow = new PaymentEscrow(token, address(this), 7 days, 3 days, 1 hours);
        nodes = new NodeRegistry(token, arbiter, address(this), 1_000 ether, 1 days, 1_000);
        adapters = new AdapterRegistryMock();
        datanets = new DatanetRegistryMock();
        adapters.setVersion(1, OWNER, true, contributorsRoot());
        datanets.setOwner(1, ALICE);
        datanets.setOwner(2, BOB);
        settlement = new Settlement(
            token,
            escrow,
            INodeRegistry(address(nodes)),
            IAdapterRegistry(address(adapters)),
            IDatanetRegistry(address(datanets)),
            arbiter,
            address(this),
            EPOCH,
            ISettlement.Params({
                nodeBps: 4_000,
                ownerBps: 2_000,
                datasetsBps: 3_500,
                protocolBps: 500,
                postWindow: 1 days,
                challengeWindow: 2 days,
                extension: 1 hours,
                claimExpiry: 30 days,
                minRootBond: BOND
            })
        );
        escrow.setCollector(address(settlement));
        token.transfer(NODE, 10_000 ether);
        vm.startPrank(NODE);
        token.approve(address(nodes), type(uint256).max);
        nodes.register(OPERATOR, 1_000 ether, "12D3KooWNode", "http://127.0.0.1:8545");
        vm.stopPrank();
        token.transfer(OPERATOR, 100_000 ether);
        vm.prank(OPERATOR);
        token.approve(address(settlement), type(uint256).max);
        for (uint256 i = 0; i < _keys.length; i++) {
            address payer = vm.addr(_keys[i]);
            _payers[i] = payer;
            token.transfer(payer, 1_000_000 ether);
            vm.prank(payer);
            token.approve(address(escrow), type(uint256).max);
        }
    }

    /// @dev The standard tree's leaf of `(a, b)`: double-hashed `abi.encode`.
    function leaf(uint256 a, uint256 b) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(a, b))));
    }

    /// @dev The two-leaf contributors root of version 1.
    function contributorsRoot() public pure returns (bytes32) {
        return Hashes.commutativeKeccak256(leaf(1, SHARE_1), leaf(2, SHARE_2));
    }

    function payerOf(uint256 index) public view returns (address) {
        return _payers[index];
    }

    function _sign(uint256 key, ISettlement.Receipt memory receipt) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.receiptDigest(receipt));
        return abi.encodePacked(r, s, v);
    }

    function _receipt(address payer, uint32 lane, uint64 seq, uint128 cumulative)
        internal
        pure
        returns (ISettlement.Receipt memory)
    {
        return ISettlement.Receipt({
            payer: payer,
            node: NODE,
            versionId: 1,
            lane: lane,
            seq: seq,
            requestHash: keccak256(abi.encode(payer, lane, seq)),
            value: PRICE,
            cumulative: cumulative
        });
    }
}

/// @dev Drives the Settlement through random sequences of deposits, redemptions (one lane and many), payer thaws and
/// withdrawals, credit withdrawals, burns, root posts, challenges (it is the Arbiter), claims, fallback claims, expiry
/// burns and clock moves, over 3 payers × 2 lanes. Calls are shaped to succeed; what must never happen sets a flag.
/// It lives in this file: Hardhat writes artifacts only for the test files it runs, and the invariant runner needs it.
contract SettlementHandler is SettlementWorld {
    struct LaneGhost {
        uint64 seq;
        uint128 cumulative;
    }

    mapping(uint256 index => mapping(uint32 lane => LaneGhost)) public lanes;
    /// @dev Every epoch a redemption touched, so the invariant can sum the pools.
    uint64[] public epochs;
    mapping(uint64 epoch => bool) private _seen;
    /// @dev The first leaf of each posted root; the second is the rest of the pool.
    mapping(uint64 epoch => uint256) public firstLeaf;
    mapping(uint64 epoch => mapping(uint256 datasetId => uint256 count)) public claims;
    uint256 public challengeCount;
    uint256 public redemptions;
    uint256 public claimsPaid;
    bool public doubleClaim;
    bool public overCollected;

    constructor() {
        _deployWorld(address(this));
    }

    function deposit(uint256 payerSeed, uint256 amount) external {
        address payer = payerOf(payerSeed % 3);
        amount = _bound(amount, 1, 1_000 ether);
        vm.prank(payer);
        escrow.deposit(NODE, amount);
    }

    function redeem(uint256 payerSeed, uint256 laneSeed, uint256 requests) external {
        uint256 index = payerSeed % 3;
        uint32 lane = uint32(laneSeed % 2);
        if (escrow.collectable(payerOf(index), NODE) == 0) return;
        ISettlement.Receipt memory receipt = _next(index, lane, _bound(requests, 1, 1_000));
        bytes memory signature = _sign(_keys[index], receipt);
        _touch();
        vm.prank(OPERATOR);
        settlement.redeem(receipt, signature);
        redemptions++;
        _checkLane(index, lane);
    }

    function redeemMany(uint256 payerSeed, uint256 requests) external {
        uint256 index = payerSeed % 3;
        if (escrow.collectable(payerOf(index), NODE) == 0) return;
        ISettlement.Receipt[] memory receipts = new ISettlement.Receipt[](2);
        bytes[] memory signatures = new bytes[](2);
        for (uint32 lane = 0; lane < 2; lane++) {
            receipts[lane] = _next(index, lane, _bound(requests, 1, 1_000));
            signatures[lane] = _sign(_keys[index], receipts[lane]);
        }
        // The second lane's collection needs something left after the first.
        if (escrow.collectable(payerOf(index), NODE) <= receipts[0].cumulative - _collected(index, 0)) return;
        _touch();
        vm.prank(OPERATOR);
        settlement.redeemMany(receipts, signatures);
        redemptions += 2;
        _checkLane(index, 0);
        _checkLane(index, 1);
    }

    function thawAndWithdraw(uint256 payerSeed) external {
        address payer = payerOf(payerSeed % 3);
        uint256 balance = escrow.accountOf(payer, NODE).balance;
        if (balance == 0) return;
        vm.prank(payer);
        escrow.thaw(NODE, balance);
        vm.warp(escrow.accountOf(payer, NODE).thawEnd + 1);
        vm.prank(payer);
        escrow.withdraw(NODE);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, 2 days));
    }

    function withdrawCredits(uint256 who) external {
        address account = who % 2 == 0 ? OPERATOR : OWNER;
        if (settlement.creditsOf(account) == 0) return;
        vm.prank(account);
        settlement.withdraw();
    }

    function flushBurn(uint256 epochSeed) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        if (settlement.getPool(NODE, 1, epoch).burn == 0) return;
        settlement.flushBurn(NODE, 1, epoch);
    }

    function postRoot(uint256 epochSeed, uint256 split) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        uint256 amount = settlement.getPool(NODE, 1, epoch).amount;
        if (settlement.poolStatus(NODE, 1, epoch) != ISettlement.PoolStatus.Posting || amount < 2) return;
        uint256 first = _bound(split, 1, amount - 1);
        firstLeaf[epoch] = first;
        bytes32 root = Hashes.commutativeKeccak256(leaf(1, first), leaf(2, amount - first));
        vm.prank(OPERATOR);
        settlement.postAttributionRoot(NODE, 1, epoch, root, amount, root, BOND);
    }

    function challenge(uint256 epochSeed, bool upheld) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        ISettlement.Pool memory pool = settlement.getPool(NODE, 1, epoch);
        if (pool.root == bytes32(0) || pool.fellBack || block.timestamp >= pool.challengeEnd) return;
        uint256 id = settlement.poolId(NODE, 1, epoch);
        uint256 challengeId = ++challengeCount;
        settlement.onChallengeOpened(id, challengeId, address(this), abi.encode(bytes32(uint256(challengeId))));
        settlement.onChallengeResolved(id, challengeId, upheld ? Ruling.Upheld : Ruling.Dismissed);
    }

    function claim(uint256 epochSeed, uint256 datasetSeed) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        if (settlement.poolStatus(NODE, 1, epoch) != ISettlement.PoolStatus.Claimable) return;
        uint256 amount = settlement.getPool(NODE, 1, epoch).amount;
        uint256 first = firstLeaf[epoch];
        uint256 datasetId = datasetSeed % 2 + 1;
        ISettlement.ClaimParams[] memory params = new ISettlement.ClaimParams[](1);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = datasetId == 1 ? leaf(2, amount - first) : leaf(1, first);
        params[0] = ISettlement.ClaimParams({
            node: NODE,
            versionId: 1,
            epoch: epoch,
            datasetId: datasetId,
            amount: datasetId == 1 ? first : amount - first,
            expectedRoot: settlement.getPool(NODE, 1, epoch).root,
            proof: proof
        });
        _claimOnce(epoch, datasetId, abi.encodeCall(settlement.claim, (params)));
    }

    function claimFallback(uint256 epochSeed, uint256 datasetSeed) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        if (settlement.poolStatus(NODE, 1, epoch) != ISettlement.PoolStatus.Fallback) return;
        uint256 datasetId = datasetSeed % 2 + 1;
        uint32 weight = datasetId == 1 ? SHARE_1 : SHARE_2;
        if (uint256(settlement.getPool(NODE, 1, epoch).amount) * weight / 1e6 == 0) return;
        ISettlement.FallbackClaimParams[] memory params = new ISettlement.FallbackClaimParams[](1);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = datasetId == 1 ? leaf(2, SHARE_2) : leaf(1, SHARE_1);
        params[0] = ISettlement.FallbackClaimParams({
            node: NODE, versionId: 1, epoch: epoch, datasetId: datasetId, weightPpm: weight, proof: proof
        });
        _claimOnce(epoch, datasetId, abi.encodeCall(settlement.claimFallback, (params)));
    }

    function releaseBond(uint256 epochSeed) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        ISettlement.PoolStatus status = settlement.poolStatus(NODE, 1, epoch);
        if (status != ISettlement.PoolStatus.Claimable && status != ISettlement.PoolStatus.Expired) return;
        if (settlement.getPool(NODE, 1, epoch).bond == 0) return;
        settlement.releaseRootBond(NODE, 1, epoch);
    }

    function burnExpired(uint256 epochSeed) external {
        if (epochs.length == 0) return;
        uint64 epoch = epochs[epochSeed % epochs.length];
        ISettlement.Pool memory pool = settlement.getPool(NODE, 1, epoch);
        if (settlement.poolStatus(NODE, 1, epoch) != ISettlement.PoolStatus.Expired || pool.amount == pool.claimed) {
            return;
        }
        settlement.burnExpired(NODE, 1, epoch);
    }

    function epochCount() external view returns (uint256) {
        return epochs.length;
    }

    /// @dev What the Settlement owes: credits, and for each pool its unclaimed amount, unflushed burn and bond.
    function owed() external view returns (uint256 sum) {
        sum = settlement.creditsOf(OPERATOR) + settlement.creditsOf(OWNER);
        for (uint256 i = 0; i < epochs.length; i++) {
            ISettlement.Pool memory pool = settlement.getPool(NODE, 1, epochs[i]);
            sum += pool.amount - pool.claimed + pool.burn + pool.bond;
        }
    }

    function sumOfAccounts() external view returns (uint256 sum) {
        for (uint256 i = 0; i < 3; i++) {
            sum += escrow.accountOf(payerOf(i), NODE).balance;
        }
    }

    /// @dev Tries a claim (which may rightly fail: already claimed, pool exhausted); flags a second success.
    function _claimOnce(uint64 epoch, uint256 datasetId, bytes memory call) private {
        (bool ok,) = address(settlement).call(call);
        if (!ok) return;
        claimsPaid++;
        if (++claims[epoch][datasetId] > 1) doubleClaim = true;
    }

    function _next(uint256 index, uint32 lane, uint256 requests) private returns (ISettlement.Receipt memory) {
        LaneGhost storage ghost = lanes[index][lane];
        ghost.seq += uint64(requests);
        ghost.cumulative += uint128(requests) * PRICE;
        return _receipt(payerOf(index), lane, ghost.seq, ghost.cumulative);
    }

    function _collected(uint256 index, uint32 lane) private view returns (uint128) {
        return settlement.getLane(payerOf(index), NODE, 1, lane).collected;
    }

    /// @dev A lane never collects beyond the latest cumulative its payer signed (DESIGN §3).
    function _checkLane(uint256 index, uint32 lane) private {
        if (_collected(index, lane) > lanes[index][lane].cumulative) overCollected = true;
    }

    function _touch() private {
        uint64 epoch = settlement.currentEpoch();
        if (_seen[epoch]) return;
        _seen[epoch] = true;
        epochs.push(epoch);
    }

    function _bound(uint256 x, uint256 min, uint256 max) private pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}

/// @dev Fuzz tests of the split, the signature forms, the chain binding and partial collection, and invariant tests
/// over the handler's random sequences.
contract SettlementTest is SettlementWorld {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    SettlementHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deployWorld(address(this));
        handler = new SettlementHandler();
    }

    /// @dev The invariant runner calls only the handler.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev DESIGN §6, THREATS #21: for any delta and any split whose bps sum to at most 10000, each part is the floor
    /// of its share, and the parts sum exactly to the delta (the protocol part takes the dust).
    function testFuzzSplitPartsSumToDelta(uint128 delta, uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps)
        public
        pure
    {
        nodeBps = uint16(nodeBps % 10_001);
        ownerBps = uint16(ownerBps % (10_001 - uint256(nodeBps)));
        datasetsBps = uint16(datasetsBps % (10_001 - uint256(nodeBps) - ownerBps));
        (uint256 node, uint256 owner, uint256 datasets, uint256 protocol) =
            Split.parts(delta, nodeBps, ownerBps, datasetsBps);
        _eq(node + owner + datasets + protocol, delta, "parts sum to the delta");
        _eq(node, uint256(delta) * nodeBps / 10_000, "node part");
        _eq(owner, uint256(delta) * ownerBps / 10_000, "owner part");
        _eq(datasets, uint256(delta) * datasetsBps / 10_000, "datasets part");
        uint256 protocolBps = 10_000 - uint256(nodeBps) - ownerBps - datasetsBps;
        require(protocol >= uint256(delta) * protocolBps / 10_000, "the protocol part is at least its share");
        require(protocol - uint256(delta) * protocolBps / 10_000 < 4, "and at most 3 units of dust above it");
    }

    /// @dev DESIGN §6 on-chain: whatever a redemption collects lands exactly in credits and the pool.
    function testFuzzRedemptionSplitsExactly(uint256 requests) public {
        requests = requests % 100_000 + 1;
        address payer = payerOf(0);
        vm.prank(payer);
        escrow.deposit(NODE, 1_000 ether);
        ISettlement.Receipt memory receipt = _receipt(payer, 0, uint64(requests), uint128(requests) * PRICE);
        bytes memory signature = _sign(_keys[0], receipt);
        vm.prank(OPERATOR);
        uint128 collected = settlement.redeem(receipt, signature);
        ISettlement.Pool memory pool = settlement.getPool(NODE, 1, settlement.currentEpoch());
        _eq(collected, requests * PRICE, "collected in full");
        _eq(
            settlement.creditsOf(OPERATOR) + settlement.creditsOf(OWNER) + pool.amount + pool.burn,
            collected,
            "credits, pool and burn hold the collection"
        );
        _eq(escrow.collectedUnreleased(), collected, "the escrow holds it for the Settlement");
        _eq(token.balanceOf(address(settlement)), 0, "no token moved to the Settlement");
    }

    /// @dev THREATS #9, #20: against any escrow balance, a receipt collects what is there, then the rest after a
    /// top-up, and never more than its cumulative.
    function testFuzzPartialCollectionNeverExceedsCumulative(uint256 balance, uint256 requests, uint256 topUp) public {
        requests = requests % 10_000 + 1;
        uint128 cumulative = uint128(requests) * PRICE;
        balance = balance % cumulative + 1;
        topUp = topUp % (2 * uint256(cumulative)) + 1;
        address payer = payerOf(1);
        vm.prank(payer);
        escrow.deposit(NODE, balance);
        ISettlement.Receipt memory receipt = _receipt(payer, 0, uint64(requests), cumulative);
        bytes memory signature = _sign(_keys[1], receipt);
        vm.prank(OPERATOR);
        uint128 first = settlement.redeem(receipt, signature);
        _eq(first, balance < cumulative ? balance : cumulative, "first collection: what the escrow held");
        vm.prank(payer);
        escrow.deposit(NODE, topUp);
        if (first == cumulative) return;
        vm.prank(OPERATOR);
        uint128 second = settlement.redeem(receipt, signature);
        uint256 owedAfter = uint256(cumulative) - first;
        _eq(second, topUp < owedAfter ? topUp : owedAfter, "second collection: the rest, or the top-up");
        require(settlement.getLane(payer, NODE, 1, 0).collected <= cumulative, "never beyond the cumulative");
    }

    /// @dev THREATS #22: the high-s twin of a valid receipt signature recovers to the payer, and is refused.
    function testFuzzHighSTwinRefused(uint256 requests) public {
        requests = requests % 1_000 + 1;
        address payer = payerOf(0);
        vm.prank(payer);
        escrow.deposit(NODE, 1_000 ether);
        ISettlement.Receipt memory receipt = _receipt(payer, 0, uint64(requests), uint128(requests) * PRICE);
        bytes32 digest = settlement.receiptDigest(receipt);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[0], digest);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        require(ecrecover(digest, flippedV, r, highS) == payer, "the twin is a real signature");
        vm.prank(OPERATOR);
        vm.expectRevert(ISettlement.SettlementInvalidSignature.selector);
        settlement.redeem(receipt, abi.encodePacked(r, highS, flippedV));
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInvalidSignatureLength.selector, 64));
        settlement.redeem(receipt, abi.encodePacked(r, bytes32(uint256(s) | (uint256(v - 27) << 255))));
        vm.prank(OPERATOR);
        settlement.redeem(receipt, abi.encodePacked(r, s, v));
    }

    /// @dev THREATS #8: after a fork to another chain id the domain changes, and a receipt signed before recovers to
    /// someone else.
    function testFuzzReceiptFailsAfterChainIdChange(uint64 chainId) public {
        uint256 original = block.chainid;
        vm.assume(chainId != original && chainId != 0);
        address payer = payerOf(2);
        vm.prank(payer);
        escrow.deposit(NODE, 1 ether);
        ISettlement.Receipt memory receipt = _receipt(payer, 0, 1, PRICE);
        bytes memory signature = _sign(_keys[2], receipt);
        vm.chainId(chainId);
        (uint8 v, bytes32 r, bytes32 s) = _split(signature);
        address recovered = ecrecover(settlement.receiptDigest(receipt), v, r, s);
        require(recovered != payer, "the fork's domain differs");
        vm.prank(OPERATOR);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SettlementSignerNotAuthorized.selector, payer, recovered)
        );
        settlement.redeem(receipt, signature);
        vm.chainId(original);
        vm.prank(OPERATOR);
        settlement.redeem(receipt, signature);
    }

    /// @dev DESIGN §6: fallback claims pay floor(pool × share) each and never more than the pool, for any pool.
    function testFuzzFallbackClaimsStayWithinPool(uint256 requests) public {
        requests = requests % 1_000_000 + 1;
        address payer = payerOf(0);
        vm.prank(payer);
        escrow.deposit(NODE, 10_000 ether);
        ISettlement.Receipt memory receipt = _receipt(payer, 0, uint64(requests), uint128(requests) * PRICE);
        bytes memory signature = _sign(_keys[0], receipt);
        uint64 epoch = settlement.currentEpoch();
        vm.prank(OPERATOR);
        settlement.redeem(receipt, signature);
        vm.warp(settlement.epochEnd(epoch) + 1 days + 1);
        uint256 pool = settlement.getPool(NODE, 1, epoch).amount;
        ISettlement.FallbackClaimParams[] memory params = new ISettlement.FallbackClaimParams[](2);
        bytes32[] memory proof1 = new bytes32[](1);
        proof1[0] = leaf(2, SHARE_2);
        bytes32[] memory proof2 = new bytes32[](1);
        proof2[0] = leaf(1, SHARE_1);
        params[0] = ISettlement.FallbackClaimParams(NODE, 1, epoch, 1, SHARE_1, proof1);
        params[1] = ISettlement.FallbackClaimParams(NODE, 1, epoch, 2, SHARE_2, proof2);
        settlement.claimFallback(params);
        _eq(token.balanceOf(ALICE), pool * SHARE_1 / 1e6, "dataset 1's share");
        _eq(token.balanceOf(BOB), pool * SHARE_2 / 1e6, "dataset 2's share");
        ISettlement.Pool memory after_ = settlement.getPool(NODE, 1, epoch);
        require(after_.claimed <= after_.amount && after_.amount - after_.claimed < 2, "at most a unit of dust left");
    }

    /// @dev One campaign checking, after every call of a random sequence:
    /// - what the Settlement holds (its balance + the escrow's collected unreleased) is what it owes: credits + Σ pools
    ///   (unclaimed + unflushed burn + bond) (DESIGN §3);
    /// - the escrow's balance is the sum of its accounts + the collected unreleased (solvency);
    /// - no dataset was paid twice from one pool (THREATS #34, #38), no lane collected beyond its cumulative;
    /// - no pool paid out more than it holds.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariantSettlementHoldsWhatItOwes() public view {
        SettlementHandler h = handler;
        uint256 unreleased = h.escrow().collectedUnreleased();
        _eq(
            h.token().balanceOf(address(h.settlement())) + unreleased,
            h.owed(),
            "Settlement balance + collected unreleased == what it owes"
        );
        _eq(
            h.token().balanceOf(address(h.escrow())),
            h.sumOfAccounts() + unreleased,
            "escrow balance == sum of accounts + collected unreleased"
        );
        require(!h.doubleClaim(), "a dataset was paid twice from one pool");
        require(!h.overCollected(), "a lane collected beyond its signed cumulative");
        for (uint256 i = 0; i < h.epochCount(); i++) {
            ISettlement.Pool memory pool = h.settlement().getPool(NODE, 1, h.epochs(i));
            require(pool.claimed <= pool.amount, "a pool paid more than it holds");
        }
    }

    function _split(bytes memory signature) private pure returns (uint8 v, bytes32 r, bytes32 s) {
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
    }

    function _eq(uint256 a, uint256 b, string memory what) private pure {
        require(a == b, what);
    }
}
