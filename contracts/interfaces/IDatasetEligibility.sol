// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title What a training commitment asks of the dataset registry
/// @dev Kept apart from the full `IDatanetRegistry` so the AdapterRegistry depends on one question only.
interface IDatasetEligibility {
    /// @notice Whether `datasetId` may be named in a new training commitment now.
    /// @dev True only for a registered dataset whose stake, less what is unbonding, still meets its datanet's
    /// requirement (`minStake + stakePerSample × sampleCount`).
    function isEligible(uint256 datasetId) external view returns (bool);

    /// @notice The order in which datasets were committed (commit–reveal, DESIGN §4); 0 for an unknown id.
    /// @dev Lower is earlier. Used off-chain to assign each sample to its earliest dataset (DESIGN §7).
    function commitOrderOf(uint256 datasetId) external view returns (uint256);
}
