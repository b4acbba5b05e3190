// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AdapterRegistry} from "../../contracts/AdapterRegistry.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {IAdapterRegistry} from "../../contracts/interfaces/IAdapterRegistry.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {DatasetEligibilityMock} from "../../contracts/mocks/DatasetEligibilityMock.sol";
import {vm} from "./utils/Vm.sol";

/// @dev `x` mapped into [min, max] (max − min < 2^256 − 1).
function bound(uint256 x, uint256 min, uint256 max) pure returns (uint256) {
    return min + (x % (max - min + 1));
}

/// @dev Fuzz tests of the commitment window, dataset ordering, the seed and challenge evidence. This contract owns
/// the registry, is its Arbiter and owns adapter 1.
contract AdapterRegistryTest {
    uint64 internal constant WINDOW = 3 days;
    uint256 internal constant MIN_BOND = 100 ether;
    bytes32 internal constant BASE_MODEL_HASH = keccak256("base model");
    bytes32 internal constant CONFIG_HASH = keccak256("config");

    OpenToken internal token;
    DatasetEligibilityMock internal datasets;
    AdapterRegistry internal registry;

    function setUp() public {
        token = new OpenToken(address(this), 1e30);
        datasets = new DatasetEligibilityMock();
        for (uint256 id = 1; id <= 8; ++id) {
            datasets.setEligible(id, true);
        }
        registry = new AdapterRegistry(
            IERC20(address(token)), datasets, address(this), address(this), WINDOW, MIN_BOND
        );
        token.approve(address(registry), type(uint256).max);
        registry.createAdapter("adapter");
    }

    /// @dev The seed cannot be fixed in the commitment's own block: its hash is not known yet.
    function testSealInTheCommitmentBlockReverts() public {
        uint256 commitmentId = _commit();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAdapterRegistry.AdapterRegistrySealTooEarly.selector, commitmentId, uint64(block.number)
            )
        );
        registry.sealCommitment(commitmentId);
    }

    /// @dev Sealing works exactly in blocks commitBlock + 1 … commitBlock + 256, stores that block's hash and the
    /// DESIGN §7 seed; later the commitment has lapsed for good.
    function testFuzzSealWindow(uint256 blocksLater) public {
        blocksLater = bound(blocksLater, 0, 600);
        uint256 commitmentId = _commit();
        uint64 commitBlock = uint64(block.number);
        vm.roll(block.number + blocksLater);
        if (blocksLater == 0) {
            vm.expectRevert(
                abi.encodeWithSelector(IAdapterRegistry.AdapterRegistrySealTooEarly.selector, commitmentId, commitBlock)
            );
            registry.sealCommitment(commitmentId);
        } else if (blocksLater <= 256) {
            registry.sealCommitment(commitmentId);
            bytes32 hash = blockhash(commitBlock);
            require(hash != bytes32(0), "hash available");
            require(registry.getCommitment(commitmentId).commitBlockhash == hash, "stores the commit block's hash");
            uint256[] memory ids = _ids(3);
            bytes32 seed = keccak256(abi.encode(CONFIG_HASH, keccak256(abi.encode(ids)), hash));
            require(registry.seedOf(commitmentId) == seed, "DESIGN 7 seed");
        } else {
            require(
                registry.commitmentStatusOf(commitmentId) == IAdapterRegistry.CommitmentStatus.Lapsed, "lapsed"
            );
            vm.expectRevert(
                abi.encodeWithSelector(IAdapterRegistry.AdapterRegistrySealTooLate.selector, commitmentId, commitBlock)
            );
            registry.sealCommitment(commitmentId);
        }
    }

    /// @dev A commitment is accepted exactly when its ids are strictly ascending and each eligible (1…8 here); the
    /// first offending position is named.
    function testFuzzDatasetIdsMustBeStrictlyAscendingAndEligible(uint8[6] memory raw, uint8 length) public {
        length = uint8(bound(length, 1, 6));
        uint256[] memory ids = new uint256[](length);
        for (uint256 i; i < length; ++i) {
            ids[i] = raw[i] % 10;
        }
        bytes memory expected;
        for (uint256 i; i < length; ++i) {
            if (i != 0 && ids[i] <= ids[i - 1]) {
                expected = abi.encodeWithSelector(
                    IAdapterRegistry.AdapterRegistryDatasetsNotAscending.selector, i, ids[i]
                );
                break;
            }
            if (ids[i] == 0 || ids[i] > 8) {
                expected = abi.encodeWithSelector(IAdapterRegistry.AdapterRegistryIneligibleDataset.selector, ids[i]);
                break;
            }
        }
        if (expected.length != 0) vm.expectRevert(expected);
        registry.commitTraining(1, BASE_MODEL_HASH, CONFIG_HASH, ids);
    }

    /// @dev Evidence opens a challenge exactly when its ground is one of the three and its segment fits it.
    function testFuzzEvidenceValidation(uint256 ground, uint256 segment, uint32 checkpointCount) public {
        ground = bound(ground, 0, 5);
        segment = bound(segment, 0, 20);
        checkpointCount = uint32(bound(checkpointCount, 1, 16));
        uint256 versionId = _submit(checkpointCount);
        bytes memory evidence = abi.encode(uint8(ground), segment);
        if (ground == 0 || ground > 3) {
            vm.expectRevert(abi.encodeWithSelector(IAdapterRegistry.AdapterRegistryInvalidGround.selector, ground));
        } else if (ground == 2 ? segment != 0 : segment == 0 || segment > checkpointCount) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAdapterRegistry.AdapterRegistryInvalidSegment.selector,
                    IAdapterRegistry.ChallengeGround(ground),
                    segment,
                    checkpointCount
                )
            );
        }
        registry.onChallengeOpened(versionId, 1, address(this), evidence);
    }

    /// @dev Whatever the bond and the order of rulings, the first upheld ruling takes the whole bond, later ones
    /// nothing, and the registry ends empty.
    function testFuzzUpheldTakesTheWholeBondOnce(uint256 bond, uint8 rulings) public {
        bond = bound(bond, MIN_BOND, 1e27);
        uint256 versionId = _submitWithBond(2, bond);
        uint256 count = bound(rulings, 1, 4);
        for (uint256 i; i < count; ++i) {
            registry.onChallengeOpened(versionId, i + 1, address(this), abi.encode(uint8(1), uint256(1)));
        }
        uint256 paid;
        bool upheld;
        for (uint256 i; i < count; ++i) {
            Ruling ruling = Ruling(1 + ((uint256(rulings) >> (2 * i)) % 3));
            uint256 slashed = registry.onChallengeResolved(versionId, i + 1, ruling);
            uint256 expected = ruling == Ruling.Upheld && !upheld ? bond : 0;
            require(slashed == expected, "slashed");
            upheld = upheld || ruling == Ruling.Upheld;
            paid += slashed;
        }
        require(paid == (upheld ? bond : 0), "paid");
        require(token.balanceOf(address(registry)) == bond - paid, "registry balance");
        IAdapterRegistry.VersionStatus expectedStatus =
            upheld ? IAdapterRegistry.VersionStatus.Rejected : IAdapterRegistry.VersionStatus.Pending;
        require(registry.statusOf(versionId) == expectedStatus, "status");
    }

    function _commit() internal returns (uint256) {
        return registry.commitTraining(1, BASE_MODEL_HASH, CONFIG_HASH, _ids(3));
    }

    function _submit(uint32 checkpointCount) internal returns (uint256) {
        return _submitWithBond(checkpointCount, MIN_BOND);
    }

    function _submitWithBond(uint32 checkpointCount, uint256 bond) internal returns (uint256) {
        uint256 commitmentId = _commit();
        vm.roll(block.number + 1);
        registry.sealCommitment(commitmentId);
        return registry.submitVersion(commitmentId, _proof(checkpointCount), bond);
    }

    function _ids(uint256 count) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            ids[i] = i + 1;
        }
    }

    function _proof(uint32 checkpointCount) internal pure returns (IAdapterRegistry.VersionProof memory) {
        return IAdapterRegistry.VersionProof({
            contributorsRoot: keccak256("contributors"),
            weightsHash: keccak256("weights"),
            checkpointRoot: keccak256("checkpoints"),
            finalHead: keccak256("head"),
            initialWeightsHash: keccak256("initial weights"),
            initialStateHash: keccak256("initial state"),
            checkpointCount: checkpointCount,
            evalScore: 5000
        });
    }
}
