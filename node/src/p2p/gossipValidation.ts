import { type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import { bytesToHex } from "viem";
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
 * Validates one gossip payload from `from` (the peer that relayed it to us). Returns normally to ACCEPT; throws a
 * {@link GossipValidationError} with IGNORE or REJECT otherwise. Anything else it throws counts as IGNORE: a bug or a
 * failure of ours must never cost an honest peer its score (DESIGN §4, §5).
 */
export type GossipValidatorFn = (payload: Uint8Array, from: PeerIdStr) => Promise<void>;

/** The validators of the three topics, injected into the p2p layer. */
export interface GossipValidators {
  records: GossipValidatorFn;
  training: GossipValidatorFn;
  attribution: GossipValidatorFn;
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
 * injected validator, then the protocol's decoding for the handler (REJECT on a broken rule). An accepted message is
 * queued for its handler and returned as `Accept`, so gossipsub forwards it at once; every outcome is counted.
 */
export function createTopicValidator(name: GossipTopicName, modules: TopicValidatorModules): TopicValidator {
  const { validators, queue, logger, metrics } = modules;
  const validate = validators[name];
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
      await validate(payload, from);
      queue.push(decodeForHandler(name, payload, from, modules.handlers));
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
 * Decodes an accepted payload for its handler and returns the handler's job. A payload the validator accepted but the
 * protocol's decoder refuses breaks DESIGN §4 all the same: REJECT with the protocol's code.
 */
function decodeForHandler(
  name: GossipTopicName,
  payload: Uint8Array,
  from: PeerIdStr,
  handlers: GossipHandlers,
): () => Promise<void> {
  try {
    switch (name) {
      case "records": {
        const entries = decodeRecordsMessage(bytesToHex(payload));
        return () => handlers.onRecords(entries, from);
      }
      case "attribution": {
        const message = decodeAttributionMessage(bytesToHex(payload));
        return () => handlers.onAttribution(message, from);
      }
      case "training":
        return () => handlers.onTraining(payload, from);
    }
  } catch (err) {
    if (err instanceof ReceiptError) throw new GossipValidationError(GossipAction.REJECT, err.type, { cause: err });
    throw err;
  }
}

function count(metrics: P2pMetrics | null, topic: GossipTopicName, outcome: GossipOutcome, code: string): void {
  metrics?.onGossipValidation(topic, outcome, code);
}
