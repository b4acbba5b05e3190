// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ruling} from "./IChallengeable.sol";

/// @title The protocol's judge: bonds, staked verifier votes, rulings
/// @notice Anyone may challenge a record of an allow-listed subject contract ({IChallengeable}) by posting a bond.
/// Verifiers who staked OPEN here vote by commit–reveal with their stake at the challenge's opening; the ruling is
/// applied by the subject and paid out here as credits (pull payments).
/// @dev The full lifecycle, the money of each ruling and every rule this contract settles are in docs/arbiter.md.
interface IArbiter {
    /// @notice Where a verifier's vote on one challenge stands.
    enum VoteStatus {
        None,
        Committed,
        Revealed,
        /// Shown by someone else before the commit deadline: void, and the voter was slashed.
        Leaked,
        /// Committed and never revealed: the voter was slashed.
        NonRevealSlashed,
        /// Revealed on the winning side and its reward credited.
        RewardClaimed
    }

    /// @notice Governance parameters. Those that shape a challenge are copied into it when it opens, so later changes
    /// never alter an open challenge.
    struct Params {
        /// Seconds from opening to the commit deadline (inclusive).
        uint64 commitPeriod;
        /// Seconds from the commit deadline to the reveal deadline (inclusive).
        uint64 revealPeriod;
        /// Smallest challenger bond, in OPEN wei; > 0 so every challenge costs something.
        uint256 minBond;
        /// Revealed weight needed, in bps of the total voting stake at the challenge's snapshot block; in (0, 10000].
        uint16 quorumBps;
        /// Share of a ruling's pot burned.
        uint16 burnBps;
        /// Share of a ruling's pot paid to the revealed voters of the winning side, pro rata to weight.
        uint16 voterRewardBps;
        /// Share of its stake a verifier loses, burned, for committing and not revealing.
        uint16 nonRevealSlashBps;
        /// Share of its stake a verifier loses, to the reporter, when its vote is shown before the commit deadline.
        uint16 leakSlashBps;
        /// Seconds between {requestUnstake} and the first moment {withdrawUnstaked} succeeds (exclusive end);
        /// at least commitPeriod + revealPeriod so a voter stays slashable for every challenge it can vote in.
        uint64 verifierUnbondingPeriod;
    }

    /// @notice One challenge. Fields up to `totalWeight` are fixed at opening (but `ruling`, set by {resolve});
    /// the tallies move during the reveal phase; the rest is set by {resolve} and {claimVoterReward}.
    struct Challenge {
        address subject;
        Ruling ruling;
        /// Voting weights are read at this block: the one before the opening block.
        uint48 snapshotBlock;
        address challenger;
        uint64 commitDeadline;
        address defendant;
        uint64 revealDeadline;
        uint16 quorumBps;
        uint16 burnBps;
        uint16 voterRewardBps;
        uint16 nonRevealSlashBps;
        uint16 leakSlashBps;
        uint256 subjectId;
        bytes32 evidenceHash;
        uint256 bond;
        /// Total voting stake at `snapshotBlock`: the quorum base.
        uint256 totalWeight;
        uint256 upheldWeight;
        uint256 dismissedWeight;
        /// What the ruling split: the slashed OPEN on `Upheld`, the bond on `Dismissed`, 0 on `NoQuorum`.
        uint256 pot;
        /// The voters' share of the pot.
        uint256 voterReward;
        /// Voter rewards credited so far, and the weight they were credited for.
        uint256 voterRewardClaimed;
        uint256 voterRewardClaimedWeight;
    }

    /// @notice A verifier's vote on one challenge.
    struct Vote {
        bytes32 commitment;
        /// The verifier's voting stake at the challenge's snapshot block.
        uint208 weight;
        VoteStatus status;
        /// The revealed vote; meaningful once revealed.
        bool upheld;
    }

    /// @notice A verifier's stake.
    struct VerifierStake {
        /// Stake that votes in challenges opened from the next block on.
        uint256 active;
        /// Stake leaving: no weight, still slashable, withdrawable strictly after `unbondingEnd`.
        uint256 unbonding;
        uint64 unbondingEnd;
        /// Commitments not yet revealed, voided or slashed: while any remain the verifier cannot withdraw.
        uint256 pendingReveals;
    }

    /// @notice Emitted when governance sets the parameters (also at deployment).
    event ParamsSet(Params params);

    /// @notice Emitted when governance allows or disallows a subject contract.
    event SubjectSet(address indexed subject, bool allowed);

    /// @notice Emitted when a verifier stakes; `active` is its active stake after.
    event Staked(address indexed verifier, uint256 amount, uint256 active);

    /// @notice Emitted when a verifier starts unbonding `amount`; `unbonding` is all it has unbonding after.
    event UnstakeRequested(address indexed verifier, uint256 amount, uint256 unbonding, uint64 unbondingEnd);

    /// @notice Emitted when a verifier withdraws its unbonded stake.
    event UnstakeWithdrawn(address indexed verifier, uint256 amount);

    /// @notice Emitted when a challenge opens. `evidence` is carried whole so verifiers can read it from the log.
    event ChallengeOpened(
        uint256 indexed challengeId,
        address indexed subject,
        uint256 indexed subjectId,
        address challenger,
        address defendant,
        uint256 bond,
        bytes evidence,
        uint64 commitDeadline,
        uint64 revealDeadline
    );

    /// @notice Emitted when a verifier commits its vote.
    event VoteCommitted(uint256 indexed challengeId, address indexed voter, bytes32 commitment);

    /// @notice Emitted when a verifier reveals its vote, counted with `weight`.
    event VoteRevealed(uint256 indexed challengeId, address indexed voter, bool upheld, uint256 weight);

    /// @notice Emitted when `reporter` shows `voter`'s vote before the commit deadline: the vote is void and
    /// `slashed` moved from the voter's stake to the reporter's credits.
    event VoteLeaked(uint256 indexed challengeId, address indexed voter, address indexed reporter, uint256 slashed);

    /// @notice Emitted when a voter who committed and did not reveal is slashed; `amount` is burned.
    event NonRevealerSlashed(uint256 indexed challengeId, address indexed voter, uint256 amount);

    /// @notice Emitted when a challenge is resolved. `pot` = `burned` + `voterReward` + what the winner was credited
    /// beyond a returned bond.
    event ChallengeResolved(
        uint256 indexed challengeId,
        Ruling ruling,
        uint256 upheldWeight,
        uint256 dismissedWeight,
        uint256 pot,
        uint256 burned,
        uint256 voterReward
    );

    /// @notice Emitted when a coherent voter's share of a challenge's voter reward is credited.
    event VoterRewardClaimed(uint256 indexed challengeId, address indexed voter, uint256 amount);

    /// @notice Emitted whenever credits of `account` rise (bond returns, winnings, leak reports, voter rewards).
    event Credited(address indexed account, uint256 amount);

    /// @notice Emitted when an account withdraws its credits.
    event CreditsWithdrawn(address indexed account, uint256 amount);

    /// @notice A bps parameter is above 10000, or the quorum is 0.
    error ArbiterInvalidBps(uint256 bps);

    /// @notice Burn and voter reward together exceed the pot.
    error ArbiterSplitExceedsPot(uint256 burnBps, uint256 voterRewardBps);

    /// @notice A period is 0 or above its cap.
    error ArbiterInvalidPeriod(uint256 period, uint256 cap);

    /// @notice The verifier unbonding period is shorter than a challenge's commit and reveal periods together.
    error ArbiterUnbondingTooShort(uint256 unbondingPeriod, uint256 minimum);

    /// @notice The minimum bond is 0.
    error ArbiterZeroMinBond();

    /// @notice An address without code cannot be allowed as a subject.
    error ArbiterSubjectNotContract(address subject);

    /// @notice The subject is not allow-listed.
    error ArbiterSubjectNotAllowed(address subject);

    /// @notice The bond is below the minimum.
    error ArbiterBondTooLow(uint256 bond, uint256 minBond);

    /// @notice The subject named no defendant.
    error ArbiterZeroDefendant(address subject, uint256 subjectId);

    /// @notice No challenge has this id.
    error ArbiterUnknownChallenge(uint256 challengeId);

    /// @notice An amount of 0 where one is needed.
    error ArbiterZeroAmount();

    /// @notice Unstaking more than the active stake.
    error ArbiterInsufficientStake(address verifier, uint256 active, uint256 requested);

    /// @notice Nothing is unbonding.
    error ArbiterNothingUnbonding(address verifier);

    /// @notice The unbonding period has not ended (withdrawal succeeds strictly after `unbondingEnd`).
    error ArbiterUnbondingNotOver(address verifier, uint64 unbondingEnd);

    /// @notice The verifier still has commitments to reveal (or to be slashed for).
    error ArbiterPendingReveals(address verifier, uint256 pendingReveals);

    /// @notice The voter had no voting stake at the challenge's snapshot block.
    error ArbiterNoVotingWeight(uint256 challengeId, address voter);

    /// @notice A verifier commits once per challenge.
    error ArbiterAlreadyCommitted(uint256 challengeId, address voter);

    /// @notice The commit phase ended at `commitDeadline`.
    error ArbiterCommitPhaseOver(uint256 challengeId, uint64 commitDeadline);

    /// @notice Reveals start strictly after `commitDeadline`.
    error ArbiterRevealPhaseNotStarted(uint256 challengeId, uint64 commitDeadline);

    /// @notice The reveal phase ended at `revealDeadline`.
    error ArbiterRevealPhaseOver(uint256 challengeId, uint64 revealDeadline);

    /// @notice Resolution and non-reveal slashing start strictly after `revealDeadline`.
    error ArbiterRevealPhaseNotOver(uint256 challengeId, uint64 revealDeadline);

    /// @notice The voter has no commitment on this challenge.
    error ArbiterNotCommitted(uint256 challengeId, address voter);

    /// @notice The voter already revealed.
    error ArbiterAlreadyRevealed(uint256 challengeId, address voter);

    /// @notice The voter's vote was voided by a leak report.
    error ArbiterVoteVoided(uint256 challengeId, address voter);

    /// @notice The voter was already slashed for not revealing.
    error ArbiterAlreadySlashed(uint256 challengeId, address voter);

    /// @notice The vote and salt do not hash to the voter's commitment.
    error ArbiterCommitmentMismatch(uint256 challengeId, address voter);

    /// @notice The challenge was already resolved with `ruling`.
    error ArbiterAlreadyResolved(uint256 challengeId, Ruling ruling);

    /// @notice The challenge is not resolved yet.
    error ArbiterNotResolved(uint256 challengeId);

    /// @notice The voter did not reveal on the winning side (or the ruling was `NoQuorum`).
    error ArbiterNotRewarded(uint256 challengeId, address voter);

    /// @notice The voter's reward was already credited.
    error ArbiterRewardAlreadyClaimed(uint256 challengeId, address voter);

    /// @notice The account has no credits.
    error ArbiterNoCredits(address account);

    /// @notice The subject reported `reported` slashed OPEN but the Arbiter received `received` (or reported any on a
    /// ruling other than `Upheld`).
    error ArbiterSlashMismatch(uint256 challengeId, uint256 reported, uint256 received);

    /// @notice Stakes `amount` OPEN (pulled from the caller) as the caller's voting stake.
    /// @dev The stake votes in challenges opened from the next block on: weight is read at the block before opening.
    ///
    /// Requirements:
    /// - `amount` > 0 and approved to this contract.
    ///
    /// Emits a {Staked} event.
    function stake(uint256 amount) external;

    /// @notice Starts unbonding `amount` of the caller's active stake.
    /// @dev The amount leaves the voting stake at once (no weight in challenges opened after this block) but stays
    /// slashable until withdrawn. The unbonding end is reset to now + `verifierUnbondingPeriod` for all of it.
    ///
    /// Requirements:
    /// - 0 < `amount` ≤ the caller's active stake.
    ///
    /// Emits an {UnstakeRequested} event.
    function requestUnstake(uint256 amount) external;

    /// @notice Withdraws all of the caller's unbonding stake.
    ///
    /// Requirements:
    /// - something is unbonding, and `block.timestamp` > its unbonding end;
    /// - the caller has no commitment left unrevealed (a non-revealer is slashed first, by anyone).
    ///
    /// Emits an {UnstakeWithdrawn} event.
    function withdrawUnstaked() external;

    /// @notice Opens a challenge against `subjectId` of `subject`, pulling `bond` OPEN from the caller.
    /// @dev Calls `subject.onChallengeOpened` after the challenge is stored; the subject validates the evidence,
    /// locks what is at stake and names the defendant.
    ///
    /// Requirements:
    /// - `subject` is allow-listed;
    /// - `bond` ≥ `minBond`, approved to this contract;
    /// - the subject accepts the challenge and names a non-zero defendant.
    ///
    /// Emits a {ChallengeOpened} event.
    /// @return challengeId the new challenge's id, counting from 1
    function openChallenge(address subject, uint256 subjectId, bytes calldata evidence, uint256 bond)
        external
        returns (uint256 challengeId);

    /// @notice Commits the caller's vote: `commitment` = keccak256(abi.encode(challengeId, voter, upheld, salt)).
    ///
    /// Requirements:
    /// - the challenge exists and `block.timestamp` ≤ its commit deadline;
    /// - the caller had voting stake at the challenge's snapshot block;
    /// - the caller has not committed on this challenge.
    ///
    /// Emits a {VoteCommitted} event.
    function commitVote(uint256 challengeId, bytes32 commitment) external;

    /// @notice Reveals the caller's vote.
    ///
    /// Requirements:
    /// - commit deadline < `block.timestamp` ≤ reveal deadline;
    /// - the caller committed, has not revealed, and its vote was not voided;
    /// - keccak256(abi.encode(challengeId, caller, upheld, salt)) equals its commitment.
    ///
    /// Emits a {VoteRevealed} event.
    function revealVote(uint256 challengeId, bool upheld, bytes32 salt) external;

    /// @notice Shows `voter`'s vote before the commit deadline: the vote is void and `leakSlashBps` of the voter's
    /// stake (active first, then unbonding) is credited to the caller.
    ///
    /// Requirements:
    /// - `block.timestamp` ≤ the commit deadline;
    /// - `voter` committed and its vote is not already void;
    /// - keccak256(abi.encode(challengeId, voter, upheld, salt)) equals its commitment.
    ///
    /// Emits a {VoteLeaked} event and a {Credited} event when the slash is not 0.
    function reportLeak(uint256 challengeId, address voter, bool upheld, bytes32 salt) external;

    /// @notice Resolves a challenge, by anyone, once its reveal deadline has passed.
    /// @dev `NoQuorum` when no weight was revealed or revealed weight × 10000 < quorumBps × totalWeight; otherwise
    /// `Upheld` if upheld weight > dismissed weight, else `Dismissed` (a tie dismisses). Calls
    /// `subject.onChallengeResolved` after the ruling is stored and checks that the Arbiter's balance rose by exactly
    /// what the subject reports slashed.
    ///
    /// Requirements:
    /// - the challenge exists, is unresolved, and `block.timestamp` > its reveal deadline;
    /// - the subject's slash report matches the OPEN received (0 unless `Upheld`).
    ///
    /// Emits a {ChallengeResolved} event and a {Credited} event per non-zero credit.
    /// @return ruling the ruling
    function resolve(uint256 challengeId) external returns (Ruling ruling);

    /// @notice Slashes `nonRevealSlashBps` of `voter`'s stake (active first, then unbonding), burned, for committing
    /// on `challengeId` and not revealing.
    ///
    /// Requirements:
    /// - `block.timestamp` > the reveal deadline;
    /// - `voter` committed, did not reveal, was not voided by a leak, and was not already slashed on this challenge.
    ///
    /// Emits a {NonRevealerSlashed} event.
    function slashNonRevealer(uint256 challengeId, address voter) external;

    /// @notice Credits `voter`'s share of a resolved challenge's voter reward, by anyone.
    /// @dev Share = voterReward × weight / winning weight, rounded down; the last claimant of the winning side gets
    /// the rest, so the shares sum exactly to the voter reward.
    ///
    /// Requirements:
    /// - the challenge is resolved `Upheld` or `Dismissed`;
    /// - `voter` revealed the winning vote and its reward was not credited yet.
    ///
    /// Emits a {VoterRewardClaimed} event and a {Credited} event when the share is not 0.
    function claimVoterReward(uint256 challengeId, address voter) external;

    /// @notice Withdraws all of the caller's credits.
    ///
    /// Requirements:
    /// - the caller has credits.
    ///
    /// Emits a {CreditsWithdrawn} event.
    function withdrawCredits() external;

    /// @notice Sets the parameters; they apply to challenges opened and unstakes requested from now on.
    ///
    /// Requirements:
    /// - the caller is the owner;
    /// - every bps ≤ 10000, `quorumBps` > 0, `burnBps` + `voterRewardBps` ≤ 10000;
    /// - 0 < `commitPeriod`, `revealPeriod` ≤ {MAX_PHASE_PERIOD}; `minBond` > 0;
    /// - `commitPeriod` + `revealPeriod` ≤ `verifierUnbondingPeriod` ≤ {MAX_UNBONDING_PERIOD}.
    ///
    /// Emits a {ParamsSet} event.
    function setParams(Params calldata params) external;

    /// @notice Allows or disallows challenges against `subject`. Open challenges are resolved whatever it says.
    ///
    /// Requirements:
    /// - the caller is the owner;
    /// - `subject` has code when allowed.
    ///
    /// Emits a {SubjectSet} event.
    function setSubject(address subject, bool allowed) external;

    /// @notice The OPEN token.
    function token() external view returns (IERC20);

    /// @notice The current parameters.
    function getParams() external view returns (Params memory);

    /// @notice Whether challenges against `subject` can be opened.
    function isSubject(address subject) external view returns (bool);

    /// @notice The number of challenges opened; also the last id.
    function challengeCount() external view returns (uint256);

    /// @notice A challenge. Reverts with {ArbiterUnknownChallenge} for an unknown id.
    function getChallenge(uint256 challengeId) external view returns (Challenge memory);

    /// @notice `voter`'s vote on a challenge. Reverts with {ArbiterUnknownChallenge} for an unknown id.
    function getVote(uint256 challengeId, address voter) external view returns (Vote memory);

    /// @notice `voter`'s voting weight on a challenge: its active stake at the challenge's snapshot block.
    /// Reverts with {ArbiterUnknownChallenge} for an unknown id.
    function votingWeightOf(uint256 challengeId, address voter) external view returns (uint256);

    /// @notice A verifier's stake.
    function stakeOf(address verifier) external view returns (VerifierStake memory);

    /// @notice The total active stake of all verifiers now.
    function totalVotingStake() external view returns (uint256);

    /// @notice OPEN `account` can withdraw with {withdrawCredits}.
    function credits(address account) external view returns (uint256);
}
