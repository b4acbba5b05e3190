import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";
import { GOSSIP_TOPIC_NAMES, GOSSIP_TOPICS } from "./topics.js";

/**
 * Gossipsub peer scoring, set explicitly (DESIGN §5): `@libp2p/gossipsub` v17 scores only the topics listed in
 * `scoreParams.topics`, and its default topic parameters let time in the mesh outweigh invalid messages, so a flooding
 * peer would never be pruned. The budget below keeps every positive part small and every invalid message expensive.
 *
 * Positive parts (per topic, `topicWeight` 1, capped together at {@link TOPIC_SCORE_CAP}):
 * - P1 time in mesh: 0.0033 per second, capped at 300 s → at most ~1.
 * - P2 first deliveries: 0.1 each, capped at 100, ×0.9 per second → at most 10, gone ~30 s after a peer stops.
 * Negative parts:
 * - P4 invalid messages: −100 × n², n decaying ×0.998722 per second (to 1 % in an hour). One REJECT puts a fresh
 *   peer below 0; 3 below the gossip threshold, 4 below the publish threshold, 6 below the graylist threshold.
 * - P6 IP colocation: −30 × (peers on one IP − 3)² (0 on loopback, where every peer shares 127.0.0.1).
 * - P7 behaviour (broken IWANT promises, GRAFT during backoff): −15 × (penalty − 6)², ×0.99 per second.
 * - P3 / P3b mesh delivery deficits are off: our topics have no steady rate (records come in bursts, attribution once
 *   an epoch), and a deficit penalty would prune honest peers on a quiet topic.
 */
export const TOPIC_SCORE_CAP = 30;

/** The thresholds, ordered graylist ≤ publish ≤ gossip ≤ 0 as gossipsub requires (DESIGN §5). */
export const GOSSIP_SCORE_THRESHOLDS: PeerScoreThresholds = {
  /** Below this we neither send IHAVE to a peer nor act on its IHAVE/IWANT: 3 invalid messages. */
  gossipThreshold: -500,
  /** Below this we do not flood-publish to a peer: 4 invalid messages. */
  publishThreshold: -1000,
  /** Below this every RPC of the peer is dropped unread: 6 invalid messages. */
  graylistThreshold: -2500,
  /** Above the reachable maximum (the cap is 30), so peer exchange is never trusted; PX is off anyway. */
  acceptPXThreshold: 100,
  /** Median mesh score under which gossipsub grafts better-scoring peers. */
  opportunisticGraftThreshold: 5,
};

/** P4 decay per decay interval (1 s): 0.01^(1/3600), so an invalid message is forgotten to 1 % in an hour. */
const INVALID_MESSAGE_DECAY = 0.998722;

/** The score parameters of one of our topics; the three topics share them (see {@link TOPIC_SCORE_CAP}). */
export function getTopicScoreParams(): TopicScoreParams {
  return {
    topicWeight: 1,
    // P1: small, so time in the mesh never outweighs one invalid message (DESIGN §5).
    timeInMeshWeight: 0.0033,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    // P2: rewards peers that bring us new messages first.
    firstMessageDeliveriesWeight: 0.1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 100,
    // P3: off (weight 0); the other fields hold gossipsub's valid defaults.
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 20,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    // P3b: off with P3.
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    // P4: strongly negative and slow to decay (DESIGN §5).
    invalidMessageDeliveriesWeight: -100,
    invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY,
  };
}

/** What an operator may tune in scoring: the IP-colocation penalty, which must be 0 on a loopback network. */
export type ScoringOptions = {
  /** P6 weight, ≤ 0; 0 disables it (DESIGN §5: set 0 on loopback, where every peer shares one IP). */
  ipColocationFactorWeight: number;
  /** Peers one IP may hold before P6 applies. */
  ipColocationFactorThreshold: number;
};

/** The peer score parameters of the node: explicit parameters for each of the three topics of DESIGN §4. */
export function getGossipScoreParams(options: ScoringOptions): PeerScoreParams {
  return {
    topics: Object.fromEntries(GOSSIP_TOPIC_NAMES.map((name) => [GOSSIP_TOPICS[name], getTopicScoreParams()])),
    topicScoreCap: TOPIC_SCORE_CAP,
    // P5: no application score yet (a peer manager may add one: staked operators, for instance).
    appSpecificScore: () => 0,
    appSpecificWeight: 1,
    IPColocationFactorWeight: options.ipColocationFactorWeight,
    IPColocationFactorThreshold: options.ipColocationFactorThreshold,
    IPColocationFactorWhitelist: new Set(),
    behaviourPenaltyWeight: -15,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.99,
    decayInterval: 1000,
    decayToZero: 0.01,
    // Scores of disconnected peers are kept (and not decayed) for an hour: reconnecting does not wash a bad score.
    retainScore: 3600 * 1000,
  };
}

/** The part of gossipsub's `PeerScore` that score retention touches. */
export type PeerScoreTable = {
  readonly peerStats: Map<string, { connected: boolean; expire: number }>;
  addPeer(id: string): void;
};

/**
 * Makes a reconnecting peer keep its retained score. `@libp2p/gossipsub` v17's `PeerScore.addPeer` replaces the stats
 * it kept for a disconnected peer with fresh ones, so a peer below the graylist threshold wipes its score by
 * reconnecting and `retainScore` does nothing (go-libp2p reuses the retained stats). With this, a peer seen before
 * gets its stats back (gossipsub retains only non-positive scores, for `retainScore`); a new peer starts fresh.
 */
export function retainScoresOnReconnect(score: PeerScoreTable): void {
  const addPeer = score.addPeer.bind(score);
  score.addPeer = (id: string): void => {
    const retained = score.peerStats.get(id);
    if (retained === undefined) {
      addPeer(id);
      return;
    }
    retained.connected = true;
    retained.expire = 0;
  };
}
