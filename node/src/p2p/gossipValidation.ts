import { type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { Hex } from "viem";
import {
  type AttributionMessage,
  decodeAttributionMessage,
  decodeRecordsMessage,
  type Entry,
  ReceiptError,
} from "../protocol/index.js";
import { GossipAction, GossipErrorCode, GossipValidationError } from "./errors.js";
import type { JobQueue } from "./jobQueue.js";
import type { P2pLogger } from "./logger.js";
import type { GossipOutcome, P2pMetrics } from "./metrics.js";
import { type GossipTopicName, MAX_GOSSIP_MESSAGE_BYTES } from "./topics.js";

/** A peer id in its string form (base58btc). */
export type PeerIdStr = string;

/**
 * Validates one gossip payload from `from` (the peer that relayed it to us), given the message the p2p layer decoded
 * from it with the protocol's decoder (a payload that does not decode was already rejected). Returns normally to
 * ACCEPT; throws a {@link GossipValidationError} with IGNORE or REJECT otherwise. Anything else it throws counts as
 * IGNORE: a bug or a failure of ours must never cost an honest peer its score (DESIGN §4, §5).
 */
export type GossipValidatorFn<T> = (payload: Uint8Array, from: PeerIdStr, decoded: T) => Promise<void>;

/** The validators of the three topics, injected into the p2p layer. */
export interface GossipValidators {
  /** Gets the entries `decodeRecordsMessage` read from the payload. */
  records: GossipValidatorFn<Entry[]>;
  /** Gets the payload again: the protocol module has no decoder for training messages yet. */
  training: GossipValidatorFn<Uint8Array>;
  /** Gets the message `decodeAttributionMessage` read from the payload. */
  attribution: GossipValidatorFn<AttributionMessage>;
}

/** Where accepted messages go, one at a time and in the order accepted, per topic. */
export interface GossipHandlers {
  /** The entries of an accepted `/olp/records/1` message. */
  onRecords(entries: Entry[], from: PeerIdStr): Promise<void>;
  /** The payload of an accepted `/olp/training/1` message (the protocol module has no decoder for it yet). */
  onTraining(payload: Uint8Array, from: PeerIdStr): Promise<void>;
  /** The message of an accepted `/olp/attribution/1` payload. */
  onAttribution(message: AttributionMessage, from: PeerIdStr): Promise<void>;
}

/** How a thrown value classifies: gossipsub's result, our action, and the code that labels the metric. */
export type GossipClassification = {
  result: TopicValidatorResult.Ignore | TopicValidatorResult.Reject;
  code: string;
};

/**
 * Maps what a validator threw to gossipsub's result (THREATS #47): a {@link GossipValidationError} keeps its action;
 * anything else (a `TypeError`, a store failure, even a protocol error the validator forgot to wrap) is IGNORE with
 * code `GOSSIP_ERROR_UNEXPECTED_ERROR`. Only an explicit REJECT lowers the sender's score.
 */
export function classifyGossipError(err: unknown): GossipClassification {
  if (err instanceof GossipValidationError) {
    return {
      result: err.action === GossipAction.REJECT ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore,
      code: err.type.code,
    };
  }
  return { result: TopicValidatorResult.Ignore, code: GossipErrorCode.UNEXPECTED_ERROR };
}

/** What a topic validator needs from the network. */
export type TopicValidatorModules = {
  validators: GossipValidators;
  handlers: GossipHandlers;
  queue: JobQueue;
  logger: P2pLogger;
  metrics: P2pMetrics | null;
};

/** Gossipsub's validator signature. */
export type TopicValidator = (propagationSource: PeerId, message: Message) => Promise<TopicValidatorResult>;

/**
 * The gossipsub validator of topic `name`: size limit (REJECT, before anything decodes), queue room (IGNORE), the
 * protocol's decoding (REJECT on a broken rule), then the injected validator. An accepted message is queued for its
 * handler and returned as `Accept`, so gossipsub forwards it at once; every outcome is counted.
 */
export function createTopicValidator(name: GossipTopicName, modules: TopicValidatorModules): TopicValidator {
  const { queue, logger, metrics } = modules;
  return async (propagationSource, message) => {
    const from = propagationSource.toString();
    const payload = message.data;
    try {
      // [REJECT] DESIGN §4: at most 1 MiB, checked before decoding.
      if (payload.length > MAX_GOSSIP_MESSAGE_BYTES) {
        throw new GossipValidationError(GossipAction.REJECT, {
          code: GossipErrorCode.MESSAGE_TOO_LARGE,
          bytes: payload.length,
          max: MAX_GOSSIP_MESSAGE_BYTES,
        });
      }
      // [IGNORE] our handler is behind: not the sender's fault, and we do not forward what we cannot keep.
      if (queue.isFull) {
        throw new GossipValidationError(GossipAction.IGNORE, {
          code: GossipErrorCode.QUEUE_FULL,
          length: queue.length,
        });
      }
      queue.push(await validateForHandler(name, payload, from, modules));
      count(metrics, name, "accept", "ACCEPT");
      return TopicValidatorResult.Accept;
    } catch (err) {
      const { result, code } = classifyGossipError(err);
      const outcome: GossipOutcome = result === TopicValidatorResult.Reject ? "reject" : "ignore";
      count(metrics, name, outcome, code);
      if (code === GossipErrorCode.UNEXPECTED_ERROR) {
        logger.warn("Gossip validator threw an unexpected error; ignoring the message", { topic: name, from }, err);
      } else {
        logger.debug("Gossip message not accepted", { topic: name, from, outcome, code });
      }
      return result;
    }
  };
}

/**
 * Decodes the payload with the protocol's decoder (a payload that does not decode, or not canonically, breaks DESIGN
 * §4: REJECT with the protocol's code), runs the topic's validator on it, and returns the handler's job. Decoding
 * once, here, spares the validator and the handler a second decode (most of the cost of a records message).
 */
async function validateForHandler(
  name: GossipTopicName,
  payload: Uint8Array,
  from: PeerIdStr,
  { validators, handlers }: TopicValidatorModules,
): Promise<() => Promise<void>> {
  switch (name) {
    case "records": {
      const entries = decodeOrReject(() => decodeRecordsMessage(toHex(payload)));
      await validators.records(payload, from, entries);
      return () => handlers.onRecords(entries, from);
    }
    case "attribution": {
      const message = decodeOrReject(() => decodeAttributionMessage(toHex(payload)));
      await validators.attribution(payload, from, message);
      return () => handlers.onAttribution(message, from);
    }
    case "training":
      await validators.training(payload, from, payload);
      return () => handlers.onTraining(payload, from);
  }
}

function decodeOrReject<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ReceiptError) throw new GossipValidationError(GossipAction.REJECT, err.type, { cause: err });
    throw err;
  }
}

/** `bytes` as 0x-hex by Node's native encoder: viem's `bytesToHex` costs several times more on every message. */
function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

function count(metrics: P2pMetrics | null, topic: GossipTopicName, outcome: GossipOutcome, code: string): void {
  metrics?.onGossipValidation(topic, outcome, code);
}
