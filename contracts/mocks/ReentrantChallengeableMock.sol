// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

import {IArbiter} from "../interfaces/IArbiter.sol";
import {IChallengeable, Ruling} from "../interfaces/IChallengeable.sol";

/// @title A hostile subject for Arbiter tests
/// @dev CAUTION: test only. In each callback it calls the Arbiter back with the calldata it was given, records how
/// that call ended, and either swallows a failure or bubbles it up. It also records the ruling the Arbiter had
/// stored when `onChallengeResolved` ran.
contract ReentrantChallengeableMock is IChallengeable {
    IArbiter public immutable arbiter;

    bytes public reentryOnOpened;
    bytes public reentryOnResolved;
    bool public bubble;

    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryResult;
    Ruling public observedRuling;

    constructor(IArbiter arbiter_) {
        arbiter = arbiter_;
    }

    function setReentry(bytes calldata onOpened, bytes calldata onResolved, bool bubble_) external {
        reentryOnOpened = onOpened;
        reentryOnResolved = onResolved;
        bubble = bubble_;
    }

    function onChallengeOpened(uint256, uint256, address, bytes calldata) external returns (address defendant) {
        _reenter(reentryOnOpened);
        return address(this);
    }

    function onChallengeResolved(uint256, uint256 challengeId, Ruling) external returns (uint256 slashed) {
        observedRuling = arbiter.getChallenge(challengeId).ruling;
        _reenter(reentryOnResolved);
        return 0;
    }

    function _reenter(bytes memory data) private {
        if (data.length == 0) return;
        (bool success, bytes memory result) = address(arbiter).call(data);
        reentered = true;
        reentrySucceeded = success;
        reentryResult = result;
        if (!success && bubble) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
