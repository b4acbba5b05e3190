// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Arbiter} from "../../contracts/Arbiter.sol";
import {IArbiter} from "../../contracts/interfaces/IArbiter.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {ChallengeableMock} from "../../contracts/mocks/ChallengeableMock.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Drives the Arbiter through random but valid sequences for the invariant tests in Arbiter.t.sol: four
/// verifiers stake, unstake, vote, reveal, leak and withdraw; a challenger opens challenges against fresh cases of a
/// ChallengeableMock; anyone resolves, slashes non-revealers and claims. Each action checks its own preconditions
/// and does nothing when they do not hold, so every call the fuzzer makes that does something is one the Arbiter
/// accepts. Every action moves to a new block, so stake checkpoints have history to read.
contract ArbiterHandler {
    enum Step {
        Commit,
        Reveal,
        Leak,
        SlashNonRevealer,
        Claim
    }

    uint256 internal constant ACTORS = 4;

    Arbiter public immutable arbiter;
    OpenToken public immutable token;
    ChallengeableMock public immutable subject;
    address public constant challenger = address(0xC0FFEE);
    address public constant defendant = address(0xDEFE);

    address[ACTORS] internal _actors;
    bool internal _funded;
    /// @dev The vote each actor committed on each challenge, so it can reveal it (or someone can leak it).
    mapping(uint256 challengeId => mapping(address voter => bool upheld)) internal _choice;

    /// @dev How often each action did something: shows the sequences were not all no-ops.
    mapping(bytes32 action => uint256 count) public calls;

    constructor(Arbiter arbiter_, OpenToken token_, ChallengeableMock subject_) {
        arbiter = arbiter_;
        token = token_;
        subject = subject_;
        for (uint256 i; i < ACTORS; ++i) {
            _actors[i] = address(uint160(0xA000 + i));
        }
        token_.approve(address(subject_), type(uint256).max);
    }

    function stake(uint256 actorSeed, uint256 amount) external {
        _nextBlock();
        address actor = _actor(actorSeed);
        amount = _bound(amount, 1, 1_000 ether);
        if (token.balanceOf(actor) < amount) return;
        vm.prank(actor);
        arbiter.stake(amount);
        ++calls["stake"];
    }

    function requestUnstake(uint256 actorSeed, uint256 amount) external {
        _nextBlock();
        address actor = _actor(actorSeed);
        uint256 active = arbiter.stakeOf(actor).active;
        if (active == 0) return;
        vm.prank(actor);
        arbiter.requestUnstake(_bound(amount, 1, active));
        ++calls["requestUnstake"];
    }

    function withdrawUnstaked(uint256 actorSeed) external {
        _nextBlock();
        address actor = _actor(actorSeed);
        IArbiter.VerifierStake memory s = arbiter.stakeOf(actor);
        if (s.unbonding == 0 || block.timestamp <= s.unbondingEnd || s.pendingReveals != 0) return;
        vm.prank(actor);
        arbiter.withdrawUnstaked();
        ++calls["withdrawUnstaked"];
    }

    function openChallenge(uint256 caseStake, uint256 bond) external {
        _nextBlock();
        uint256 subjectId = arbiter.challengeCount() + 1;
        subject.setCase(subjectId, defendant, _bound(caseStake, 0, 5_000 ether));
        bond = _bound(bond, arbiter.getParams().minBond, 500 ether);
        if (token.balanceOf(challenger) < bond) return;
        vm.prank(challenger);
        arbiter.openChallenge(address(subject), subjectId, abi.encode(subjectId), bond);
        ++calls["openChallenge"];
    }

    function commitVote(uint256 seed, bool upheld) external {
        _nextBlock();
        (bool found, uint256 id, address voter) = _find(seed, Step.Commit);
        if (!found) return;
        _choice[id][voter] = upheld;
        vm.prank(voter);
        arbiter.commitVote(id, keccak256(abi.encode(id, voter, upheld, _salt(id, voter))));
        ++calls["commitVote"];
    }

    function revealVote(uint256 seed) external {
        _nextBlock();
        (bool found, uint256 id, address voter) = _find(seed, Step.Reveal);
        if (!found) return;
        vm.prank(voter);
        arbiter.revealVote(id, _choice[id][voter], _salt(id, voter));
        ++calls["revealVote"];
    }

    function reportLeak(uint256 seed, uint256 reporterSeed) external {
        _nextBlock();
        (bool found, uint256 id, address voter) = _find(seed, Step.Leak);
        if (!found) return;
        vm.prank(_actor(reporterSeed));
        arbiter.reportLeak(id, voter, _choice[id][voter], _salt(id, voter));
        ++calls["reportLeak"];
    }

    function resolve(uint256 seed) external {
        _nextBlock();
        uint256 count = arbiter.challengeCount();
        for (uint256 k; k < count; ++k) {
            uint256 id = ((seed + k) % count) + 1;
            IArbiter.Challenge memory c = arbiter.getChallenge(id);
            if (c.ruling != Ruling.None || block.timestamp <= c.revealDeadline) continue;
            arbiter.resolve(id);
            ++calls["resolve"];
            return;
        }
    }

    function slashNonRevealer(uint256 seed) external {
        _nextBlock();
        (bool found, uint256 id, address voter) = _find(seed, Step.SlashNonRevealer);
        if (!found) return;
        arbiter.slashNonRevealer(id, voter);
        ++calls["slashNonRevealer"];
    }

    function claimVoterReward(uint256 seed) external {
        _nextBlock();
        (bool found, uint256 id, address voter) = _find(seed, Step.Claim);
        if (!found) return;
        arbiter.claimVoterReward(id, voter);
        ++calls["claimVoterReward"];
    }

    function withdrawCredits(uint256 accountSeed) external {
        _nextBlock();
        address account = _account(accountSeed);
        if (arbiter.credits(account) == 0) return;
        vm.prank(account);
        arbiter.withdrawCredits();
        ++calls["withdrawCredits"];
    }

    function warp(uint256 seconds_) external {
        _nextBlock();
        vm.warp(block.timestamp + _bound(seconds_, 1, 1 hours));
    }

    /// @notice What the Arbiter owes: active and unbonding stake, bonds of open challenges, credits and voter rewards
    /// not yet claimed.
    function owed() external view returns (uint256 total) {
        for (uint256 i; i < ACTORS; ++i) {
            IArbiter.VerifierStake memory s = arbiter.stakeOf(_actors[i]);
            total += s.active + s.unbonding;
        }
        uint256 count = arbiter.challengeCount();
        for (uint256 id = 1; id <= count; ++id) {
            IArbiter.Challenge memory c = arbiter.getChallenge(id);
            if (c.ruling == Ruling.None) total += c.bond;
            total += c.voterReward - c.voterRewardClaimed;
        }
        for (uint256 i; i < ACTORS + 2; ++i) {
            total += arbiter.credits(_account(i));
        }
    }

    /// @notice Σ of the actors' active stake.
    function sumActive() external view returns (uint256 total) {
        for (uint256 i; i < ACTORS; ++i) {
            total += arbiter.stakeOf(_actors[i]).active;
        }
    }

    function actorAt(uint256 i) external view returns (address) {
        return _actors[i];
    }

    function _fund(address account, uint256 amount) internal {
        token.transfer(account, amount);
        vm.prank(account);
        token.approve(address(arbiter), type(uint256).max);
    }

    /// @dev Moves to the next block and second. The first call gives the actors and the challenger OPEN, approves
    /// the Arbiter for them and stakes 100 OPEN for each actor, so challenges have voters from the start; it runs
    /// here rather than in setUp so the fuzz tests of Arbiter.t.sol start from an Arbiter nobody has touched.
    function _nextBlock() internal {
        if (!_funded) {
            _funded = true;
            for (uint256 i; i < ACTORS; ++i) {
                _fund(_actors[i], 1_000_000 ether);
                vm.prank(_actors[i]);
                arbiter.stake(100 ether);
            }
            _fund(challenger, 1_000_000 ether);
        }
        vm.roll(block.number + 1);
        vm.warp(block.timestamp + 1);
    }

    /// @dev The first (challenge, actor) pair, cycling from `seed`, for which `step` is valid now.
    function _find(uint256 seed, Step step) internal view returns (bool found, uint256 id, address voter) {
        uint256 pairs = arbiter.challengeCount() * ACTORS;
        for (uint256 k; k < pairs; ++k) {
            uint256 j = (seed + k) % pairs;
            id = j / ACTORS + 1;
            voter = _actors[j % ACTORS];
            if (_valid(step, id, voter)) return (true, id, voter);
        }
        return (false, 0, address(0));
    }

    function _valid(Step step, uint256 id, address voter) internal view returns (bool) {
        IArbiter.Challenge memory c = arbiter.getChallenge(id);
        IArbiter.Vote memory v = arbiter.getVote(id, voter);
        if (step == Step.Commit) {
            return block.timestamp <= c.commitDeadline && v.status == IArbiter.VoteStatus.None
                && arbiter.votingWeightOf(id, voter) != 0;
        }
        if (step == Step.Reveal) {
            return block.timestamp > c.commitDeadline && block.timestamp <= c.revealDeadline
                && v.status == IArbiter.VoteStatus.Committed;
        }
        if (step == Step.Leak) {
            return block.timestamp <= c.commitDeadline && v.status == IArbiter.VoteStatus.Committed;
        }
        if (step == Step.SlashNonRevealer) {
            return block.timestamp > c.revealDeadline && v.status == IArbiter.VoteStatus.Committed;
        }
        return (c.ruling == Ruling.Upheld || c.ruling == Ruling.Dismissed) && v.status == IArbiter.VoteStatus.Revealed
            && v.upheld == (c.ruling == Ruling.Upheld);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % ACTORS];
    }

    /// @dev The actors, the challenger and the defendant: everyone who can hold credits.
    function _account(uint256 seed) internal view returns (address) {
        uint256 i = seed % (ACTORS + 2);
        if (i == ACTORS) return challenger;
        if (i == ACTORS + 1) return defendant;
        return _actors[i];
    }

    function _salt(uint256 id, address voter) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", id, voter));
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
