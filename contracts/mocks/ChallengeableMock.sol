// SPDX-License-Identifier: MIT
// CAUTION: test only
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IChallengeable, Ruling} from "../interfaces/IChallengeable.sol";

/// @title A subject for Arbiter tests
/// @dev CAUTION: test only. Each case is a defendant with OPEN at stake; a challenge locks the case, an upheld ruling
/// sends its whole stake to the Arbiter. Knobs make it misbehave: report more than it sends, or slash on any ruling.
contract ChallengeableMock is IChallengeable {
    using SafeERC20 for IERC20;

    struct Case {
        bool exists;
        bool locked;
        address defendant;
        uint256 stake;
    }

    IERC20 public immutable token;
    address public immutable arbiter;

    /// @notice Added to the slash it reports, without sending it.
    uint256 public overReport;
    /// @notice Slash (and report) on every ruling, not only on `Upheld`.
    bool public slashOnAnyRuling;

    uint256 public lastChallengeId;
    address public lastChallenger;
    bytes public lastEvidence;
    Ruling public lastRuling;
    uint256 public resolvedCount;

    mapping(uint256 subjectId => Case) private _cases;

    error ChallengeableMockNotArbiter(address caller);
    error ChallengeableMockUnknownSubject(uint256 subjectId);
    error ChallengeableMockLocked(uint256 subjectId);

    constructor(IERC20 token_, address arbiter_) {
        token = token_;
        arbiter = arbiter_;
    }

    /// @notice Creates or tops up a case, pulling `amount` OPEN from the caller as its stake.
    function setCase(uint256 subjectId, address defendant, uint256 amount) external {
        Case storage c = _cases[subjectId];
        c.exists = true;
        c.defendant = defendant;
        c.stake += amount;
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function setOverReport(uint256 amount) external {
        overReport = amount;
    }

    function setSlashOnAnyRuling(bool value) external {
        slashOnAnyRuling = value;
    }

    function onChallengeOpened(uint256 subjectId, uint256 challengeId, address challenger, bytes calldata evidence)
        external
        returns (address defendant)
    {
        if (msg.sender != arbiter) revert ChallengeableMockNotArbiter(msg.sender);
        Case storage c = _cases[subjectId];
        if (!c.exists) revert ChallengeableMockUnknownSubject(subjectId);
        if (c.locked) revert ChallengeableMockLocked(subjectId);
        c.locked = true;
        lastChallengeId = challengeId;
        lastChallenger = challenger;
        lastEvidence = evidence;
        return c.defendant;
    }

    function onChallengeResolved(uint256 subjectId, uint256 challengeId, Ruling ruling)
        external
        returns (uint256 slashed)
    {
        if (msg.sender != arbiter) revert ChallengeableMockNotArbiter(msg.sender);
        Case storage c = _cases[subjectId];
        c.locked = false;
        lastChallengeId = challengeId;
        lastRuling = ruling;
        ++resolvedCount;
        if (ruling == Ruling.Upheld || slashOnAnyRuling) {
            slashed = c.stake;
            c.stake = 0;
            token.safeTransfer(arbiter, slashed);
        }
        slashed += overReport;
    }

    function stakeOf(uint256 subjectId) external view returns (uint256) {
        return _cases[subjectId].stake;
    }

    function isLocked(uint256 subjectId) external view returns (bool) {
        return _cases[subjectId].locked;
    }
}
