// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IArbiter} from "./interfaces/IArbiter.sol";
import {IChallengeable, Ruling} from "./interfaces/IChallengeable.sol";

/// @title Arbiter
/// @notice The only path to slashing (DESIGN §3): challengers bond, staked verifiers vote by commit–reveal with
/// their stake at the challenge's opening, and the subject contract applies the ruling.
/// @dev Generic over subjects: nothing here knows what an adapter, a node or an attribution root is. Voting stake is
/// checkpointed per block (OZ `Checkpoints.Trace208`) and read at the block before a challenge opens, so stake added
/// during a challenge carries no weight (THREATS #43). Every payout is a credit withdrawn with {withdrawCredits}.
/// The OPEN held here always equals active stake + unbonding stake + bonds of open challenges + credits + voter
/// rewards not yet claimed. docs/arbiter.md has the lifecycle and the decisions.
contract Arbiter is IArbiter, Ownable2Step, ReentrancyGuard {
    using Checkpoints for Checkpoints.Trace208;
    using SafeERC20 for IERC20;

    /// @notice Cap on the commit and on the reveal period: a challenge cannot lock its subject for more than 60 days.
    uint64 public constant MAX_PHASE_PERIOD = 30 days;

    /// @notice Cap on the verifier unbonding period, so exiting verifiers are never locked in for good.
    uint64 public constant MAX_UNBONDING_PERIOD = 180 days;

    /// @dev Basis points in a whole.
    uint256 private constant _BPS = 10_000;

    /// @dev OPEN: staked, bonded, burned and paid out here. Fixed at deploy: balances would not survive a swap.
    IERC20 private immutable _token;

    Params private _params;
    mapping(address subject => bool allowed) private _subjects;

    /// @dev Active stake per verifier and in total, keyed by block number.
    mapping(address verifier => Checkpoints.Trace208 active) private _activeStake;
    Checkpoints.Trace208 private _totalActiveStake;

    mapping(address verifier => uint256 amount) private _unbonding;
    mapping(address verifier => uint64 end) private _unbondingEnd;
    mapping(address verifier => uint256 count) private _pendingReveals;

    uint256 private _challengeCount;
    mapping(uint256 challengeId => Challenge) private _challenges;
    mapping(uint256 challengeId => mapping(address voter => Vote)) private _votes;

    mapping(address account => uint256 amount) private _credits;

    /// @param token_ the OPEN token
    /// @param initialOwner governance: sets parameters and subjects
    /// @param params_ the first parameters, validated as in {setParams}
    constructor(IERC20 token_, address initialOwner, Params memory params_) Ownable(initialOwner) {
        _token = token_;
        _setParams(params_);
    }

    /// @inheritdoc IArbiter
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ArbiterZeroAmount();
        uint256 active = _activeStake[msg.sender].latest() + amount;
        _pushActive(msg.sender, active, _totalActiveStake.latest() + amount);
        emit Staked(msg.sender, amount, active);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IArbiter
    function requestUnstake(uint256 amount) external nonReentrant {
        uint256 active = _activeStake[msg.sender].latest();
        if (amount == 0) revert ArbiterZeroAmount();
        if (amount > active) revert ArbiterInsufficientStake(msg.sender, active, amount);
        // amount ≤ active ≤ total: both subtractions are checked anyway, and cannot underflow.
        _pushActive(msg.sender, active - amount, _totalActiveStake.latest() - amount);
        uint256 unbonding = _unbonding[msg.sender] + amount;
        // The timer resets for everything unbonding (THREATS #14): one bucket per verifier, no queue to grief (#24).
        // MAX_UNBONDING_PERIOD keeps the sum far below 2^64.
        uint64 end = uint64(block.timestamp) + _params.verifierUnbondingPeriod;
        _unbonding[msg.sender] = unbonding;
        _unbondingEnd[msg.sender] = end;
        emit UnstakeRequested(msg.sender, amount, unbonding, end);
    }

    /// @inheritdoc IArbiter
    function withdrawUnstaked() external nonReentrant {
        uint256 amount = _unbonding[msg.sender];
        if (amount == 0) revert ArbiterNothingUnbonding(msg.sender);
        uint64 end = _unbondingEnd[msg.sender];
        if (block.timestamp <= end) revert ArbiterUnbondingNotOver(msg.sender, end);
        uint256 pending = _pendingReveals[msg.sender];
        if (pending != 0) revert ArbiterPendingReveals(msg.sender, pending);
        _unbonding[msg.sender] = 0;
        emit UnstakeWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IArbiter
    function openChallenge(address subject, uint256 subjectId, bytes calldata evidence, uint256 bond)
        external
        nonReentrant
        returns (uint256 challengeId)
    {
        if (!_subjects[subject]) revert ArbiterSubjectNotAllowed(subject);
        Params memory p = _params;
        if (bond < p.minBond) revert ArbiterBondTooLow(bond, p.minBond);

        challengeId = ++_challengeCount;
        Challenge storage c = _challenges[challengeId];
        _initChallenge(c, p, subject, subjectId, keccak256(evidence), bond);

        _token.safeTransferFrom(msg.sender, address(this), bond);
        address defendant = IChallengeable(subject).onChallengeOpened(subjectId, challengeId, msg.sender, evidence);
        if (defendant == address(0)) revert ArbiterZeroDefendant(subject, subjectId);
        c.defendant = defendant;
        emit ChallengeOpened(
            challengeId,
            subject,
            subjectId,
            msg.sender,
            defendant,
            bond,
            evidence,
            c.commitDeadline,
            c.revealDeadline
        );
    }

    /// @inheritdoc IArbiter
    function commitVote(uint256 challengeId, bytes32 commitment) external nonReentrant {
        Challenge storage c = _challenge(challengeId);
        if (block.timestamp > c.commitDeadline) revert ArbiterCommitPhaseOver(challengeId, c.commitDeadline);
        Vote storage v = _votes[challengeId][msg.sender];
        if (v.status != VoteStatus.None) revert ArbiterAlreadyCommitted(challengeId, msg.sender);
        uint208 weight = _activeStake[msg.sender].upperLookupRecent(c.snapshotBlock);
        if (weight == 0) revert ArbiterNoVotingWeight(challengeId, msg.sender);
        v.commitment = commitment;
        v.weight = weight;
        v.status = VoteStatus.Committed;
        ++_pendingReveals[msg.sender];
        emit VoteCommitted(challengeId, msg.sender, commitment);
    }

    /// @inheritdoc IArbiter
    function revealVote(uint256 challengeId, bool upheld, bytes32 salt) external nonReentrant {
        Challenge storage c = _challenge(challengeId);
        if (block.timestamp <= c.commitDeadline) revert ArbiterRevealPhaseNotStarted(challengeId, c.commitDeadline);
        if (block.timestamp > c.revealDeadline) revert ArbiterRevealPhaseOver(challengeId, c.revealDeadline);
        Vote storage v = _committedVote(challengeId, msg.sender, upheld, salt);
        v.status = VoteStatus.Revealed;
        v.upheld = upheld;
        --_pendingReveals[msg.sender];
        if (upheld) c.upheldWeight += v.weight;
        else c.dismissedWeight += v.weight;
        emit VoteRevealed(challengeId, msg.sender, upheld, v.weight);
    }

    /// @inheritdoc IArbiter
    function reportLeak(uint256 challengeId, address voter, bool upheld, bytes32 salt) external nonReentrant {
        Challenge storage c = _challenge(challengeId);
        if (block.timestamp > c.commitDeadline) revert ArbiterCommitPhaseOver(challengeId, c.commitDeadline);
        Vote storage v = _committedVote(challengeId, voter, upheld, salt);
        v.status = VoteStatus.Leaked;
        --_pendingReveals[voter];
        uint256 slashed = _slashStake(voter, c.leakSlashBps);
        emit VoteLeaked(challengeId, voter, msg.sender, slashed);
        _credit(msg.sender, slashed);
    }

    /// @inheritdoc IArbiter
    function resolve(uint256 challengeId) external nonReentrant returns (Ruling ruling) {
        Challenge storage c = _challenge(challengeId);
        if (c.ruling != Ruling.None) revert ArbiterAlreadyResolved(challengeId, c.ruling);
        if (block.timestamp <= c.revealDeadline) revert ArbiterRevealPhaseNotOver(challengeId, c.revealDeadline);
        ruling = _tally(c);
        // The ruling is stored before the subject is called: a re-entering subject finds the challenge resolved.
        c.ruling = ruling;

        uint256 balanceBefore = _token.balanceOf(address(this));
        uint256 slashed = IChallengeable(c.subject).onChallengeResolved(c.subjectId, challengeId, ruling);
        uint256 balanceAfter = _token.balanceOf(address(this));
        // Nothing the subject can call moves OPEN out of here (every such path is nonReentrant), but a token is
        // not ours to trust with an underflow: a fall counts as a mismatch.
        uint256 received = balanceAfter >= balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received != slashed || balanceAfter < balanceBefore || (ruling != Ruling.Upheld && slashed != 0)) {
            revert ArbiterSlashMismatch(challengeId, slashed, received);
        }
        _settle(c, challengeId, ruling, slashed);
    }

    /// @inheritdoc IArbiter
    function slashNonRevealer(uint256 challengeId, address voter) external nonReentrant {
        Challenge storage c = _challenge(challengeId);
        if (block.timestamp <= c.revealDeadline) revert ArbiterRevealPhaseNotOver(challengeId, c.revealDeadline);
        Vote storage v = _votes[challengeId][voter];
        VoteStatus status = v.status;
        if (status != VoteStatus.Committed) _revertVoteStatus(challengeId, voter, status);
        v.status = VoteStatus.NonRevealSlashed;
        --_pendingReveals[voter];
        uint256 amount = _slashStake(voter, c.nonRevealSlashBps);
        emit NonRevealerSlashed(challengeId, voter, amount);
        if (amount != 0) ERC20Burnable(address(_token)).burn(amount);
    }

    /// @inheritdoc IArbiter
    function claimVoterReward(uint256 challengeId, address voter) external nonReentrant {
        Challenge storage c = _challenge(challengeId);
        Ruling ruling = c.ruling;
        if (ruling == Ruling.None) revert ArbiterNotResolved(challengeId);
        Vote storage v = _votes[challengeId][voter];
        if (v.status == VoteStatus.RewardClaimed) revert ArbiterRewardAlreadyClaimed(challengeId, voter);
        if (ruling == Ruling.NoQuorum || v.status != VoteStatus.Revealed || v.upheld != (ruling == Ruling.Upheld)) {
            revert ArbiterNotRewarded(challengeId, voter);
        }
        v.status = VoteStatus.RewardClaimed;

        uint256 winningWeight = ruling == Ruling.Upheld ? c.upheldWeight : c.dismissedWeight;
        uint256 claimedWeight = c.voterRewardClaimedWeight + v.weight;
        uint256 reward = c.voterReward;
        uint256 amount;
        if (claimedWeight == winningWeight) {
            // The last coherent voter takes the rounding dust. Every earlier share was rounded down, so together
            // they are at most reward × (winningWeight − v.weight) / winningWeight ≤ reward: no underflow.
            amount = reward - c.voterRewardClaimed;
        } else {
            amount = (reward * v.weight) / winningWeight;
        }
        c.voterRewardClaimedWeight = claimedWeight;
        c.voterRewardClaimed += amount;
        emit VoterRewardClaimed(challengeId, voter, amount);
        _credit(voter, amount);
    }

    /// @inheritdoc IArbiter
    function withdrawCredits() external nonReentrant {
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert ArbiterNoCredits(msg.sender);
        _credits[msg.sender] = 0;
        emit CreditsWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IArbiter
    function setParams(Params calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc IArbiter
    function setSubject(address subject, bool allowed) external onlyOwner {
        if (allowed && subject.code.length == 0) revert ArbiterSubjectNotContract(subject);
        _subjects[subject] = allowed;
        emit SubjectSet(subject, allowed);
    }

    /// @inheritdoc IArbiter
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IArbiter
    function getParams() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IArbiter
    function isSubject(address subject) external view returns (bool) {
        return _subjects[subject];
    }

    /// @inheritdoc IArbiter
    function challengeCount() external view returns (uint256) {
        return _challengeCount;
    }

    /// @inheritdoc IArbiter
    function getChallenge(uint256 challengeId) external view returns (Challenge memory) {
        return _challenge(challengeId);
    }

    /// @inheritdoc IArbiter
    function getVote(uint256 challengeId, address voter) external view returns (Vote memory) {
        _challenge(challengeId);
        return _votes[challengeId][voter];
    }

    /// @inheritdoc IArbiter
    function votingWeightOf(uint256 challengeId, address voter) external view returns (uint256) {
        return _activeStake[voter].upperLookupRecent(_challenge(challengeId).snapshotBlock);
    }

    /// @inheritdoc IArbiter
    function stakeOf(address verifier) external view returns (VerifierStake memory) {
        return VerifierStake({
            active: _activeStake[verifier].latest(),
            unbonding: _unbonding[verifier],
            unbondingEnd: _unbondingEnd[verifier],
            pendingReveals: _pendingReveals[verifier]
        });
    }

    /// @inheritdoc IArbiter
    function totalVotingStake() external view returns (uint256) {
        return _totalActiveStake.latest();
    }

    /// @inheritdoc IArbiter
    function credits(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @dev Validates and stores the parameters.
    function _setParams(Params memory p) private {
        if (p.quorumBps == 0 || p.quorumBps > _BPS) revert ArbiterInvalidBps(p.quorumBps);
        if (p.burnBps > _BPS) revert ArbiterInvalidBps(p.burnBps);
        if (p.voterRewardBps > _BPS) revert ArbiterInvalidBps(p.voterRewardBps);
        if (p.nonRevealSlashBps > _BPS) revert ArbiterInvalidBps(p.nonRevealSlashBps);
        if (p.leakSlashBps > _BPS) revert ArbiterInvalidBps(p.leakSlashBps);
        if (uint256(p.burnBps) + p.voterRewardBps > _BPS) revert ArbiterSplitExceedsPot(p.burnBps, p.voterRewardBps);
        if (p.commitPeriod == 0 || p.commitPeriod > MAX_PHASE_PERIOD) {
            revert ArbiterInvalidPeriod(p.commitPeriod, MAX_PHASE_PERIOD);
        }
        if (p.revealPeriod == 0 || p.revealPeriod > MAX_PHASE_PERIOD) {
            revert ArbiterInvalidPeriod(p.revealPeriod, MAX_PHASE_PERIOD);
        }
        if (p.verifierUnbondingPeriod > MAX_UNBONDING_PERIOD) {
            revert ArbiterInvalidPeriod(p.verifierUnbondingPeriod, MAX_UNBONDING_PERIOD);
        }
        // Both phases are capped at 30 days: the sum cannot overflow uint64.
        uint64 votingPeriod = p.commitPeriod + p.revealPeriod;
        if (p.verifierUnbondingPeriod < votingPeriod) {
            revert ArbiterUnbondingTooShort(p.verifierUnbondingPeriod, votingPeriod);
        }
        if (p.minBond == 0) revert ArbiterZeroMinBond();
        _params = p;
        emit ParamsSet(p);
    }

    /// @dev Stores what is fixed at opening: the parties, the deadlines, the snapshot and the parameters that shape
    /// the vote and the split (THREATS #46).
    function _initChallenge(
        Challenge storage c,
        Params memory p,
        address subject,
        uint256 subjectId,
        bytes32 evidenceHash,
        uint256 bond
    ) private {
        // Weights are read at the block before this one: every stake in it is final, none added in this block counts.
        uint48 snapshotBlock = SafeCast.toUint48(block.number - 1);
        // Periods are capped at 30 days each: the deadlines stay far below 2^64.
        uint64 commitDeadline = uint64(block.timestamp) + p.commitPeriod;
        c.subject = subject;
        c.snapshotBlock = snapshotBlock;
        c.challenger = msg.sender;
        c.commitDeadline = commitDeadline;
        c.revealDeadline = commitDeadline + p.revealPeriod;
        c.quorumBps = p.quorumBps;
        c.burnBps = p.burnBps;
        c.voterRewardBps = p.voterRewardBps;
        c.nonRevealSlashBps = p.nonRevealSlashBps;
        c.leakSlashBps = p.leakSlashBps;
        c.subjectId = subjectId;
        c.evidenceHash = evidenceHash;
        c.bond = bond;
        c.totalWeight = _totalActiveStake.upperLookupRecent(snapshotBlock);
    }

    /// @dev Moves the ruling's money: the bond and the pot become credits, the voter reward and the burn.
    /// Upheld: pot = slashed, the challenger gets its bond back and the winner's part. Dismissed: pot = bond, the
    /// defendant gets the winner's part. NoQuorum: the bond returns, nothing else moves.
    function _settle(Challenge storage c, uint256 challengeId, Ruling ruling, uint256 slashed) private {
        uint256 pot;
        uint256 burned;
        uint256 voterReward;
        if (ruling == Ruling.NoQuorum) {
            _credit(c.challenger, c.bond);
        } else {
            pot = ruling == Ruling.Upheld ? slashed : c.bond;
            uint256 winnerPart;
            (burned, voterReward, winnerPart) = _splitPot(pot, c.burnBps, c.voterRewardBps);
            c.pot = pot;
            c.voterReward = voterReward;
            if (ruling == Ruling.Upheld) _credit(c.challenger, c.bond + winnerPart);
            else _credit(c.defendant, winnerPart);
        }
        emit ChallengeResolved(challengeId, ruling, c.upheldWeight, c.dismissedWeight, pot, burned, voterReward);
        if (burned != 0) ERC20Burnable(address(_token)).burn(burned);
    }

    /// @dev Takes `bps` of `verifier`'s whole stake, active first, then unbonding. Lowering the active stake moves the
    /// checkpoints of this block only: weights already snapshotted by open challenges are history and stay.
    function _slashStake(address verifier, uint16 bps) private returns (uint256 amount) {
        uint256 active = _activeStake[verifier].latest();
        uint256 unbonding = _unbonding[verifier];
        amount = ((active + unbonding) * bps) / _BPS;
        uint256 fromActive = amount < active ? amount : active;
        if (fromActive != 0) {
            _pushActive(verifier, active - fromActive, _totalActiveStake.latest() - fromActive);
        }
        // amount ≤ active + unbonding, so what is left for unbonding is at most `unbonding`.
        _unbonding[verifier] = unbonding - (amount - fromActive);
    }

    /// @dev Adds to `account`'s credits, the one ledger every payout goes through.
    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        _credits[account] += amount;
        emit Credited(account, amount);
    }

    /// @dev Writes a verifier's and the total active stake at this block.
    function _pushActive(address verifier, uint256 active, uint256 total) private {
        uint48 key = SafeCast.toUint48(block.number);
        _activeStake[verifier].push(key, SafeCast.toUint208(active));
        _totalActiveStake.push(key, SafeCast.toUint208(total));
    }

    /// @dev The ruling from the tallies: NoQuorum below quorum or with nothing revealed (so an empty vote never
    /// dismisses), else the side with more weight, a tie dismissing (the challenger carries the burden of proof).
    function _tally(Challenge storage c) private view returns (Ruling) {
        uint256 upheldWeight = c.upheldWeight;
        uint256 dismissedWeight = c.dismissedWeight;
        uint256 revealed = upheldWeight + dismissedWeight;
        if (revealed == 0 || revealed * _BPS < uint256(c.quorumBps) * c.totalWeight) return Ruling.NoQuorum;
        return upheldWeight > dismissedWeight ? Ruling.Upheld : Ruling.Dismissed;
    }

    /// @dev The vote of `voter`, which must be committed (not revealed, voided or slashed) and match the preimage.
    function _committedVote(uint256 challengeId, address voter, bool upheld, bytes32 salt)
        private
        view
        returns (Vote storage v)
    {
        v = _votes[challengeId][voter];
        VoteStatus status = v.status;
        if (status != VoteStatus.Committed) _revertVoteStatus(challengeId, voter, status);
        // The commitment binds the challenge and the voter: a copied commitment reveals for nobody else (THREATS #40).
        if (keccak256(abi.encode(challengeId, voter, upheld, salt)) != v.commitment) {
            revert ArbiterCommitmentMismatch(challengeId, voter);
        }
    }

    /// @dev An existing challenge.
    function _challenge(uint256 challengeId) private view returns (Challenge storage c) {
        c = _challenges[challengeId];
        if (c.subject == address(0)) revert ArbiterUnknownChallenge(challengeId);
    }

    /// @dev Reverts with the error that says why a vote in `status` is not a pending commitment.
    function _revertVoteStatus(uint256 challengeId, address voter, VoteStatus status) private pure {
        if (status == VoteStatus.None) revert ArbiterNotCommitted(challengeId, voter);
        if (status == VoteStatus.Leaked) revert ArbiterVoteVoided(challengeId, voter);
        if (status == VoteStatus.NonRevealSlashed) revert ArbiterAlreadySlashed(challengeId, voter);
        revert ArbiterAlreadyRevealed(challengeId, voter);
    }

    /// @dev Splits a pot: `burnBps` burned, `voterRewardBps` to the voters, the rest (rounding dust included) to the
    /// winner, so the three parts sum exactly to the pot.
    function _splitPot(uint256 pot, uint16 burnBps, uint16 voterRewardBps)
        private
        pure
        returns (uint256 burned, uint256 voterReward, uint256 winnerPart)
    {
        burned = (pot * burnBps) / _BPS;
        voterReward = (pot * voterRewardBps) / _BPS;
        unchecked {
            // floor(pot·b/1e4) + floor(pot·r/1e4) ≤ floor(pot·(b+r)/1e4) ≤ pot since b + r ≤ 1e4 (validated).
            winnerPart = pot - burned - voterReward;
        }
    }
}
