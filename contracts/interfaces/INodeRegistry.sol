// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IChallengeable, Ruling} from "./IChallengeable.sol";

/// @title The registry of staked inference nodes (DESIGN §3)
/// @notice A node is an address that staked OPEN. It names an operator hot key that signs its inference records,
/// redeems its receipts and sets its prices, a libp2p peer id and an HTTP endpoint. Stake leaves only through an
/// unbonding delay, and only the Arbiter can slash it.
/// @dev Holds the structs, events and errors of `NodeRegistry` (one ABI source). The subject id of a node in the
/// {IChallengeable} callbacks is `uint256(uint160(node))`.
interface INodeRegistry is IChallengeable {
    /// @notice Everything the registry keeps about one node.
    /// @param operator the hot key: signs inference records, may redeem and set prices; never zero once registered
    /// @param stake OPEN held for the node, unbonding part included
    /// @param unbonding the part of `stake` on its way out; always ≤ `stake`
    /// @param unbondingEnd the unbonding part can be withdrawn strictly after this time (0 when nothing unbonds)
    /// @param openChallenges challenges opened by the Arbiter and not yet ruled on; withdrawal waits for 0
    /// @param registered whether the address ever registered (a node stays registered after withdrawing all)
    /// @param peerId the libp2p peer id, as text
    /// @param endpoint the HTTP endpoint URL dapps call
    struct Node {
        address operator;
        uint64 unbondingEnd;
        uint32 openChallenges;
        bool registered;
        uint256 stake;
        uint256 unbonding;
        string peerId;
        string endpoint;
    }

    /// @notice A node registered with its first stake.
    event NodeRegistered(address indexed node, address indexed operator, uint256 stake, string peerId, string endpoint);

    /// @notice A node changed its operator, peer id or endpoint (all three are restated).
    event NodeUpdated(address indexed node, address indexed operator, string peerId, string endpoint);

    /// @notice A node set its price per request for an adapter version; 0 means the version is not served.
    event PriceSet(address indexed node, uint256 indexed versionId, uint256 price);

    /// @notice A node added stake.
    event StakeAdded(address indexed node, uint256 amount, uint256 stake);

    /// @notice A node moved `amount` more into unbonding; the whole unbonding part waits until `unbondingEnd`.
    event UnbondRequested(address indexed node, uint256 amount, uint256 unbonding, uint64 unbondingEnd);

    /// @notice A node withdrew its unbonded stake.
    event Withdrawn(address indexed node, uint256 amount, uint256 stake);

    /// @notice The Arbiter opened a challenge against a node; its stake is locked until every challenge is ruled.
    event ChallengeOpened(address indexed node, uint256 indexed challengeId, address indexed challenger);

    /// @notice The Arbiter ruled on a challenge against a node; `slashed` went to the Arbiter.
    event ChallengeResolved(address indexed node, uint256 indexed challengeId, Ruling ruling, uint256 slashed);

    /// @notice An upheld challenge slashed a node; `stake` and `unbonding` are what is left.
    event NodeSlashed(
        address indexed node, uint256 indexed challengeId, uint256 amount, uint256 stake, uint256 unbonding
    );

    /// @notice Governance changed the stake a node needs to be active.
    event MinStakeSet(uint256 minStake);

    /// @notice Governance changed the unbonding period (applies to requests made after the change).
    event UnbondingPeriodSet(uint64 unbondingPeriod);

    /// @notice Governance changed the share of stake an upheld challenge slashes (applies to challenges opened
    /// after the change).
    event SlashBpsSet(uint16 slashBps);

    /// @notice A constructor argument that must be a contract or account is the zero address.
    error NodeRegistryZeroAddress();

    /// @notice The minimum stake must be above 0.
    error NodeRegistryInvalidMinStake(uint256 minStake);

    /// @notice The unbonding period must be at least 1 second and at most the cap.
    error NodeRegistryInvalidUnbondingPeriod(uint64 unbondingPeriod, uint64 max);

    /// @notice The slash share must be at most 10000 bps.
    error NodeRegistryInvalidSlashBps(uint16 slashBps);

    /// @notice The caller is not the Arbiter.
    error NodeRegistryNotArbiter(address caller);

    /// @notice `node` already registered.
    error NodeRegistryAlreadyRegistered(address node);

    /// @notice `node` is not a registered node.
    error NodeRegistryNotRegistered(address node);

    /// @notice The caller is neither a registered node nor the operator of one.
    error NodeRegistryNotNodeOrOperator(address caller);

    /// @notice An operator cannot be the zero address.
    error NodeRegistryZeroOperator();

    /// @notice `operator` already belongs to `node` (as its operator, or because it is that node).
    error NodeRegistryOperatorTaken(address operator, address node);

    /// @notice `caller` is the operator of `node`, so it cannot register as a node itself.
    error NodeRegistryCallerIsOperator(address caller, address node);

    /// @notice The peer id must be 1 to `max` bytes.
    error NodeRegistryInvalidPeerId(uint256 length, uint256 max);

    /// @notice The endpoint must be 1 to `max` bytes.
    error NodeRegistryInvalidEndpoint(uint256 length, uint256 max);

    /// @notice Stake after this call would be below the minimum.
    error NodeRegistryStakeTooLow(uint256 stake, uint256 minStake);

    /// @notice An amount must be above 0.
    error NodeRegistryZeroAmount();

    /// @notice Version ids start at 1.
    error NodeRegistryInvalidVersion(uint256 versionId);

    /// @notice A price must fit a receipt's `uint128 value` (DESIGN §4).
    error NodeRegistryPriceTooHigh(uint256 price);

    /// @notice Only stake that is not already unbonding can start unbonding.
    error NodeRegistryUnbondTooHigh(uint256 amount, uint256 available);

    /// @notice Nothing is unbonding.
    error NodeRegistryNothingUnbonding(address node);

    /// @notice The unbonding part can be withdrawn only strictly after `unbondingEnd`.
    error NodeRegistryStillUnbonding(address node, uint64 unbondingEnd);

    /// @notice A node with an open challenge cannot withdraw.
    error NodeRegistryChallenged(address node, uint32 openChallenges);

    /// @notice The subject id is not a registered node.
    error NodeRegistryUnknownSubject(uint256 subjectId);

    /// @notice The Arbiter reused a challenge id.
    error NodeRegistryChallengeExists(uint256 challengeId);

    /// @notice No open challenge `challengeId` against `subjectId`.
    error NodeRegistryUnknownChallenge(uint256 subjectId, uint256 challengeId);

    /// @notice A ruling must be final (`Upheld`, `Dismissed` or `NoQuorum`).
    error NodeRegistryInvalidRuling(Ruling ruling);

    /// @notice Registers the caller as a node, pulling `stake` OPEN from it.
    /// @dev Requirements: the caller is not registered and is no node's operator; `operator` is non-zero and
    /// neither another node's operator nor another registered node; `stake` ≥ `minStake` (approved);
    /// `peerId` and `endpoint` within their length bounds.
    ///
    /// Emits a {NodeRegistered} event.
    function register(address operator, uint256 stake, string calldata peerId, string calldata endpoint) external;

    /// @notice Changes the caller's operator, peer id and endpoint.
    /// @dev Requirements: the caller is a registered node; `operator` as in {register} (keeping the same one is
    /// fine); the strings within their bounds. The old operator is released and may join another node.
    ///
    /// Emits a {NodeUpdated} event.
    function update(address operator, string calldata peerId, string calldata endpoint) external;

    /// @notice Sets the price per request of adapter version `versionId` for the caller's node, or for the node
    /// whose operator the caller is. 0 withdraws the offer.
    /// @dev Requirements: the caller is a registered node or its operator; `versionId` ≥ 1; `price` fits `uint128`.
    ///
    /// Emits a {PriceSet} event.
    function setPrice(uint256 versionId, uint256 price) external;

    /// @notice Adds `amount` OPEN to the caller's stake.
    /// @dev Requirements: the caller is a registered node; `amount` > 0 (approved).
    ///
    /// Emits a {StakeAdded} event.
    function addStake(uint256 amount) external;

    /// @notice Moves `amount` of the caller's stake into unbonding. The timer restarts for the whole unbonding part:
    /// it can be withdrawn strictly after `now + unbondingPeriod`. Unbonding stake stays slashable.
    /// @dev Requirements: the caller is a registered node; 0 < `amount` ≤ `stake − unbonding`.
    ///
    /// Emits an {UnbondRequested} event.
    function requestUnbond(uint256 amount) external;

    /// @notice Sends the caller its whole unbonding part.
    /// @dev Requirements: the caller is a registered node with something unbonding; `block.timestamp` >
    /// `unbondingEnd`; no open challenge against it.
    ///
    /// Emits a {Withdrawn} event.
    function withdraw() external;

    /// @notice Sets the stake a node needs to be active.
    /// @dev Requirements: the caller is the owner; `minStake` > 0.
    ///
    /// Emits a {MinStakeSet} event.
    function setMinStake(uint256 minStake) external;

    /// @notice Sets the unbonding period for requests made from now on.
    /// @dev Requirements: the caller is the owner; 1 ≤ `unbondingPeriod` ≤ `MAX_UNBONDING_PERIOD`.
    ///
    /// Emits an {UnbondingPeriodSet} event.
    function setUnbondingPeriod(uint64 unbondingPeriod) external;

    /// @notice Sets the share of stake an upheld challenge opened from now on slashes.
    /// @dev Requirements: the caller is the owner; `slashBps` ≤ 10000.
    ///
    /// Emits a {SlashBpsSet} event.
    function setSlashBps(uint16 slashBps) external;

    /// @notice The OPEN token staked here.
    function token() external view returns (IERC20);

    /// @notice The only address that can open and rule on challenges.
    function arbiter() external view returns (address);

    /// @notice The stake a node needs, less what is unbonding, to be active.
    function minStake() external view returns (uint256);

    /// @notice The delay between an unbonding request and its withdrawal.
    function unbondingPeriod() external view returns (uint64);

    /// @notice The share of stake, in bps, an upheld challenge opened now would slash.
    function slashBps() external view returns (uint16);

    /// @notice The operator of `node` (zero for an unregistered address).
    function operatorOf(address node) external view returns (address);

    /// @notice The node `operator` is the operator of (zero when none).
    function nodeOfOperator(address operator) external view returns (address);

    /// @notice The price per request `node` asks for `versionId` (0: not served).
    function priceOf(address node, uint256 versionId) external view returns (uint256);

    /// @notice Whether `node` is registered and its stake, less what is unbonding, meets `minStake`.
    function isActive(address node) external view returns (bool);

    /// @notice {operatorOf} and {isActive} of `node` in one call (the Settlement asks both on every redemption).
    function operatorAndActive(address node) external view returns (address operator, bool active);

    /// @notice What {withdraw} would pay `node` now.
    function withdrawableOf(address node) external view returns (uint256);

    /// @notice Everything kept about `node` (all zero for an unregistered address).
    function getNode(address node) external view returns (Node memory);
}
