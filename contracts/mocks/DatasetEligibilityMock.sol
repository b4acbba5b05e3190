// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

import {IDatasetEligibility} from "../interfaces/IDatasetEligibility.sol";

/// @title DatasetEligibilityMock
/// @dev CAUTION: test only. Stands in for the DatanetRegistry in AdapterRegistry tests: anyone sets whether a
/// dataset is eligible and its commit order.
contract DatasetEligibilityMock is IDatasetEligibility {
    mapping(uint256 datasetId => bool eligible) private _eligible;
    mapping(uint256 datasetId => uint256 order) private _commitOrder;

    /// @notice Sets whether `datasetId` is eligible.
    function setEligible(uint256 datasetId, bool eligible) external {
        _eligible[datasetId] = eligible;
    }

    /// @notice Sets the commit order of `datasetId`.
    function setCommitOrder(uint256 datasetId, uint256 order) external {
        _commitOrder[datasetId] = order;
    }

    /// @inheritdoc IDatasetEligibility
    function isEligible(uint256 datasetId) external view returns (bool) {
        return _eligible[datasetId];
    }

    /// @inheritdoc IDatasetEligibility
    function commitOrderOf(uint256 datasetId) external view returns (uint256) {
        return _commitOrder[datasetId];
    }
}
