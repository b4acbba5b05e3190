// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDatanetRegistry} from "./interfaces/IDatanetRegistry.sol";
import {IDatasetEligibility} from "./interfaces/IDatasetEligibility.sol";

/// @title DatanetRegistry
/// @notice Datanets, and the datasets contributors stake on them: each dataset is the standard-tree root of its
/// sample hashes, registered by commit–reveal so nobody can register a contributor's root, or a copy of it, first.
/// A duplicate proof (one sample hash in two roots) slashes the later-committed dataset.
/// @dev DESIGN §3 and §4 "Samples and dataset roots". A dataset's `stake` is everything the registry holds for it,
/// `unbonding` included, so the token balance of this contract is always the sum of all stakes, and a duplicate
/// proof reaches stake that is already unbonding (an unstake cannot dodge a proof). Stake leaves only through
/// {withdrawUnstaked} (to the owner) and {proveDuplicate} (to the prover and burned).
contract DatanetRegistry is IDatanetRegistry, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Upper bound of {unbondingPeriod}: a year keeps `now + period` far from overflowing `uint64`.
    uint64 public constant MAX_UNBONDING_PERIOD = 365 days;

    /// @notice Upper bound of {revealWindowBlocks}: about 23 days at 2-second blocks, far beyond any honest need.
    uint64 public constant MAX_REVEAL_WINDOW_BLOCKS = 1_000_000;

    /// @dev Basis points in a whole.
    uint16 private constant _BPS = 10_000;

    /// @dev OPEN. Immutable: every stake is denominated in it.
    IERC20 private immutable _token;

    uint64 private _revealWindowBlocks;
    uint64 private _unbondingPeriod;
    uint16 private _duplicateSlashBps;
    uint16 private _proverShareBps;
    uint64 private _commitCount;
    uint256 private _datanetCount;
    uint256 private _datasetCount;

    mapping(uint256 datanetId => Datanet) private _datanets;
    mapping(uint256 datasetId => Dataset) private _datasets;
    mapping(bytes32 commitment => Commitment) private _commitments;
    mapping(bytes32 root => uint256 datasetId) private _datasetIdOfRoot;
    mapping(bytes32 sampleHash => mapping(uint256 laterDatasetId => bool proven)) private _duplicateProven;

    /// @dev Reverts unless the caller owns dataset `datasetId`.
    modifier onlyDatasetOwner(uint256 datasetId) {
        _checkDatasetOwner(datasetId);
        _;
    }

    /// @param token_ OPEN, the staking token (ERC-20 with permit and burn)
    /// @param initialOwner governance: sets the parameters below
    /// @param revealWindowBlocks_ blocks after its commit block within which a commitment can be revealed
    /// @param unbondingPeriod_ seconds between an unstake request and its withdrawal
    /// @param duplicateSlashBps_ share of a later dataset's stake that a duplicate proof slashes
    /// @param proverShareBps_ share of a slash paid to the prover; the rest is burned
    constructor(
        IERC20 token_,
        address initialOwner,
        uint64 revealWindowBlocks_,
        uint64 unbondingPeriod_,
        uint16 duplicateSlashBps_,
        uint16 proverShareBps_
    ) Ownable(initialOwner) {
        if (address(token_) == address(0)) revert DatanetRegistryZeroToken();
        _token = token_;
        _setRevealWindowBlocks(revealWindowBlocks_);
        _setUnbondingPeriod(unbondingPeriod_);
        _setDuplicateSlashBps(duplicateSlashBps_);
        _setProverShareBps(proverShareBps_);
    }

    /// @notice Creates a datanet curated by the caller.
    /// @dev The stake requirements are immutable. Requirements:
    ///
    /// - `minStake + stakePerSample × sampleCount` must fit in `uint256` for every `uint64` sample count.
    ///
    /// Emits a {DatanetCreated} event.
    /// @return datanetId the new datanet's id (from 1)
    function createDatanet(
        string calldata metadataURI,
        uint256 minStake,
        uint256 stakePerSample
    ) external returns (uint256 datanetId) {
        if (stakePerSample > (type(uint256).max - minStake) / type(uint64).max) {
            revert DatanetRegistryStakeRequirementTooLarge(minStake, stakePerSample);
        }
        datanetId = ++_datanetCount;
        _datanets[datanetId] = Datanet({
            curator: msg.sender,
            minStake: minStake,
            stakePerSample: stakePerSample,
            metadataURI: metadataURI
        });
        emit DatanetCreated(datanetId, msg.sender, minStake, stakePerSample, metadataURI);
    }

    /// @notice Replaces a datanet's metadata URI.
    /// @dev Requirements:
    ///
    /// - the datanet exists and the caller is its curator.
    ///
    /// Emits a {DatanetMetadataUpdated} event.
    function setDatanetMetadataURI(uint256 datanetId, string calldata metadataURI) external {
        Datanet storage datanet = _existingDatanet(datanetId);
        if (datanet.curator != msg.sender) revert DatanetRegistryNotCurator(datanetId, msg.sender);
        datanet.metadataURI = metadataURI;
        emit DatanetMetadataUpdated(datanetId, metadataURI);
    }

    /// @notice Commits to a dataset root ahead of its reveal; the commit fixes the dataset's registration order.
    /// @dev `commitment = keccak256(abi.encode(bytes32 root, address owner, bytes32 salt))`. Anyone may send it, but
    /// only `owner` can reveal it, so copying a commitment gains nothing. Requirements:
    ///
    /// - the commitment was never made before.
    ///
    /// Emits a {DatasetCommitted} event.
    function commitDataset(bytes32 commitment) external {
        if (_commitments[commitment].blockNumber != 0) revert DatanetRegistryCommitmentAlreadyMade(commitment);
        uint64 order = ++_commitCount;
        uint64 revealDeadline = SafeCast.toUint64(block.number + _revealWindowBlocks);
        _commitments[commitment] = Commitment({
            blockNumber: SafeCast.toUint64(block.number),
            order: order,
            revealDeadline: revealDeadline
        });
        emit DatasetCommitted(commitment, msg.sender, order, revealDeadline);
    }

    /// @notice Reveals a committed root and registers its dataset, owned by the caller, pulling its stake.
    /// @dev Requirements:
    ///
    /// - `params.root` is non-zero and was never registered; `params.sampleCount` is non-zero;
    /// - the datanet exists and `params.stake` meets `requiredStake(datanetId, sampleCount)`;
    /// - `keccak256(abi.encode(root, msg.sender, salt))` was committed in an earlier block, at most
    ///   the commitment's reveal window ago;
    /// - the caller approved `params.stake` to this contract.
    ///
    /// Emits a {DatasetRegistered} event.
    /// @return datasetId the new dataset's id (from 1, global)
    function revealDataset(RevealParams calldata params) external nonReentrant returns (uint256 datasetId) {
        return _reveal(params);
    }

    /// @notice {revealDataset}, approving the stake with an EIP-2612 permit first.
    /// @dev A failing permit is ignored (someone may have front-run it): the transfer then needs the allowance
    /// it would have set. Requirements and events as {revealDataset}.
    function revealDatasetWithPermit(
        RevealParams calldata params,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 datasetId) {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), params.stake, deadline, v, r, s) {} catch {}
        return _reveal(params);
    }

    /// @notice Adds `amount` to a dataset's stake. It never touches what is unbonding or its timer.
    /// @dev Requirements:
    ///
    /// - the caller owns the dataset and approved `amount`; `amount` is non-zero.
    ///
    /// Emits a {StakeAdded} event.
    function addStake(uint256 datasetId, uint256 amount) external nonReentrant onlyDatasetOwner(datasetId) {
        if (amount == 0) revert DatanetRegistryZeroAmount();
        Dataset storage dataset = _datasets[datasetId];
        uint256 stake = dataset.stake + amount;
        dataset.stake = stake;
        emit StakeAdded(datasetId, amount, stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` more of a dataset's stake.
    /// @dev One timer covers everything unbonding. Each request restarts it: all of it becomes withdrawable after
    /// `now + unbondingPeriod` (THREATS #14), or after the end already set if that is later, so no request is ever
    /// released earlier than it was promised, even after governance shortens the period (THREATS #25). Unbonding
    /// stake still counts against duplicate proofs but not towards eligibility. Requirements:
    ///
    /// - the caller owns the dataset; `0 < amount ≤ stake − unbonding`.
    ///
    /// Emits an {UnstakeRequested} event.
    function requestUnstake(uint256 datasetId, uint256 amount) external onlyDatasetOwner(datasetId) {
        if (amount == 0) revert DatanetRegistryZeroAmount();
        Dataset storage dataset = _datasets[datasetId];
        uint256 unbonding = dataset.unbonding;
        uint256 available = dataset.stake - unbonding;
        if (amount > available) revert DatanetRegistryUnstakeTooLarge(datasetId, amount, available);
        // `amount ≤ stake − unbonding`, so the sum is at most `stake`.
        unchecked {
            unbonding += amount;
        }
        uint64 unbondingEnd = SafeCast.toUint64(block.timestamp + _unbondingPeriod);
        // A shortened period must not pull an earlier request's end forward.
        if (dataset.unbondingEnd > unbondingEnd) unbondingEnd = dataset.unbondingEnd;
        dataset.unbonding = unbonding;
        dataset.unbondingEnd = unbondingEnd;
        emit UnstakeRequested(datasetId, amount, unbonding, unbondingEnd);
    }

    /// @notice Pays a dataset's owner all of its unbonding stake once the unbonding period has passed.
    /// @dev Requirements:
    ///
    /// - the caller owns the dataset; something is unbonding;
    /// - `block.timestamp > unbondingEnd` (at exactly the end it still reverts, THREATS #12).
    ///
    /// Emits an {UnstakeWithdrawn} event.
    /// @return amount what was paid
    function withdrawUnstaked(
        uint256 datasetId
    ) external nonReentrant onlyDatasetOwner(datasetId) returns (uint256 amount) {
        Dataset storage dataset = _datasets[datasetId];
        amount = dataset.unbonding;
        if (amount == 0) revert DatanetRegistryNothingUnbonding(datasetId);
        uint64 unbondingEnd = dataset.unbondingEnd;
        if (block.timestamp <= unbondingEnd) revert DatanetRegistryStillUnbonding(datasetId, unbondingEnd);
        // `unbonding ≤ stake` is kept by every path that changes either.
        uint256 stake;
        unchecked {
            stake = dataset.stake - amount;
        }
        dataset.stake = stake;
        dataset.unbonding = 0;
        dataset.unbondingEnd = 0;
        emit UnstakeWithdrawn(datasetId, msg.sender, amount, stake);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice Proves `sampleHash` is in the roots of two datasets and slashes the later-committed one.
    /// @dev Each proof is checked against the dataset's root for the standard-tree leaf
    /// `keccak256(bytes.concat(keccak256(abi.encode(sampleHash))))`: a 64-byte internal node cannot pass as a leaf.
    /// The later dataset loses `duplicateSlashBps` of its whole stake, unbonding included (unbonding is then capped
    /// at the stake left); `proverShareBps` of that goes to the caller, the rest is burned. The datasets may be
    /// named in either order. Requirements:
    ///
    /// - both datasets exist and differ; both proofs hold;
    /// - this sample hash was not already proven in the later dataset (each pair is provable once).
    ///
    /// Emits a {DuplicateProven} event.
    function proveDuplicate(
        bytes32 sampleHash,
        uint256 datasetA,
        bytes32[] calldata proofA,
        uint256 datasetB,
        bytes32[] calldata proofB
    ) external nonReentrant {
        if (datasetA == datasetB) revert DatanetRegistrySameDataset(datasetA);
        Dataset storage a = _existingDataset(datasetA);
        Dataset storage b = _existingDataset(datasetB);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(sampleHash))));
        if (!MerkleProof.verifyCalldata(proofA, a.root, leaf)) revert DatanetRegistryInvalidProof(datasetA, sampleHash);
        if (!MerkleProof.verifyCalldata(proofB, b.root, leaf)) revert DatanetRegistryInvalidProof(datasetB, sampleHash);

        // Commit orders are unique: each dataset comes from its own commitment.
        if (a.commitOrder < b.commitOrder) {
            _punishDuplicate(sampleHash, datasetA, datasetB);
        } else {
            _punishDuplicate(sampleHash, datasetB, datasetA);
        }
    }

    /// @notice Sets the reveal window of commitments made from now on (open commitments keep theirs).
    /// @dev Requirements: owner only; `0 < blocks ≤ MAX_REVEAL_WINDOW_BLOCKS`.
    ///
    /// Emits a {RevealWindowUpdated} event.
    function setRevealWindowBlocks(uint64 blocks) external onlyOwner {
        _setRevealWindowBlocks(blocks);
    }

    /// @notice Sets the unbonding period of unstake requests made from now on (earlier requests keep their end).
    /// @dev Requirements: owner only; `period ≤ MAX_UNBONDING_PERIOD`.
    ///
    /// Emits an {UnbondingPeriodUpdated} event.
    function setUnbondingPeriod(uint64 period) external onlyOwner {
        _setUnbondingPeriod(period);
    }

    /// @notice Sets the share of a later dataset's stake that a duplicate proof slashes.
    /// @dev Requirements: owner only; `bps ≤ 10000`.
    ///
    /// Emits a {DuplicateSlashBpsUpdated} event.
    function setDuplicateSlashBps(uint16 bps) external onlyOwner {
        _setDuplicateSlashBps(bps);
    }

    /// @notice Sets the share of a slash paid to the prover; the rest is burned.
    /// @dev Requirements: owner only; `bps ≤ 10000`.
    ///
    /// Emits a {ProverShareBpsUpdated} event.
    function setProverShareBps(uint16 bps) external onlyOwner {
        _setProverShareBps(bps);
    }

    /// @inheritdoc IDatanetRegistry
    function getDatanet(uint256 datanetId) external view returns (Datanet memory) {
        return _existingDatanet(datanetId);
    }

    /// @inheritdoc IDatanetRegistry
    function getDataset(uint256 datasetId) external view returns (Dataset memory) {
        return _existingDataset(datasetId);
    }

    /// @inheritdoc IDatanetRegistry
    function getCommitment(bytes32 commitment) external view returns (Commitment memory) {
        return _commitments[commitment];
    }

    /// @inheritdoc IDatanetRegistry
    function datasetIdOfRoot(bytes32 root) external view returns (uint256) {
        return _datasetIdOfRoot[root];
    }

    /// @inheritdoc IDatanetRegistry
    function requiredStake(uint256 datanetId, uint64 sampleCount) external view returns (uint256) {
        return _requiredStake(_existingDatanet(datanetId), sampleCount);
    }

    /// @inheritdoc IDatanetRegistry
    function isDuplicateProven(bytes32 sampleHash, uint256 datasetId) external view returns (bool) {
        return _duplicateProven[sampleHash][datasetId];
    }

    /// @inheritdoc IDatanetRegistry
    function datanetCount() external view returns (uint256) {
        return _datanetCount;
    }

    /// @inheritdoc IDatanetRegistry
    function datasetCount() external view returns (uint256) {
        return _datasetCount;
    }

    /// @inheritdoc IDatanetRegistry
    function commitCount() external view returns (uint64) {
        return _commitCount;
    }

    /// @inheritdoc IDatanetRegistry
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IDatanetRegistry
    function revealWindowBlocks() external view returns (uint64) {
        return _revealWindowBlocks;
    }

    /// @inheritdoc IDatanetRegistry
    function unbondingPeriod() external view returns (uint64) {
        return _unbondingPeriod;
    }

    /// @inheritdoc IDatanetRegistry
    function duplicateSlashBps() external view returns (uint16) {
        return _duplicateSlashBps;
    }

    /// @inheritdoc IDatanetRegistry
    function proverShareBps() external view returns (uint16) {
        return _proverShareBps;
    }

    /// @inheritdoc IDatasetEligibility
    function isEligible(uint256 datasetId) external view returns (bool) {
        Dataset storage dataset = _datasets[datasetId];
        if (dataset.owner == address(0)) return false;
        return dataset.stake - dataset.unbonding >= _requiredStake(_datanets[dataset.datanetId], dataset.sampleCount);
    }

    /// @inheritdoc IDatasetEligibility
    function commitOrderOf(uint256 datasetId) external view returns (uint256) {
        return _datasets[datasetId].commitOrder;
    }

    /// @dev Checks a reveal against its commitment and registers the dataset (see {revealDataset}).
    function _reveal(RevealParams calldata params) private returns (uint256 datasetId) {
        if (params.root == bytes32(0)) revert DatanetRegistryZeroRoot();
        if (params.sampleCount == 0) revert DatanetRegistryZeroSampleCount();
        uint256 existing = _datasetIdOfRoot[params.root];
        if (existing != 0) revert DatanetRegistryRootAlreadyRegistered(params.root, existing);
        uint256 required = _requiredStake(_existingDatanet(params.datanetId), params.sampleCount);
        if (params.stake < required) revert DatanetRegistryStakeTooLow(params.stake, required);

        // The owner is part of the commitment: revealing someone else's root and salt finds no commitment.
        bytes32 commitment = keccak256(abi.encode(params.root, msg.sender, params.salt));
        Commitment memory committed = _commitments[commitment];
        if (committed.blockNumber == 0) revert DatanetRegistryUnknownCommitment(commitment);
        if (block.number <= committed.blockNumber) {
            revert DatanetRegistryRevealTooEarly(commitment, committed.blockNumber);
        }
        if (block.number > committed.revealDeadline) {
            revert DatanetRegistryCommitmentLapsed(commitment, committed.revealDeadline);
        }

        datasetId = ++_datasetCount;
        Dataset storage dataset = _datasets[datasetId];
        dataset.owner = msg.sender;
        dataset.commitBlock = committed.blockNumber;
        dataset.datanetId = params.datanetId;
        dataset.root = params.root;
        dataset.commitOrder = committed.order;
        dataset.sampleCount = params.sampleCount;
        dataset.tokenCount = params.tokenCount;
        dataset.stake = params.stake;
        dataset.uri = params.uri;
        _datasetIdOfRoot[params.root] = datasetId;
        _emitRegistered(datasetId, dataset);

        _token.safeTransferFrom(msg.sender, address(this), params.stake);
    }

    /// @dev Records the proven (sample, later dataset) pair, slashes the later dataset and pays the prover.
    function _punishDuplicate(bytes32 sampleHash, uint256 earlierId, uint256 laterId) private {
        if (_duplicateProven[sampleHash][laterId]) revert DatanetRegistryDuplicateAlreadyProven(sampleHash, laterId);
        _duplicateProven[sampleHash][laterId] = true;
        Dataset storage later = _datasets[laterId];
        // Bounded by the number of distinct sample hashes ever proven in it; checked all the same.
        ++later.duplicateCount;
        (uint256 slashed, uint256 reward, uint256 burned) = _slash(later);
        emit DuplicateProven(sampleHash, earlierId, laterId, msg.sender, slashed, reward, burned);

        if (reward != 0) _token.safeTransfer(msg.sender, reward);
        if (burned != 0) ERC20Burnable(address(_token)).burn(burned);
    }

    /// @dev Takes `duplicateSlashBps` of the dataset's whole stake and keeps `unbonding ≤ stake` (THREATS #26).
    function _slash(Dataset storage dataset) private returns (uint256 slashed, uint256 reward, uint256 burned) {
        uint256 stake = dataset.stake;
        slashed = (stake * _duplicateSlashBps) / _BPS;
        reward = (slashed * _proverShareBps) / _BPS;
        // `slashed ≤ stake` and `reward ≤ slashed`, as both shares are at most 10,000 bps.
        unchecked {
            burned = slashed - reward;
            stake -= slashed;
        }
        dataset.stake = stake;
        if (dataset.unbonding > stake) dataset.unbonding = stake;
        if (dataset.unbonding == 0) dataset.unbondingEnd = 0;
    }

    function _setRevealWindowBlocks(uint64 blocks) private {
        if (blocks == 0 || blocks > MAX_REVEAL_WINDOW_BLOCKS) {
            revert DatanetRegistryInvalidRevealWindow(blocks, MAX_REVEAL_WINDOW_BLOCKS);
        }
        uint64 previous = _revealWindowBlocks;
        _revealWindowBlocks = blocks;
        emit RevealWindowUpdated(previous, blocks);
    }

    function _setUnbondingPeriod(uint64 period) private {
        if (period > MAX_UNBONDING_PERIOD) revert DatanetRegistryUnbondingPeriodTooLong(period, MAX_UNBONDING_PERIOD);
        uint64 previous = _unbondingPeriod;
        _unbondingPeriod = period;
        emit UnbondingPeriodUpdated(previous, period);
    }

    function _setDuplicateSlashBps(uint16 bps) private {
        if (bps > _BPS) revert DatanetRegistryInvalidBps(bps);
        uint16 previous = _duplicateSlashBps;
        _duplicateSlashBps = bps;
        emit DuplicateSlashBpsUpdated(previous, bps);
    }

    function _setProverShareBps(uint16 bps) private {
        if (bps > _BPS) revert DatanetRegistryInvalidBps(bps);
        uint16 previous = _proverShareBps;
        _proverShareBps = bps;
        emit ProverShareBpsUpdated(previous, bps);
    }

    /// @dev Split out of {_reveal} to keep its stack shallow.
    function _emitRegistered(uint256 datasetId, Dataset storage dataset) private {
        emit DatasetRegistered(
            datasetId,
            dataset.datanetId,
            dataset.owner,
            dataset.root,
            dataset.commitOrder,
            dataset.commitBlock,
            dataset.sampleCount,
            dataset.tokenCount,
            dataset.stake,
            dataset.uri
        );
    }

    function _checkDatasetOwner(uint256 datasetId) private view {
        address owner = _existingDataset(datasetId).owner;
        if (owner != msg.sender) revert DatanetRegistryNotDatasetOwner(datasetId, msg.sender);
    }

    function _existingDatanet(uint256 datanetId) private view returns (Datanet storage datanet) {
        datanet = _datanets[datanetId];
        if (datanet.curator == address(0)) revert DatanetRegistryUnknownDatanet(datanetId);
    }

    function _existingDataset(uint256 datasetId) private view returns (Dataset storage dataset) {
        dataset = _datasets[datasetId];
        if (dataset.owner == address(0)) revert DatanetRegistryUnknownDataset(datasetId);
    }

    /// @dev `minStake + stakePerSample × sampleCount`; {createDatanet} bounds `stakePerSample` so this never
    /// overflows.
    function _requiredStake(Datanet storage datanet, uint64 sampleCount) private view returns (uint256) {
        // createDatanet checked `stakePerSample ≤ (2²⁵⁶ − 1 − minStake) / (2⁶⁴ − 1)` and `sampleCount ≤ 2⁶⁴ − 1`.
        unchecked {
            return datanet.minStake + datanet.stakePerSample * sampleCount;
        }
    }
}
