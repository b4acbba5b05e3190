import { ATTRIBUTION_TOPIC, MAX_RECORDS_MESSAGE_BYTES, RECORDS_TOPIC } from "../protocol/index.js";

/** Gossip topic of training progress: a version's checkpoint chain steps (DESIGN §4). */
export const TRAINING_TOPIC = "/olp/training/1";

/** The gossip topics of DESIGN §4, by the short name that labels metrics and names validators and handlers. */
export const GOSSIP_TOPICS = {
  records: RECORDS_TOPIC,
  training: TRAINING_TOPIC,
  attribution: ATTRIBUTION_TOPIC,
} as const;

/** The short name of a gossip topic: `records`, `training` or `attribution`. */
export type GossipTopicName = keyof typeof GOSSIP_TOPICS;

/** A gossip topic string of DESIGN §4. */
export type GossipTopic = (typeof GOSSIP_TOPICS)[GossipTopicName];

/** The short names, in a fixed order. */
export const GOSSIP_TOPIC_NAMES: readonly GossipTopicName[] = ["records", "training", "attribution"];

/**
 * Most bytes of one gossip payload, on every topic: DESIGN §4 sets 1 MiB for `/olp/records/1`, the largest of the
 * three; training and attribution messages are far smaller, so one limit serves all and is checked before decoding.
 */
export const MAX_GOSSIP_MESSAGE_BYTES = MAX_RECORDS_MESSAGE_BYTES;

/** The short name of a topic string, or undefined for a topic that is not ours. */
export function getGossipTopicName(topic: string): GossipTopicName | undefined {
  return GOSSIP_TOPIC_NAMES.find((name) => GOSSIP_TOPICS[name] === topic);
}
