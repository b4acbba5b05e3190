// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IChallengeable, Ruling} from "./IChallengeable.sol";
import {IDatasetEligibility} from "./IDatasetEligibility.sol";

/// @title The registry of adapters, training commitments and proven adapter versions (DESIGN §3, §7)
/// @notice An adapter owner commits to a training run before it starts (base model, config, datasets), has the
/// commitment sealed with the hash of its own block (the seed nobody knew in advance), trains, then submits a version
/// with its proof of training and a bond. The version is `Pending` for a challenge window, then `Active` for good
/// unless the Arbiter upholds a challenge, which slashes the bond and marks it `Rejected`.
/// @dev Holds the structs, events and errors of `AdapterRegistry` (one ABI source). The subject id of a version in
/// the {IChallengeable} callbacks is its `versionId`; the evidence is `abi.encode(uint8 ground, uint256 segment)`.
interface IAdapterRegistry is IChallengeable {
    /// @notice Where a training commitment stands (computed, never stored).
    /// @dev `Committed`: recorded, not sealed yet, still sealable. `Sealed`: its block hash is stored, no version
    /// named it yet. `Lapsed`: never sealed within 256 blocks, dead. `Used`: a version names it. `Abandoned`: its
    /// owner gave it up. Only `Committed` and `Sealed` are open: they block a new commitment for the same adapter.
    enum CommitmentStatus {
        None,
        Committed,
        Sealed,
        Lapsed,
        Used,
        Abandoned
    }

    /// @notice Where an adapter version stands.
    /// @dev `Pending` until its challenge window ends; `Active` (final, payable) after {activate};
    /// `Rejected` (final) after an upheld challenge.
    enum VersionStatus {
        None,
        Pending,
        Active,
        Rejected
    }

    /// @notice What a challenge against a version claims (the first word of its evidence).
    /// @dev `TrainingSegment`: segment k (1 ≤ k ≤ n) does not re-run from checkpoint k−1 to checkpoint k (DESIGN §7).
    /// `ContributorsRoot`: the contributors root is not the training shares of the corpus (segment must be 0).
    /// `CheckpointUnavailable`: checkpoint k (1 ≤ k ≤ n), or k−1 with it, cannot be fetched. `None` is never valid, so
    /// zeroed evidence is refused.
    enum ChallengeGround {
        None,
        TrainingSegment,
        ContributorsRoot,
        CheckpointUnavailable
    }

    /// @notice An adapter: a name and an owner that commits, submits versions and earns the owner's fee share.
    /// @param owner who created it
    /// @param latestCommitmentId its most recent training commitment (0: none yet)
    /// @param name free text, 1 to `MAX_NAME_LENGTH` bytes
    struct Adapter {
        address owner;
        uint256 latestCommitmentId;
        string name;
    }

    /// @notice A training commitment (DESIGN §7).
    /// @param adapterId the adapter it trains
    /// @param baseModelHash `keccak256(tensorHash ‖ keccak256(tokenizer.json) ‖ keccak256(tokenizer_config.json))`
    /// @param configHash keccak256 of the RFC 8785 canonical config
    /// @param commitBlock the block of the commitment; its hash seeds the run
    /// @param abandoned whether the owner gave it up before using it
    /// @param commitBlockhash `blockhash(commitBlock)`, stored by {IAdapterRegistry-sealCommitment} (0: not sealed)
    /// @param versionId the version that used it (0: none)
    /// @param datasetIds the training datasets, strictly ascending
    struct Commitment {
        uint256 adapterId;
        bytes32 baseModelHash;
        bytes32 configHash;
        uint64 commitBlock;
        bool abandoned;
        bytes32 commitBlockhash;
        uint256 versionId;
        uint256[] datasetIds;
    }

    /// @notice The proof of training a version is submitted with (DESIGN §7).
    /// @param contributorsRoot standard tree over `(uint256 datasetId, uint32 weightPpm)`: the training shares
    /// @param weightsHash tensor hash of the final trainable weights, as saved in the adapter file
    /// @param checkpointRoot standard tree over `(uint256 k, bytes32 h_k)` for k = 0…n
    /// @param finalHead `h_n`, the head of the checkpoint chain
    /// @param initialWeightsHash tensor hash of the seeded initial trainable weights
    /// @param initialStateHash tensor hash of the initial optimizer, scheduler and RNG state
    /// @param checkpointCount n: checkpoints k = 0…n, so n ≥ 1 segments can be challenged
    /// @param evalScore ROUGE-L F1 on the held-out split, in bps (≤ 10000)
    struct VersionProof {
        bytes32 contributorsRoot;
        bytes32 weightsHash;
        bytes32 checkpointRoot;
        bytes32 finalHead;
        bytes32 initialWeightsHash;
        bytes32 initialStateHash;
        uint32 checkpointCount;
        uint32 evalScore;
    }

    /// @notice An adapter version.
    /// @param adapterId the adapter
    /// @param commitmentId the commitment it used
    /// @param bond OPEN held against an upheld challenge; 0 once withdrawn or slashed
    /// @param challengeEnd challenges can open strictly before this time; activation from this time on
    /// @param submitBlock the block of the submission; auditors draw segments from the hash of the next one (§7)
    /// @param openChallenges challenges opened and not ruled on yet; activation waits for 0
    /// @param status Pending, Active or Rejected
    /// @param proof the proof of training, immutable once submitted
    struct Version {
        uint256 adapterId;
        uint256 commitmentId;
        uint256 bond;
        uint64 challengeEnd;
        uint64 submitBlock;
        uint32 openChallenges;
        VersionStatus status;
        VersionProof proof;
    }

    /// @notice `owner` created adapter `adapterId`.
    event AdapterCreated(uint256 indexed adapterId, address indexed owner, string name);

    /// @notice The owner of `adapterId` committed to a training run in block `commitBlock`.
    event TrainingCommitted(
        uint256 indexed commitmentId,
        uint256 indexed adapterId,
        bytes32 baseModelHash,
        bytes32 configHash,
        uint256[] datasetIds,
        uint64 commitBlock
    );

    /// @notice A commitment was sealed with its block hash; `seed` is the run's seed (DESIGN §7).
    event CommitmentSealed(uint256 indexed commitmentId, bytes32 commitBlockhash, bytes32 seed);

    /// @notice The adapter owner gave up an open commitment.
    event CommitmentAbandoned(uint256 indexed commitmentId, uint256 indexed adapterId);

    /// @notice A version was submitted with its proof and bond; it can be challenged until `challengeEnd`.
    event VersionSubmitted(
        uint256 indexed versionId,
        uint256 indexed adapterId,
        uint256 indexed commitmentId,
        VersionProof proof,
        uint256 bond,
        uint64 challengeEnd
    );

    /// @notice A version became active: it can be served and paid for, and never changes again.
    event VersionActivated(uint256 indexed versionId, uint256 indexed adapterId);

    /// @notice An upheld challenge rejected a version and slashed its whole bond to the Arbiter.
    event VersionRejected(uint256 indexed versionId, uint256 indexed challengeId, uint256 slashed);

    /// @notice The owner of an active version withdrew its bond.
    event BondWithdrawn(uint256 indexed versionId, address indexed owner, uint256 amount);

    /// @notice The Arbiter opened a challenge against a pending version.
    event ChallengeOpened(
        uint256 indexed versionId,
        uint256 indexed challengeId,
        address indexed challenger,
        ChallengeGround ground,
        uint256 segment
    );

    /// @notice The Arbiter ruled on a challenge against a version; `slashed` went to the Arbiter.
    event ChallengeResolved(uint256 indexed versionId, uint256 indexed challengeId, Ruling ruling, uint256 slashed);

    /// @notice Governance changed the challenge window of versions submitted from now on.
    event ChallengeWindowSet(uint64 challengeWindow);

    /// @notice Governance changed the minimum bond of versions submitted from now on.
    event MinBondSet(uint256 minBond);

    /// @notice A constructor address argument is zero.
    error AdapterRegistryZeroAddress();

    /// @notice The challenge window must be at least 1 second and at most the cap.
    error AdapterRegistryInvalidChallengeWindow(uint64 challengeWindow, uint64 max);

    /// @notice The minimum bond must be above 0.
    error AdapterRegistryInvalidMinBond(uint256 minBond);

    /// @notice The caller is not the Arbiter.
    error AdapterRegistryNotArbiter(address caller);

    /// @notice An adapter name must be 1 to `max` bytes.
    error AdapterRegistryInvalidName(uint256 length, uint256 max);

    /// @notice No adapter `adapterId`.
    error AdapterRegistryUnknownAdapter(uint256 adapterId);

    /// @notice No commitment `commitmentId`.
    error AdapterRegistryUnknownCommitment(uint256 commitmentId);

    /// @notice No version `versionId`.
    error AdapterRegistryUnknownVersion(uint256 versionId);

    /// @notice `caller` is not the owner of adapter `adapterId`.
    error AdapterRegistryNotAdapterOwner(uint256 adapterId, address caller);

    /// @notice The adapter's previous commitment is still open (committed or sealed, unused, not abandoned).
    error AdapterRegistryCommitmentOpen(uint256 adapterId, uint256 commitmentId);

    /// @notice A hash that must be set is zero.
    error AdapterRegistryZeroHash();

    /// @notice A commitment names 1 to `max` datasets.
    error AdapterRegistryInvalidDatasetCount(uint256 count, uint256 max);

    /// @notice Dataset ids must be strictly ascending: `datasetId` at `index` is not above the one before it.
    error AdapterRegistryDatasetsNotAscending(uint256 index, uint256 datasetId);

    /// @notice `datasetId` is unknown or cannot be named in a new commitment now.
    error AdapterRegistryIneligibleDataset(uint256 datasetId);

    /// @notice The commitment is not in the status this call needs.
    error AdapterRegistryInvalidCommitmentStatus(uint256 commitmentId, CommitmentStatus status);

    /// @notice A commitment is sealed in a block after its own.
    error AdapterRegistrySealTooEarly(uint256 commitmentId, uint64 commitBlock);

    /// @notice A commitment is sealed within 256 blocks of its own; after that it lapsed.
    error AdapterRegistrySealTooLate(uint256 commitmentId, uint64 commitBlock);

    /// @notice A commitment's seed exists only once it is sealed.
    error AdapterRegistryNotSealed(uint256 commitmentId);

    /// @notice A proof needs at least one checkpoint segment.
    error AdapterRegistryNoCheckpoints();

    /// @notice An eval score is in bps, ≤ 10000.
    error AdapterRegistryInvalidEvalScore(uint32 evalScore);

    /// @notice A bond below the minimum.
    error AdapterRegistryBondTooLow(uint256 bond, uint256 minBond);

    /// @notice The version is not in the status this call needs.
    error AdapterRegistryInvalidVersionStatus(uint256 versionId, VersionStatus status);

    /// @notice The version's challenge window is still open: it cannot be activated before `challengeEnd`.
    error AdapterRegistryChallengeWindowOpen(uint256 versionId, uint64 challengeEnd);

    /// @notice The version's challenge window closed at `challengeEnd`.
    error AdapterRegistryChallengeWindowClosed(uint256 versionId, uint64 challengeEnd);

    /// @notice The version has open challenges.
    error AdapterRegistryVersionChallenged(uint256 versionId, uint32 openChallenges);

    /// @notice Nothing is left of the version's bond.
    error AdapterRegistryNoBond(uint256 versionId);

    /// @notice Evidence is exactly two words: `abi.encode(uint8 ground, uint256 segment)`.
    error AdapterRegistryMalformedEvidence(uint256 length);

    /// @notice The first word of the evidence is not a {ChallengeGround} other than `None`.
    error AdapterRegistryInvalidGround(uint256 ground);

    /// @notice The segment does not fit the ground: 1…n for a segment or a checkpoint, 0 for the contributors root.
    error AdapterRegistryInvalidSegment(ChallengeGround ground, uint256 segment, uint32 checkpointCount);

    /// @notice The Arbiter reused a challenge id.
    error AdapterRegistryChallengeExists(uint256 challengeId);

    /// @notice No open challenge `challengeId` against version `subjectId`.
    error AdapterRegistryUnknownChallenge(uint256 subjectId, uint256 challengeId);

    /// @notice A ruling must be final (`Upheld`, `Dismissed` or `NoQuorum`).
    error AdapterRegistryInvalidRuling(Ruling ruling);

    /// @notice Creates an adapter owned by the caller.
    /// @dev Requirements: `name` is 1 to `MAX_NAME_LENGTH` bytes.
    ///
    /// Emits an {AdapterCreated} event.
    /// @return adapterId the new adapter's id, counted from 1
    function createAdapter(string calldata name) external returns (uint256 adapterId);

    /// @notice Commits to a training run of `adapterId` before it starts.
    /// @dev Requirements: the caller owns the adapter; its previous commitment (if any) is used, lapsed or
    /// abandoned; both hashes non-zero; 1 to `MAX_DATASETS` dataset ids, strictly ascending, each eligible now.
    ///
    /// Emits a {TrainingCommitted} event.
    /// @return commitmentId the new commitment's id, counted from 1 across all adapters
    function commitTraining(
        uint256 adapterId,
        bytes32 baseModelHash,
        bytes32 configHash,
        uint256[] calldata datasetIds
    ) external returns (uint256 commitmentId);

    /// @notice Seals a commitment with the hash of its own block, which fixes the run's seed. Anyone may call it.
    /// @dev Requirements: the commitment is `Committed`; the current block is after the commitment's block and at
    /// most 256 blocks after it (else the commitment lapsed).
    ///
    /// Emits a {CommitmentSealed} event.
    function sealCommitment(uint256 commitmentId) external;

    /// @notice Gives up an open commitment, so the adapter can commit again.
    /// @dev Requirements: the caller owns the adapter; the commitment is `Committed` or `Sealed`.
    ///
    /// Emits a {CommitmentAbandoned} event.
    function abandonCommitment(uint256 commitmentId) external;

    /// @notice Submits a trained version for a sealed commitment, pulling `bond` OPEN from the caller.
    /// @dev Requirements: the caller owns the adapter; the commitment is `Sealed` (so never used before); every hash
    /// of `proof` non-zero; `checkpointCount` ≥ 1; `evalScore` ≤ 10000; `bond` ≥ `minBond` (approved).
    ///
    /// Emits a {VersionSubmitted} event.
    /// @return versionId the new version's id, counted from 1 across all adapters
    function submitVersion(uint256 commitmentId, VersionProof calldata proof, uint256 bond)
        external
        returns (uint256 versionId);

    /// @notice Activates a pending version whose challenge window is over. Anyone may call it.
    /// @dev Requirements: the version is `Pending`; `block.timestamp` ≥ `challengeEnd`; no open challenge.
    ///
    /// Emits a {VersionActivated} event.
    function activate(uint256 versionId) external;

    /// @notice Sends the adapter owner the bond of an active version.
    /// @dev Requirements: the caller owns the adapter; the version is `Active` with its bond not yet withdrawn. A
    /// `Rejected` version has nothing left: its whole bond went to the Arbiter.
    ///
    /// Emits a {BondWithdrawn} event.
    function withdrawBond(uint256 versionId) external;

    /// @notice Sets the challenge window of versions submitted from now on.
    /// @dev Requirements: the caller is the owner; 1 ≤ `challengeWindow` ≤ `MAX_CHALLENGE_WINDOW`.
    ///
    /// Emits a {ChallengeWindowSet} event.
    function setChallengeWindow(uint64 challengeWindow) external;

    /// @notice Sets the minimum bond of versions submitted from now on.
    /// @dev Requirements: the caller is the owner; `minBond` > 0.
    ///
    /// Emits a {MinBondSet} event.
    function setMinBond(uint256 minBond) external;

    /// @notice The OPEN token bonds are paid in.
    function token() external view returns (IERC20);

    /// @notice The dataset registry asked whether a dataset can be trained on.
    function datasets() external view returns (IDatasetEligibility);

    /// @notice The only address that can open and rule on challenges.
    function arbiter() external view returns (address);

    /// @notice The challenge window of a version submitted now, in seconds.
    function challengeWindow() external view returns (uint64);

    /// @notice The minimum bond of a version submitted now.
    function minBond() external view returns (uint256);

    /// @notice Adapter `adapterId`; reverts for an unknown id.
    function getAdapter(uint256 adapterId) external view returns (Adapter memory);

    /// @notice Commitment `commitmentId`; reverts for an unknown id.
    function getCommitment(uint256 commitmentId) external view returns (Commitment memory);

    /// @notice Where commitment `commitmentId` stands (`None` for an unknown id).
    function commitmentStatusOf(uint256 commitmentId) external view returns (CommitmentStatus);

    /// @notice The training seed of a sealed commitment (DESIGN §7):
    /// `keccak256(abi.encode(configHash, keccak256(abi.encode(datasetIds)), commitBlockhash))`.
    function seedOf(uint256 commitmentId) external view returns (bytes32);

    /// @notice Version `versionId`; reverts for an unknown id.
    function getVersion(uint256 versionId) external view returns (Version memory);

    /// @notice The status of version `versionId` (`None` for an unknown id).
    function statusOf(uint256 versionId) external view returns (VersionStatus);

    /// @notice Whether version `versionId` is `Active`, the only status that can be paid for.
    function isActive(uint256 versionId) external view returns (bool);

    /// @notice The owner of the adapter of version `versionId`; reverts for an unknown id.
    function ownerOfVersion(uint256 versionId) external view returns (address);

    /// @notice The contributors root of version `versionId`; reverts for an unknown id.
    function contributorsRootOf(uint256 versionId) external view returns (bytes32);

    /// @notice The training datasets of version `versionId`, strictly ascending; reverts for an unknown id.
    function datasetIdsOf(uint256 versionId) external view returns (uint256[] memory);

    /// @notice How many adapters exist (the last id).
    function adapterCount() external view returns (uint256);

    /// @notice How many commitments exist (the last id).
    function commitmentCount() external view returns (uint256);

    /// @notice How many versions exist (the last id).
    function versionCount() external view returns (uint256);
}
