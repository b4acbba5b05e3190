// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Drives a NodeRegistry through random sequences for NodeRegistryInvariantTest. It deploys the token and the
/// registry and is their owner and the Arbiter. It keeps a ghost ledger: the stake each node should have, changed
/// only where the protocol allows stake to move (register, addStake, withdraw, an upheld ruling), and a flag set
/// if anything else ever paid a node.
contract NodeRegistryHandler {
    uint256 public constant ACTORS = 2;
    uint256 public constant MIN_STAKE = 100 ether;
    uint64 public constant PERIOD = 1 days;

    OpenToken public immutable token;
    NodeRegistry public immutable registry;

    mapping(address node => uint256 stake) public ghostStake;
    uint256 public ghostTotal;
    /// @dev Set when a withdrawal succeeded while a challenge was open, or a call paid out more than the ledger.
    bool public breached;

    uint256[] internal _openChallenges;
    mapping(uint256 challengeId => address node) internal _challenged;
    mapping(uint256 challengeId => uint16 bps) internal _slashBpsAt;
    uint256 internal _nextChallengeId = 1;

    constructor() {
        token = new OpenToken(address(this), 1e30);
        registry = new NodeRegistry(IERC20(address(token)), address(this), address(this), MIN_STAKE, PERIOD, 2500);
    }

    function register(uint256 actorSeed, uint256 stake) external {
        address node = actor(actorSeed);
        if (registry.getNode(node).registered) return;
        stake = _bound(stake, MIN_STAKE, 1e24);
        _fund(node, stake);
        vm.prank(node);
        registry.register(operatorOf(actorSeed), stake, "peer", "https://node.example.org");
        _credit(node, stake);
    }

    function addStake(uint256 actorSeed, uint256 amount) external {
        address node = actor(actorSeed);
        if (!registry.getNode(node).registered) return;
        amount = _bound(amount, 1, 1e24);
        _fund(node, amount);
        vm.prank(node);
        registry.addStake(amount);
        _credit(node, amount);
    }

    function requestUnbond(uint256 actorSeed, uint256 amount) external {
        address node = actor(actorSeed);
        INodeRegistry.Node memory n = registry.getNode(node);
        if (!n.registered || n.stake == n.unbonding) return;
        amount = _bound(amount, 1, n.stake - n.unbonding);
        vm.prank(node);
        registry.requestUnbond(amount);
    }

    /// @dev Tries a withdrawal whatever the state: it must succeed exactly when the rules allow it.
    function withdraw(uint256 actorSeed) external {
        address node = actor(actorSeed);
        INodeRegistry.Node memory n = registry.getNode(node);
        bool allowed = n.registered && n.unbonding != 0 && block.timestamp > n.unbondingEnd && n.openChallenges == 0;
        uint256 before = token.balanceOf(node);
        vm.prank(node);
        try registry.withdraw() {
            if (!allowed || token.balanceOf(node) - before != n.unbonding) breached = true;
            _debit(node, n.unbonding);
        } catch {
            if (allowed) breached = true;
        }
    }

    /// @dev Operations that must never move stake.
    function setPrice(uint256 actorSeed, uint256 versionId, uint256 price) external {
        address node = actor(actorSeed);
        if (!registry.getNode(node).registered) return;
        vm.prank(registry.operatorOf(node));
        registry.setPrice(_bound(versionId, 1, 10), _bound(price, 0, type(uint128).max));
    }

    function update(uint256 actorSeed, bool swapOperator) external {
        address node = actor(actorSeed);
        if (!registry.getNode(node).registered) return;
        address operator = swapOperator ? node : operatorOf(actorSeed);
        vm.prank(node);
        registry.update(operator, "peer2", "https://other.example.org");
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, 2 * PERIOD));
    }

    function openChallenge(uint256 actorSeed) external {
        address node = actor(actorSeed);
        if (!registry.getNode(node).registered) return;
        uint256 challengeId = _nextChallengeId++;
        registry.onChallengeOpened(uint256(uint160(node)), challengeId, address(this), "");
        _openChallenges.push(challengeId);
        _challenged[challengeId] = node;
        _slashBpsAt[challengeId] = registry.slashBps();
    }

    function resolveChallenge(uint256 index, uint8 rulingSeed) external {
        uint256 count = _openChallenges.length;
        if (count == 0) return;
        index %= count;
        uint256 challengeId = _openChallenges[index];
        _openChallenges[index] = _openChallenges[count - 1];
        _openChallenges.pop();
        address node = _challenged[challengeId];
        Ruling ruling = Ruling(1 + (rulingSeed % 3));
        uint256 expected =
            ruling == Ruling.Upheld ? (registry.getNode(node).stake * _slashBpsAt[challengeId]) / 10_000 : 0;
        uint256 slashed = registry.onChallengeResolved(uint256(uint160(node)), challengeId, ruling);
        if (slashed != expected) breached = true;
        _debit(node, slashed);
    }

    function setSlashBps(uint16 bps) external {
        registry.setSlashBps(uint16(_bound(bps, 0, 10_000)));
    }

    function actor(uint256 seed) public pure returns (address) {
        return address(uint160(0x1000 + (seed % ACTORS)));
    }

    function operatorOf(uint256 seed) public pure returns (address) {
        return address(uint160(0x2000 + (seed % ACTORS)));
    }

    function _fund(address node, uint256 amount) internal {
        require(token.transfer(node, amount), "fund");
        vm.prank(node);
        token.approve(address(registry), amount);
    }

    function _credit(address node, uint256 amount) internal {
        ghostStake[node] += amount;
        ghostTotal += amount;
    }

    function _debit(address node, uint256 amount) internal {
        ghostStake[node] -= amount;
        ghostTotal -= amount;
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
