import { PeerScore, validatePeerScoreParams, validatePeerScoreThresholds } from "@libp2p/gossipsub/score";
import { RejectReason } from "@libp2p/gossipsub/types";
import type { ComponentLogger } from "@libp2p/interface";
import { expect } from "chai";
import {
  GOSSIP_SCORE_THRESHOLDS,
  GOSSIP_TOPIC_NAMES,
  GOSSIP_TOPICS,
  getGossipScoreParams,
  retainScoresOnReconnect,
  TOPIC_SCORE_CAP,
} from "../../../../node/src/p2p/index.js";

const RECORDS = GOSSIP_TOPICS.records;
const PRODUCTION = { ipColocationFactorWeight: -30, ipColocationFactorThreshold: 3 };
const LOOPBACK = { ipColocationFactorWeight: 0, ipColocationFactorThreshold: 3 };

/** Gossipsub's PeerScore wants a component logger; these tests read scores, not logs. */
const quietLogger = {
  forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }),
} as unknown as ComponentLogger;

/** Gossipsub's own score table with our parameters, its cache off so every read recomputes. */
function scoreTable(options = PRODUCTION): PeerScore {
  return new PeerScore(getGossipScoreParams(options), null, quietLogger, { scoreCacheValidityMs: 0 });
}

/** A peer at the top of the positive budget: an hour in every mesh and 100 first deliveries on every topic. */
function topPeer(score: PeerScore, id = "peer"): string {
  score.addPeer(id);
  for (const name of GOSSIP_TOPIC_NAMES) {
    const topic = GOSSIP_TOPICS[name];
    score.graft(id, topic);
    for (let i = 0; i < 100; i++) score.markFirstMessageDelivery(id, topic);
    const stats = score.peerStats.get(id)?.topics[topic];
    if (stats) stats.graftTime = Date.now() - 3600_000;
  }
  score.refreshScores();
  for (const name of GOSSIP_TOPIC_NAMES) {
    for (let i = 0; i < 100; i++) score.markFirstMessageDelivery(id, GOSSIP_TOPICS[name]);
  }
  return id;
}

let messageCount = 0;
/** Reports a fresh message from `id` as validated with `reason` (gossipsub's path after a topic validator). */
function validated(score: PeerScore, id: string, reason: RejectReason.Ignore | RejectReason.Reject): void {
  score.rejectMessage(id, `message-${messageCount++}`, RECORDS, reason);
}

describe("p2p/scoring: explicit gossipsub peer scores (DESIGN §5)", () => {
  it("pass gossipsub's own parameter and threshold validation", () => {
    expect(() => validatePeerScoreParams(getGossipScoreParams(PRODUCTION))).to.not.throw();
    expect(() => validatePeerScoreParams(getGossipScoreParams(LOOPBACK))).to.not.throw();
    expect(() => validatePeerScoreThresholds(GOSSIP_SCORE_THRESHOLDS)).to.not.throw();
  });

  it("list explicit parameters for each of the three topics (unlisted topics are not scored at all)", () => {
    const { topics } = getGossipScoreParams(PRODUCTION);
    expect(Object.keys(topics).sort()).to.deep.equal(
      ["/olp/attribution/1", "/olp/records/1", "/olp/training/1"].sort(),
    );
    for (const params of Object.values(topics)) {
      expect(params.invalidMessageDeliveriesWeight).to.be.at.most(-TOPIC_SCORE_CAP);
      expect(params.invalidMessageDeliveriesDecay).to.be.above(0.99);
      expect(params.timeInMeshWeight * params.timeInMeshCap).to.be.below(2);
    }
  });

  it("order the thresholds graylist ≤ publish ≤ gossip ≤ 0", () => {
    const { graylistThreshold, publishThreshold, gossipThreshold } = GOSSIP_SCORE_THRESHOLDS;
    expect(graylistThreshold).to.be.at.most(publishThreshold);
    expect(publishThreshold).to.be.at.most(gossipThreshold);
    expect(gossipThreshold).to.be.at.most(0);
  });

  it("cap a well-behaved peer's score at the topic score cap", () => {
    const score = scoreTable();
    const id = topPeer(score);
    expect(score.score(id)).to.equal(TOPIC_SCORE_CAP);
  });

  it("put even a peer at the cap below 0 with one REJECT: time in the mesh never outweighs it", () => {
    const score = scoreTable();
    const id = topPeer(score);
    validated(score, id, RejectReason.Reject);
    expect(score.score(id)).to.be.below(0);
    expect(score.score(id)).to.be.above(GOSSIP_SCORE_THRESHOLDS.gossipThreshold);
  });

  it("leave the score untouched by any number of IGNOREs (THREATS #47: P4 moves only on REJECT)", () => {
    const score = scoreTable();
    const id = topPeer(score);
    for (let i = 0; i < 100; i++) validated(score, id, RejectReason.Ignore);
    expect(score.peerStats.get(id)?.topics[RECORDS]?.invalidMessageDeliveries).to.equal(0);
    expect(score.score(id)).to.equal(TOPIC_SCORE_CAP);
  });

  it("cross the gossip, publish and graylist thresholds at 3, 4 and 6 REJECTs, even at the positive cap", () => {
    const score = scoreTable();
    const id = topPeer(score);
    const after: number[] = [];
    for (let i = 1; i <= 6; i++) {
      validated(score, id, RejectReason.Reject);
      after.push(score.score(id));
    }
    const { gossipThreshold, publishThreshold, graylistThreshold } = GOSSIP_SCORE_THRESHOLDS;
    expect(after[1]).to.be.at.least(gossipThreshold);
    expect(after[2]).to.be.below(gossipThreshold);
    expect(after[2]).to.be.at.least(publishThreshold);
    expect(after[3]).to.be.below(publishThreshold);
    expect(after[4]).to.be.at.least(graylistThreshold);
    expect(after[5]).to.be.below(graylistThreshold);
  });

  it("forget invalid messages slowly: a graylisted peer is still graylisted a minute later", () => {
    const score = scoreTable();
    const id = topPeer(score);
    for (let i = 0; i < 10; i++) validated(score, id, RejectReason.Reject);
    for (let second = 0; second < 60; second++) score.refreshScores();
    expect(score.score(id)).to.be.below(GOSSIP_SCORE_THRESHOLDS.graylistThreshold);
  });

  it("cost nothing for sharing an IP on loopback, and cost colocated peers in production", () => {
    for (const [options, expectedBelowZero] of [
      [LOOPBACK, false],
      [PRODUCTION, true],
    ] as const) {
      const score = scoreTable(options);
      for (let i = 0; i < 8; i++) {
        score.addPeer(`p${i}`);
        score.addIP(`p${i}`, "127.0.0.1");
      }
      expect(score.score("p0") < 0, JSON.stringify(options)).to.equal(expectedBelowZero);
    }
  });

  describe("retainScoresOnReconnect", () => {
    it("keeps a disconnected peer's negative score when it reconnects (gossipsub v17 alone resets it)", () => {
      const plain = scoreTable();
      const patched = scoreTable();
      retainScoresOnReconnect(patched);
      for (const score of [plain, patched]) {
        score.addPeer("spammer");
        for (let i = 0; i < 10; i++) validated(score, "spammer", RejectReason.Reject);
        score.removePeer("spammer");
        score.addPeer("spammer");
      }
      expect(plain.score("spammer"), "gossipsub's own behaviour").to.equal(0);
      expect(patched.score("spammer")).to.be.below(GOSSIP_SCORE_THRESHOLDS.graylistThreshold);
      expect(patched.peerStats.get("spammer")?.connected).to.equal(true);
    });

    it("still starts a peer it has no record of fresh", () => {
      const score = scoreTable();
      retainScoresOnReconnect(score);
      score.addPeer("new");
      expect(score.peerStats.get("new")).to.deep.include({ connected: true, expire: 0 });
      expect(score.score("new")).to.equal(0);
    });
  });
});
