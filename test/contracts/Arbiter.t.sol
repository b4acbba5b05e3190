// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Arbiter} from "../../contracts/Arbiter.sol";
import {IArbiter} from "../../contracts/interfaces/IArbiter.sol";
import {Ruling} from "../../contracts/interfaces/IChallengeable.sol";
import {ChallengeableMock} from "../../contracts/mocks/ChallengeableMock.sol";
import {OpenToken} from "../../contracts/OpenToken.sol";
import {ArbiterHandler} from "./ArbiterHandler.sol";
import {vm} from "./utils/Vm.sol";

/// @dev Fuzz tests of the Arbiter's money (pot splits, slashes, tallies) and invariant tests driven by ArbiterHandler:
/// the Arbiter's OPEN always equals what it owes.
contract ArbiterTest {
    uint256 internal constant BPS = 10_000;
    address internal constant CHALLENGER = address(0xC4A1);
    address internal constant DEFENDANT = address(0xDEF2);
    uint256 internal constant SUBJECT_ID = 1_000;

    OpenToken internal token;
    Arbiter internal arbiter;
    ChallengeableMock internal subject;
    ArbiterHandler internal handler;
    address[] internal _targetContracts;

    function setUp() public {
        vm.roll(100);
        vm.warp(1_700_000_000);
        token = new OpenToken(address(this), 1e30);
        arbiter = new Arbiter(
            token,
            address(this),
            IArbiter.Params({
                // Short periods let the invariant fuzzer's sequences go through whole challenges.
                commitPeriod: 1 hours,
                revealPeriod: 1 hours,
                minBond: 1 ether,
                quorumBps: 3_000,
                burnBps: 1_000,
                voterRewardBps: 2_000,
                nonRevealSlashBps: 500,
                leakSlashBps: 1_000,
                verifierUnbondingPeriod: 3 hours
            })
        );
        subject = new ChallengeableMock(token, address(arbiter));
        arbiter.setSubject(address(subject), true);
        token.approve(address(subject), type(uint256).max);

        handler = new ArbiterHandler(arbiter, token, subject);
        token.transfer(address(handler), 1e28);
        _targetContracts.push(address(handler));
    }

    /// @notice The invariant fuzzer calls only the handler (forge-std's StdInvariant reads this same getter;
    /// `targetContract` is a forge-std helper, not a cheatcode).
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @dev One pot-split scenario: three voters on the winning side, a lighter one on the losing side.
    struct PotCase {
        uint256 pot;
        uint256 burnBps;
        uint256 voterRewardBps;
        bool upheld;
        uint256 bond;
        uint256 staked;
        uint256 id;
        address[4] voters;
        uint256[4] weights;
    }

    /// @dev Whatever the pot, the split and the weights, burned + voter rewards + winner's part == pot, the voters'
    /// shares sum exactly to their reward (the last claimant takes the dust), the minority is neither paid nor
    /// slashed, and the Arbiter stays solvent.
    function testFuzzPotSplitSumsToPot(
        uint256 pot,
        uint256 burnBps,
        uint256 voterRewardBps,
        uint256[4] memory weights,
        bool upheld
    ) public {
        PotCase memory t;
        t.burnBps = _bound(burnBps, 0, BPS);
        t.voterRewardBps = _bound(voterRewardBps, 0, BPS - t.burnBps);
        t.pot = _bound(pot, 1, 1e27);
        t.upheld = upheld;
        t.bond = upheld ? 1 ether : t.pot;
        for (uint256 i; i < 4; ++i) {
            // The last voter is a minority of one, lighter than the first winner alone.
            t.weights[i] = i < 3 ? _bound(weights[i], 1, 1e24) : _bound(weights[i], 1, t.weights[0]);
            t.voters[i] = address(uint160(0xB000 + i));
        }
        _votePotCase(t);

        uint256 supplyBefore = token.totalSupply();
        Ruling ruling = arbiter.resolve(t.id);
        require(ruling == (upheld ? Ruling.Upheld : Ruling.Dismissed), "ruling");
        uint256 burned = supplyBefore - token.totalSupply();
        uint256 winnerPart = upheld ? arbiter.credits(CHALLENGER) - t.bond : arbiter.credits(DEFENDANT);
        require(!upheld || arbiter.credits(DEFENDANT) == 0, "defendant paid on Upheld");
        require(upheld || arbiter.credits(CHALLENGER) == 0, "challenger paid on Dismissed");

        uint256 rewards;
        for (uint256 i; i < 3; ++i) {
            arbiter.claimVoterReward(t.id, t.voters[i]);
            rewards += arbiter.credits(t.voters[i]);
        }
        IArbiter.Challenge memory c = arbiter.getChallenge(t.id);
        require(c.pot == t.pot, "pot");
        require(burned == (t.pot * t.burnBps) / BPS, "burn");
        require(c.voterReward == (t.pot * t.voterRewardBps) / BPS, "voter reward");
        require(rewards == c.voterReward, "voter shares do not sum to the voter reward");
        require(burned + rewards + winnerPart == t.pot, "parts do not sum to the pot");
        require(arbiter.credits(t.voters[3]) == 0, "minority rewarded");
        require(arbiter.stakeOf(t.voters[3]).active == t.weights[3], "minority slashed");

        uint256 credited = arbiter.credits(CHALLENGER) + arbiter.credits(DEFENDANT) + rewards;
        require(token.balanceOf(address(arbiter)) == t.staked + credited, "Arbiter balance != what it owes");
    }

    /// @dev A leak slash takes exactly bps of active + unbonding, active first, never more than there is
    /// (THREATS #26), and whatever is left unbonding can still be withdrawn.
    function testFuzzLeakSlashTakesActiveFirst(uint256 active, uint256 unbonding, uint256 bps) public {
        active = _bound(active, 1, 1e27);
        unbonding = _bound(unbonding, 0, active);
        bps = _bound(bps, 0, BPS);
        IArbiter.Params memory p = arbiter.getParams();
        p.leakSlashBps = uint16(bps);
        arbiter.setParams(p);

        address voter = address(0xB100);
        _stake(voter, active);
        vm.roll(block.number + 1);
        subject.setCase(SUBJECT_ID, DEFENDANT, 0);
        uint256 id = _open(1 ether);
        _commit(id, voter, true);
        if (unbonding != 0) {
            vm.prank(voter);
            arbiter.requestUnstake(unbonding);
        }
        uint256 activeLeft = active - unbonding;

        address reporter = address(0xB101);
        vm.prank(reporter);
        arbiter.reportLeak(id, voter, true, _salt(id, voter));

        uint256 slashed = (active * bps) / BPS;
        IArbiter.VerifierStake memory s = arbiter.stakeOf(voter);
        require(arbiter.credits(reporter) == slashed, "reporter credit");
        uint256 fromActive = slashed < activeLeft ? slashed : activeLeft;
        require(s.active == activeLeft - fromActive, "active");
        require(s.unbonding == unbonding - (slashed - fromActive), "unbonding");
        require(s.pendingReveals == 0, "pending reveals");
        require(arbiter.totalVotingStake() == s.active, "total voting stake");
        require(token.balanceOf(address(arbiter)) == s.active + s.unbonding + slashed + 1 ether, "balance");

        if (s.unbonding != 0) {
            vm.warp(s.unbondingEnd + 1);
            vm.prank(voter);
            arbiter.withdrawUnstaked();
            require(token.balanceOf(voter) == s.unbonding, "withdrawn");
        }
    }

    /// @dev The ruling is NoQuorum below quorum or with nothing revealed, else the heavier side, a tie dismissing.
    function testFuzzTally(uint256[4] memory weights, bool[4] memory reveals, bool[4] memory votes) public {
        address[4] memory voters;
        uint256 total;
        for (uint256 i; i < 4; ++i) {
            weights[i] = _bound(weights[i], 1, 1e24);
            voters[i] = address(uint160(0xB200 + i));
            _stake(voters[i], weights[i]);
            total += weights[i];
        }
        vm.roll(block.number + 1);
        subject.setCase(SUBJECT_ID, DEFENDANT, 1 ether);
        uint256 id = _open(1 ether);
        for (uint256 i; i < 4; ++i) {
            if (reveals[i]) _commit(id, voters[i], votes[i]);
        }
        _toRevealPhase(id);
        uint256 upheldWeight;
        uint256 dismissedWeight;
        for (uint256 i; i < 4; ++i) {
            if (!reveals[i]) continue;
            _reveal(id, voters[i], votes[i]);
            if (votes[i]) upheldWeight += weights[i];
            else dismissedWeight += weights[i];
        }
        _afterRevealPhase(id);

        uint256 revealed = upheldWeight + dismissedWeight;
        Ruling expected;
        if (revealed == 0 || revealed * BPS < 3_000 * total) expected = Ruling.NoQuorum;
        else if (upheldWeight > dismissedWeight) expected = Ruling.Upheld;
        else expected = Ruling.Dismissed;
        require(arbiter.resolve(id) == expected, "ruling");
        if (expected == Ruling.NoQuorum) require(arbiter.credits(CHALLENGER) == 1 ether, "bond not returned");
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantBalanceEqualsWhatIsOwed() public view {
        require(token.balanceOf(address(arbiter)) == handler.owed(), "Arbiter balance != what it owes");
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantTotalVotingStakeIsSumOfActive() public view {
        require(arbiter.totalVotingStake() == handler.sumActive(), "total voting stake != sum of active stake");
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantTalliesAndRewardsStayBounded() public view {
        uint256 count = arbiter.challengeCount();
        for (uint256 id = 1; id <= count; ++id) {
            IArbiter.Challenge memory c = arbiter.getChallenge(id);
            require(c.upheldWeight + c.dismissedWeight <= c.totalWeight, "revealed weight above the quorum base");
            require(c.voterRewardClaimed <= c.voterReward, "voter reward overpaid");
            uint256 winning = c.ruling == Ruling.Upheld ? c.upheldWeight : c.dismissedWeight;
            require(c.voterRewardClaimedWeight <= winning, "claimed weight above the winning weight");
            if (c.voterRewardClaimedWeight == winning) require(c.voterRewardClaimed == c.voterReward, "dust left");
            require(c.burnBps + c.voterRewardBps <= BPS, "split above the pot");
        }
    }

    function _votePotCase(PotCase memory t) internal {
        IArbiter.Params memory p = arbiter.getParams();
        p.burnBps = uint16(t.burnBps);
        p.voterRewardBps = uint16(t.voterRewardBps);
        p.minBond = 1;
        arbiter.setParams(p);
        for (uint256 i; i < 4; ++i) {
            _stake(t.voters[i], t.weights[i]);
            t.staked += t.weights[i];
        }
        vm.roll(block.number + 1);
        subject.setCase(SUBJECT_ID, DEFENDANT, t.upheld ? t.pot : 0);
        t.id = _open(t.bond);
        for (uint256 i; i < 4; ++i) {
            _commit(t.id, t.voters[i], i < 3 ? t.upheld : !t.upheld);
        }
        _toRevealPhase(t.id);
        for (uint256 i; i < 4; ++i) {
            _reveal(t.id, t.voters[i], i < 3 ? t.upheld : !t.upheld);
        }
        _afterRevealPhase(t.id);
    }

    function _stake(address verifier, uint256 amount) internal {
        token.transfer(verifier, amount);
        vm.startPrank(verifier);
        token.approve(address(arbiter), amount);
        arbiter.stake(amount);
        vm.stopPrank();
    }

    function _open(uint256 bond) internal returns (uint256 id) {
        token.transfer(CHALLENGER, bond);
        vm.startPrank(CHALLENGER);
        token.approve(address(arbiter), bond);
        id = arbiter.openChallenge(address(subject), SUBJECT_ID, "", bond);
        vm.stopPrank();
    }

    function _commit(uint256 id, address voter, bool upheld) internal {
        vm.prank(voter);
        arbiter.commitVote(id, keccak256(abi.encode(id, voter, upheld, _salt(id, voter))));
    }

    function _reveal(uint256 id, address voter, bool upheld) internal {
        vm.prank(voter);
        arbiter.revealVote(id, upheld, _salt(id, voter));
    }

    function _toRevealPhase(uint256 id) internal {
        vm.warp(arbiter.getChallenge(id).commitDeadline + 1);
    }

    function _afterRevealPhase(uint256 id) internal {
        vm.warp(arbiter.getChallenge(id).revealDeadline + 1);
    }

    function _salt(uint256 id, address voter) internal pure returns (bytes32) {
        return keccak256(abi.encode("fuzz salt", id, voter));
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
