// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {DatanetRegistry} from "../../contracts/DatanetRegistry.sol";
import {IDatanetRegistry} from "../../contracts/interfaces/IDatanetRegistry.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Drives DatanetRegistry through random sequences for the invariant test, and keeps its own model of every
/// dataset's stake, unbonding amount and end (ghosts) from nothing but the calls it makes. Each dataset holds two
/// samples: one from a pool of four shared ones (so duplicates happen) and one of its own (so roots differ). Every
/// call is bounded so it must succeed, or is expected to revert for a stated reason: run with `failOnRevert`, an
/// unexpected revert or a wrong expectation fails the test.
contract DatanetRegistryHandler {
    uint256 public constant SHARED_SAMPLES = 4;
    uint256 private constant _MAX_STAKE = 1_000_000 ether;

    DatanetRegistry public immutable registry;
    address public immutable governance;

    address[] public actors;
    uint256[] public datasetIds;

    mapping(uint256 datasetId => uint256) public ghostStake;
    mapping(uint256 datasetId => uint256) public ghostUnbonding;
    mapping(uint256 datasetId => uint256) public ghostUnbondingEnd;
    mapping(uint256 datasetId => uint256) public ghostOrder;
    mapping(uint256 datasetId => uint256) public sharedIndex;
    mapping(uint256 datasetId => bytes32) public ownSample;
    mapping(bytes32 sampleHash => mapping(uint256 datasetId => bool)) public ghostProven;

    uint256 public ghostCommits;
    uint256 public ghostSlashed;
    uint256 public ghostWithdrawn;
    uint256 public ghostDeposited;

    constructor(DatanetRegistry registry_, address governance_, address[] memory actors_) {
        registry = registry_;
        governance = governance_;
        actors = actors_;
    }

    /// @dev Commits and, one block later, reveals a new dataset for a random actor.
    function register(uint256 actorSeed, uint256 sharedSeed, uint256 stakeSeed) external {
        address owner = actors[actorSeed % actors.length];
        uint256 shared = sharedSeed % SHARED_SAMPLES;
        bytes32 own = keccak256(abi.encode("own sample", ghostCommits));
        bytes32 root = Hashes.commutativeKeccak256(sampleLeaf(sharedSample(shared)), sampleLeaf(own));
        uint256 required = registry.requiredStake(1, 2);
        uint256 stake = required + (stakeSeed % _MAX_STAKE);
        bytes32 salt = bytes32(stakeSeed);

        vm.prank(owner);
        registry.commitDataset(keccak256(abi.encode(root, owner, salt)));
        ghostCommits += 1;
        vm.roll(block.number + 1);
        vm.prank(owner);
        uint256 id = registry.revealDataset(
            IDatanetRegistry.RevealParams({
                datanetId: 1,
                root: root,
                sampleCount: 2,
                tokenCount: 10,
                uri: "",
                salt: salt,
                stake: stake
            })
        );
        datasetIds.push(id);
        ghostStake[id] = stake;
        ghostOrder[id] = ghostCommits;
        sharedIndex[id] = shared;
        ownSample[id] = own;
        ghostDeposited += stake;
    }

    function addStake(uint256 idSeed, uint256 amount) external {
        if (datasetIds.length == 0) return;
        uint256 id = _pick(idSeed);
        amount = 1 + (amount % _MAX_STAKE);
        vm.prank(_owner(id));
        registry.addStake(id, amount);
        ghostStake[id] += amount;
        ghostDeposited += amount;
    }

    function requestUnstake(uint256 idSeed, uint256 amount) external {
        if (datasetIds.length == 0) return;
        uint256 id = _pick(idSeed);
        uint256 available = ghostStake[id] - ghostUnbonding[id];
        vm.prank(_owner(id));
        if (available == 0) {
            vm.expectRevert(abi.encodeWithSelector(IDatanetRegistry.DatanetRegistryZeroAmount.selector));
            registry.requestUnstake(id, 0);
            return;
        }
        amount = 1 + (amount % available);
        registry.requestUnstake(id, amount);
        ghostUnbonding[id] += amount;
        uint256 end = block.timestamp + registry.unbondingPeriod();
        if (end > ghostUnbondingEnd[id]) ghostUnbondingEnd[id] = end;
    }

    function withdraw(uint256 idSeed) external {
        if (datasetIds.length == 0) return;
        uint256 id = _pick(idSeed);
        vm.prank(_owner(id));
        if (ghostUnbonding[id] == 0) {
            vm.expectRevert(abi.encodeWithSelector(IDatanetRegistry.DatanetRegistryNothingUnbonding.selector, id));
            registry.withdrawUnstaked(id);
        } else if (block.timestamp <= ghostUnbondingEnd[id]) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IDatanetRegistry.DatanetRegistryStillUnbonding.selector,
                    id,
                    uint64(ghostUnbondingEnd[id])
                )
            );
            registry.withdrawUnstaked(id);
        } else {
            uint256 paid = registry.withdrawUnstaked(id);
            require(paid == ghostUnbonding[id], "withdrawal paid another amount than was unbonding");
            ghostStake[id] -= paid;
            ghostUnbonding[id] = 0;
            ghostUnbondingEnd[id] = 0;
            ghostWithdrawn += paid;
        }
    }

    /// @dev Proves the shared sample of two datasets when they share it; expects the right refusal otherwise.
    function proveDuplicate(uint256 seedA, uint256 seedB, uint256 proverSeed) external {
        if (datasetIds.length < 2) return;
        uint256 a = _pick(seedA);
        uint256 b = _pick(seedB);
        if (a == b) return;
        bytes32 sample = sharedSample(sharedIndex[a]);
        bytes32[] memory proofA = new bytes32[](1);
        proofA[0] = sampleLeaf(ownSample[a]);
        bytes32[] memory proofB = new bytes32[](1);
        proofB[0] = sampleLeaf(ownSample[b]);
        address prover = actors[proverSeed % actors.length];
        uint256 later = ghostOrder[a] > ghostOrder[b] ? a : b;

        vm.prank(prover);
        if (sharedIndex[a] != sharedIndex[b]) {
            vm.expectRevert(abi.encodeWithSelector(IDatanetRegistry.DatanetRegistryInvalidProof.selector, b, sample));
        } else if (ghostProven[sample][later]) {
            vm.expectRevert(
                abi.encodeWithSelector(IDatanetRegistry.DatanetRegistryDuplicateAlreadyProven.selector, sample, later)
            );
        }
        registry.proveDuplicate(sample, a, proofA, b, proofB);
        if (sharedIndex[a] != sharedIndex[b] || ghostProven[sample][later]) return;

        ghostProven[sample][later] = true;
        uint256 slashed = (ghostStake[later] * registry.duplicateSlashBps()) / 10_000;
        ghostStake[later] -= slashed;
        if (ghostUnbonding[later] > ghostStake[later]) ghostUnbonding[later] = ghostStake[later];
        if (ghostUnbonding[later] == 0) ghostUnbondingEnd[later] = 0;
        ghostSlashed += slashed;
    }

    function warp(uint256 secondsForward) external {
        vm.warp(block.timestamp + (secondsForward % 30 days));
    }

    function setDuplicateSlashBps(uint16 bps) external {
        vm.prank(governance);
        registry.setDuplicateSlashBps(uint16(bps % 10_001));
    }

    function setProverShareBps(uint16 bps) external {
        vm.prank(governance);
        registry.setProverShareBps(uint16(bps % 10_001));
    }

    function setUnbondingPeriod(uint64 period) external {
        vm.prank(governance);
        registry.setUnbondingPeriod(uint64(period % (60 days)));
    }

    function datasetCount() external view returns (uint256) {
        return datasetIds.length;
    }

    function sharedSample(uint256 index) public pure returns (bytes32) {
        return keccak256(abi.encode("shared sample", index));
    }

    /// @dev The standard-tree leaf of a sample hash (DESIGN §4).
    function sampleLeaf(bytes32 sampleHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(sampleHash))));
    }

    function _pick(uint256 seed) private view returns (uint256) {
        return datasetIds[seed % datasetIds.length];
    }

    function _owner(uint256 id) private view returns (address) {
        return registry.getDataset(id).owner;
    }
}
