// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {NodeRegistryHandler} from "./NodeRegistryHandler.sol";

/// @dev Invariants of the NodeRegistry under random sequences of registrations, stake moves, unbonding, price and
/// endpoint updates, time, challenges and rulings (DESIGN §3: the balance equals what is owed; no path moves stake
/// except unbonding or the Arbiter's ruling).
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 64
contract NodeRegistryInvariantTest {
    /// @dev forge-std's StdInvariant shape, read by the invariant runner.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    NodeRegistryHandler internal handler;

    function setUp() public {
        handler = new NodeRegistryHandler();
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
        selectors[0] = NodeRegistryHandler.register.selector;
        selectors[1] = NodeRegistryHandler.addStake.selector;
        selectors[2] = NodeRegistryHandler.requestUnbond.selector;
        selectors[3] = NodeRegistryHandler.withdraw.selector;
        selectors[4] = NodeRegistryHandler.setPrice.selector;
        selectors[5] = NodeRegistryHandler.update.selector;
        selectors[6] = NodeRegistryHandler.warp.selector;
        selectors[7] = NodeRegistryHandler.openChallenge.selector;
        selectors[8] = NodeRegistryHandler.resolveChallenge.selector;
        selectors[9] = NodeRegistryHandler.setSlashBps.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// @dev Checked after every call of every run (one campaign for all, to keep the suite fast):
    /// - the registry holds exactly the sum of all stakes, and each stake is the ghost ledger's, which moves only on
    ///   register, addStake, withdraw and an upheld ruling;
    /// - unbonding never exceeds stake, and activity follows the stake not unbonding (`isActive` and
    ///   `operatorAndActive` alike);
    /// - no withdrawal ever succeeded while challenged or before its end, none failed that should not have, each paid
    ///   the whole unbonding part, and every slash took exactly the share set at the challenge's opening.
    function invariantStakeLedger() public view {
        NodeRegistry registry = handler.registry();
        uint256 sum;
        for (uint256 i; i < handler.ACTORS(); ++i) {
            address node = handler.actor(i);
            INodeRegistry.Node memory n = registry.getNode(node);
            require(n.stake == handler.ghostStake(node), "stake moved outside register, addStake, withdraw, ruling");
            require(n.unbonding <= n.stake, "unbonding > stake");
            bool active = n.registered && n.stake - n.unbonding >= registry.minStake();
            require(registry.isActive(node) == active, "isActive");
            // operatorAndActive skips `registered` (implied by an active stake): it must agree all the same.
            (address operator, bool active2) = registry.operatorAndActive(node);
            require(operator == n.operator && active2 == active, "operatorAndActive");
            sum += n.stake;
        }
        require(sum == handler.ghostTotal(), "ghost total");
        require(handler.token().balanceOf(address(registry)) == sum, "balance != sum of stakes");
        require(!handler.breached(), "breached");
    }
}
