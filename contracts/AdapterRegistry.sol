// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IAdapterRegistry} from "./interfaces/IAdapterRegistry.sol";
import {Ruling} from "./interfaces/IChallengeable.sol";
import {IDatasetEligibility} from "./interfaces/IDatasetEligibility.sol";

/// @title AdapterRegistry
/// @notice Adapters, the training commitments that precede their runs, and the versions proven by those runs
/// (DESIGN §3, §7).
/// @dev A version's proof is written once, in {submitVersion}, and no function writes it again, so an `Active`
/// version is immutable. Bonds move in three places only: {submitVersion} (in), {withdrawBond} (out to the owner, only
/// `Active`) and {onChallengeResolved} (out to the Arbiter, the whole bond, on the first `Upheld`). The token balance
/// of this contract is always the sum of the bonds of its versions.
contract AdapterRegistry is IAdapterRegistry, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @dev What the registry remembers of a challenge the Arbiter opened.
    /// @param versionId the challenged version (0: no such challenge)
    /// @param resolved whether the Arbiter already ruled
    struct Challenge {
        uint256 versionId;
        bool resolved;
    }

    /// @notice Longest challenge window governance can set: 30 days keeps a version's owner from waiting
    /// indefinitely and `now + window` far from `uint64` overflow.
    uint64 public constant MAX_CHALLENGE_WINDOW = 30 days;

    /// @notice Most datasets one commitment can name: it bounds the commitment's gas and what the node, the trainer
    /// and `datasetIdsOf` readers must handle.
    uint256 public constant MAX_DATASETS = 256;

    /// @notice Longest adapter name accepted, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 64;

    /// @notice How many blocks back `blockhash` reaches: a commitment is sealable only that long.
    uint256 public constant SEAL_WINDOW = 256;

    /// @dev Eval scores are in basis points.
    uint32 private constant _MAX_EVAL_SCORE = 10_000;

    /// @dev Fixed at deploy: bonds are held in one token for the registry's whole life.
    IERC20 private immutable _token;

    /// @dev Fixed at deploy: eligibility is the dataset registry's word, and cannot be redirected by governance.
    IDatasetEligibility private immutable _datasets;

    /// @dev Fixed at deploy: the only path to slashing cannot be redirected by governance.
    address private immutable _arbiter;

    uint64 private _challengeWindow;
    uint256 private _minBond;

    uint256 private _adapterCount;
    uint256 private _commitmentCount;
    uint256 private _versionCount;

    mapping(uint256 adapterId => Adapter) private _adapters;
    mapping(uint256 commitmentId => Commitment) private _commitments;
    mapping(uint256 versionId => Version) private _versions;
    mapping(uint256 challengeId => Challenge) private _challenges;

    modifier onlyArbiter() {
        if (msg.sender != _arbiter) revert AdapterRegistryNotArbiter(msg.sender);
        _;
    }

    /// @param token_ the OPEN token
    /// @param datasets_ the dataset registry, asked whether each dataset of a commitment is eligible
    /// @param arbiter_ the Arbiter, the only caller of the challenge callbacks
    /// @param initialOwner governance, which sets the parameters
    /// @param challengeWindow_ how long a version stays challengeable, in seconds
    /// @param minBond_ the least bond a version is submitted with
    constructor(
        IERC20 token_,
        IDatasetEligibility datasets_,
        address arbiter_,
        address initialOwner,
        uint64 challengeWindow_,
        uint256 minBond_
    ) Ownable(initialOwner) {
        if (address(token_) == address(0) || address(datasets_) == address(0) || arbiter_ == address(0)) {
            revert AdapterRegistryZeroAddress();
        }
        _token = token_;
        _datasets = datasets_;
        _arbiter = arbiter_;
        _setChallengeWindow(challengeWindow_);
        _setMinBond(minBond_);
    }

    /// @inheritdoc IAdapterRegistry
    function createAdapter(string calldata name) external returns (uint256 adapterId) {
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert AdapterRegistryInvalidName(length, MAX_NAME_LENGTH);
        adapterId = ++_adapterCount;
        Adapter storage adapter = _adapters[adapterId];
        adapter.owner = msg.sender;
        adapter.name = name;
        emit AdapterCreated(adapterId, msg.sender, name);
    }

    /// @inheritdoc IAdapterRegistry
    function commitTraining(
        uint256 adapterId,
        bytes32 baseModelHash,
        bytes32 configHash,
        uint256[] calldata datasetIds
    ) external returns (uint256 commitmentId) {
        Adapter storage adapter = _ownedAdapter(adapterId);
        uint256 previous = adapter.latestCommitmentId;
        if (previous != 0) {
            CommitmentStatus previousStatus = _commitmentStatus(_commitments[previous]);
            if (previousStatus == CommitmentStatus.Committed || previousStatus == CommitmentStatus.Sealed) {
                revert AdapterRegistryCommitmentOpen(adapterId, previous);
            }
        }
        if (baseModelHash == bytes32(0) || configHash == bytes32(0)) revert AdapterRegistryZeroHash();
        _checkDatasets(datasetIds);

        commitmentId = ++_commitmentCount;
        Commitment storage commitment = _commitments[commitmentId];
        commitment.adapterId = adapterId;
        commitment.baseModelHash = baseModelHash;
        commitment.configHash = configHash;
        commitment.commitBlock = uint64(block.number);
        commitment.datasetIds = datasetIds;
        adapter.latestCommitmentId = commitmentId;
        emit TrainingCommitted(commitmentId, adapterId, baseModelHash, configHash, datasetIds, uint64(block.number));
    }

    /// @inheritdoc IAdapterRegistry
    function sealCommitment(uint256 commitmentId) external {
        Commitment storage commitment = _commitment(commitmentId);
        CommitmentStatus status = _commitmentStatus(commitment);
        if (status == CommitmentStatus.Lapsed) revert AdapterRegistrySealTooLate(commitmentId, commitment.commitBlock);
        if (status != CommitmentStatus.Committed) revert AdapterRegistryInvalidCommitmentStatus(commitmentId, status);
        if (block.number <= commitment.commitBlock) {
            revert AdapterRegistrySealTooEarly(commitmentId, commitment.commitBlock);
        }
        // commitBlock < block.number ≤ commitBlock + 256 here, so the hash is available and non-zero.
        bytes32 commitBlockhash = blockhash(commitment.commitBlock);
        commitment.commitBlockhash = commitBlockhash;
        emit CommitmentSealed(commitmentId, commitBlockhash, _seed(commitment));
    }

    /// @inheritdoc IAdapterRegistry
    function abandonCommitment(uint256 commitmentId) external {
        Commitment storage commitment = _commitment(commitmentId);
        uint256 adapterId = commitment.adapterId;
        _ownedAdapter(adapterId);
        CommitmentStatus status = _commitmentStatus(commitment);
        if (status != CommitmentStatus.Committed && status != CommitmentStatus.Sealed) {
            revert AdapterRegistryInvalidCommitmentStatus(commitmentId, status);
        }
        commitment.abandoned = true;
        emit CommitmentAbandoned(commitmentId, adapterId);
    }

    /// @inheritdoc IAdapterRegistry
    function submitVersion(uint256 commitmentId, VersionProof calldata proof, uint256 bond)
        external
        nonReentrant
        returns (uint256 versionId)
    {
        Commitment storage commitment = _commitment(commitmentId);
        uint256 adapterId = commitment.adapterId;
        _ownedAdapter(adapterId);
        CommitmentStatus status = _commitmentStatus(commitment);
        if (status != CommitmentStatus.Sealed) revert AdapterRegistryInvalidCommitmentStatus(commitmentId, status);
        _checkProof(proof);
        if (bond < _minBond) revert AdapterRegistryBondTooLow(bond, _minBond);

        versionId = ++_versionCount;
        commitment.versionId = versionId;
        // Checked: the window is capped at 30 days, far below what would overflow uint64 (THREATS.md 15).
        uint64 challengeEnd = uint64(block.timestamp) + _challengeWindow;
        Version storage version = _versions[versionId];
        version.adapterId = adapterId;
        version.commitmentId = commitmentId;
        version.bond = bond;
        version.challengeEnd = challengeEnd;
        version.submitBlock = uint64(block.number);
        version.status = VersionStatus.Pending;
        version.proof = proof;
        emit VersionSubmitted(versionId, adapterId, commitmentId, proof, bond, challengeEnd);

        _token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc IAdapterRegistry
    function activate(uint256 versionId) external {
        Version storage version = _version(versionId);
        if (version.status != VersionStatus.Pending) {
            revert AdapterRegistryInvalidVersionStatus(versionId, version.status);
        }
        if (block.timestamp < version.challengeEnd) {
            revert AdapterRegistryChallengeWindowOpen(versionId, version.challengeEnd);
        }
        if (version.openChallenges != 0) revert AdapterRegistryVersionChallenged(versionId, version.openChallenges);
        version.status = VersionStatus.Active;
        emit VersionActivated(versionId, version.adapterId);
    }

    /// @inheritdoc IAdapterRegistry
    function withdrawBond(uint256 versionId) external nonReentrant {
        Version storage version = _version(versionId);
        _ownedAdapter(version.adapterId);
        if (version.status != VersionStatus.Active) {
            revert AdapterRegistryInvalidVersionStatus(versionId, version.status);
        }
        uint256 amount = version.bond;
        if (amount == 0) revert AdapterRegistryNoBond(versionId);
        version.bond = 0;
        emit BondWithdrawn(versionId, msg.sender, amount);

        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IAdapterRegistry
    function setChallengeWindow(uint64 challengeWindow_) external onlyOwner {
        _setChallengeWindow(challengeWindow_);
    }

    /// @inheritdoc IAdapterRegistry
    function setMinBond(uint256 minBond_) external onlyOwner {
        _setMinBond(minBond_);
    }

    /// @notice Opens a challenge against a pending version: it cannot be activated until every challenge is ruled.
    /// @dev Requirements: the caller is the Arbiter; version `subjectId` is `Pending` and `block.timestamp` <
    /// `challengeEnd`; `challengeId` was never opened here; `evidence` is `abi.encode(uint8 ground, uint256 segment)`
    /// with a ground other than `None` and a segment that fits it (1…n, or 0 for `ContributorsRoot`).
    ///
    /// Emits a {ChallengeOpened} event.
    /// @return defendant the adapter owner, who answers for the version
    function onChallengeOpened(uint256 subjectId, uint256 challengeId, address challenger, bytes calldata evidence)
        external
        onlyArbiter
        returns (address defendant)
    {
        Version storage version = _version(subjectId);
        if (version.status != VersionStatus.Pending) {
            revert AdapterRegistryInvalidVersionStatus(subjectId, version.status);
        }
        if (block.timestamp >= version.challengeEnd) {
            revert AdapterRegistryChallengeWindowClosed(subjectId, version.challengeEnd);
        }
        (ChallengeGround ground, uint256 segment) = _decodeEvidence(evidence, version.proof.checkpointCount);
        Challenge storage challenge = _challenges[challengeId];
        if (challenge.versionId != 0) revert AdapterRegistryChallengeExists(challengeId);

        challenge.versionId = subjectId;
        ++version.openChallenges;
        defendant = _adapters[version.adapterId].owner;
        emit ChallengeOpened(subjectId, challengeId, challenger, ground, segment);
    }

    /// @notice Applies the Arbiter's ruling: the first `Upheld` rejects the version and sends its whole bond to the
    /// Arbiter; a later `Upheld` on a rejected version slashes 0. Any ruling releases the challenge's lock.
    /// @dev Requirements: the caller is the Arbiter; `challengeId` is open against version `subjectId`; `ruling` is
    /// final.
    ///
    /// Emits a {ChallengeResolved} event, and a {VersionRejected} event when a pending version is rejected.
    /// @return slashed the OPEN sent to the Arbiter
    function onChallengeResolved(uint256 subjectId, uint256 challengeId, Ruling ruling)
        external
        onlyArbiter
        nonReentrant
        returns (uint256 slashed)
    {
        Challenge storage challenge = _challenges[challengeId];
        if (challenge.versionId == 0 || challenge.resolved || challenge.versionId != subjectId) {
            revert AdapterRegistryUnknownChallenge(subjectId, challengeId);
        }
        if (ruling == Ruling.None) revert AdapterRegistryInvalidRuling(ruling);

        Version storage version = _versions[subjectId];
        challenge.resolved = true;
        // Each open challenge incremented the count once and is resolved once, so it is ≥ 1 here.
        unchecked {
            --version.openChallenges;
        }
        // A challenged version was Pending at the opening and cannot be activated while challenged, so it is Pending
        // or, after an earlier upheld challenge, Rejected with no bond left.
        if (ruling == Ruling.Upheld && version.status == VersionStatus.Pending) {
            slashed = version.bond;
            version.bond = 0;
            version.status = VersionStatus.Rejected;
            emit VersionRejected(subjectId, challengeId, slashed);
        }
        emit ChallengeResolved(subjectId, challengeId, ruling, slashed);

        if (slashed != 0) _token.safeTransfer(msg.sender, slashed);
    }

    /// @inheritdoc IAdapterRegistry
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IAdapterRegistry
    function datasets() external view returns (IDatasetEligibility) {
        return _datasets;
    }

    /// @inheritdoc IAdapterRegistry
    function arbiter() external view returns (address) {
        return _arbiter;
    }

    /// @inheritdoc IAdapterRegistry
    function challengeWindow() external view returns (uint64) {
        return _challengeWindow;
    }

    /// @inheritdoc IAdapterRegistry
    function minBond() external view returns (uint256) {
        return _minBond;
    }

    /// @inheritdoc IAdapterRegistry
    function getAdapter(uint256 adapterId) external view returns (Adapter memory) {
        return _adapter(adapterId);
    }

    /// @inheritdoc IAdapterRegistry
    function getCommitment(uint256 commitmentId) external view returns (Commitment memory) {
        return _commitment(commitmentId);
    }

    /// @inheritdoc IAdapterRegistry
    function commitmentStatusOf(uint256 commitmentId) external view returns (CommitmentStatus) {
        return _commitmentStatus(_commitments[commitmentId]);
    }

    /// @inheritdoc IAdapterRegistry
    function seedOf(uint256 commitmentId) external view returns (bytes32) {
        Commitment storage commitment = _commitment(commitmentId);
        if (commitment.commitBlockhash == bytes32(0)) revert AdapterRegistryNotSealed(commitmentId);
        return _seed(commitment);
    }

    /// @inheritdoc IAdapterRegistry
    function getVersion(uint256 versionId) external view returns (Version memory) {
        return _version(versionId);
    }

    /// @inheritdoc IAdapterRegistry
    function statusOf(uint256 versionId) external view returns (VersionStatus) {
        return _versions[versionId].status;
    }

    /// @inheritdoc IAdapterRegistry
    function isActive(uint256 versionId) external view returns (bool) {
        return _versions[versionId].status == VersionStatus.Active;
    }

    /// @inheritdoc IAdapterRegistry
    function ownerOfVersion(uint256 versionId) external view returns (address) {
        return _adapters[_version(versionId).adapterId].owner;
    }

    /// @inheritdoc IAdapterRegistry
    function contributorsRootOf(uint256 versionId) external view returns (bytes32) {
        return _version(versionId).proof.contributorsRoot;
    }

    /// @inheritdoc IAdapterRegistry
    function datasetIdsOf(uint256 versionId) external view returns (uint256[] memory) {
        return _commitments[_version(versionId).commitmentId].datasetIds;
    }

    /// @inheritdoc IAdapterRegistry
    function adapterCount() external view returns (uint256) {
        return _adapterCount;
    }

    /// @inheritdoc IAdapterRegistry
    function commitmentCount() external view returns (uint256) {
        return _commitmentCount;
    }

    /// @inheritdoc IAdapterRegistry
    function versionCount() external view returns (uint256) {
        return _versionCount;
    }

    function _setChallengeWindow(uint64 challengeWindow_) private {
        if (challengeWindow_ == 0 || challengeWindow_ > MAX_CHALLENGE_WINDOW) {
            revert AdapterRegistryInvalidChallengeWindow(challengeWindow_, MAX_CHALLENGE_WINDOW);
        }
        _challengeWindow = challengeWindow_;
        emit ChallengeWindowSet(challengeWindow_);
    }

    function _setMinBond(uint256 minBond_) private {
        if (minBond_ == 0) revert AdapterRegistryInvalidMinBond(minBond_);
        _minBond = minBond_;
        emit MinBondSet(minBond_);
    }

    /// @dev Adapter `adapterId`, which must exist.
    function _adapter(uint256 adapterId) private view returns (Adapter storage adapter) {
        adapter = _adapters[adapterId];
        if (adapter.owner == address(0)) revert AdapterRegistryUnknownAdapter(adapterId);
    }

    /// @dev Adapter `adapterId`, which must exist and be the caller's.
    function _ownedAdapter(uint256 adapterId) private view returns (Adapter storage adapter) {
        adapter = _adapter(adapterId);
        if (adapter.owner != msg.sender) revert AdapterRegistryNotAdapterOwner(adapterId, msg.sender);
    }

    /// @dev Commitment `commitmentId`, which must exist.
    function _commitment(uint256 commitmentId) private view returns (Commitment storage commitment) {
        commitment = _commitments[commitmentId];
        if (commitment.adapterId == 0) revert AdapterRegistryUnknownCommitment(commitmentId);
    }

    /// @dev Version `versionId`, which must exist.
    function _version(uint256 versionId) private view returns (Version storage version) {
        version = _versions[versionId];
        if (version.status == VersionStatus.None) revert AdapterRegistryUnknownVersion(versionId);
    }

    /// @dev Where a commitment stands, from what is stored and the current block.
    function _commitmentStatus(Commitment storage commitment) private view returns (CommitmentStatus) {
        if (commitment.adapterId == 0) return CommitmentStatus.None;
        if (commitment.versionId != 0) return CommitmentStatus.Used;
        if (commitment.abandoned) return CommitmentStatus.Abandoned;
        if (commitment.commitBlockhash != bytes32(0)) return CommitmentStatus.Sealed;
        if (block.number > commitment.commitBlock + SEAL_WINDOW) return CommitmentStatus.Lapsed;
        return CommitmentStatus.Committed;
    }

    /// @dev DESIGN §7:
    /// `keccak256(abi.encode(configHash, keccak256(abi.encode(uint256[] datasetIds)), commitBlockhash))`.
    function _seed(Commitment storage commitment) private view returns (bytes32) {
        bytes32 datasetsHash = keccak256(abi.encode(commitment.datasetIds));
        return keccak256(abi.encode(commitment.configHash, datasetsHash, commitment.commitBlockhash));
    }

    /// @dev 1 to MAX_DATASETS ids, strictly ascending, each eligible in the dataset registry now.
    function _checkDatasets(uint256[] calldata datasetIds) private view {
        uint256 count = datasetIds.length;
        if (count == 0 || count > MAX_DATASETS) revert AdapterRegistryInvalidDatasetCount(count, MAX_DATASETS);
        uint256 previous;
        for (uint256 i; i < count; ++i) {
            uint256 datasetId = datasetIds[i];
            if (i != 0 && datasetId <= previous) revert AdapterRegistryDatasetsNotAscending(i, datasetId);
            if (!_datasets.isEligible(datasetId)) revert AdapterRegistryIneligibleDataset(datasetId);
            previous = datasetId;
        }
    }

    /// @dev No zero hash, at least one segment, an eval score in bps.
    function _checkProof(VersionProof calldata proof) private pure {
        if (
            proof.contributorsRoot == bytes32(0) || proof.weightsHash == bytes32(0)
                || proof.checkpointRoot == bytes32(0) || proof.finalHead == bytes32(0)
                || proof.initialWeightsHash == bytes32(0) || proof.initialStateHash == bytes32(0)
        ) revert AdapterRegistryZeroHash();
        if (proof.checkpointCount == 0) revert AdapterRegistryNoCheckpoints();
        if (proof.evalScore > _MAX_EVAL_SCORE) revert AdapterRegistryInvalidEvalScore(proof.evalScore);
    }

    /// @dev Evidence is `abi.encode(uint8 ground, uint256 segment)`: exactly two words, a ground other than `None`,
    /// a segment of 1…n for `TrainingSegment` and `CheckpointUnavailable`, 0 for `ContributorsRoot`.
    function _decodeEvidence(bytes calldata evidence, uint32 checkpointCount)
        private
        pure
        returns (ChallengeGround ground, uint256 segment)
    {
        if (evidence.length != 64) revert AdapterRegistryMalformedEvidence(evidence.length);
        uint256 groundWord;
        (groundWord, segment) = abi.decode(evidence, (uint256, uint256));
        if (groundWord == 0 || groundWord > uint256(type(ChallengeGround).max)) {
            revert AdapterRegistryInvalidGround(groundWord);
        }
        ground = ChallengeGround(groundWord);
        bool fits = ground == ChallengeGround.ContributorsRoot
            ? segment == 0
            : segment != 0 && segment <= checkpointCount;
        if (!fits) revert AdapterRegistryInvalidSegment(ground, segment, checkpointCount);
    }
}
