// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AdapterRegistry} from "../../contracts/AdapterRegistry.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {IAdapterRegistry} from "../../contracts/interfaces/IAdapterRegistry.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {DatasetEligibilityMock} from "../../contracts/mocks/DatasetEligibilityMock.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Drives an AdapterRegistry through random sequences for AdapterRegistryInvariantTest. It deploys the token, a
/// dataset mock and the registry, is their owner and the Arbiter, and gives each actor one adapter. It keeps a ghost
/// ledger of bonds, changed only where bonds may move (submit, withdraw, an upheld ruling), the proof hash of each
/// version at activation, and a flag set if any call succeeded that the rules forbid.
contract AdapterRegistryHandler {
    uint256 public constant ACTORS = 2;
    uint256 public constant MIN_BOND = 10 ether;
    uint64 public constant WINDOW = 1 days;

    OpenToken public immutable token;
    DatasetEligibilityMock public immutable datasets;
    AdapterRegistry public immutable registry;

    mapping(uint256 versionId => uint256 bond) public ghostBond;
    uint256 public ghostTotal;
    /// @dev keccak256 of the version's proof when it became active (0 while not active).
    mapping(uint256 versionId => bytes32 proofHash) public activeProofHash;
    bool public breached;

    uint256[] internal _openChallenges;
    mapping(uint256 challengeId => uint256 versionId) internal _challenged;
    uint256 internal _nextChallengeId = 1;

    constructor() {
        token = new OpenToken(address(this), 1e30);
        datasets = new DatasetEligibilityMock();
        for (uint256 id = 1; id <= 6; ++id) {
            datasets.setEligible(id, true);
        }
        registry = new AdapterRegistry(
            IERC20(address(token)), datasets, address(this), address(this), WINDOW, MIN_BOND
        );
        for (uint256 i; i < ACTORS; ++i) {
            vm.prank(actor(i));
            registry.createAdapter("adapter");
        }
    }

    function commit(uint256 actorSeed, uint8 mask) external {
        uint256 count;
        for (uint256 bit; bit < 6; ++bit) {
            if (mask & (1 << bit) != 0) ++count;
        }
        if (count == 0) return;
        uint256[] memory ids = new uint256[](count);
        uint256 next;
        for (uint256 bit; bit < 6; ++bit) {
            if (mask & (1 << bit) != 0) ids[next++] = bit + 1;
        }
        vm.prank(actor(actorSeed));
        try registry.commitTraining(adapterOf(actorSeed), keccak256("base"), keccak256("config"), ids) {} catch {}
    }

    function seal(uint256 actorSeed, uint256 blocks) external {
        uint256 commitmentId = registry.getAdapter(adapterOf(actorSeed)).latestCommitmentId;
        if (commitmentId == 0) return;
        vm.roll(block.number + _bound(blocks, 1, 300));
        try registry.sealCommitment(commitmentId) {} catch {}
    }

    function abandon(uint256 actorSeed) external {
        uint256 commitmentId = registry.getAdapter(adapterOf(actorSeed)).latestCommitmentId;
        if (commitmentId == 0) return;
        vm.prank(actor(actorSeed));
        try registry.abandonCommitment(commitmentId) {} catch {}
    }

    function submit(uint256 actorSeed, uint256 bond, uint32 checkpointCount, bytes32 salt) external {
        uint256 commitmentId = registry.getAdapter(adapterOf(actorSeed)).latestCommitmentId;
        if (commitmentId == 0) return;
        address owner = actor(actorSeed);
        bond = _bound(bond, MIN_BOND, 1e24);
        require(token.transfer(owner, bond), "fund");
        vm.prank(owner);
        token.approve(address(registry), bond);
        IAdapterRegistry.VersionProof memory proof = IAdapterRegistry.VersionProof({
            contributorsRoot: keccak256(abi.encode(salt, 1)),
            weightsHash: keccak256(abi.encode(salt, 2)),
            checkpointRoot: keccak256(abi.encode(salt, 3)),
            finalHead: keccak256(abi.encode(salt, 4)),
            initialWeightsHash: keccak256(abi.encode(salt, 5)),
            initialStateHash: keccak256(abi.encode(salt, 6)),
            checkpointCount: uint32(_bound(checkpointCount, 1, 8)),
            evalScore: 5000
        });
        bool sealed_ = registry.commitmentStatusOf(commitmentId) == IAdapterRegistry.CommitmentStatus.Sealed;
        vm.prank(owner);
        try registry.submitVersion(commitmentId, proof, bond) returns (uint256 versionId) {
            if (!sealed_) breached = true;
            ghostBond[versionId] = bond;
            ghostTotal += bond;
        } catch {
            if (sealed_) breached = true;
        }
    }

    function activate(uint256 versionSeed) external {
        uint256 versionId = _pickVersion(versionSeed);
        if (versionId == 0) return;
        IAdapterRegistry.Version memory v = registry.getVersion(versionId);
        bool allowed = v.status == IAdapterRegistry.VersionStatus.Pending && block.timestamp >= v.challengeEnd
            && v.openChallenges == 0;
        try registry.activate(versionId) {
            if (!allowed) breached = true;
            activeProofHash[versionId] = keccak256(abi.encode(v.proof));
        } catch {
            if (allowed) breached = true;
        }
    }

    function withdrawBond(uint256 versionSeed) external {
        uint256 versionId = _pickVersion(versionSeed);
        if (versionId == 0) return;
        IAdapterRegistry.Version memory v = registry.getVersion(versionId);
        address owner = registry.ownerOfVersion(versionId);
        bool allowed = v.status == IAdapterRegistry.VersionStatus.Active && v.bond != 0;
        uint256 before = token.balanceOf(owner);
        vm.prank(owner);
        try registry.withdrawBond(versionId) {
            if (!allowed || token.balanceOf(owner) - before != v.bond) breached = true;
            ghostBond[versionId] -= v.bond;
            ghostTotal -= v.bond;
        } catch {
            if (allowed) breached = true;
        }
    }

    function openChallenge(uint256 versionSeed, uint8 ground, uint256 segment) external {
        uint256 versionId = _pickVersion(versionSeed);
        if (versionId == 0) return;
        IAdapterRegistry.Version memory v = registry.getVersion(versionId);
        ground = uint8(_bound(ground, 1, 3));
        segment = ground == 2 ? 0 : _bound(segment, 1, v.proof.checkpointCount);
        bool allowed = v.status == IAdapterRegistry.VersionStatus.Pending && block.timestamp < v.challengeEnd;
        uint256 challengeId = _nextChallengeId++;
        try registry.onChallengeOpened(versionId, challengeId, address(this), abi.encode(ground, segment)) {
            if (!allowed) breached = true;
            _openChallenges.push(challengeId);
            _challenged[challengeId] = versionId;
        } catch {
            if (allowed) breached = true;
        }
    }

    function resolveChallenge(uint256 index, uint8 rulingSeed) external {
        uint256 count = _openChallenges.length;
        if (count == 0) return;
        index %= count;
        uint256 challengeId = _openChallenges[index];
        _openChallenges[index] = _openChallenges[count - 1];
        _openChallenges.pop();
        uint256 versionId = _challenged[challengeId];
        IAdapterRegistry.Version memory v = registry.getVersion(versionId);
        Ruling ruling = Ruling(1 + (rulingSeed % 3));
        uint256 expected = ruling == Ruling.Upheld && v.status == IAdapterRegistry.VersionStatus.Pending ? v.bond : 0;
        uint256 slashed = registry.onChallengeResolved(versionId, challengeId, ruling);
        if (slashed != expected) breached = true;
        ghostBond[versionId] -= slashed;
        ghostTotal -= slashed;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, 2 * WINDOW));
    }

    function setChallengeWindow(uint64 window) external {
        registry.setChallengeWindow(uint64(_bound(window, 1, 2 * WINDOW)));
    }

    function actor(uint256 seed) public pure returns (address) {
        return address(uint160(0x3000 + (seed % ACTORS)));
    }

    function adapterOf(uint256 seed) public pure returns (uint256) {
        return 1 + (seed % ACTORS);
    }

    function _pickVersion(uint256 seed) internal view returns (uint256) {
        uint256 count = registry.versionCount();
        return count == 0 ? 0 : 1 + (seed % count);
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
