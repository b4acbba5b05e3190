// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The split of a collected amount (DESIGN §6)
/// @dev Each part is `floor(delta × bps / 10000)`; the protocol part is what is left, so it carries the rounding
/// dust and the parts sum exactly to `delta` whatever the bps.
library Split {
    /// @notice Basis points in a whole.
    uint256 internal constant BPS = 10_000;

    /// @notice The node, owner, dataset and protocol parts of `delta`.
    /// @dev Requirements: `nodeBps + ownerBps + datasetsBps ≤ 10000` (else the protocol part underflows and the call
    /// reverts: a wrong split is never paid out).
    function parts(uint128 delta, uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps)
        internal
        pure
        returns (uint256 node, uint256 owner, uint256 datasets, uint256 protocol)
    {
        unchecked {
            // delta < 2^128 and bps < 2^16: every product is below 2^144, far from 2^256.
            node = (uint256(delta) * nodeBps) / BPS;
            owner = (uint256(delta) * ownerBps) / BPS;
            datasets = (uint256(delta) * datasetsBps) / BPS;
        }
        // Checked: with the three bps summing to at most 10000, their floors sum to at most delta.
        protocol = uint256(delta) - node - owner - datasets;
    }
}
