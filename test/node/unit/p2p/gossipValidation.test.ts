import { generateKeyPair } from "@libp2p/crypto/keys";
import { TopicValidatorResult, type UnsignedMessage } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { expect } from "chai";
import { hexToBytes } from "viem";
import { createTopicValidator } from "../../../../node/src/p2p/gossipValidation.js";
import {
  classifyGossipError,
  GOSSIP_TOPICS,
  GossipAction,
  GossipErrorCode,
  type GossipHandlers,
  type GossipTopicName,
  GossipValidationError,
  type GossipValidators,
  MAX_GOSSIP_MESSAGE_BYTES,
  type P2pMetrics,
} from "../../../../node/src/p2p/index.js";
import { JobQueue } from "../../../../node/src/p2p/jobQueue.js";
import {
  type AttributionMessage,
  type Entry,
  encodeAttributionMessage,
  encodeRecordsMessage,
  ReceiptError,
  ReceiptErrorCode,
} from "../../../../node/src/protocol/index.js";
import { makeEntry } from "./helpers.js";

type Call = { topic: GossipTopicName; outcome: string; code: string };

/** A validator harness: real topic validators over recording validators, handlers, metrics and logger. */
function harness(options: { validate?: (payload: Uint8Array) => Promise<void>; queueLength?: number } = {}) {
  const validated: Uint8Array[] = [];
  const handled: { topic: GossipTopicName; value: unknown; from: string }[] = [];
  const counted: Call[] = [];
  const warnings: unknown[] = [];
  const decodedSeen: unknown[] = [];
  const validate = async (payload: Uint8Array, _from: string, decoded: unknown) => {
    validated.push(payload);
    decodedSeen.push(decoded);
    await options.validate?.(payload);
  };
  const validators: GossipValidators = { records: validate, training: validate, attribution: validate };
  const handlers: GossipHandlers = {
    onRecords: async (value, from) => void handled.push({ topic: "records", value, from }),
    onTraining: async (value, from) => void handled.push({ topic: "training", value, from }),
    onAttribution: async (value, from) => void handled.push({ topic: "attribution", value, from }),
  };
  const metrics: P2pMetrics = {
    onGossipValidation: (topic, outcome, code) => void counted.push({ topic, outcome, code }),
    onGossipHandlerError: () => {},
    onReqResp: () => {},
    onDiscoveryDropped: () => {},
  };
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (_: string, __?: object, err?: unknown) => void warnings.push(err),
    error: () => {},
  };
  const queue = new JobQueue(options.queueLength ?? 16, () => {});
  const validatorOf = (topic: GossipTopicName) =>
    createTopicValidator(topic, { validators, handlers, queue, logger, metrics });
  return { validated, decodedSeen, handled, counted, warnings, queue, validatorOf };
}

const message = (topic: GossipTopicName, data: Uint8Array): UnsignedMessage => ({
  type: "unsigned",
  topic: GOSSIP_TOPICS[topic],
  data,
});

const recordsPayload = (entries: Entry[] = [makeEntry(1n)]) => hexToBytes(encodeRecordsMessage(entries));

describe("p2p/gossipValidation: accept / ignore / reject (DESIGN §4, THREATS #47)", () => {
  let peer: PeerId;
  before(async () => {
    peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  });

  describe("classifyGossipError: what a validator throws → gossipsub's result", () => {
    const table: { name: string; thrown: unknown; result: TopicValidatorResult; code: string }[] = [
      {
        name: "a REJECT (a broken rule: malformed, bad signature)",
        thrown: new GossipValidationError(GossipAction.REJECT, { code: ReceiptErrorCode.SIGNATURE_S }),
        result: TopicValidatorResult.Reject,
        code: ReceiptErrorCode.SIGNATURE_S,
      },
      {
        name: "an IGNORE (unknown version, chain behind, our store down)",
        thrown: new GossipValidationError(GossipAction.IGNORE, { code: "CHAIN_BEHIND" }),
        result: TopicValidatorResult.Ignore,
        code: "CHAIN_BEHIND",
      },
      {
        name: "an unexpected TypeError",
        thrown: new TypeError("cannot read properties of undefined"),
        result: TopicValidatorResult.Ignore,
        code: GossipErrorCode.UNEXPECTED_ERROR,
      },
      {
        name: "a protocol error the validator forgot to wrap",
        thrown: new ReceiptError({ code: ReceiptErrorCode.ZERO_SEQ }),
        result: TopicValidatorResult.Ignore,
        code: GossipErrorCode.UNEXPECTED_ERROR,
      },
      {
        name: "a thrown string",
        thrown: "boom",
        result: TopicValidatorResult.Ignore,
        code: GossipErrorCode.UNEXPECTED_ERROR,
      },
      {
        name: "undefined",
        thrown: undefined,
        result: TopicValidatorResult.Ignore,
        code: GossipErrorCode.UNEXPECTED_ERROR,
      },
    ];
    for (const row of table) {
      it(`${row.name} → ${row.result} (${row.code})`, () => {
        expect(classifyGossipError(row.thrown)).to.deep.equal({ result: row.result, code: row.code });
      });
    }
  });

  describe("createTopicValidator", () => {
    it("accepts what the validator accepts and hands the decoded entries to onRecords, once", async () => {
      const h = harness();
      const entries = [makeEntry(1n), makeEntry(2n)];
      const payload = recordsPayload(entries);
      expect(await h.validatorOf("records")(peer, message("records", payload))).to.equal(TopicValidatorResult.Accept);
      await h.queue.drain();
      expect(h.validated).to.deep.equal([payload]);
      expect(h.decodedSeen, "the validator gets the decoded entries").to.deep.equal([entries]);
      expect(h.handled).to.deep.equal([{ topic: "records", value: entries, from: peer.toString() }]);
      expect(h.counted).to.deep.equal([{ topic: "records", outcome: "accept", code: "ACCEPT" }]);
    });

    it("hands onAttribution the decoded message and onTraining the payload", async () => {
      const h = harness();
      const attribution: AttributionMessage = {
        node: "0x4e0dE00000000000000000000000000000000001",
        versionId: 1n,
        epoch: 2n,
        root: `0x${"ab".repeat(32)}`,
        leaves: [{ datasetId: 1n, amount: 5n }],
        recordsRoot: `0x${"cd".repeat(32)}`,
        recordIds: [`0x${"01".repeat(32)}`],
      };
      const training = Uint8Array.from([1, 2, 3]);
      await h.validatorOf("attribution")(
        peer,
        message("attribution", hexToBytes(encodeAttributionMessage(attribution))),
      );
      await h.validatorOf("training")(peer, message("training", training));
      await h.queue.drain();
      expect(h.handled.map((x) => [x.topic, x.value])).to.deep.equal([
        ["attribution", attribution],
        ["training", training],
      ]);
    });

    it("rejects a payload over 1 MiB before any validator or decoder sees it", async () => {
      const h = harness();
      const payload = new Uint8Array(MAX_GOSSIP_MESSAGE_BYTES + 1);
      expect(await h.validatorOf("records")(peer, message("records", payload))).to.equal(TopicValidatorResult.Reject);
      expect(h.validated).to.be.empty;
      expect(h.counted).to.deep.equal([
        { topic: "records", outcome: "reject", code: GossipErrorCode.MESSAGE_TOO_LARGE },
      ]);
    });

    it("lets a payload of exactly 1 MiB through to the validator", async () => {
      const h = harness();
      const payload = new Uint8Array(MAX_GOSSIP_MESSAGE_BYTES);
      await h.validatorOf("training")(peer, message("training", payload));
      expect(h.validated).to.have.length(1);
    });

    it("maps a validator's REJECT and IGNORE to gossipsub's Reject and Ignore, with their codes", async () => {
      const h = harness({
        validate: async (payload) => {
          const action = payload[0] === 1 ? GossipAction.REJECT : GossipAction.IGNORE;
          throw new GossipValidationError(action, { code: `TEST_${action}` });
        },
      });
      const validate = h.validatorOf("training");
      expect(await validate(peer, message("training", Uint8Array.of(1)))).to.equal(TopicValidatorResult.Reject);
      expect(await validate(peer, message("training", Uint8Array.of(2)))).to.equal(TopicValidatorResult.Ignore);
      expect(h.counted.map((c) => [c.outcome, c.code])).to.deep.equal([
        ["reject", "TEST_REJECT"],
        ["ignore", "TEST_IGNORE"],
      ]);
      await h.queue.drain();
      expect(h.handled).to.be.empty;
    });

    it("ignores, never rejects, when the validator throws unexpectedly, and logs a warning with the error", async () => {
      const failure = new TypeError("store closed");
      const h = harness({
        validate: async () => {
          throw failure;
        },
      });
      expect(await h.validatorOf("records")(peer, message("records", recordsPayload()))).to.equal(
        TopicValidatorResult.Ignore,
      );
      expect(h.counted).to.deep.equal([
        { topic: "records", outcome: "ignore", code: GossipErrorCode.UNEXPECTED_ERROR },
      ]);
      expect(h.warnings).to.deep.equal([failure]);
    });

    it("rejects with the protocol's code a records payload that does not decode, before the validator sees it", async () => {
      const h = harness();
      const result = await h.validatorOf("records")(peer, message("records", Uint8Array.of(0xde, 0xad)));
      expect(result).to.equal(TopicValidatorResult.Reject);
      expect(h.validated).to.be.empty;
      expect(h.counted).to.deep.equal([
        { topic: "records", outcome: "reject", code: ReceiptErrorCode.MALFORMED_MESSAGE },
      ]);
    });

    it("rejects a non-canonical encoding of valid entries (another message id for the same entries)", async () => {
      const h = harness();
      const payload = Uint8Array.from([...recordsPayload(), 0, 0, 0, 0]);
      expect(await h.validatorOf("records")(peer, message("records", payload))).to.equal(TopicValidatorResult.Reject);
      expect(h.counted.at(-1)?.code).to.equal(ReceiptErrorCode.NON_CANONICAL_MESSAGE);
    });

    it("ignores without validating when the topic's handler queue is full (our state, not the sender's)", async () => {
      const h = harness({ queueLength: 1 });
      h.queue.push(() => new Promise(() => {}));
      expect(await h.validatorOf("records")(peer, message("records", recordsPayload()))).to.equal(
        TopicValidatorResult.Ignore,
      );
      expect(h.validated).to.be.empty;
      expect(h.counted).to.deep.equal([{ topic: "records", outcome: "ignore", code: GossipErrorCode.QUEUE_FULL }]);
    });
  });
});
