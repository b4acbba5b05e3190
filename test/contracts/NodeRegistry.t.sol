// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {vm} from "./utils/Vm.sol";

/// @dev `x` mapped into [min, max] (max − min < 2^256 − 1).
function bound(uint256 x, uint256 min, uint256 max) pure returns (uint256) {
    return min + (x % (max - min + 1));
}

/// @dev Fuzz tests of the stake, unbonding and slash arithmetic. This contract is the owner and the Arbiter.
contract NodeRegistryTest {
    uint256 internal constant MIN_STAKE = 1000 ether;
    uint64 internal constant PERIOD = 7 days;
    uint16 internal constant SLASH_BPS = 2500;
    uint256 internal constant MAX_STAKE = 1e27;
    address internal constant NODE = address(0xA11CE);
    address internal constant OPERATOR = address(0x0B0B);

    OpenToken internal token;
    NodeRegistry internal registry;
    uint256 internal nextChallengeId = 1;

    function setUp() public {
        token = new OpenToken(address(this), 1e30);
        registry = new NodeRegistry(IERC20(address(token)), address(this), address(this), MIN_STAKE, PERIOD, SLASH_BPS);
    }

    /// @dev THREATS.md 26: whatever the share and the unbonding part, a slash takes exactly floor(stake × bps / 1e4)
    /// of the whole stake, keeps unbonding ≤ stake, pays the Arbiter, and what is left withdraws in full.
    function testFuzzSlashTakesTheShareOfTheWholeStake(uint256 stake, uint256 unbond, uint16 bps) public {
        stake = bound(stake, MIN_STAKE, MAX_STAKE);
        unbond = bound(unbond, 1, stake);
        bps = uint16(bound(bps, 0, 10_000));
        registry.setSlashBps(bps);
        _register(stake);
        vm.prank(NODE);
        registry.requestUnbond(unbond);

        uint256 arbiterBefore = token.balanceOf(address(this));
        uint256 slashed = _slash();
        uint256 left = stake - slashed;
        require(slashed == (stake * bps) / 10_000, "slashed amount");
        require(token.balanceOf(address(this)) - arbiterBefore == slashed, "arbiter paid");
        INodeRegistry.Node memory node = registry.getNode(NODE);
        require(node.stake == left, "stake after slash");
        require(node.unbonding == (unbond < left ? unbond : left), "unbonding clamped");
        require(token.balanceOf(address(registry)) == left, "registry balance");

        vm.warp(node.unbondingEnd + 1);
        require(registry.withdrawableOf(NODE) == node.unbonding, "withdrawable");
        if (node.unbonding != 0) {
            vm.prank(NODE);
            registry.withdraw();
        }
        require(registry.getNode(NODE).stake == left - node.unbonding, "stake after withdraw");
        require(token.balanceOf(address(registry)) == left - node.unbonding, "registry balance after withdraw");
    }

    /// @dev THREATS.md 26: with everything unbonding, repeated small slashes (down to 1 wei) keep unbonding == stake,
    /// and the last withdrawal empties the registry.
    function testFuzzRepeatedSlashesOfAFullyUnbondingNode(uint256 stake, uint16 bps, uint8 rounds) public {
        stake = bound(stake, MIN_STAKE, MAX_STAKE);
        bps = uint16(bound(bps, 1, 10_000));
        rounds = uint8(bound(rounds, 1, 8));
        registry.setSlashBps(bps);
        _register(stake);
        vm.prank(NODE);
        registry.requestUnbond(stake);
        for (uint256 i; i < rounds; ++i) {
            uint256 before = registry.getNode(NODE).stake;
            uint256 slashed = _slash();
            INodeRegistry.Node memory node = registry.getNode(NODE);
            require(slashed == (before * bps) / 10_000, "slashed amount");
            require(node.unbonding == node.stake, "unbonding == stake");
        }
        uint256 left = registry.getNode(NODE).stake;
        vm.warp(registry.getNode(NODE).unbondingEnd + 1);
        if (left != 0) {
            vm.prank(NODE);
            registry.withdraw();
        }
        require(token.balanceOf(address(registry)) == 0, "registry emptied");
        require(token.balanceOf(NODE) == left, "node paid what was left");
    }

    /// @dev THREATS.md 27: across successive requests and waits, `withdrawableOf` equals what `withdraw` pays.
    function testFuzzWithdrawPaysWhatTheViewAnnounces(uint256 stake, uint256 a, uint256 b, uint256 waitA, uint256 waitB)
        public
    {
        stake = bound(stake, MIN_STAKE, MAX_STAKE);
        a = bound(a, 1, stake);
        b = bound(b, 0, stake - a);
        _register(stake);
        vm.prank(NODE);
        registry.requestUnbond(a);
        vm.warp(block.timestamp + bound(waitA, 0, 2 * PERIOD));
        if (b != 0) {
            vm.prank(NODE);
            registry.requestUnbond(b);
        }
        vm.warp(block.timestamp + bound(waitB, 0, 2 * PERIOD));
        uint256 announced = registry.withdrawableOf(NODE);
        uint256 end = registry.getNode(NODE).unbondingEnd;
        if (block.timestamp > end) {
            require(announced == a + b, "announces the whole unbonding part");
            vm.prank(NODE);
            registry.withdraw();
            require(token.balanceOf(NODE) == announced, "pays what was announced");
        } else {
            require(announced == 0, "announces nothing before the end");
            vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NodeRegistryStillUnbonding.selector, NODE, end));
            vm.prank(NODE);
            registry.withdraw();
        }
    }

    /// @dev THREATS.md 28: an open challenge blocks the withdrawal whenever the unbonding was requested and however
    /// long the node waits; a dismissal then lets the whole unbonding part out.
    function testFuzzUnbondingCannotDodgeAnOpenChallenge(uint256 stake, uint256 unbond, uint256 wait, bool before)
        public
    {
        stake = bound(stake, MIN_STAKE, MAX_STAKE);
        unbond = bound(unbond, 1, stake);
        _register(stake);
        uint256 challengeId = nextChallengeId++;
        if (before) {
            vm.prank(NODE);
            registry.requestUnbond(unbond);
        }
        registry.onChallengeOpened(uint256(uint160(NODE)), challengeId, address(this), "");
        if (!before) {
            vm.prank(NODE);
            registry.requestUnbond(unbond);
        }
        vm.warp(block.timestamp + PERIOD + 1 + bound(wait, 0, 365 days));
        require(registry.withdrawableOf(NODE) == 0, "nothing withdrawable while challenged");
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NodeRegistryChallenged.selector, NODE, uint32(1)));
        vm.prank(NODE);
        registry.withdraw();

        registry.onChallengeResolved(uint256(uint160(NODE)), challengeId, Ruling.Dismissed);
        vm.prank(NODE);
        registry.withdraw();
        require(token.balanceOf(NODE) == unbond, "whole unbonding part after dismissal");
    }

    /// @dev THREATS.md 15: the unbonding end never wraps around to an instant unlock: near the end of uint64 time the
    /// request reverts, and otherwise the end is exactly now + period.
    function testFuzzUnbondingEndNeverWraps(uint64 period, uint256 timestamp) public {
        period = uint64(bound(period, 1, registry.MAX_UNBONDING_PERIOD()));
        registry.setUnbondingPeriod(period);
        _register(MIN_STAKE);
        timestamp = bound(timestamp, block.timestamp, type(uint64).max);
        vm.warp(timestamp);
        if (timestamp + period > type(uint64).max) {
            vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", uint256(0x11)));
            vm.prank(NODE);
            registry.requestUnbond(1);
        } else {
            vm.prank(NODE);
            registry.requestUnbond(1);
            require(registry.getNode(NODE).unbondingEnd == timestamp + period, "end is now + period");
        }
    }

    function _register(uint256 stake) internal {
        require(token.transfer(NODE, stake), "transfer");
        vm.startPrank(NODE);
        token.approve(address(registry), stake);
        registry.register(OPERATOR, stake, "peer", "https://node.example.org");
        vm.stopPrank();
    }

    /// @dev Opens a challenge against NODE and upholds it; returns what was slashed.
    function _slash() internal returns (uint256) {
        uint256 challengeId = nextChallengeId++;
        registry.onChallengeOpened(uint256(uint160(NODE)), challengeId, address(this), "");
        return registry.onChallengeResolved(uint256(uint160(NODE)), challengeId, Ruling.Upheld);
    }
}
