// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

import {IDatanetRegistry} from "../interfaces/IDatanetRegistry.sol";
import {IDatasetEligibility} from "../interfaces/IDatasetEligibility.sol";

/// @title DatanetRegistryMock
/// @dev CAUTION: test only. Stands in for the DatanetRegistry in Settlement tests: anyone sets a dataset's owner and
/// whether it is eligible. `getDataset` answers with the owner and zeros elsewhere; an id without an owner of its
/// own has the default owner (0 unless set), so benchmarks can name any of 2^20 datasets.
contract DatanetRegistryMock is IDatasetEligibility {
    mapping(uint256 datasetId => address owner) private _owners;
    mapping(uint256 datasetId => bool eligible) private _eligible;
    address private _defaultOwner;

    /// @notice Sets the owner of `datasetId`.
    function setOwner(uint256 datasetId, address owner) external {
        _owners[datasetId] = owner;
    }

    /// @notice Sets the owner of every dataset without one of its own.
    function setDefaultOwner(address owner) external {
        _defaultOwner = owner;
    }

    /// @notice Sets whether `datasetId` is eligible for a training commitment.
    function setEligible(uint256 datasetId, bool eligible) external {
        _eligible[datasetId] = eligible;
    }

    /// @notice The dataset, with only its owner filled in.
    function getDataset(uint256 datasetId) external view returns (IDatanetRegistry.Dataset memory dataset) {
        address owner = _owners[datasetId];
        dataset.owner = owner == address(0) ? _defaultOwner : owner;
    }

    /// @inheritdoc IDatasetEligibility
    function isEligible(uint256 datasetId) external view returns (bool) {
        return _eligible[datasetId];
    }

    /// @inheritdoc IDatasetEligibility
    function commitOrderOf(uint256 datasetId) external pure returns (uint256) {
        return datasetId;
    }
}
