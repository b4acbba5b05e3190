// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice How the Arbiter ruled on a challenge.
/// @dev `None` is the zero value of an open challenge; the other three are final.
enum Ruling {
    None,
    Upheld,
    Dismissed,
    NoQuorum
}

/// @title A contract whose records the Arbiter can judge
/// @notice The Arbiter is generic: it holds bonds and counts votes, while the subject contract says what can be
/// challenged, locks what is at stake while the challenge is open, and applies the ruling.
/// @dev Subjects are allow-listed in the Arbiter by governance; every function here reverts unless called by the
/// subject's Arbiter.
interface IChallengeable {
    /// @notice Called by the Arbiter when a challenge against `subjectId` opens.
    /// @dev Requirements: the subject exists and is still challengeable (e.g. an adapter version inside its
    /// challenge window); `evidence` is well formed for this subject. The subject locks what is at stake until
    /// {onChallengeResolved}.
    /// @param subjectId what is challenged, in the subject's own id space
    /// @param challengeId the Arbiter's id for this challenge
    /// @param challenger who opened it and posted the bond
    /// @param evidence subject-specific claim (e.g. `abi.encode(uint256 segment)` for a training challenge)
    /// @return defendant the address that answers for the subject and receives the challenger's bond on dismissal
    function onChallengeOpened(uint256 subjectId, uint256 challengeId, address challenger, bytes calldata evidence)
        external
        returns (address defendant);

    /// @notice Called by the Arbiter exactly once per opened challenge, with its final ruling.
    /// @dev On `Upheld` the subject slashes what it holds at stake and transfers the slashed OPEN to the Arbiter
    /// before returning; on any ruling it releases the lock taken in {onChallengeOpened}.
    /// @param subjectId as in {onChallengeOpened}
    /// @param challengeId as in {onChallengeOpened}
    /// @param ruling `Upheld`, `Dismissed` or `NoQuorum`
    /// @return slashed the OPEN transferred to the Arbiter (0 unless `Upheld`)
    function onChallengeResolved(uint256 subjectId, uint256 challengeId, Ruling ruling)
        external
        returns (uint256 slashed);
}
