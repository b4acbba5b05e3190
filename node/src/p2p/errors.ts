/**
 * What a gossip validator decided about a message it did not accept (DESIGN §4 "Validation result"). ACCEPT is not
 * here: a validator accepts by returning normally.
 */
export enum GossipAction {
  /** We cannot judge the message (unknown version, chain behind, our own store failing): drop it, blame nobody. */
  IGNORE = "IGNORE",
  /** The message breaks a rule of DESIGN §4: drop it and lower the sender's score. */
  REJECT = "REJECT",
}

/** Codes the p2p layer itself gives to a message, before or around the injected validators. */
export enum GossipErrorCode {
  /** The payload is larger than the topic allows (1 MiB): checked before anything decodes it. */
  MESSAGE_TOO_LARGE = "GOSSIP_ERROR_MESSAGE_TOO_LARGE",
  /** The accepted-message queue of the topic is full: we cannot take more now, which is our state, not the sender's. */
  QUEUE_FULL = "GOSSIP_ERROR_QUEUE_FULL",
  /** A validator threw something that is not a {@link GossipValidationError}: our bug or our state, so IGNORE. */
  UNEXPECTED_ERROR = "GOSSIP_ERROR_UNEXPECTED_ERROR",
}

/** The context every gossip error carries: a code (from a bounded set, so it can label a metric) and what it needs. */
export type GossipErrorType = { code: string } & Record<string, unknown>;

/**
 * Thrown by a gossip validator to IGNORE or REJECT a message, in Lodestar's shape: the action and the code travel with
 * their context, and the p2p layer maps the action to gossipsub's `TopicValidatorResult`.
 *
 * @example
 * throw new GossipValidationError(GossipAction.REJECT, { code: ReceiptErrorCode.SIGNATURE_S, s });
 */
export class GossipValidationError<T extends GossipErrorType = GossipErrorType> extends Error {
  /** IGNORE or REJECT. */
  readonly action: GossipAction;
  /** The code and its context. */
  readonly type: T;

  /**
   * @param action IGNORE (not the sender's fault) or REJECT (the message breaks a protocol rule)
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one
   */
  constructor(action: GossipAction, type: T, options?: ErrorOptions) {
    super(`${action} ${type.code}`, options);
    this.name = "GossipValidationError";
    this.action = action;
    this.type = type;
  }
}

/** Why the p2p layer could not start, publish or read its key. */
export enum P2pErrorCode {
  /** The peer key file exists but does not hold a libp2p private key (we never overwrite it). */
  PEER_KEY_INVALID = "P2P_ERROR_PEER_KEY_INVALID",
  /** A message to publish is larger than its topic allows. */
  MESSAGE_TOO_LARGE = "P2P_ERROR_MESSAGE_TOO_LARGE",
  /** A multiaddr to dial or listen on does not parse. */
  INVALID_MULTIADDR = "P2P_ERROR_INVALID_MULTIADDR",
}

/** The code of a {@link P2pError} with its context. */
export type P2pErrorType =
  | { code: P2pErrorCode.PEER_KEY_INVALID; path: string }
  | { code: P2pErrorCode.MESSAGE_TOO_LARGE; topic: string; bytes: number; max: number }
  | { code: P2pErrorCode.INVALID_MULTIADDR; address: string };

/** A failure of the p2p layer itself; the code travels with its context (`err.type`). */
export class P2pError extends Error {
  /** The code and its context. */
  readonly type: P2pErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one
   */
  constructor(type: P2pErrorType, options?: ErrorOptions) {
    super(describeP2pError(type), options);
    this.name = "P2pError";
    this.type = type;
  }
}

function describeP2pError(type: P2pErrorType): string {
  switch (type.code) {
    case P2pErrorCode.PEER_KEY_INVALID:
      return `expected a protobuf libp2p private key in ${type.path}, found bytes that do not decode as one`;
    case P2pErrorCode.MESSAGE_TOO_LARGE:
      return `expected a ${type.topic} message of at most ${type.max} bytes, found ${type.bytes}`;
    case P2pErrorCode.INVALID_MULTIADDR:
      return `expected a multiaddr, found "${type.address}"`;
  }
}

/** Why a request–response exchange failed, on either side. */
export enum ReqRespErrorCode {
  /** A frame does not decode, is not canonical, or holds an unknown status. */
  INVALID_FRAME = "REQ_RESP_ERROR_INVALID_FRAME",
  /** A length prefix announced more bytes than the frame limit; the stream is dropped unread. */
  FRAME_TOO_LARGE = "REQ_RESP_ERROR_FRAME_TOO_LARGE",
  /** A request breaks a rule of its protocol (an empty range, a count over the page size). */
  INVALID_REQUEST = "REQ_RESP_ERROR_INVALID_REQUEST",
  /** The peer answered with an error frame. */
  ERROR_RESPONSE = "REQ_RESP_ERROR_ERROR_RESPONSE",
  /** The peer's items break the paging rules: too many, out of range, out of order, over the byte budget. */
  INVALID_RESPONSE = "REQ_RESP_ERROR_INVALID_RESPONSE",
  /** No first frame in time, no next frame in time, or no request in time. */
  TIMEOUT = "REQ_RESP_ERROR_TIMEOUT",
  /** We could not open a stream to the peer for the protocol. */
  DIAL_FAILED = "REQ_RESP_ERROR_DIAL_FAILED",
}

/** The code of a {@link ReqRespError} with its context. */
export type ReqRespErrorType =
  | { code: ReqRespErrorCode.INVALID_FRAME; reason: string }
  | { code: ReqRespErrorCode.FRAME_TOO_LARGE; max: number }
  | { code: ReqRespErrorCode.INVALID_REQUEST; reason: string }
  | { code: ReqRespErrorCode.ERROR_RESPONSE; status: number; message: string }
  | { code: ReqRespErrorCode.INVALID_RESPONSE; reason: string }
  | { code: ReqRespErrorCode.TIMEOUT; phase: "request" | "first frame" | "next frame" }
  | { code: ReqRespErrorCode.DIAL_FAILED; peerId: string; protocol: string };

/** A failed request–response exchange; the code travels with its context (`err.type`). */
export class ReqRespError extends Error {
  /** The code and its context. */
  readonly type: ReqRespErrorType;

  /**
   * @param type the code and its context
   * @param options `cause`: the lower-level error, when there is one
   */
  constructor(type: ReqRespErrorType, options?: ErrorOptions) {
    super(describeReqRespError(type), options);
    this.name = "ReqRespError";
    this.type = type;
  }
}

function describeReqRespError(type: ReqRespErrorType): string {
  switch (type.code) {
    case ReqRespErrorCode.INVALID_FRAME:
      return `expected a canonical abi.encode frame, found ${type.reason}`;
    case ReqRespErrorCode.FRAME_TOO_LARGE:
      return `expected a frame of at most ${type.max} bytes, found a longer length prefix`;
    case ReqRespErrorCode.INVALID_REQUEST:
      return `expected a valid request, found ${type.reason}`;
    case ReqRespErrorCode.ERROR_RESPONSE:
      return `expected items, found error status ${type.status}: ${type.message}`;
    case ReqRespErrorCode.INVALID_RESPONSE:
      return `expected a response within the paging rules, found ${type.reason}`;
    case ReqRespErrorCode.TIMEOUT:
      return `expected the ${type.phase} in time, found none`;
    case ReqRespErrorCode.DIAL_FAILED:
      return `expected a ${type.protocol} stream to ${type.peerId}, could not open one`;
  }
}
