// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {DatanetRegistry} from "../../contracts/DatanetRegistry.sol";
import {IDatanetRegistry} from "../../contracts/interfaces/IDatanetRegistry.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {DatanetRegistryHandler} from "./DatanetRegistryHandler.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Fuzz tests of DatanetRegistry's stake arithmetic, and invariant tests over random call sequences.
contract DatanetRegistryTest {
    uint256 private constant _MIN_STAKE = 100 ether;
    uint256 private constant _PER_SAMPLE = 1 ether;
    uint256 private constant _SUPPLY = 1e12 ether;

    OpenToken internal token;
    DatanetRegistry internal registry;
    DatanetRegistryHandler internal handler;
    address internal prover = address(0xBEEF);
    uint256 internal nonce;

    function setUp() public {
        token = new OpenToken(address(this), _SUPPLY);
        registry = new DatanetRegistry(token, address(this), 10, 7 days, 5_000, 8_000);
        token.approve(address(registry), type(uint256).max);
        registry.createDatanet("ipfs://datanet", _MIN_STAKE, _PER_SAMPLE);

        address[] memory actors = new address[](3);
        for (uint256 i = 0; i < actors.length; i++) {
            actors[i] = address(uint160(0xA000 + i));
            token.transfer(actors[i], 1e9 ether);
            vm.prank(actors[i]);
            token.approve(address(registry), type(uint256).max);
        }
        handler = new DatanetRegistryHandler(registry, address(this), actors);
    }

    /// @dev The invariant fuzzer calls only the handler (forge-std's StdInvariant interface, read by the runner).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Unstaking never asks for more than the stake not already unbonding; the sum stays within the stake.
    function testFuzzUnstakeAmounts(uint256 stake, uint256 first, uint256 second) public {
        stake = _bound(stake, _MIN_STAKE + 2 * _PER_SAMPLE, 1e27);
        uint256 id = _register(stake, bytes32(uint256(1)));
        first = _bound(first, 1, stake);
        registry.requestUnstake(id, first);
        uint256 available = stake - first;
        if (second == 0) {
            vm.expectRevert(abi.encodeWithSelector(IDatanetRegistry.DatanetRegistryZeroAmount.selector));
        } else if (second > available) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IDatanetRegistry.DatanetRegistryUnstakeTooLarge.selector,
                    id,
                    second,
                    available
                )
            );
        }
        registry.requestUnstake(id, second);
        IDatanetRegistry.Dataset memory d = registry.getDataset(id);
        require(d.unbonding <= d.stake, "unbonding above stake");
        require(d.unbonding == (second == 0 || second > available ? first : first + second), "unbonding sum");
    }

    /// @dev Withdrawal reverts at exactly the end and pays exactly what was unbonding one second later
    /// (THREATS #12, #27), for any period up to the cap.
    function testFuzzWithdrawBoundary(uint64 period, uint256 amount) public {
        period = uint64(_bound(period, 0, registry.MAX_UNBONDING_PERIOD()));
        registry.setUnbondingPeriod(period);
        uint256 stake = _MIN_STAKE + 2 * _PER_SAMPLE;
        uint256 id = _register(stake, bytes32(uint256(2)));
        amount = _bound(amount, 1, stake);
        registry.requestUnstake(id, amount);
        uint64 end = registry.getDataset(id).unbondingEnd;
        require(end == block.timestamp + period, "end is now plus the period");

        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(IDatanetRegistry.DatanetRegistryStillUnbonding.selector, id, end));
        registry.withdrawUnstaked(id);

        vm.warp(uint256(end) + 1);
        uint256 before = token.balanceOf(address(this));
        require(registry.withdrawUnstaked(id) == amount, "returned amount");
        require(token.balanceOf(address(this)) - before == amount, "paid amount");
        require(registry.getDataset(id).stake == stake - amount, "stake left");
    }

    /// @dev Near the end of time, `now + period` cannot wrap into an instant unlock (THREATS #15).
    function testFuzzUnbondingEndNeverWraps(uint256 timestamp) public {
        uint256 id = _register(_MIN_STAKE + 2 * _PER_SAMPLE, bytes32(uint256(3)));
        registry.setUnbondingPeriod(registry.MAX_UNBONDING_PERIOD());
        timestamp = _bound(timestamp, type(uint64).max - 2 * 365 days, type(uint64).max);
        vm.warp(timestamp);
        uint256 end = timestamp + 365 days;
        if (end > type(uint64).max) {
            vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 64, end));
            registry.requestUnstake(id, 1);
        } else {
            registry.requestUnstake(id, 1);
            require(registry.getDataset(id).unbondingEnd == end, "end");
        }
    }

    /// @dev A duplicate proof slashes `bps` of the later dataset's whole stake, unbonding included, splits it
    /// exactly between prover and burn, and keeps `unbonding ≤ stake` (THREATS #26, #28).
    function testFuzzSlashArithmetic(uint256 stake, uint256 unbonding, uint16 slashBps, uint16 proverBps) public {
        stake = _bound(stake, _MIN_STAKE + 2 * _PER_SAMPLE, 1e27);
        unbonding = _bound(unbonding, 0, stake);
        slashBps = uint16(_bound(slashBps, 0, 10_000));
        proverBps = uint16(_bound(proverBps, 0, 10_000));
        registry.setDuplicateSlashBps(slashBps);
        registry.setProverShareBps(proverBps);

        bytes32 sample = keccak256("shared");
        (uint256 earlier, bytes32 earlierOwn) = _registerWith(sample, _MIN_STAKE + 2 * _PER_SAMPLE);
        (uint256 later, bytes32 laterOwn) = _registerWith(sample, stake);
        if (unbonding > 0) registry.requestUnstake(later, unbonding);

        uint256 supply = token.totalSupply();
        uint256 held = token.balanceOf(address(registry));
        vm.prank(prover);
        registry.proveDuplicate(sample, later, _proof(laterOwn), earlier, _proof(earlierOwn));

        uint256 slashed = (stake * slashBps) / 10_000;
        uint256 reward = (slashed * proverBps) / 10_000;
        IDatanetRegistry.Dataset memory d = registry.getDataset(later);
        require(d.stake == stake - slashed, "stake after slash");
        require(d.unbonding == (unbonding < d.stake ? unbonding : d.stake), "unbonding capped at stake");
        require(d.unbonding > 0 || d.unbondingEnd == 0, "timer cleared with nothing unbonding");
        require(token.balanceOf(prover) == reward, "prover reward");
        require(supply - token.totalSupply() == slashed - reward, "burned the rest");
        require(held - token.balanceOf(address(registry)) == slashed, "registry paid out the slash");
        require(registry.getDataset(earlier).stake == _MIN_STAKE + 2 * _PER_SAMPLE, "earlier untouched");

        // Whatever is left unbonding can still be withdrawn in full (THREATS #26).
        if (d.unbonding > 0) {
            vm.warp(uint256(d.unbondingEnd) + 1);
            require(registry.withdrawUnstaked(later) == d.unbonding, "last withdrawal");
        }
    }

    /// @dev A datanet's requirement either cannot overflow for any sample count or the datanet is refused.
    function testFuzzStakeRequirement(uint256 minStake, uint256 stakePerSample, uint64 sampleCount) public {
        bool fits = stakePerSample <= (type(uint256).max - minStake) / type(uint64).max;
        if (!fits) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IDatanetRegistry.DatanetRegistryStakeRequirementTooLarge.selector,
                    minStake,
                    stakePerSample
                )
            );
            registry.createDatanet("", minStake, stakePerSample);
            return;
        }
        uint256 id = registry.createDatanet("", minStake, stakePerSample);
        require(registry.requiredStake(id, sampleCount) == minStake + stakePerSample * sampleCount, "requirement");
        registry.requiredStake(id, type(uint64).max);
    }

    /**
     * @dev The registry holds exactly the sum of all stakes.
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 40
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantBalanceIsSumOfStakes() public view {
        uint256 total;
        for (uint256 id = 1; id <= registry.datasetCount(); id++) total += registry.getDataset(id).stake;
        require(token.balanceOf(address(registry)) == total, "balance != sum of stakes");
        require(
            total + handler.ghostSlashed() + handler.ghostWithdrawn() == handler.ghostDeposited(),
            "stake moved other than by withdrawal or duplicate proof"
        );
    }

    /**
     * @dev Each dataset's stake, unbonding amount and end are what the handler's model says: stake moves only by
     * a withdrawal or a duplicate proof, and `unbonding ≤ stake` always.
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 40
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantEveryDatasetMatchesTheModel() public view {
        require(registry.datasetCount() == handler.datasetCount(), "dataset count");
        for (uint256 id = 1; id <= registry.datasetCount(); id++) {
            IDatanetRegistry.Dataset memory d = registry.getDataset(id);
            require(d.unbonding <= d.stake, "unbonding above stake");
            require(d.stake == handler.ghostStake(id), "stake differs from the model");
            require(d.unbonding == handler.ghostUnbonding(id), "unbonding differs from the model");
            require(d.unbondingEnd == handler.ghostUnbondingEnd(id), "unbonding end differs from the model");
        }
    }

    function _register(uint256 stake, bytes32 sample) private returns (uint256 id) {
        (id, ) = _registerWith(sample, stake);
    }

    /// @dev Registers a two-sample dataset holding `sample` and a sample of its own; returns its own sample.
    function _registerWith(bytes32 sample, uint256 stake) private returns (uint256 id, bytes32 own) {
        own = keccak256(abi.encode("own", nonce++));
        bytes32 root = Hashes.commutativeKeccak256(_leaf(sample), _leaf(own));
        bytes32 salt = keccak256(abi.encode(nonce));
        registry.commitDataset(keccak256(abi.encode(root, address(this), salt)));
        vm.roll(block.number + 1);
        id = registry.revealDataset(
            IDatanetRegistry.RevealParams({
                datanetId: 1,
                root: root,
                sampleCount: 2,
                tokenCount: 0,
                uri: "",
                salt: salt,
                stake: stake
            })
        );
    }

    function _proof(bytes32 sibling) private pure returns (bytes32[] memory proof) {
        proof = new bytes32[](1);
        proof[0] = _leaf(sibling);
    }

    function _leaf(bytes32 sampleHash) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(sampleHash))));
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) private pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
