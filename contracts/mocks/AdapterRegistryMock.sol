// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

/// @title AdapterRegistryMock
/// @dev CAUTION: test only. Stands in for the AdapterRegistry in the Settlement's Solidity tests, where the real one's
/// commit–seal–submit–activate sequence (which needs real block hashes) is not the subject: anyone sets a version's
/// owner, whether it is active, and its contributors root. Answers the three questions the Settlement asks.
contract AdapterRegistryMock {
    struct Version {
        address owner;
        bool active;
        bytes32 contributorsRoot;
    }

    mapping(uint256 versionId => Version) private _versions;

    /// @notice Sets version `versionId`.
    function setVersion(uint256 versionId, address owner, bool active, bytes32 contributorsRoot) external {
        _versions[versionId] = Version(owner, active, contributorsRoot);
    }

    /// @notice Whether version `versionId` is active.
    function isActive(uint256 versionId) external view returns (bool) {
        return _versions[versionId].active;
    }

    /// @notice The owner of version `versionId`.
    function ownerOfVersion(uint256 versionId) external view returns (address) {
        return _versions[versionId].owner;
    }

    /// @notice The contributors root of version `versionId`.
    function contributorsRootOf(uint256 versionId) external view returns (bytes32) {
        return _versions[versionId].contributorsRoot;
    }
}
