// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Ruling} from "./interfaces/IChallengeable.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Staked inference nodes, their operator keys, endpoints and prices per adapter version (DESIGN §3).
/// @dev Stake changes in four places only: {register} and {addStake} (in), {withdraw} (out, after the unbonding
/// delay and with no open challenge) and {onChallengeResolved} (out, to the Arbiter, on `Upheld`). The unbonding
/// part stays slashable until it is withdrawn, so requesting an unbond cannot dodge a challenge, and an open
/// challenge blocks the withdrawal itself. The token balance of this contract is always the sum of all stakes.
contract NodeRegistry is INodeRegistry, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @dev What the registry remembers of a challenge the Arbiter opened.
    /// @param node the challenged node (zero: no such challenge)
    /// @param slashBps the slash share at the opening, so governance cannot change the stakes of an open challenge
    /// @param resolved whether the Arbiter already ruled
    struct Challenge {
        address node;
        uint16 slashBps;
        bool resolved;
    }

    /// @notice Longest unbonding period governance can set: a year keeps `now + period` far from `uint64` overflow
    /// and stake from being locked for ever.
    uint64 public constant MAX_UNBONDING_PERIOD = 365 days;

    /// @notice Longest libp2p peer id accepted, in bytes (a text peer id is ~52 characters).
    uint256 public constant MAX_PEER_ID_LENGTH = 128;

    /// @notice Longest endpoint URL accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

    /// @dev The share denominator: 10000 bps = 100 %.
    uint256 private constant _BPS = 10_000;

    /// @dev Fixed at deploy: a registry holds one token for its whole life.
    IERC20 private immutable _token;

    /// @dev Fixed at deploy: the only path to slashing cannot be redirected by governance.
    address private immutable _arbiter;

    uint256 private _minStake;
    uint64 private _unbondingPeriod;
    uint16 private _slashBps;

    mapping(address node => Node) private _nodes;
    mapping(address operator => address node) private _nodeOfOperator;
    mapping(address node => mapping(uint256 versionId => uint256 price)) private _prices;
    mapping(uint256 challengeId => Challenge) private _challenges;

    modifier onlyArbiter() {
        if (msg.sender != _arbiter) revert NodeRegistryNotArbiter(msg.sender);
        _;
    }

    /// @param token_ the OPEN token
    /// @param arbiter_ the Arbiter, the only caller of the challenge callbacks
    /// @param initialOwner governance, which sets the parameters
    /// @param minStake_ stake (less unbonding) a node needs to register and to be active
    /// @param unbondingPeriod_ delay between an unbonding request and its withdrawal, in seconds
    /// @param slashBps_ share of stake an upheld challenge slashes, in bps
    constructor(
        IERC20 token_,
        address arbiter_,
        address initialOwner,
        uint256 minStake_,
        uint64 unbondingPeriod_,
        uint16 slashBps_
    ) Ownable(initialOwner) {
        if (address(token_) == address(0) || arbiter_ == address(0)) revert NodeRegistryZeroAddress();
        _token = token_;
        _arbiter = arbiter_;
        _setMinStake(minStake_);
        _setUnbondingPeriod(unbondingPeriod_);
        _setSlashBps(slashBps_);
    }

    /// @inheritdoc INodeRegistry
    function register(address operator, uint256 stake, string calldata peerId, string calldata endpoint)
        external
        nonReentrant
    {
        Node storage node = _nodes[msg.sender];
        if (node.registered) revert NodeRegistryAlreadyRegistered(msg.sender);
        address operatedNode = _nodeOfOperator[msg.sender];
        if (operatedNode != address(0)) revert NodeRegistryCallerIsOperator(msg.sender, operatedNode);
        _checkOperator(msg.sender, operator);
        _checkStrings(peerId, endpoint);
        if (stake < _minStake) revert NodeRegistryStakeTooLow(stake, _minStake);

        node.registered = true;
        node.operator = operator;
        node.stake = stake;
        node.peerId = peerId;
        node.endpoint = endpoint;
        _nodeOfOperator[operator] = msg.sender;
        emit NodeRegistered(msg.sender, operator, stake, peerId, endpoint);

        _token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc INodeRegistry
    function update(address operator, string calldata peerId, string calldata endpoint) external {
        Node storage node = _registered(msg.sender);
        address previous = node.operator;
        if (operator != previous) {
            _checkOperator(msg.sender, operator);
            delete _nodeOfOperator[previous];
            _nodeOfOperator[operator] = msg.sender;
            node.operator = operator;
        }
        _checkStrings(peerId, endpoint);
        node.peerId = peerId;
        node.endpoint = endpoint;
        emit NodeUpdated(msg.sender, operator, peerId, endpoint);
    }

    /// @inheritdoc INodeRegistry
    function setPrice(uint256 versionId, uint256 price) external {
        address node = msg.sender;
        if (!_nodes[node].registered) {
            node = _nodeOfOperator[msg.sender];
            if (node == address(0)) revert NodeRegistryNotNodeOrOperator(msg.sender);
        }
        if (versionId == 0) revert NodeRegistryInvalidVersion(versionId);
        if (price > type(uint128).max) revert NodeRegistryPriceTooHigh(price);
        _prices[node][versionId] = price;
        emit PriceSet(node, versionId, price);
    }

    /// @inheritdoc INodeRegistry
    function addStake(uint256 amount) external nonReentrant {
        Node storage node = _registered(msg.sender);
        if (amount == 0) revert NodeRegistryZeroAmount();
        uint256 stake = node.stake + amount;
        node.stake = stake;
        emit StakeAdded(msg.sender, amount, stake);

        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function requestUnbond(uint256 amount) external {
        Node storage node = _registered(msg.sender);
        if (amount == 0) revert NodeRegistryZeroAmount();
        uint256 available = node.stake - node.unbonding;
        if (amount > available) revert NodeRegistryUnbondTooHigh(amount, available);
        uint256 unbonding = node.unbonding + amount;
        // Checked: the period is capped at a year, far below what would overflow uint64 (THREATS.md 15).
        uint64 unbondingEnd = uint64(block.timestamp) + _unbondingPeriod;
        node.unbonding = unbonding;
        node.unbondingEnd = unbondingEnd;
        emit UnbondRequested(msg.sender, amount, unbonding, unbondingEnd);
    }

    /// @inheritdoc INodeRegistry
    function withdraw() external nonReentrant {
        Node storage node = _registered(msg.sender);
        uint256 amount = node.unbonding;
        if (amount == 0) revert NodeRegistryNothingUnbonding(msg.sender);
        if (block.timestamp <= node.unbondingEnd) revert NodeRegistryStillUnbonding(msg.sender, node.unbondingEnd);
        if (node.openChallenges != 0) revert NodeRegistryChallenged(msg.sender, node.openChallenges);

        uint256 stake;
        // unbonding ≤ stake always holds (requestUnbond checks it, a slash clamps it), so this cannot underflow.
        unchecked {
            stake = node.stake - amount;
        }
        node.stake = stake;
        node.unbonding = 0;
        node.unbondingEnd = 0;
        emit Withdrawn(msg.sender, amount, stake);

        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    function setMinStake(uint256 minStake_) external onlyOwner {
        _setMinStake(minStake_);
    }

    /// @inheritdoc INodeRegistry
    function setUnbondingPeriod(uint64 unbondingPeriod_) external onlyOwner {
        _setUnbondingPeriod(unbondingPeriod_);
    }

    /// @inheritdoc INodeRegistry
    function setSlashBps(uint16 slashBps_) external onlyOwner {
        _setSlashBps(slashBps_);
    }

    /// @notice Locks a node's stake for a challenge: it cannot withdraw until every open challenge is ruled on.
    /// @dev Requirements: the caller is the Arbiter; `subjectId` is `uint256(uint160(node))` of a registered node;
    /// `challengeId` was never opened here. `evidence` is the Arbiter's business and is not read.
    ///
    /// Emits a {ChallengeOpened} event.
    /// @return defendant the node
    function onChallengeOpened(uint256 subjectId, uint256 challengeId, address challenger, bytes calldata)
        external
        onlyArbiter
        returns (address defendant)
    {
        if (subjectId > type(uint160).max) revert NodeRegistryUnknownSubject(subjectId);
        defendant = address(uint160(subjectId));
        Node storage node = _nodes[defendant];
        if (!node.registered) revert NodeRegistryUnknownSubject(subjectId);
        Challenge storage challenge = _challenges[challengeId];
        if (challenge.node != address(0)) revert NodeRegistryChallengeExists(challengeId);

        challenge.node = defendant;
        challenge.slashBps = _slashBps;
        ++node.openChallenges;
        emit ChallengeOpened(defendant, challengeId, challenger);
    }

    /// @notice Applies the Arbiter's ruling: on `Upheld` slashes the share of stake set at the opening (unbonding
    /// part included) and sends it to the Arbiter; on any ruling releases the challenge's lock.
    /// @dev Requirements: the caller is the Arbiter; `challengeId` is open against the node `subjectId`; `ruling`
    /// is final.
    ///
    /// Emits a {ChallengeResolved} event, and a {NodeSlashed} event when something is slashed.
    /// @return slashed the OPEN sent to the Arbiter
    function onChallengeResolved(uint256 subjectId, uint256 challengeId, Ruling ruling)
        external
        onlyArbiter
        nonReentrant
        returns (uint256 slashed)
    {
        Challenge storage challenge = _challenges[challengeId];
        address nodeAddress = challenge.node;
        if (nodeAddress == address(0) || challenge.resolved || uint256(uint160(nodeAddress)) != subjectId) {
            revert NodeRegistryUnknownChallenge(subjectId, challengeId);
        }
        if (ruling == Ruling.None) revert NodeRegistryInvalidRuling(ruling);

        Node storage node = _nodes[nodeAddress];
        challenge.resolved = true;
        // Each open challenge incremented the count once and is resolved once, so it is ≥ 1 here.
        unchecked {
            --node.openChallenges;
        }
        if (ruling == Ruling.Upheld) {
            uint256 stake = node.stake;
            slashed = Math.mulDiv(stake, challenge.slashBps, _BPS);
            if (slashed != 0) {
                // slashBps ≤ 10000, so slashed ≤ stake.
                unchecked {
                    stake -= slashed;
                }
                node.stake = stake;
                uint256 unbonding = Math.min(node.unbonding, stake);
                node.unbonding = unbonding;
                emit NodeSlashed(nodeAddress, challengeId, slashed, stake, unbonding);
            }
        }
        emit ChallengeResolved(nodeAddress, challengeId, ruling, slashed);

        if (slashed != 0) _token.safeTransfer(msg.sender, slashed);
    }

    /// @inheritdoc INodeRegistry
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc INodeRegistry
    function arbiter() external view returns (address) {
        return _arbiter;
    }

    /// @inheritdoc INodeRegistry
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc INodeRegistry
    function unbondingPeriod() external view returns (uint64) {
        return _unbondingPeriod;
    }

    /// @inheritdoc INodeRegistry
    function slashBps() external view returns (uint16) {
        return _slashBps;
    }

    /// @inheritdoc INodeRegistry
    function operatorOf(address node) external view returns (address) {
        return _nodes[node].operator;
    }

    /// @inheritdoc INodeRegistry
    function nodeOfOperator(address operator) external view returns (address) {
        return _nodeOfOperator[operator];
    }

    /// @inheritdoc INodeRegistry
    function priceOf(address node, uint256 versionId) external view returns (uint256) {
        return _prices[node][versionId];
    }

    /// @inheritdoc INodeRegistry
    function isActive(address node) external view returns (bool) {
        Node storage n = _nodes[node];
        return n.registered && n.stake - n.unbonding >= _minStake;
    }

    /// @inheritdoc INodeRegistry
    function operatorAndActive(address node) external view returns (address operator, bool active) {
        Node storage n = _nodes[node];
        operator = n.operator;
        // {isActive} without reading `registered` (one cold slot less per redemption): stake is only ever set by
        // {register}, which sets `registered`, and changed on registered nodes ({_registered}, slashing), so
        // `stake > 0` implies `registered`; and `_minStake > 0` ({_setMinStake}), so `stake − unbonding ≥ _minStake`
        // implies `stake > 0`.
        active = n.stake - n.unbonding >= _minStake;
    }

    /// @inheritdoc INodeRegistry
    function withdrawableOf(address node) external view returns (uint256) {
        Node storage n = _nodes[node];
        if (block.timestamp <= n.unbondingEnd || n.openChallenges != 0) return 0;
        return n.unbonding;
    }

    /// @inheritdoc INodeRegistry
    function getNode(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    function _setMinStake(uint256 minStake_) private {
        if (minStake_ == 0) revert NodeRegistryInvalidMinStake(minStake_);
        _minStake = minStake_;
        emit MinStakeSet(minStake_);
    }

    function _setUnbondingPeriod(uint64 unbondingPeriod_) private {
        if (unbondingPeriod_ == 0 || unbondingPeriod_ > MAX_UNBONDING_PERIOD) {
            revert NodeRegistryInvalidUnbondingPeriod(unbondingPeriod_, MAX_UNBONDING_PERIOD);
        }
        _unbondingPeriod = unbondingPeriod_;
        emit UnbondingPeriodSet(unbondingPeriod_);
    }

    function _setSlashBps(uint16 slashBps_) private {
        if (slashBps_ > _BPS) revert NodeRegistryInvalidSlashBps(slashBps_);
        _slashBps = slashBps_;
        emit SlashBpsSet(slashBps_);
    }

    /// @dev The caller's node record, which must exist.
    function _registered(address nodeAddress) private view returns (Node storage node) {
        node = _nodes[nodeAddress];
        if (!node.registered) revert NodeRegistryNotRegistered(nodeAddress);
    }

    /// @dev An operator belongs to one node, and node and operator addresses of different nodes never mix: the
    /// operator is non-zero, operates no other node, and is no other registered node.
    function _checkOperator(address nodeAddress, address operator) private view {
        if (operator == address(0)) revert NodeRegistryZeroOperator();
        address holder = _nodeOfOperator[operator];
        if (holder != address(0) && holder != nodeAddress) revert NodeRegistryOperatorTaken(operator, holder);
        if (operator != nodeAddress && _nodes[operator].registered) {
            revert NodeRegistryOperatorTaken(operator, operator);
        }
    }

    function _checkStrings(string calldata peerId, string calldata endpoint) private pure {
        uint256 peerIdLength = bytes(peerId).length;
        if (peerIdLength == 0 || peerIdLength > MAX_PEER_ID_LENGTH) {
            revert NodeRegistryInvalidPeerId(peerIdLength, MAX_PEER_ID_LENGTH);
        }
        uint256 endpointLength = bytes(endpoint).length;
        if (endpointLength == 0 || endpointLength > MAX_ENDPOINT_LENGTH) {
            revert NodeRegistryInvalidEndpoint(endpointLength, MAX_ENDPOINT_LENGTH);
        }
    }
}
