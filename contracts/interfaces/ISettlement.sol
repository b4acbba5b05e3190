// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAdapterRegistry} from "./IAdapterRegistry.sol";
import {IChallengeable, Ruling} from "./IChallengeable.sol";
import {IDatanetRegistry} from "./IDatanetRegistry.sol";
import {INodeRegistry} from "./INodeRegistry.sol";
import {IPaymentEscrow} from "./IPaymentEscrow.sol";

/// @title Settlement of signed receipts, the fee split, and the dataset pools of each epoch (DESIGN §3, §4, §6)
/// @notice A node redeems the latest EIP-712 `Receipt` of a lane (payer, node, versionId, lane): the Settlement
/// collects what the receipt owes beyond what the lane already collected from the PaymentEscrow and splits it:
/// node and adapter owner parts are credits withdrawn by pull payment, the dataset part goes to the pool of
/// (node, versionId, epoch), the protocol part and the rounding dust are burned. After an epoch the node posts the
/// pool's attribution root with a bond; after the challenge window dataset owners claim with Merkle proofs. Without
/// a root in time, or after an upheld challenge, the pool is claimed by the version's contributors root instead.
/// @dev The one ABI source for `Settlement`: structs, events, errors and functions. The subject id of an attribution
/// root in the {IChallengeable} callbacks is its pool id, `uint256(keccak256(abi.encode(node, versionId, epoch)))`;
/// the evidence is `abi.encode(bytes32 root)`, the root the challenger recomputed (0 when the node's records could
/// not be fetched). See docs/payments.md.
interface ISettlement is IChallengeable {
    /// @notice Where a pool (node, versionId, epoch) stands; computed from the clock and the pool, never stored.
    /// @dev `Collecting`: the epoch is not over, redemptions add to the pool. `Posting`: the epoch is over and the
    /// node may post its root (until `postWindow` after the epoch end). `Challenging`: a root is posted and its
    /// challenge window is open, or a challenge is not ruled yet. `Claimable`: the root is final, dataset owners claim
    /// against it. `Fallback`: no root was posted in time, or a challenge was upheld: dataset owners claim against
    /// the contributors root. `Expired`: `claimExpiry` after the epoch end; what is left can be burned.
    enum PoolStatus {
        Collecting,
        Posting,
        Challenging,
        Claimable,
        Fallback,
        Expired
    }

    /// @notice Deployment parameters. The split and `minRootBond` can be changed by governance; the periods are fixed
    /// for good, so no pool's deadlines ever move under it.
    /// @param nodeBps share of each collection credited to the node's operator
    /// @param ownerBps share credited to the adapter version's owner
    /// @param datasetsBps share added to the pool of (node, versionId, epoch)
    /// @param protocolBps share burned (> 0: wash trading always loses at least the burn, DESIGN §6)
    /// @param postWindow seconds after an epoch ends during which its root can be posted
    /// @param challengeWindow seconds after a root is posted during which it can be challenged
    /// @param extension a challenge opened in the last `extension` seconds moves the window end to now + `extension`
    /// @param claimExpiry seconds after the epoch end after which the unclaimed rest of a pool can be burned
    /// @param minRootBond the least OPEN a node bonds with a root
    struct Params {
        uint16 nodeBps;
        uint16 ownerBps;
        uint16 datasetsBps;
        uint16 protocolBps;
        uint64 postWindow;
        uint64 challengeWindow;
        uint64 extension;
        uint64 claimExpiry;
        uint256 minRootBond;
    }

    /// @notice A dapp's promise to pay, signed with EIP-712 under the domain ("OLP Settlement", "1", chainId, this
    /// contract) by the payer or a signer it authorized in the escrow (DESIGN §4).
    /// @param payer whose escrow account (payer, node) pays
    /// @param node the node that served the request and alone may redeem (or its operator)
    /// @param versionId the adapter version served; one version per lane
    /// @param lane the payer's lane number, so a payer can run concurrent sequences with one node and version
    /// @param seq 1 for the first request of the lane, then +1 per request
    /// @param requestHash keccak256 of the raw HTTP request body
    /// @param value the price of this request
    /// @param cumulative the sum of `value` over the lane up to and including this request
    struct Receipt {
        address payer;
        address node;
        uint256 versionId;
        uint32 lane;
        uint64 seq;
        bytes32 requestHash;
        uint128 value;
        uint128 cumulative;
    }

    /// @notice A node's signed account of one inference (DESIGN §4), signed by the node's operator under the same
    /// domain as receipts. Its EIP-712 digest is the record's id. Not used by any function but the digest views: it
    /// is here so that Solidity, TypeScript and the golden vectors share one definition.
    /// @param receiptDigest the full EIP-712 digest of the receipt it answers
    /// @param outputHash keccak256 of the UTF-8 output text of the first choice
    /// @param promptTokens prompt tokens, counted by the served model
    /// @param outputTokens output tokens, counted by the served model
    /// @param datasetIds the credited datasets, strictly ascending
    /// @param weightsPpm each dataset's weight in parts per million, > 0, summing to 1,000,000
    struct InferenceRecord {
        bytes32 receiptDigest;
        bytes32 outputHash;
        uint32 promptTokens;
        uint32 outputTokens;
        uint256[] datasetIds;
        uint32[] weightsPpm;
    }

    /// @notice What a lane has collected so far: one storage slot, read and written once per redemption.
    /// @param collected OPEN collected from the escrow over the lane's life; never above a signed `cumulative`
    /// @param lastSeq the `seq` of the receipt last redeemed (0: never redeemed)
    struct Lane {
        uint128 collected;
        uint64 lastSeq;
    }

    /// @notice The dataset pool of (node, versionId, epoch) and its attribution root.
    /// @param amount the dataset parts of every redemption of the epoch
    /// @param claimed paid to dataset owners or burned after expiry; never above `amount`
    /// @param root the attribution root the node posted (0: none)
    /// @param poster who posted the root and bonded it; the defendant of its challenges
    /// @param challengeEnd challenges open strictly before this time (0 without a root)
    /// @param openChallenges challenges opened and not ruled yet; claims and burns wait for 0
    /// @param fellBack whether an upheld challenge rejected the root
    /// @param bond OPEN bonded with the root; 0 once released to the poster or slashed
    struct Pool {
        uint128 amount;
        uint128 claimed;
        bytes32 root;
        address poster;
        uint64 challengeEnd;
        uint16 openChallenges;
        bool fellBack;
        uint256 bond;
    }

    /// @notice One leaf of an attribution root to claim: dataset `datasetId` was attributed `amount` of the pool.
    /// @param node the pool's node
    /// @param versionId the pool's adapter version
    /// @param epoch the pool's epoch
    /// @param datasetId the dataset paid; the tokens go to its owner in the DatanetRegistry
    /// @param amount the leaf's amount
    /// @param expectedRoot the root the proof was built for; a claim against any other root reverts
    /// @param proof the standard-tree proof of the leaf `(uint256 datasetId, uint256 amount)`
    struct ClaimParams {
        address node;
        uint256 versionId;
        uint64 epoch;
        uint256 datasetId;
        uint256 amount;
        bytes32 expectedRoot;
        bytes32[] proof;
    }

    /// @notice One leaf of a version's contributors root to claim a fallback pool with.
    /// @param node the pool's node
    /// @param versionId the pool's adapter version, whose contributors root the proof is against
    /// @param epoch the pool's epoch
    /// @param datasetId the dataset paid; the tokens go to its owner in the DatanetRegistry
    /// @param weightPpm the dataset's training share; it is paid `floor(pool × weightPpm / 1e6)`
    /// @param proof the standard-tree proof of the leaf `(uint256 datasetId, uint32 weightPpm)`
    struct FallbackClaimParams {
        address node;
        uint256 versionId;
        uint64 epoch;
        uint256 datasetId;
        uint32 weightPpm;
        bytes32[] proof;
    }

    /// @notice A lane's receipt was redeemed: `collected` OPEN came from the escrow for receipts `fromSeq` (exclusive)
    /// to `toSeq` (inclusive) and its dataset part went to the pool of (node, versionId, epoch). `fromSeq == toSeq`
    /// when the same receipt is redeemed again after a short escrow.
    event Redeemed(
        address indexed payer,
        address indexed node,
        uint256 indexed versionId,
        uint32 lane,
        uint64 fromSeq,
        uint64 toSeq,
        uint128 cumulative,
        uint128 collected,
        uint64 epoch
    );

    /// @notice `account` withdrew its credits.
    event CreditsWithdrawn(address indexed account, uint256 amount);

    /// @notice The protocol parts accrued since the last flush were burned.
    event BurnFlushed(uint256 amount);

    /// @notice Governance set the split of future redemptions.
    event SplitSet(uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps, uint16 protocolBps);

    /// @notice Governance set the minimum bond of roots posted from now on.
    event MinRootBondSet(uint256 minRootBond);

    /// @notice The attribution root of pool `poolId` was posted with its bond; it can be challenged until
    /// `challengeEnd`. `recordsRoot` commits to the ids of the records the node counted, which it must serve.
    event AttributionRootPosted(
        uint256 indexed poolId,
        address indexed node,
        uint256 indexed versionId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        bytes32 recordsRoot,
        address poster,
        uint256 bond,
        uint64 challengeEnd
    );

    /// @notice The Arbiter opened challenge `challengeId` against the root of `poolId`; `claimedRoot` is the
    /// challenger's recomputation and `challengeEnd` the window end after any extension.
    event RootChallenged(
        uint256 indexed poolId,
        uint256 indexed challengeId,
        address indexed challenger,
        bytes32 claimedRoot,
        uint64 challengeEnd
    );

    /// @notice The Arbiter ruled on a challenge against the root of `poolId`; `slashed` went to the Arbiter.
    event RootChallengeResolved(uint256 indexed poolId, uint256 indexed challengeId, Ruling ruling, uint256 slashed);

    /// @notice An upheld challenge rejected the root of `poolId`: its bond was slashed and the pool is claimed
    /// against the contributors root from now on.
    event RootRejected(uint256 indexed poolId, uint256 indexed challengeId, uint256 slashed);

    /// @notice The bond of a final root was credited back to its poster.
    event RootBondReleased(uint256 indexed poolId, address indexed poster, uint256 amount);

    /// @notice `owner`, the owner of `datasetId`, was paid `amount` of pool `poolId` against its attribution root.
    event Claimed(uint256 indexed poolId, uint256 indexed datasetId, address indexed owner, uint256 amount);

    /// @notice `owner`, the owner of `datasetId`, was paid `amount` of fallback pool `poolId` for its training share.
    event FallbackClaimed(
        uint256 indexed poolId,
        uint256 indexed datasetId,
        address indexed owner,
        uint32 weightPpm,
        uint256 amount
    );

    /// @notice The unclaimed rest of expired pool `poolId` was burned.
    event ExpiredPoolBurned(uint256 indexed poolId, uint256 amount);

    /// @notice An address that must be set is zero.
    error SettlementZeroAddress();

    /// @notice The escrow holds `escrowToken`, not the token the Settlement pays in.
    error SettlementTokenMismatch(address token, address escrowToken);

    /// @notice The epoch length is 0 or above `max`.
    error SettlementInvalidEpochLength(uint64 epochLength, uint64 max);

    /// @notice The split does not sum to 10000 bps, or burns nothing.
    error SettlementInvalidSplit(uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps, uint16 protocolBps);

    /// @notice The periods break a bound: windows within 1 second and `MAX_WINDOW`, the extension within the
    /// challenge window, claims open for at least `MIN_CLAIM_PERIOD` and expire within `MAX_CLAIM_EXPIRY`.
    error SettlementInvalidPeriods(uint64 postWindow, uint64 challengeWindow, uint64 extension, uint64 claimExpiry);

    /// @notice The minimum root bond must be above 0.
    error SettlementInvalidMinRootBond(uint256 minRootBond);

    /// @notice Signatures are 65 bytes `r‖s‖v`; this one has `length` (THREATS #22).
    error SettlementInvalidSignatureLength(uint256 length);

    /// @notice The signature is malformed: `s` above n/2, `v` not 27 or 28, or no address recovers (THREATS #22).
    error SettlementInvalidSignature();

    /// @notice `signer`, who signed the receipt, is not `payer` and not a signer `payer` authorized now.
    error SettlementSignerNotAuthorized(address payer, address signer);

    /// @notice Only the receipt's node or its registered operator redeems (THREATS #2).
    error SettlementCallerNotNodeOrOperator(address caller, address node);

    /// @notice The receipt's node is not registered, or its stake is below the minimum (THREATS #1).
    error SettlementNodeNotActive(address node);

    /// @notice The receipt's adapter version is not `Active`.
    error SettlementVersionNotActive(uint256 versionId);

    /// @notice The lane already redeemed `lastSeq`, after `seq` (THREATS #4).
    error SettlementStaleSeq(bytes32 laneId, uint64 seq, uint64 lastSeq);

    /// @notice The receipt's `cumulative` is not above what the lane collected (THREATS #3, #4).
    error SettlementNothingOwed(bytes32 laneId, uint128 cumulative, uint128 collected);

    /// @notice The escrow account (`payer`, `node`) is empty: nothing was collected; the receipt stays redeemable.
    error SettlementEscrowEmpty(address payer, address node);

    /// @notice {redeemMany} got `receipts` receipts and `signatures` signatures, or none.
    error SettlementBatchLength(uint256 receipts, uint256 signatures);

    /// @notice `account` has no credits.
    error SettlementNoCredits(address account);

    /// @notice No protocol part is waiting to be burned.
    error SettlementNothingToBurn();

    /// @notice The pool is not in a status that allows the call.
    error SettlementInvalidPoolStatus(uint256 poolId, PoolStatus status);

    /// @notice A root of zero is no root.
    error SettlementZeroRoot();

    /// @notice The pool is empty: there is nothing to attribute.
    error SettlementEmptyPool(uint256 poolId);

    /// @notice A root's `total` must equal its pool.
    error SettlementTotalMismatch(uint256 poolId, uint256 total, uint256 pool);

    /// @notice The bond is below the minimum.
    error SettlementBondTooLow(uint256 bond, uint256 minRootBond);

    /// @notice Only the Arbiter calls the {IChallengeable} functions.
    error SettlementNotArbiter(address caller);

    /// @notice The root of `poolId` cannot be challenged now: none is posted, it was rejected, or its window closed
    /// at `challengeEnd`.
    error SettlementNotChallengeable(uint256 poolId, uint64 challengeEnd);

    /// @notice Challenge evidence is exactly one word, `abi.encode(bytes32 root)`.
    error SettlementMalformedEvidence(uint256 length);

    /// @notice A challenge must claim a root other than the posted one.
    error SettlementEvidenceIsPostedRoot(bytes32 root);

    /// @notice The Arbiter reused a challenge id.
    error SettlementChallengeExists(uint256 challengeId);

    /// @notice No open challenge `challengeId` against pool `subjectId`.
    error SettlementUnknownChallenge(uint256 subjectId, uint256 challengeId);

    /// @notice A ruling must be final (`Upheld`, `Dismissed` or `NoQuorum`).
    error SettlementInvalidRuling(Ruling ruling);

    /// @notice The claim names `expectedRoot` but the pool's root is `root` (THREATS #36).
    error SettlementRootMismatch(uint256 poolId, bytes32 expectedRoot, bytes32 root);

    /// @notice A claim of 0: a zero leaf, or a training share too small for the pool.
    error SettlementZeroAmount(uint256 poolId, uint256 datasetId);

    /// @notice The proof does not prove the leaf under the root (THREATS #37).
    error SettlementInvalidProof(uint256 poolId, uint256 datasetId);

    /// @notice `datasetId` was already paid from pool `poolId` (THREATS #34).
    error SettlementAlreadyClaimed(uint256 poolId, uint256 datasetId);

    /// @notice Paying `amount` would take the pool's claims above the pool.
    error SettlementPoolExceeded(uint256 poolId, uint256 amount, uint256 left);

    /// @notice `datasetId` has no owner in the DatanetRegistry.
    error SettlementUnknownDataset(uint256 datasetId);

    /// @notice The pool holds no bond to release.
    error SettlementNoBond(uint256 poolId);

    /// @notice Redeems the latest receipt of a lane: collects `cumulative − collected` from the escrow account
    /// (payer, node), or what it holds when it is short (the rest stays owed), and splits it (DESIGN §6).
    /// @dev Requirements:
    ///
    /// - `signature` is 65 bytes `r‖s‖v`, low-s, by `receipt.payer` or a signer the payer authorized in the escrow
    ///   (a thawing signer still is, a revoked one is not);
    /// - the caller is `receipt.node` or its operator, and the node is active in the NodeRegistry;
    /// - the version is `Active` in the AdapterRegistry;
    /// - `receipt.seq` ≥ the lane's last redeemed seq and `receipt.cumulative` > what the lane collected;
    /// - the escrow account is not empty.
    ///
    /// Emits a {Redeemed} event.
    /// @return collected the OPEN collected
    function redeem(Receipt calldata receipt, bytes calldata signature) external returns (uint128 collected);

    /// @notice {redeem} for many lanes in one call; reverts whole when one receipt fails.
    /// @dev Requirements: as {redeem} for each receipt; as many signatures as receipts, at least one.
    ///
    /// Emits a {Redeemed} event per receipt.
    /// @return total the OPEN collected over all receipts
    function redeemMany(Receipt[] calldata receipts, bytes[] calldata signatures) external returns (uint256 total);

    /// @notice Pays the caller all its credits: node parts (as an operator), owner parts, released root bonds.
    /// @dev Requirements:
    ///
    /// - the caller has credits.
    ///
    /// Emits a {CreditsWithdrawn} event.
    function withdraw() external;

    /// @notice Burns the protocol parts accrued since the last flush. Anyone may call it.
    /// @dev Requirements:
    ///
    /// - something accrued.
    ///
    /// Emits a {BurnFlushed} event.
    function flushBurn() external;

    /// @notice Posts the attribution root of the pool (node, versionId, epoch), pulling `bond` OPEN from the caller.
    /// @dev Requirements:
    ///
    /// - the caller is `node` or its operator;
    /// - the epoch is over and its post window is not (status `Posting`);
    /// - `root` is not 0, `total` equals the pool, which is not empty;
    /// - `bond` ≥ `minRootBond`, approved to this contract.
    ///
    /// Emits an {AttributionRootPosted} event.
    function postAttributionRoot(
        address node,
        uint256 versionId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        bytes32 recordsRoot,
        uint256 bond
    ) external;

    /// @notice Credits the bond of a final root back to its poster. Anyone may call it.
    /// @dev Requirements:
    ///
    /// - the pool is `Claimable` or `Expired`, with its root never rejected and its bond not released.
    ///
    /// Emits a {RootBondReleased} event.
    function releaseRootBond(address node, uint256 versionId, uint64 epoch) external;

    /// @notice Pays dataset owners their leaves of final attribution roots, many pools in one call. Anyone may call
    /// it; the tokens go only to each dataset's owner.
    /// @dev Requirements, for each leaf:
    ///
    /// - its pool is `Claimable` and its root is `expectedRoot`;
    /// - `amount` > 0 and `proof` proves `(datasetId, amount)` under the root;
    /// - the dataset was not paid from this pool yet, and the pool holds `amount` unclaimed;
    /// - the dataset has an owner.
    ///
    /// Emits a {Claimed} event per leaf.
    function claim(ClaimParams[] calldata claims) external;

    /// @notice Pays dataset owners their training shares of fallback pools, many pools in one call. Anyone may call
    /// it; the tokens go only to each dataset's owner.
    /// @dev Requirements, for each leaf:
    ///
    /// - its pool is `Fallback`;
    /// - `proof` proves `(datasetId, weightPpm)` under the version's contributors root;
    /// - `floor(pool × weightPpm / 1e6)` > 0, the dataset was not paid from this pool yet, and the pool holds it;
    /// - the dataset has an owner.
    ///
    /// Emits a {FallbackClaimed} event per leaf.
    function claimFallback(FallbackClaimParams[] calldata claims) external;

    /// @notice Burns what is left of an expired pool. Anyone may call it.
    /// @dev Requirements:
    ///
    /// - the pool is `Expired` and something is left of it.
    ///
    /// Emits an {ExpiredPoolBurned} event.
    function burnExpired(address node, uint256 versionId, uint64 epoch) external;

    /// @notice Sets the split of redemptions from now on.
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - the four parts sum to 10000 and `protocolBps` > 0 (THREATS #21).
    ///
    /// Emits a {SplitSet} event.
    function setSplit(uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps, uint16 protocolBps) external;

    /// @notice Sets the minimum bond of roots posted from now on.
    /// @dev Requirements:
    ///
    /// - the caller is the owner;
    /// - `minRootBond` > 0.
    ///
    /// Emits a {MinRootBondSet} event.
    function setMinRootBond(uint256 minRootBond) external;

    /// @notice The token paid in, OPEN.
    function token() external view returns (IERC20);

    /// @notice The escrow collected from; this contract is its collector.
    function escrow() external view returns (IPaymentEscrow);

    /// @notice The registry of nodes and their operators.
    function nodes() external view returns (INodeRegistry);

    /// @notice The registry of adapter versions, their owners and contributors roots.
    function adapters() external view returns (IAdapterRegistry);

    /// @notice The registry of datasets and their owners.
    function datanets() external view returns (IDatanetRegistry);

    /// @notice The only address that opens and rules on challenges against roots.
    function arbiter() external view returns (address);

    /// @notice When epoch 0 started: the deployment's block time.
    function genesisTime() external view returns (uint64);

    /// @notice Seconds per epoch.
    function epochLength() external view returns (uint64);

    /// @notice The epoch now: `(block.timestamp − genesisTime) / epochLength`.
    function currentEpoch() external view returns (uint64);

    /// @notice The first second after `epoch`.
    function epochEnd(uint64 epoch) external view returns (uint256);

    /// @notice The parameters now.
    function getParams() external view returns (Params memory);

    /// @notice Protocol parts accrued and not burned yet.
    function unflushedBurn() external view returns (uint256);

    /// @notice OPEN `account` can withdraw.
    function creditsOf(address account) external view returns (uint256);

    /// @notice What the lane (payer, node, versionId, lane) has collected.
    function getLane(address payer, address node, uint256 versionId, uint32 lane) external view returns (Lane memory);

    /// @notice The pool (node, versionId, epoch).
    function getPool(address node, uint256 versionId, uint64 epoch) external view returns (Pool memory);

    /// @notice Where the pool (node, versionId, epoch) stands now.
    function poolStatus(address node, uint256 versionId, uint64 epoch) external view returns (PoolStatus);

    /// @notice Whether `datasetId` was paid from pool `poolId_`.
    function isClaimed(uint256 poolId_, uint256 datasetId) external view returns (bool);

    /// @notice The EIP-712 digest a payer's signer signs for `receipt` (DESIGN §4).
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32);

    /// @notice The EIP-712 digest of `record`, the record's id, which the node's operator signs (DESIGN §4).
    function inferenceRecordDigest(InferenceRecord calldata record) external view returns (bytes32);

    /// @notice The key of a lane: `keccak256(abi.encode(payer, node, versionId, lane))`.
    function laneId(address payer, address node, uint256 versionId, uint32 lane) external pure returns (bytes32);

    /// @notice The id of the pool (node, versionId, epoch): `uint256(keccak256(abi.encode(node, versionId, epoch)))`.
    function poolId(address node, uint256 versionId, uint64 epoch) external pure returns (uint256);
}
