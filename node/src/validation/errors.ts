import type { Address, Hex } from "viem";
import type { ReceiptErrorCode } from "../protocol/index.js";
import type { ReceiptEquivocation, RecordEquivocation } from "./types.js";

/**
 * What a gossip validator tells gossipsub about a message it does not accept (DESIGN §4). ACCEPT is a normal return.
 * IGNORE: we cannot judge it (yet), or we failed; not forwarded, the sender is not penalised. REJECT: it breaks a
 * protocol rule; not forwarded, the sender's score falls.
 */
export enum GossipAction {
  IGNORE = "IGNORE",
  REJECT = "REJECT",
}

/**
 * Why a receipt (HTTP) or a records message (gossip) is not accepted. One code per rule; each code has one action and
 * one HTTP status ({@link httpStatusOf}); docs/validation.md lists them all.
 */
export enum ValidationErrorCode {
  // Receipts: the rules both paths share.
  /** The HTTP request carries no receipt (raised by the HTTP layer). */
  RECEIPT_MISSING = "VALIDATION_ERROR_RECEIPT_MISSING",
  /** The receipt header does not decode to a receipt and a signature (raised by the HTTP layer). */
  RECEIPT_MALFORMED = "VALIDATION_ERROR_RECEIPT_MALFORMED",
  /** A receipt breaks a rule that holds without context: a field outside its type, seq 0, value 0, cumulative < value. */
  RECEIPT_INVALID = "VALIDATION_ERROR_RECEIPT_INVALID",
  /** A receipt signature is not 65 bytes `r‖s‖v` with v ∈ {27, 28} and low s. */
  SIGNATURE_INVALID = "VALIDATION_ERROR_SIGNATURE_INVALID",
  /** The receipt's signer is neither its payer nor a signer the payer authorized (a tampered receipt lands here). */
  SIGNER_NOT_AUTHORIZED = "VALIDATION_ERROR_SIGNER_NOT_AUTHORIZED",
  /** The receipt names another node than the one it was sent to (HTTP). */
  WRONG_NODE = "VALIDATION_ERROR_WRONG_NODE",
  /** The receipt names another adapter version than the one the request asks for (HTTP). */
  WRONG_VERSION = "VALIDATION_ERROR_WRONG_VERSION",
  /** The receipt's requestHash is not keccak256 of the request body the node received (HTTP). */
  REQUEST_HASH_MISMATCH = "VALIDATION_ERROR_REQUEST_HASH_MISMATCH",
  /** The receipt's value is not the node's price for the version at our latest indexed block. */
  WRONG_PRICE = "VALIDATION_ERROR_WRONG_PRICE",
  /** The payer's escrow cover (balance − thawing) is below its unredeemed receipts plus this value. */
  OVER_ESCROW = "VALIDATION_ERROR_OVER_ESCROW",
  /** The adapter version is not in our chain view (yet). */
  VERSION_UNKNOWN = "VALIDATION_ERROR_VERSION_UNKNOWN",
  /** The adapter version is still pending: it may become active. */
  VERSION_PENDING = "VALIDATION_ERROR_VERSION_PENDING",
  /** The adapter version was rejected: it can never be paid for. */
  VERSION_REJECTED = "VALIDATION_ERROR_VERSION_REJECTED",
  // Lanes.
  /** The receipt is one we already hold for its (lane, seq): same digest. */
  DUPLICATE = "VALIDATION_ERROR_DUPLICATE",
  /** The receipt's seq is past the next one of its lane: receipts in between are missing. */
  SEQ_GAP = "VALIDATION_ERROR_SEQ_GAP",
  /** The receipt's seq is below its lane's last and we no longer hold the receipt at that seq to compare. */
  SEQ_STALE = "VALIDATION_ERROR_SEQ_STALE",
  /** The receipt is the next of its lane but its cumulative is not the lane's cumulative plus its value. */
  CUMULATIVE_MISMATCH = "VALIDATION_ERROR_CUMULATIVE_MISMATCH",
  /** A different receipt for a (lane, seq) already seen: both are kept as evidence. */
  EQUIVOCATION = "VALIDATION_ERROR_EQUIVOCATION",
  // Records messages (gossip).
  /** The payload is not a valid `/olp/records/1` message (size, decoding, encoding, 1–256 entries, one node). */
  MESSAGE_INVALID = "VALIDATION_ERROR_MESSAGE_INVALID",
  /** The entries' node is not registered: it has no operator to sign records. */
  NODE_NOT_REGISTERED = "VALIDATION_ERROR_NODE_NOT_REGISTERED",
  /** A record breaks its shape rules: token counts, ids strictly ascending, weights > 0 summing to 1,000,000. */
  RECORD_INVALID = "VALIDATION_ERROR_RECORD_INVALID",
  /** A record signature is not 65 bytes `r‖s‖v` with v ∈ {27, 28} and low s. */
  RECORD_SIGNATURE_INVALID = "VALIDATION_ERROR_RECORD_SIGNATURE_INVALID",
  /** A record is not signed by the operator of its receipt's node. */
  RECORD_SIGNER_NOT_OPERATOR = "VALIDATION_ERROR_RECORD_SIGNER_NOT_OPERATOR",
  /** A record's receiptDigest is not the EIP-712 digest of the receipt it travels with. */
  RECORD_RECEIPT_MISMATCH = "VALIDATION_ERROR_RECORD_RECEIPT_MISMATCH",
  /** A record's outputHash is not keccak256 of the output text that travels with it. */
  OUTPUT_HASH_MISMATCH = "VALIDATION_ERROR_OUTPUT_HASH_MISMATCH",
  /** A record credits a dataset that is not a training dataset of the version. */
  DATASET_NOT_IN_VERSION = "VALIDATION_ERROR_DATASET_NOT_IN_VERSION",
  /** A second, different record for a receipt already seen with a record: both are evidence. */
  RECORD_EQUIVOCATION = "VALIDATION_ERROR_RECORD_EQUIVOCATION",
  // Our own state: never the sender's fault.
  /** Our chain view is behind the chain. */
  CHAIN_NOT_SYNCED = "VALIDATION_ERROR_CHAIN_NOT_SYNCED",
  /** Our chain view failed to answer. */
  CHAIN_UNAVAILABLE = "VALIDATION_ERROR_CHAIN_UNAVAILABLE",
  /** Our lane store failed to answer, or answered inconsistently. */
  STORE_UNAVAILABLE = "VALIDATION_ERROR_STORE_UNAVAILABLE",
  /** An unexpected exception in validation itself. */
  INTERNAL_ERROR = "VALIDATION_ERROR_INTERNAL_ERROR",
}

/** A lane named in an error: its Settlement id and its parts. */
export type LaneRef = { id: Hex; payer: Address; node: Address; versionId: bigint; lane: number };

/** The position of the entry in a records message, spread into an error's context; absent on the HTTP path. */
export type At = { index?: number };

/** The code of a {@link ValidationError} with its context. */
export type ValidationErrorType =
  | { code: ValidationErrorCode.RECEIPT_MISSING }
  | { code: ValidationErrorCode.RECEIPT_MALFORMED; reason: string }
  | (At & { code: ValidationErrorCode.RECEIPT_INVALID; reason: ReceiptErrorCode; detail: string })
  | (At & { code: ValidationErrorCode.SIGNATURE_INVALID; reason: ReceiptErrorCode; detail: string })
  | (At & { code: ValidationErrorCode.SIGNER_NOT_AUTHORIZED; payer: Address; signer: Address })
  | { code: ValidationErrorCode.WRONG_NODE; expected: Address; found: Address }
  | { code: ValidationErrorCode.WRONG_VERSION; expected: bigint; found: bigint }
  | { code: ValidationErrorCode.REQUEST_HASH_MISMATCH; expected: Hex; found: Hex }
  | (At & { code: ValidationErrorCode.WRONG_PRICE; node: Address; versionId: bigint; expected: bigint; found: bigint })
  | (At & {
      code: ValidationErrorCode.OVER_ESCROW;
      payer: Address;
      node: Address;
      coverage: bigint;
      unredeemed: bigint;
      value: bigint;
    })
  | (At & { code: ValidationErrorCode.VERSION_UNKNOWN; versionId: bigint })
  | (At & { code: ValidationErrorCode.VERSION_PENDING; versionId: bigint })
  | (At & { code: ValidationErrorCode.VERSION_REJECTED; versionId: bigint })
  | (At & { code: ValidationErrorCode.DUPLICATE; lane: LaneRef; seq: bigint; digest: Hex; last: bigint })
  | (At & { code: ValidationErrorCode.SEQ_GAP; lane: LaneRef; expected: bigint; found: bigint })
  | (At & { code: ValidationErrorCode.SEQ_STALE; lane: LaneRef; expected: bigint; found: bigint })
  | (At & {
      code: ValidationErrorCode.CUMULATIVE_MISMATCH;
      lane: LaneRef;
      seq: bigint;
      expected: bigint;
      found: bigint;
    })
  | (At & { code: ValidationErrorCode.EQUIVOCATION; lane: LaneRef; evidence: ReceiptEquivocation; last: bigint })
  | { code: ValidationErrorCode.MESSAGE_INVALID; reason: ReceiptErrorCode; detail: string }
  | { code: ValidationErrorCode.NODE_NOT_REGISTERED; node: Address }
  | (At & { code: ValidationErrorCode.RECORD_INVALID; reason: ReceiptErrorCode; detail: string })
  | (At & { code: ValidationErrorCode.RECORD_SIGNATURE_INVALID; reason: ReceiptErrorCode; detail: string })
  | (At & { code: ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR; node: Address; operator: Address; signer: Address })
  | (At & { code: ValidationErrorCode.RECORD_RECEIPT_MISMATCH; expected: Hex; found: Hex })
  | (At & { code: ValidationErrorCode.OUTPUT_HASH_MISMATCH; expected: Hex; found: Hex })
  | (At & { code: ValidationErrorCode.DATASET_NOT_IN_VERSION; versionId: bigint; datasetId: bigint })
  | (At & { code: ValidationErrorCode.RECORD_EQUIVOCATION; lane: LaneRef; evidence: RecordEquivocation })
  | { code: ValidationErrorCode.CHAIN_NOT_SYNCED }
  | { code: ValidationErrorCode.CHAIN_UNAVAILABLE; call: string }
  | { code: ValidationErrorCode.STORE_UNAVAILABLE; call: string }
  | { code: ValidationErrorCode.INTERNAL_ERROR };

/**
 * A receipt or records message we do not accept, in Lodestar's shape: the action for gossipsub travels with the code
 * and its context (`err.type`), and the message says what was expected and what was found. Validators return normally
 * to ACCEPT and throw this to IGNORE or REJECT; our own failures are always IGNORE.
 *
 * @example
 * throw new ValidationError(GossipAction.REJECT, { code: ValidationErrorCode.SIGNER_NOT_AUTHORIZED, payer, signer });
 */
export class ValidationError extends Error {
  /** What gossipsub should do with the message. */
  readonly action: GossipAction;
  /** The code and its context. */
  readonly type: ValidationErrorType;

  /**
   * @param action IGNORE or REJECT
   * @param type the code and its context
   * @param options `cause`: the lower-level error (the protocol's `ReceiptError`, a store's or chain view's error)
   */
  constructor(action: GossipAction, type: ValidationErrorType, options?: ErrorOptions) {
    super(describeValidationError(type), options);
    this.name = "ValidationError";
    this.action = action;
    this.type = type;
  }
}

/** The message of a {@link ValidationError}: where (entry index), what was expected and what was found. */
function describeValidationError(type: ValidationErrorType): string {
  const where = "index" in type && type.index !== undefined ? `entry ${type.index}: ` : "";
  return where + describe(type);
}

function describe(type: ValidationErrorType): string {
  switch (type.code) {
    case ValidationErrorCode.RECEIPT_MISSING:
      return "expected a signed receipt with the request, found none";
    case ValidationErrorCode.RECEIPT_MALFORMED:
      return `expected a receipt and its signature, found a header that does not decode (${type.reason})`;
    case ValidationErrorCode.RECEIPT_INVALID:
      return `invalid receipt: ${type.detail}`;
    case ValidationErrorCode.SIGNATURE_INVALID:
      return `invalid receipt signature: ${type.detail}`;
    case ValidationErrorCode.SIGNER_NOT_AUTHORIZED:
      return `expected a receipt signed by payer ${type.payer} or a signer it authorized, found signer ${type.signer}`;
    case ValidationErrorCode.WRONG_NODE:
      return `expected a receipt for node ${type.expected}, found one for ${type.found}`;
    case ValidationErrorCode.WRONG_VERSION:
      return `expected a receipt for version ${type.expected}, found one for ${type.found}`;
    case ValidationErrorCode.REQUEST_HASH_MISMATCH:
      return `expected requestHash ${type.expected} (keccak256 of the body received), found ${type.found}`;
    case ValidationErrorCode.WRONG_PRICE:
      return type.expected === 0n
        ? `expected no receipt: node ${type.node} has no price for version ${type.versionId}, found value ${type.found}`
        : `expected value ${type.expected} (node ${type.node}'s price for version ${type.versionId}), found ${type.found}`;
    case ValidationErrorCode.OVER_ESCROW:
      return `expected unredeemed ${type.unredeemed} + value ${type.value} within the escrow cover ${type.coverage} of payer ${type.payer} for node ${type.node}, found ${type.unredeemed + type.value}`;
    case ValidationErrorCode.VERSION_UNKNOWN:
      return `expected a known adapter version, found ${type.versionId}, which our chain view does not hold`;
    case ValidationErrorCode.VERSION_PENDING:
      return `expected an active adapter version, found ${type.versionId} still pending`;
    case ValidationErrorCode.VERSION_REJECTED:
      return `expected an active adapter version, found ${type.versionId} rejected`;
    case ValidationErrorCode.DUPLICATE:
      return `expected a new receipt (lane ${type.lane.id} is at seq ${type.last}), found seq ${type.seq} again with the same digest ${type.digest}`;
    case ValidationErrorCode.SEQ_GAP:
      return `expected seq ${type.expected} next in lane ${type.lane.id}, found ${type.found}: receipts in between are missing`;
    case ValidationErrorCode.SEQ_STALE:
      return `expected seq ${type.expected} next in lane ${type.lane.id}, found ${type.found}, older than the receipts we keep`;
    case ValidationErrorCode.CUMULATIVE_MISMATCH:
      return `expected cumulative ${type.expected} at seq ${type.seq} in lane ${type.lane.id}, found ${type.found}`;
    case ValidationErrorCode.EQUIVOCATION:
      return `expected one receipt per seq in lane ${type.lane.id}, found a second receipt ${type.evidence.second.digest} for seq ${type.evidence.seq} (first ${type.evidence.first.digest})`;
    case ValidationErrorCode.MESSAGE_INVALID:
      return `invalid records message: ${type.detail}`;
    case ValidationErrorCode.NODE_NOT_REGISTERED:
      return `expected records of a registered node, found node ${type.node}, which has no operator`;
    case ValidationErrorCode.RECORD_INVALID:
      return `invalid record: ${type.detail}`;
    case ValidationErrorCode.RECORD_SIGNATURE_INVALID:
      return `invalid record signature: ${type.detail}`;
    case ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR:
      return `expected a record signed by operator ${type.operator} of node ${type.node}, found signer ${type.signer}`;
    case ValidationErrorCode.RECORD_RECEIPT_MISMATCH:
      return `expected record receiptDigest ${type.expected} (the receipt's EIP-712 digest), found ${type.found}`;
    case ValidationErrorCode.OUTPUT_HASH_MISMATCH:
      return `expected outputHash ${type.expected} (keccak256 of the output text), found ${type.found}`;
    case ValidationErrorCode.DATASET_NOT_IN_VERSION:
      return `expected datasets among the training datasets of version ${type.versionId}, found dataset ${type.datasetId}`;
    case ValidationErrorCode.RECORD_EQUIVOCATION:
      return `expected one record per receipt ${type.evidence.receiptDigest}, found a second record ${type.evidence.second.recordId} (first ${type.evidence.firstRecordId})`;
    case ValidationErrorCode.CHAIN_NOT_SYNCED:
      return "expected a synced chain view, found it behind the chain";
    case ValidationErrorCode.CHAIN_UNAVAILABLE:
      return `expected the chain view to answer ${type.call}, found it failing`;
    case ValidationErrorCode.STORE_UNAVAILABLE:
      return `expected the lane store to answer ${type.call}, found it failing`;
    case ValidationErrorCode.INTERNAL_ERROR:
      return "expected validation to finish, found an unexpected exception";
  }
}
