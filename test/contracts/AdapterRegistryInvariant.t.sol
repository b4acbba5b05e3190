// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdapterRegistry} from "../../contracts/AdapterRegistry.sol";
import {IAdapterRegistry} from "../../contracts/interfaces/IAdapterRegistry.sol";
import {AdapterRegistryHandler} from "./AdapterRegistryHandler.sol";

/// @dev Invariants of the AdapterRegistry under random sequences of commitments, seals (across random block gaps),
/// abandonments, submissions, activations, bond withdrawals, time, challenges and rulings.
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 64
contract AdapterRegistryInvariantTest {
    /// @dev forge-std's StdInvariant shape, read by the invariant runner.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    AdapterRegistryHandler internal handler;

    function setUp() public {
        handler = new AdapterRegistryHandler();
    }

    /// @dev Read by the invariant runner (`targetContract` is a forge-std helper, not a cheatcode): only the handler
    /// is called.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Only the handler's actions, not its views, so every call of a run does something.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = AdapterRegistryHandler.commit.selector;
        selectors[1] = AdapterRegistryHandler.seal.selector;
        selectors[2] = AdapterRegistryHandler.abandon.selector;
        selectors[3] = AdapterRegistryHandler.submit.selector;
        selectors[4] = AdapterRegistryHandler.activate.selector;
        selectors[5] = AdapterRegistryHandler.withdrawBond.selector;
        selectors[6] = AdapterRegistryHandler.openChallenge.selector;
        selectors[7] = AdapterRegistryHandler.resolveChallenge.selector;
        selectors[8] = AdapterRegistryHandler.warp.selector;
        selectors[9] = AdapterRegistryHandler.setChallengeWindow.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// @dev Checked after every call of every run (one campaign for all, to keep the suite fast):
    /// - the registry holds exactly the sum of all bonds, each the ghost ledger's (moved only by submit, withdraw and
    ///   an upheld ruling); a rejected version has no bond left;
    /// - an active version's proof is the one it had when activated, and it stays active;
    /// - each version uses its own commitment, which names it back (no commitment serves two versions);
    /// - no call succeeded or failed against the rules (challenging a non-pending version, activating early or while
    ///   challenged, withdrawing a bond of a version that is not active, slashing other than the whole bond once).
    function invariantBondLedger() public view {
        AdapterRegistry registry = handler.registry();
        uint256 count = registry.versionCount();
        uint256 sum;
        for (uint256 id = 1; id <= count; ++id) {
            IAdapterRegistry.Version memory v = registry.getVersion(id);
            require(v.bond == handler.ghostBond(id), "bond moved outside submit, withdraw or a ruling");
            if (v.status == IAdapterRegistry.VersionStatus.Rejected) require(v.bond == 0, "rejected with a bond");
            bytes32 activeProof = handler.activeProofHash(id);
            if (activeProof != bytes32(0)) {
                require(v.status == IAdapterRegistry.VersionStatus.Active, "left Active");
                require(keccak256(abi.encode(v.proof)) == activeProof, "active proof changed");
            }
            require(registry.getCommitment(v.commitmentId).versionId == id, "commitment serves another version");
            sum += v.bond;
        }
        require(sum == handler.ghostTotal(), "ghost total");
        require(handler.token().balanceOf(address(registry)) == sum, "balance != sum of bonds");
        require(!handler.breached(), "breached");
    }
}
