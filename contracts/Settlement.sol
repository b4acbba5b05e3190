// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {IAdapterRegistry} from "./interfaces/IAdapterRegistry.sol";
import {IChallengeable, Ruling} from "./interfaces/IChallengeable.sol";
import {IDatanetRegistry} from "./interfaces/IDatanetRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IPaymentEscrow} from "./interfaces/IPaymentEscrow.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {ReceiptHashing} from "./libraries/ReceiptHashing.sol";
import {Split} from "./libraries/Split.sol";

/// @title Settlement: constant-gas redemption of lane receipts, the fee split, and epoch dataset pools
/// @notice The PaymentEscrow's collector. Nodes redeem the latest signed receipt of each lane (DESIGN §4) and the
/// collected OPEN is split (DESIGN §6): node and owner parts become pull-payment credits, the dataset part joins the
/// pool of (node, versionId, epoch), the protocol part and the dust are burned. Pools are paid to dataset owners
/// against the node's bonded attribution root, or against the version's contributors root when no root came in time
/// or the Arbiter upheld a challenge. See docs/payments.md.
/// @dev Gas: a redemption reads and writes one lane slot whatever the number of inferences it covers; the pool's
/// dataset part, its burn and its split share one slot; each credit and the pool are written once per call, however
/// many lanes {redeemMany} covers (they accumulate in memory); the burn is accrued and flushed by anyone later.
/// Versions once `Active` stay `Active` and their adapter's owner never changes (AdapterRegistry, DESIGN §3), so a
/// version's owner is looked up once and kept.
/// Collected OPEN stays in the escrow (its `collectedUnreleased`) until this contract pays it out: a redemption moves
/// no token. Solvency: the OPEN held (this contract's balance plus the escrow's `collectedUnreleased`) equals
/// Σ credits + Σ pools (amount − claimed + unflushed burn) + Σ root bonds.
/// The token must be a plain ERC-20 (no fee on transfer, no rebasing), as OPEN is.
contract Settlement is ISettlement, Ownable2Step, ReentrancyGuard, EIP712 {
    using BitMaps for BitMaps.BitMap;
    using SafeERC20 for IERC20;

    /// @dev The split of pools opened from now on (governance).
    struct SplitBps {
        uint16 nodeBps;
        uint16 ownerBps;
        uint16 datasetsBps;
        uint16 protocolBps;
    }

    /// @dev The part of a pool every redemption writes: one slot. The split is fixed by the pool's first
    /// redemption (`opened`), so later ones never read the governance split. 96 bits hold 7.9×10^28 wei, above all
    /// the OPEN there is (the supply is fixed at 10^27); {SafeCast} reverts beyond.
    struct PoolTotals {
        uint96 amount;
        uint96 burn;
        uint16 nodeBps;
        uint16 ownerBps;
        uint16 datasetsBps;
        bool opened;
    }

    /// @dev The part of a pool its root, challenges and claims use.
    struct PoolState {
        bytes32 root;
        address poster;
        uint64 challengeEnd;
        uint16 openChallenges;
        bool fellBack;
        uint128 bond;
        uint128 claimed;
    }

    /// @dev What one call of {redeem} or {redeemMany} keeps in memory: the checks already passed, and the credits and
    /// pool additions not yet written (written when the pool changes, and at the end).
    struct Batch {
        address node;
        address operator;
        uint256 versionId;
        address owner;
        address payer;
        address signer;
        uint256 poolId;
        uint64 epoch;
        bool newPool;
        uint16 nodeBps;
        uint16 ownerBps;
        uint16 datasetsBps;
        uint256 nodeCredit;
        uint256 ownerCredit;
        uint256 datasets;
        uint256 burn;
    }

    /// @notice Epochs are at most 30 days: a pool waits for its epoch to end before anyone is paid.
    uint64 public constant MAX_EPOCH_LENGTH = 30 days;

    /// @notice Cap on the post and challenge windows.
    uint64 public constant MAX_WINDOW = 30 days;

    /// @notice Claims stay open at least this long after the latest a root can be final without challenges.
    uint64 public constant MIN_CLAIM_PERIOD = 7 days;

    /// @notice Cap on how long after its epoch a pool can be claimed.
    uint64 public constant MAX_CLAIM_EXPIRY = 5 * 365 days;

    /// @notice `keccak256` of the canonical Receipt type string (DESIGN §4); the tests recompute it (THREATS #7).
    bytes32 public constant RECEIPT_TYPEHASH = ReceiptHashing.RECEIPT_TYPEHASH;

    /// @notice `keccak256` of the canonical InferenceRecord type string (DESIGN §4).
    bytes32 public constant INFERENCE_RECORD_TYPEHASH = ReceiptHashing.INFERENCE_RECORD_TYPEHASH;

    /// @dev Training shares are in parts per million.
    uint256 private constant _PPM = 1_000_000;

    /// @dev Fixed at deploy: credits, pools and bonds are denominated in it.
    IERC20 private immutable _token;
    IPaymentEscrow private immutable _escrow;
    INodeRegistry private immutable _nodes;
    IAdapterRegistry private immutable _adapters;
    IDatanetRegistry private immutable _datanets;
    address private immutable _arbiter;
    /// @dev Epochs are on-chain time (DESIGN §6): both are fixed so an epoch never changes its bounds.
    uint64 private immutable _genesisTime;
    uint64 private immutable _epochLength;
    /// @dev Fixed so that no pool's deadlines move after it started collecting.
    uint64 private immutable _postWindow;
    uint64 private immutable _challengeWindow;
    uint64 private immutable _extension;
    uint64 private immutable _claimExpiry;

    SplitBps private _split;
    uint256 private _minRootBond;

    mapping(bytes32 laneId => Lane) private _lanes;
    mapping(address account => uint256 amount) private _credits;
    /// @dev The owner of each version found `Active`; 0 until its first redemption.
    mapping(uint256 versionId => address owner) private _versionOwners;
    mapping(uint256 poolId => PoolTotals) private _poolTotals;
    mapping(uint256 poolId => PoolState) private _pools;
    mapping(uint256 poolId => BitMaps.BitMap datasetIds) private _claimed;
    /// @dev The pool of each open challenge.
    mapping(uint256 challengeId => uint256 poolId) private _challengedPools;

    /// @param token_ OPEN, the escrow's token
    /// @param escrow_ the PaymentEscrow; its owner sets this contract as its collector
    /// @param nodes_ the NodeRegistry
    /// @param adapters_ the AdapterRegistry
    /// @param datanets_ the DatanetRegistry
    /// @param arbiter_ the Arbiter; its owner allows this contract as a subject
    /// @param initialOwner governance: sets the split and the minimum root bond
    /// @param epochLength_ seconds per epoch (devnet: minutes; production: a day)
    /// @param params the split, the periods and the minimum root bond
    constructor(
        IERC20 token_,
        IPaymentEscrow escrow_,
        INodeRegistry nodes_,
        IAdapterRegistry adapters_,
        IDatanetRegistry datanets_,
        address arbiter_,
        address initialOwner,
        uint64 epochLength_,
        Params memory params
    ) Ownable(initialOwner) EIP712("OLP Settlement", "1") {
        if (
            address(token_) == address(0) || address(escrow_) == address(0) || address(nodes_) == address(0)
                || address(adapters_) == address(0) || address(datanets_) == address(0) || arbiter_ == address(0)
        ) revert SettlementZeroAddress();
        address escrowToken = address(escrow_.token());
        if (escrowToken != address(token_)) revert SettlementTokenMismatch(address(token_), escrowToken);
        if (epochLength_ == 0 || epochLength_ > MAX_EPOCH_LENGTH) {
            revert SettlementInvalidEpochLength(epochLength_, MAX_EPOCH_LENGTH);
        }
        _checkPeriods(params);
        _token = token_;
        _escrow = escrow_;
        _nodes = nodes_;
        _adapters = adapters_;
        _datanets = datanets_;
        _arbiter = arbiter_;
        _genesisTime = SafeCast.toUint64(block.timestamp);
        _epochLength = epochLength_;
        _postWindow = params.postWindow;
        _challengeWindow = params.challengeWindow;
        _extension = params.extension;
        _claimExpiry = params.claimExpiry;
        _setSplit(params.nodeBps, params.ownerBps, params.datasetsBps, params.protocolBps);
        _setMinRootBond(params.minRootBond);
    }

    /// @inheritdoc ISettlement
    /// @dev Not `nonReentrant`, to spare its storage round trip on every redemption: the only call that is not a
    /// static (view) call is the escrow's `collect`, and the escrow, set at deploy, calls nothing but the token,
    /// which has no hooks. {redeemMany} likewise.
    function redeem(Receipt calldata receipt, bytes calldata signature) external returns (uint128 collected) {
        Batch memory batch;
        batch.epoch = _currentEpoch();
        collected = _redeem(receipt, signature, batch);
        _flush(batch);
    }

    /// @inheritdoc ISettlement
    function redeemMany(Receipt[] calldata receipts, bytes[] calldata signatures) external returns (uint256 total) {
        uint256 count = receipts.length;
        if (count == 0 || count != signatures.length) revert SettlementBatchLength(count, signatures.length);
        Batch memory batch;
        batch.epoch = _currentEpoch();
        for (uint256 i = 0; i < count; ++i) {
            uint256 freeMemory;
            assembly ("memory-safe") {
                freeMemory := mload(0x40)
            }
            total += _redeem(receipts[i], signatures[i], batch);
            // Nothing one receipt allocates outlives it (the batch holds values only): releasing it keeps a long
            // batch from paying an ever larger memory expansion.
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
        }
        _flush(batch);
    }

    /// @inheritdoc ISettlement
    function withdraw() external nonReentrant {
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert SettlementNoCredits(msg.sender);
        _credits[msg.sender] = 0;
        emit CreditsWithdrawn(msg.sender, amount);
        _pay(msg.sender, amount);
    }

    /// @inheritdoc ISettlement
    function flushBurn(address node, uint256 versionId, uint64 epoch) external nonReentrant {
        uint256 id = _poolId(node, versionId, epoch);
        PoolTotals storage totals = _poolTotals[id];
        uint256 amount = totals.burn;
        if (amount == 0) revert SettlementNothingToBurn(id);
        totals.burn = 0;
        emit BurnFlushed(id, amount);
        _pay(address(this), amount);
        ERC20Burnable(address(_token)).burn(amount);
    }

    /// @inheritdoc ISettlement
    function postAttributionRoot(
        address node,
        uint256 versionId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        bytes32 recordsRoot,
        uint256 bond
    ) external nonReentrant {
        if (msg.sender != node && msg.sender != _nodes.operatorOf(node)) {
            revert SettlementCallerNotNodeOrOperator(msg.sender, node);
        }
        uint256 id = _poolId(node, versionId, epoch);
        PoolState storage pool = _pools[id];
        PoolStatus status = _status(pool, epoch);
        if (status != PoolStatus.Posting) revert SettlementInvalidPoolStatus(id, status);
        if (root == bytes32(0)) revert SettlementZeroRoot();
        uint256 amount = _poolTotals[id].amount;
        if (amount == 0) revert SettlementEmptyPool(id);
        if (total != amount) revert SettlementTotalMismatch(id, total, amount);
        uint256 minRootBond = _minRootBond;
        if (bond < minRootBond) revert SettlementBondTooLow(bond, minRootBond);

        // block.timestamp fits 64 bits for billions of years; the window is capped at 30 days.
        uint64 challengeEnd = uint64(block.timestamp) + _challengeWindow;
        pool.root = root;
        pool.poster = msg.sender;
        pool.challengeEnd = challengeEnd;
        pool.bond = SafeCast.toUint128(bond);
        emit AttributionRootPosted(
            id, node, versionId, epoch, root, total, recordsRoot, msg.sender, bond, challengeEnd
        );
        _token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc ISettlement
    function releaseRootBond(address node, uint256 versionId, uint64 epoch) external nonReentrant {
        uint256 id = _poolId(node, versionId, epoch);
        PoolState storage pool = _pools[id];
        PoolStatus status = _status(pool, epoch);
        if (status != PoolStatus.Claimable && status != PoolStatus.Expired) {
            revert SettlementInvalidPoolStatus(id, status);
        }
        // A rejected root's bond was slashed (0 here); a pool without a root never had one.
        uint256 bond = pool.bond;
        if (bond == 0) revert SettlementNoBond(id);
        address poster = pool.poster;
        pool.bond = 0;
        _credits[poster] += bond;
        emit RootBondReleased(id, poster, bond);
    }

    /// @inheritdoc ISettlement
    function claim(ClaimParams[] calldata claims) external nonReentrant {
        for (uint256 i = 0; i < claims.length; ++i) {
            ClaimParams calldata c = claims[i];
            uint256 id = _poolId(c.node, c.versionId, c.epoch);
            PoolState storage pool = _pools[id];
            PoolStatus status = _status(pool, c.epoch);
            if (status != PoolStatus.Claimable) revert SettlementInvalidPoolStatus(id, status);
            bytes32 root = pool.root;
            if (c.expectedRoot != root) revert SettlementRootMismatch(id, c.expectedRoot, root);
            if (c.amount == 0) revert SettlementZeroAmount(id, c.datasetId);
            // The standard tree's leaf (DESIGN §4): double-hashed, so no 64-byte inner node passes for a leaf.
            bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(c.datasetId, c.amount))));
            if (!MerkleProof.verifyCalldata(c.proof, root, leaf)) revert SettlementInvalidProof(id, c.datasetId);
            address owner = _recordClaim(id, pool, c.datasetId, c.amount);
            emit Claimed(id, c.datasetId, owner, c.amount);
            _pay(owner, c.amount);
        }
    }

    /// @inheritdoc ISettlement
    function claimFallback(FallbackClaimParams[] calldata claims) external nonReentrant {
        uint256 rootVersion;
        bytes32 contributorsRoot;
        for (uint256 i = 0; i < claims.length; ++i) {
            FallbackClaimParams calldata c = claims[i];
            uint256 id = _poolId(c.node, c.versionId, c.epoch);
            PoolState storage pool = _pools[id];
            PoolStatus status = _status(pool, c.epoch);
            if (status != PoolStatus.Fallback) revert SettlementInvalidPoolStatus(id, status);
            if (c.versionId != rootVersion || contributorsRoot == bytes32(0)) {
                contributorsRoot = _adapters.contributorsRootOf(c.versionId);
                rootVersion = c.versionId;
            }
            bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(c.datasetId, c.weightPpm))));
            if (!MerkleProof.verifyCalldata(c.proof, contributorsRoot, leaf)) {
                revert SettlementInvalidProof(id, c.datasetId);
            }
            uint256 amount;
            unchecked {
                // amount < 2^96 and weightPpm < 2^32: the product is below 2^128.
                amount = (uint256(_poolTotals[id].amount) * c.weightPpm) / _PPM;
            }
            if (amount == 0) revert SettlementZeroAmount(id, c.datasetId);
            address owner = _recordClaim(id, pool, c.datasetId, amount);
            emit FallbackClaimed(id, c.datasetId, owner, c.weightPpm, amount);
            _pay(owner, amount);
        }
    }

    /// @inheritdoc ISettlement
    function burnExpired(address node, uint256 versionId, uint64 epoch) external nonReentrant {
        uint256 id = _poolId(node, versionId, epoch);
        PoolState storage pool = _pools[id];
        PoolStatus status = _status(pool, epoch);
        if (status != PoolStatus.Expired) revert SettlementInvalidPoolStatus(id, status);
        uint96 amount = _poolTotals[id].amount;
        uint256 left = amount - pool.claimed;
        if (left == 0) revert SettlementNothingToBurn(id);
        pool.claimed = amount;
        emit ExpiredPoolBurned(id, left);
        _pay(address(this), left);
        ERC20Burnable(address(_token)).burn(left);
    }

    /// @inheritdoc IChallengeable
    function onChallengeOpened(uint256 subjectId, uint256 challengeId, address challenger, bytes calldata evidence)
        external
        nonReentrant
        returns (address defendant)
    {
        if (msg.sender != _arbiter) revert SettlementNotArbiter(msg.sender);
        if (evidence.length != 32) revert SettlementMalformedEvidence(evidence.length);
        PoolState storage pool = _pools[subjectId];
        bytes32 root = pool.root;
        uint64 challengeEnd = pool.challengeEnd;
        if (root == bytes32(0) || pool.fellBack || block.timestamp >= challengeEnd) {
            revert SettlementNotChallengeable(subjectId, challengeEnd);
        }
        bytes32 claimedRoot = bytes32(evidence);
        if (claimedRoot == root) revert SettlementEvidenceIsPostedRoot(root);
        if (_challengedPools[challengeId] != 0) revert SettlementChallengeExists(challengeId);

        _challengedPools[challengeId] = subjectId;
        ++pool.openChallenges;
        // A late challenge gives everyone `extension` more seconds to answer it with their own.
        uint64 extended = uint64(block.timestamp) + _extension;
        if (extended > challengeEnd) {
            challengeEnd = extended;
            pool.challengeEnd = extended;
        }
        emit RootChallenged(subjectId, challengeId, challenger, claimedRoot, challengeEnd);
        defendant = pool.poster;
    }

    /// @inheritdoc IChallengeable
    function onChallengeResolved(uint256 subjectId, uint256 challengeId, Ruling ruling)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        if (msg.sender != _arbiter) revert SettlementNotArbiter(msg.sender);
        if (subjectId == 0 || _challengedPools[challengeId] != subjectId) {
            revert SettlementUnknownChallenge(subjectId, challengeId);
        }
        if (ruling == Ruling.None) revert SettlementInvalidRuling(ruling);
        delete _challengedPools[challengeId];
        PoolState storage pool = _pools[subjectId];
        unchecked {
            // Every open challenge incremented the count once and is resolved once: it is ≥ 1 here.
            --pool.openChallenges;
        }
        if (ruling == Ruling.Upheld && !pool.fellBack) {
            slashed = pool.bond;
            pool.bond = 0;
            pool.fellBack = true;
            emit RootRejected(subjectId, challengeId, slashed);
        }
        emit RootChallengeResolved(subjectId, challengeId, ruling, slashed);
        if (slashed != 0) _pay(msg.sender, slashed);
    }

    /// @inheritdoc ISettlement
    function setSplit(uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps, uint16 protocolBps) external onlyOwner {
        _setSplit(nodeBps, ownerBps, datasetsBps, protocolBps);
    }

    /// @inheritdoc ISettlement
    function setMinRootBond(uint256 minRootBond) external onlyOwner {
        _setMinRootBond(minRootBond);
    }

    /// @inheritdoc ISettlement
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc ISettlement
    function escrow() external view returns (IPaymentEscrow) {
        return _escrow;
    }

    /// @inheritdoc ISettlement
    function nodes() external view returns (INodeRegistry) {
        return _nodes;
    }

    /// @inheritdoc ISettlement
    function adapters() external view returns (IAdapterRegistry) {
        return _adapters;
    }

    /// @inheritdoc ISettlement
    function datanets() external view returns (IDatanetRegistry) {
        return _datanets;
    }

    /// @inheritdoc ISettlement
    function arbiter() external view returns (address) {
        return _arbiter;
    }

    /// @inheritdoc ISettlement
    function genesisTime() external view returns (uint64) {
        return _genesisTime;
    }

    /// @inheritdoc ISettlement
    function epochLength() external view returns (uint64) {
        return _epochLength;
    }

    /// @inheritdoc ISettlement
    function currentEpoch() external view returns (uint64) {
        return _currentEpoch();
    }

    /// @inheritdoc ISettlement
    function epochEnd(uint64 epoch) external view returns (uint256) {
        return _epochEnd(epoch);
    }

    /// @inheritdoc ISettlement
    function getParams() external view returns (Params memory) {
        SplitBps memory split = _split;
        return Params({
            nodeBps: split.nodeBps,
            ownerBps: split.ownerBps,
            datasetsBps: split.datasetsBps,
            protocolBps: split.protocolBps,
            postWindow: _postWindow,
            challengeWindow: _challengeWindow,
            extension: _extension,
            claimExpiry: _claimExpiry,
            minRootBond: _minRootBond
        });
    }

    /// @inheritdoc ISettlement
    function creditsOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc ISettlement
    function getLane(address payer, address node, uint256 versionId, uint32 lane) external view returns (Lane memory) {
        return _lanes[_laneId(payer, node, versionId, lane)];
    }

    /// @inheritdoc ISettlement
    function getPool(address node, uint256 versionId, uint64 epoch) external view returns (Pool memory) {
        uint256 id = _poolId(node, versionId, epoch);
        PoolTotals memory totals = _poolTotals[id];
        PoolState memory pool = _pools[id];
        return Pool({
            amount: totals.amount,
            burn: totals.burn,
            claimed: pool.claimed,
            nodeBps: totals.nodeBps,
            ownerBps: totals.ownerBps,
            datasetsBps: totals.datasetsBps,
            root: pool.root,
            poster: pool.poster,
            challengeEnd: pool.challengeEnd,
            openChallenges: pool.openChallenges,
            fellBack: pool.fellBack,
            bond: pool.bond
        });
    }

    /// @inheritdoc ISettlement
    function poolStatus(address node, uint256 versionId, uint64 epoch) external view returns (PoolStatus) {
        return _status(_pools[_poolId(node, versionId, epoch)], epoch);
    }

    /// @inheritdoc ISettlement
    function isClaimed(uint256 poolId_, uint256 datasetId) external view returns (bool) {
        return _claimed[poolId_].get(datasetId);
    }

    /// @inheritdoc ISettlement
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32) {
        return _hashTypedDataV4(ReceiptHashing.hashReceipt(receipt));
    }

    /// @inheritdoc ISettlement
    function inferenceRecordDigest(InferenceRecord calldata record) external view returns (bytes32) {
        return _hashTypedDataV4(ReceiptHashing.hashInferenceRecord(record));
    }

    /// @inheritdoc ISettlement
    function laneId(address payer, address node, uint256 versionId, uint32 lane) external pure returns (bytes32) {
        return _laneId(payer, node, versionId, lane);
    }

    /// @inheritdoc ISettlement
    function poolId(address node, uint256 versionId, uint64 epoch) external pure returns (uint256) {
        return _poolId(node, versionId, epoch);
    }

    /// @dev One receipt: signature, signer, caller, node, version and lane checks, the collection, the split into
    /// the batch's pending credits. The lane is the only storage written here (besides a version's first lookup).
    function _redeem(Receipt calldata receipt, bytes calldata signature, Batch memory batch)
        private
        returns (uint128 collected)
    {
        address payer = receipt.payer;
        address signer = _recoverSigner(_hashTypedDataV4(ReceiptHashing.hashReceipt(receipt)), signature);
        // The payer always signs for itself (DESIGN §3); another signer is asked of the escrow once per batch.
        if (signer != payer && (signer != batch.signer || payer != batch.payer)) {
            if (!_escrow.isAuthorizedSigner(payer, signer)) revert SettlementSignerNotAuthorized(payer, signer);
            batch.payer = payer;
            batch.signer = signer;
        }
        address node = receipt.node;
        uint256 versionId = receipt.versionId;
        if (node != batch.node || versionId != batch.versionId || batch.poolId == 0) {
            _switchPool(batch, node, versionId);
        }

        collected = _collect(receipt, batch.epoch);

        (uint256 nodePart, uint256 ownerPart, uint256 datasetsPart, uint256 protocolPart) =
            Split.parts(collected, batch.nodeBps, batch.ownerBps, batch.datasetsBps);
        batch.nodeCredit += nodePart;
        batch.ownerCredit += ownerPart;
        batch.datasets += datasetsPart;
        batch.burn += protocolPart;
    }

    /// @dev The lane rules and the collection: `seq` never goes back, `cumulative` must exceed what was collected,
    /// and the lane records only what the escrow paid, so what is not paid stays owed (THREATS #3, #4, #9, #20).
    function _collect(Receipt calldata receipt, uint64 epoch) private returns (uint128 collected) {
        bytes32 id = _laneId(receipt.payer, receipt.node, receipt.versionId, receipt.lane);
        Lane memory lane = _lanes[id];
        if (receipt.seq < lane.lastSeq) revert SettlementStaleSeq(id, receipt.seq, lane.lastSeq);
        if (receipt.cumulative <= lane.collected) {
            revert SettlementNothingOwed(id, receipt.cumulative, lane.collected);
        }
        // The escrow pays at most what was asked, cumulative − collected < 2^128.
        collected = uint128(_escrow.collect(receipt.payer, receipt.node, receipt.cumulative - lane.collected));
        if (collected == 0) revert SettlementEscrowEmpty(receipt.payer, receipt.node);
        _lanes[id] = Lane({collected: lane.collected + collected, lastSeq: receipt.seq});
        emit Redeemed(
            receipt.payer,
            receipt.node,
            receipt.versionId,
            receipt.lane,
            lane.lastSeq,
            receipt.seq,
            receipt.cumulative,
            collected,
            epoch
        );
    }

    /// @dev Writes what the batch owes the previous pool and checks the next one: the caller is the node or its
    /// operator, the node is active (THREATS #1, #2), the version is active. A pool's first redemption fixes its
    /// split from the governance split; later ones read it from the pool's slot, which they write anyway.
    function _switchPool(Batch memory batch, address node, uint256 versionId) private {
        _flush(batch);
        if (node != batch.node || batch.operator == address(0)) {
            (address operator, bool active) = _nodes.operatorAndActive(node);
            if (msg.sender != node && msg.sender != operator) {
                revert SettlementCallerNotNodeOrOperator(msg.sender, node);
            }
            if (!active) revert SettlementNodeNotActive(node);
            batch.node = node;
            batch.operator = operator;
        }
        if (versionId != batch.versionId || batch.owner == address(0)) {
            batch.owner = _activeVersionOwner(versionId);
            batch.versionId = versionId;
        }
        uint256 id = _poolId(node, versionId, batch.epoch);
        batch.poolId = id;
        PoolTotals memory totals = _poolTotals[id];
        if (totals.opened) {
            (batch.nodeBps, batch.ownerBps, batch.datasetsBps) = (totals.nodeBps, totals.ownerBps, totals.datasetsBps);
        } else {
            SplitBps memory split = _split;
            (batch.nodeBps, batch.ownerBps, batch.datasetsBps) = (split.nodeBps, split.ownerBps, split.datasetsBps);
        }
    }

    /// @dev The owner of an active version, asked of the AdapterRegistry once per version ever.
    function _activeVersionOwner(uint256 versionId) private returns (address owner) {
        owner = _versionOwners[versionId];
        if (owner != address(0)) return owner;
        if (!_adapters.isActive(versionId)) revert SettlementVersionNotActive(versionId);
        owner = _adapters.ownerOfVersion(versionId);
        _versionOwners[versionId] = owner;
    }

    /// @dev Writes the batch's pending credits and its pool's additions (one slot, with the split it used), and
    /// zeroes them.
    function _flush(Batch memory batch) private {
        if (batch.nodeCredit != 0) {
            _credits[batch.operator] += batch.nodeCredit;
            batch.nodeCredit = 0;
        }
        if (batch.ownerCredit != 0) {
            _credits[batch.owner] += batch.ownerCredit;
            batch.ownerCredit = 0;
        }
        if (batch.datasets != 0 || batch.burn != 0) {
            PoolTotals storage totals = _poolTotals[batch.poolId];
            // One SSTORE: the whole slot at once.
            _poolTotals[batch.poolId] = PoolTotals({
                amount: SafeCast.toUint96(totals.amount + batch.datasets),
                burn: SafeCast.toUint96(totals.burn + batch.burn),
                nodeBps: batch.nodeBps,
                ownerBps: batch.ownerBps,
                datasetsBps: batch.datasetsBps,
                opened: true
            });
            batch.datasets = 0;
            batch.burn = 0;
        }
    }

    /// @dev Pays `amount` to `to` out of the OPEN held: first what the escrow holds for this contract, then its own
    /// balance (root bonds, and collections released before). With `to` this contract, it only brings the amount
    /// here (to burn it). Either source counts in the solvency sum, so which one pays changes nothing owed.
    function _pay(address to, uint256 amount) private {
        uint256 unreleased = _escrow.collectedUnreleased();
        uint256 fromEscrow = amount < unreleased ? amount : unreleased;
        if (fromEscrow != 0) _escrow.release(to, fromEscrow);
        // fromEscrow ≤ amount: no underflow.
        if (to != address(this) && amount != fromEscrow) _token.safeTransfer(to, amount - fromEscrow);
    }

    /// @dev Marks `datasetId` paid from the pool and counts `amount` as claimed; returns the dataset's owner.
    function _recordClaim(uint256 id, PoolState storage pool, uint256 datasetId, uint256 amount)
        private
        returns (address owner)
    {
        owner = _datanets.getDataset(datasetId).owner;
        if (owner == address(0)) revert SettlementUnknownDataset(datasetId);
        BitMaps.BitMap storage claimed = _claimed[id];
        if (claimed.get(datasetId)) revert SettlementAlreadyClaimed(id, datasetId);
        uint256 left = _poolTotals[id].amount - pool.claimed;
        if (amount > left) revert SettlementPoolExceeded(id, amount, left);
        claimed.set(datasetId);
        // amount ≤ left: the sum stays ≤ the pool's amount, below 2^96.
        pool.claimed += uint128(amount);
    }

    function _setSplit(uint16 nodeBps, uint16 ownerBps, uint16 datasetsBps, uint16 protocolBps) private {
        if (
            protocolBps == 0
                || uint256(nodeBps) + uint256(ownerBps) + uint256(datasetsBps) + uint256(protocolBps) != Split.BPS
        ) revert SettlementInvalidSplit(nodeBps, ownerBps, datasetsBps, protocolBps);
        _split = SplitBps(nodeBps, ownerBps, datasetsBps, protocolBps);
        emit SplitSet(nodeBps, ownerBps, datasetsBps, protocolBps);
    }

    function _setMinRootBond(uint256 minRootBond) private {
        if (minRootBond == 0) revert SettlementInvalidMinRootBond(minRootBond);
        _minRootBond = minRootBond;
        emit MinRootBondSet(minRootBond);
    }

    function _status(PoolState storage pool, uint64 epoch) private view returns (PoolStatus) {
        uint256 end = _epochEnd(epoch);
        if (block.timestamp < end) return PoolStatus.Collecting;
        if (pool.openChallenges != 0) return PoolStatus.Challenging;
        if (block.timestamp >= end + _claimExpiry) return PoolStatus.Expired;
        if (pool.fellBack) return PoolStatus.Fallback;
        if (pool.root == bytes32(0)) {
            return block.timestamp <= end + _postWindow ? PoolStatus.Posting : PoolStatus.Fallback;
        }
        if (block.timestamp < pool.challengeEnd) return PoolStatus.Challenging;
        return PoolStatus.Claimable;
    }

    function _currentEpoch() private view returns (uint64) {
        // block.timestamp ≥ genesis, set at deploy; the quotient fits 64 bits for any 64-bit clock.
        return uint64((block.timestamp - _genesisTime) / _epochLength);
    }

    function _epochEnd(uint64 epoch) private view returns (uint256) {
        // (2^64) × 30 days is below 2^90: no overflow in 256 bits.
        return uint256(_genesisTime) + (uint256(epoch) + 1) * _epochLength;
    }

    /// @dev Only the 65-byte `r‖s‖v` form, low-s, `v` 27 or 28 (DESIGN §4, THREATS #22). The length is checked here
    /// and not left to ECDSA, whose refusal of 64-byte signatures is deprecated.
    function _recoverSigner(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        if (signature.length != 65) revert SettlementInvalidSignatureLength(signature.length);
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert SettlementInvalidSignature();
    }

    function _checkPeriods(Params memory params) private pure {
        uint64 post = params.postWindow;
        uint64 window = params.challengeWindow;
        if (
            post == 0 || post > MAX_WINDOW || window == 0 || window > MAX_WINDOW || params.extension > window
                || params.claimExpiry < uint256(post) + window + MIN_CLAIM_PERIOD
                || params.claimExpiry > MAX_CLAIM_EXPIRY
        ) revert SettlementInvalidPeriods(post, window, params.extension, params.claimExpiry);
    }

    function _laneId(address payer, address node, uint256 versionId, uint32 lane) private pure returns (bytes32) {
        return keccak256(abi.encode(payer, node, versionId, lane));
    }

    function _poolId(address node, uint256 versionId, uint64 epoch) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(node, versionId, epoch)));
    }
}
