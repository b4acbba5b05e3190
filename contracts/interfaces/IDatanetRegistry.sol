// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatasetEligibility} from "./IDatasetEligibility.sol";

/// @title Datanets and their staked datasets (DESIGN §3, §4 "Samples and dataset roots")
/// @dev The one ABI source for the registry: its structs, events and custom errors live here.
interface IDatanetRegistry is IDatasetEligibility {
    /// @notice A curated collection of datasets with its stake requirements.
    /// @dev `minStake` and `stakePerSample` are fixed at creation so a dataset's requirement never moves under it.
    struct Datanet {
        address curator;
        uint256 minStake;
        uint256 stakePerSample;
        string metadataURI;
    }

    /// @notice A registered dataset: a root of sample hashes, its stake and its place in the registration order.
    /// @dev `stake` counts everything the registry holds for the dataset, `unbonding` included
    /// (`unbonding ≤ stake` always). `unbondingEnd` is fixed when the unstake is requested.
    struct Dataset {
        address owner;
        uint64 commitBlock;
        uint32 duplicateCount;
        uint256 datanetId;
        bytes32 root;
        uint64 commitOrder;
        uint64 sampleCount;
        uint64 tokenCount;
        uint64 unbondingEnd;
        uint256 stake;
        uint256 unbonding;
        string uri;
    }

    /// @notice A commitment to a dataset root, made before the root is revealed.
    /// @dev `revealDeadline` is fixed at commit time (commit block + the reveal window then in force).
    struct Commitment {
        uint64 blockNumber;
        uint64 order;
        uint64 revealDeadline;
    }

    /// @notice What a reveal names: the committed root (with its salt) and the dataset it registers.
    struct RevealParams {
        uint256 datanetId;
        bytes32 root;
        uint64 sampleCount;
        uint64 tokenCount;
        string uri;
        bytes32 salt;
        uint256 stake;
    }

    /// @notice Emitted when governance changes the number of blocks a commitment stays revealable.
    event RevealWindowUpdated(uint64 previousBlocks, uint64 newBlocks);

    /// @notice Emitted when governance changes the unbonding period of future unstake requests.
    event UnbondingPeriodUpdated(uint64 previousSeconds, uint64 newSeconds);

    /// @notice Emitted when governance changes the share of a dataset's stake a duplicate proof slashes.
    event DuplicateSlashBpsUpdated(uint16 previousBps, uint16 newBps);

    /// @notice Emitted when governance changes the share of a slash paid to the prover.
    event ProverShareBpsUpdated(uint16 previousBps, uint16 newBps);

    /// @notice Emitted when a datanet is created.
    event DatanetCreated(
        uint256 indexed datanetId,
        address indexed curator,
        uint256 minStake,
        uint256 stakePerSample,
        string metadataURI
    );

    /// @notice Emitted when a datanet's curator replaces its metadata URI.
    event DatanetMetadataUpdated(uint256 indexed datanetId, string metadataURI);

    /// @notice Emitted when a commitment to a dataset root is recorded.
    event DatasetCommitted(
        bytes32 indexed commitment,
        address indexed committer,
        uint64 order,
        uint64 revealDeadline
    );

    /// @notice Emitted when a commitment is revealed and its dataset registered.
    event DatasetRegistered(
        uint256 indexed datasetId,
        uint256 indexed datanetId,
        address indexed owner,
        bytes32 root,
        uint64 commitOrder,
        uint64 commitBlock,
        uint64 sampleCount,
        uint64 tokenCount,
        uint256 stake,
        string uri
    );

    /// @notice Emitted when a dataset's owner adds to its stake.
    event StakeAdded(uint256 indexed datasetId, uint256 amount, uint256 stake);

    /// @notice Emitted when a dataset's owner starts unbonding part of its stake.
    /// @param unbonding the whole amount now unbonding (earlier requests included)
    /// @param unbondingEnd the time after which all of it can be withdrawn
    event UnstakeRequested(uint256 indexed datasetId, uint256 amount, uint256 unbonding, uint64 unbondingEnd);

    /// @notice Emitted when a dataset's owner withdraws its unbonded stake.
    event UnstakeWithdrawn(uint256 indexed datasetId, address indexed owner, uint256 amount, uint256 stake);

    /// @notice Emitted when one sample hash is proven in two datasets and the later-committed one is slashed.
    /// @param slashed taken from the later dataset's stake: `reward + burned`
    event DuplicateProven(
        bytes32 indexed sampleHash,
        uint256 indexed earlierDatasetId,
        uint256 indexed laterDatasetId,
        address prover,
        uint256 slashed,
        uint256 reward,
        uint256 burned
    );

    /// @notice The token address is zero.
    error DatanetRegistryZeroToken();

    /// @notice A basis-point parameter exceeds 10,000.
    error DatanetRegistryInvalidBps(uint256 bps);

    /// @notice The reveal window is zero or above its cap.
    error DatanetRegistryInvalidRevealWindow(uint64 blocks, uint64 maxBlocks);

    /// @notice The unbonding period is above its cap.
    error DatanetRegistryUnbondingPeriodTooLong(uint64 period, uint64 maxPeriod);

    /// @notice The stake requirement of a datanet could overflow for some sample count.
    error DatanetRegistryStakeRequirementTooLarge(uint256 minStake, uint256 stakePerSample);

    /// @notice No datanet has this id.
    error DatanetRegistryUnknownDatanet(uint256 datanetId);

    /// @notice The caller is not the datanet's curator.
    error DatanetRegistryNotCurator(uint256 datanetId, address caller);

    /// @notice The commitment was already made (a commitment can be made once).
    error DatanetRegistryCommitmentAlreadyMade(bytes32 commitment);

    /// @notice No commitment matches the reveal (wrong root, salt or owner, or never committed).
    error DatanetRegistryUnknownCommitment(bytes32 commitment);

    /// @notice The reveal comes in the commit's own block; it must come at least one block later.
    error DatanetRegistryRevealTooEarly(bytes32 commitment, uint64 commitBlock);

    /// @notice The commitment's reveal window has passed.
    error DatanetRegistryCommitmentLapsed(bytes32 commitment, uint64 revealDeadline);

    /// @notice The revealed root is zero.
    error DatanetRegistryZeroRoot();

    /// @notice The revealed root is already registered (roots are registered once).
    error DatanetRegistryRootAlreadyRegistered(bytes32 root, uint256 datasetId);

    /// @notice The revealed sample count is zero.
    error DatanetRegistryZeroSampleCount();

    /// @notice The stake is below the dataset's requirement.
    error DatanetRegistryStakeTooLow(uint256 stake, uint256 requiredStake);

    /// @notice No dataset has this id.
    error DatanetRegistryUnknownDataset(uint256 datasetId);

    /// @notice The caller is not the dataset's owner.
    error DatanetRegistryNotDatasetOwner(uint256 datasetId, address caller);

    /// @notice The amount is zero.
    error DatanetRegistryZeroAmount();

    /// @notice The unstake asks for more than the stake that is not already unbonding.
    error DatanetRegistryUnstakeTooLarge(uint256 datasetId, uint256 amount, uint256 available);

    /// @notice Nothing of the dataset's stake is unbonding.
    error DatanetRegistryNothingUnbonding(uint256 datasetId);

    /// @notice The unbonding period has not passed (withdrawal is allowed strictly after its end).
    error DatanetRegistryStillUnbonding(uint256 datasetId, uint64 unbondingEnd);

    /// @notice A duplicate proof names the same dataset twice.
    error DatanetRegistrySameDataset(uint256 datasetId);

    /// @notice The proof does not show the sample hash in the dataset's root.
    error DatanetRegistryInvalidProof(uint256 datasetId, bytes32 sampleHash);

    /// @notice This sample hash was already proven a duplicate in this (later) dataset.
    error DatanetRegistryDuplicateAlreadyProven(bytes32 sampleHash, uint256 datasetId);

    /// @notice Creates a datanet curated by the caller and returns its id.
    function createDatanet(
        string calldata metadataURI,
        uint256 minStake,
        uint256 stakePerSample
    ) external returns (uint256 datanetId);

    /// @notice Replaces a datanet's metadata URI (curator only).
    function setDatanetMetadataURI(uint256 datanetId, string calldata metadataURI) external;

    /// @notice Commits to `keccak256(abi.encode(root, owner, salt))` ahead of the reveal.
    function commitDataset(bytes32 commitment) external;

    /// @notice Reveals a committed root and registers its dataset with the caller as owner.
    function revealDataset(RevealParams calldata params) external returns (uint256 datasetId);

    /// @notice {revealDataset} with an EIP-2612 permit for the stake.
    function revealDatasetWithPermit(
        RevealParams calldata params,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 datasetId);

    /// @notice Adds to a dataset's stake (owner only).
    function addStake(uint256 datasetId, uint256 amount) external;

    /// @notice Starts unbonding `amount` of a dataset's stake (owner only).
    function requestUnstake(uint256 datasetId, uint256 amount) external;

    /// @notice Withdraws all of a dataset's unbonded stake to its owner.
    function withdrawUnstaked(uint256 datasetId) external returns (uint256 amount);

    /// @notice Proves `sampleHash` is in two datasets' roots and slashes the later-committed one.
    function proveDuplicate(
        bytes32 sampleHash,
        uint256 datasetA,
        bytes32[] calldata proofA,
        uint256 datasetB,
        bytes32[] calldata proofB
    ) external;

    /// @notice Sets the reveal window, in blocks, of future commitments (owner only).
    function setRevealWindowBlocks(uint64 blocks) external;

    /// @notice Sets the unbonding period, in seconds, of future unstake requests (owner only).
    function setUnbondingPeriod(uint64 period) external;

    /// @notice Sets the share of a dataset's stake a duplicate proof slashes (owner only).
    function setDuplicateSlashBps(uint16 bps) external;

    /// @notice Sets the share of a slash paid to the prover; the rest is burned (owner only).
    function setProverShareBps(uint16 bps) external;

    /// @notice The datanet `datanetId`.
    function getDatanet(uint256 datanetId) external view returns (Datanet memory);

    /// @notice The dataset `datasetId`.
    function getDataset(uint256 datasetId) external view returns (Dataset memory);

    /// @notice The commitment record of `commitment` (all zero when never made).
    function getCommitment(bytes32 commitment) external view returns (Commitment memory);

    /// @notice The dataset registered with `root`, or 0.
    function datasetIdOfRoot(bytes32 root) external view returns (uint256);

    /// @notice The stake a dataset of `sampleCount` samples needs in datanet `datanetId`.
    function requiredStake(uint256 datanetId, uint64 sampleCount) external view returns (uint256);

    /// @notice Whether `sampleHash` was proven a duplicate in the later dataset `datasetId`.
    function isDuplicateProven(bytes32 sampleHash, uint256 datasetId) external view returns (bool);

    /// @notice The number of datanets created (the highest id).
    function datanetCount() external view returns (uint256);

    /// @notice The number of datasets registered (the highest id).
    function datasetCount() external view returns (uint256);

    /// @notice The number of commitments made (the highest commit order).
    function commitCount() external view returns (uint64);

    /// @notice The staking token (OPEN).
    function token() external view returns (address);

    /// @notice The number of blocks after its commit block within which a commitment can be revealed.
    function revealWindowBlocks() external view returns (uint64);

    /// @notice The delay, in seconds, between an unstake request and its withdrawal.
    function unbondingPeriod() external view returns (uint64);

    /// @notice The share, in basis points, of a later dataset's stake that a duplicate proof slashes.
    function duplicateSlashBps() external view returns (uint16);

    /// @notice The share, in basis points, of a slash paid to the prover; the rest is burned.
    function proverShareBps() external view returns (uint16);
}
