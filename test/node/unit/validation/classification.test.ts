import { expect } from "chai";
import { type Hex, zeroHash } from "viem";
import { encodeRecordsMessage, getLaneId, hashOutputText } from "../../../../node/src/protocol/index.js";
import {
  GossipAction,
  httpErrorBodyOf,
  httpStatusOf,
  ValidationError,
  ValidationErrorCode,
  validateReceipt,
  validateRecordsMessage,
} from "../../../../node/src/validation/index.js";
import {
  ACTORS,
  entryOf,
  gossipSubject,
  httpSubject,
  messageOf,
  newWorld,
  PENDING_VERSION,
  PRICE,
  REJECTED_VERSION,
  receiptOf,
  signReceipt,
  toCompact,
  UNKNOWN_VERSION,
  VERSION,
  type World,
} from "./world.js";

const { payer, node, stranger, unregistered } = ACTORS;
const { IGNORE, REJECT } = GossipAction;
const C = ValidationErrorCode;

type Row = {
  code: ValidationErrorCode;
  action: GossipAction;
  status: number;
  /** What produces it, through a validator unless the HTTP layer raises it. */
  when: string;
  run: (w: World) => Promise<unknown>;
};

/** Node A's HTTP path for a receipt signed by `account`, the request being the one the receipt hashes. */
async function http(w: World, overrides = {}, account = payer, opts = {}) {
  const receipt = receiptOf(overrides);
  const signature = await signReceipt(account, receipt);
  return validateReceipt(receipt, signature, w.ctx, {
    node: node.address,
    versionId: receipt.versionId,
    requestHash: receipt.requestHash,
    ...opts,
  });
}

const gossip = (w: World, payload: Hex) => validateRecordsMessage(payload, "peer-1", w.ctx);

/** Accepts and persists a receipt of lane 0 at `seq` through the HTTP path. */
async function held(w: World, seq: bigint): Promise<void> {
  const receipt = receiptOf({ seq });
  await httpSubject.submit(w, receipt, await signReceipt(payer, receipt));
}

/**
 * THREATS #47: every code, what it means to gossipsub (REJECT only for a broken rule; a duplicate, something we cannot
 * judge yet, and our own failures are IGNORE) and to an HTTP client. Rows produce the error through the validators.
 */
const TABLE: Row[] = [
  {
    code: C.RECEIPT_MISSING,
    action: REJECT,
    status: 402,
    when: "the HTTP layer finds no receipt header",
    run: async () => {
      throw new ValidationError(REJECT, { code: C.RECEIPT_MISSING });
    },
  },
  {
    code: C.RECEIPT_MALFORMED,
    action: REJECT,
    status: 402,
    when: "the HTTP layer cannot decode the receipt header",
    run: async () => {
      throw new ValidationError(REJECT, { code: C.RECEIPT_MALFORMED, reason: "not base64" });
    },
  },
  { code: C.RECEIPT_INVALID, action: REJECT, status: 402, when: "seq 0", run: (w) => http(w, { seq: 0n }) },
  {
    code: C.SIGNATURE_INVALID,
    action: REJECT,
    status: 402,
    when: "a 64-byte receipt signature",
    run: async (w) => {
      const receipt = receiptOf();
      const entry = await entryOf(receipt, toCompact(await signReceipt(payer, receipt)));
      return gossip(w, encodeRecordsMessage([entry]));
    },
  },
  {
    code: C.SIGNER_NOT_AUTHORIZED,
    action: REJECT,
    status: 402,
    when: "a stranger's signature",
    run: (w) => http(w, {}, stranger),
  },
  {
    code: C.WRONG_NODE,
    action: REJECT,
    status: 402,
    when: "a receipt for node B at node A",
    run: (w) => http(w, { node: ACTORS.otherNode.address }),
  },
  {
    code: C.WRONG_VERSION,
    action: REJECT,
    status: 402,
    when: "a receipt for another version than the model's",
    run: (w) => http(w, {}, payer, { versionId: PENDING_VERSION }),
  },
  {
    code: C.REQUEST_HASH_MISMATCH,
    action: REJECT,
    status: 402,
    when: "a requestHash of another body",
    run: (w) => http(w, {}, payer, { requestHash: zeroHash }),
  },
  {
    code: C.WRONG_PRICE,
    action: REJECT,
    status: 402,
    when: "a value below the price",
    run: async (w) => gossip(w, await messageOf(receiptOf({ value: PRICE - 1n }))),
  },
  {
    code: C.OVER_ESCROW,
    action: REJECT,
    status: 402,
    when: "no escrow cover",
    run: (w) => {
      w.chain.setCoverage(payer.address, node.address, 0n);
      return http(w);
    },
  },
  {
    code: C.VERSION_UNKNOWN,
    action: IGNORE,
    status: 503,
    when: "a version not indexed",
    run: async (w) => gossip(w, await messageOf(receiptOf({ versionId: UNKNOWN_VERSION }))),
  },
  {
    code: C.VERSION_PENDING,
    action: IGNORE,
    status: 503,
    when: "a pending version",
    run: async (w) => gossip(w, await messageOf(receiptOf({ versionId: PENDING_VERSION }))),
  },
  {
    code: C.VERSION_REJECTED,
    action: REJECT,
    status: 402,
    when: "a rejected version",
    run: async (w) => gossip(w, await messageOf(receiptOf({ versionId: REJECTED_VERSION }))),
  },
  {
    code: C.DUPLICATE,
    action: IGNORE,
    status: 409,
    when: "the same receipt again",
    run: async (w) => {
      await held(w, 1n);
      return http(w);
    },
  },
  {
    code: C.SEQ_GAP,
    action: IGNORE,
    status: 409,
    when: "seq 2 of an unseen lane",
    run: async (w) => gossip(w, await messageOf(receiptOf({ seq: 2n }))),
  },
  {
    code: C.SEQ_STALE,
    action: IGNORE,
    status: 409,
    when: "a pruned seq",
    run: async (w) => {
      for (const seq of [1n, 2n]) await held(w, seq);
      w.lanes.prune(getLaneId(payer.address, node.address, VERSION, 0));
      return http(w, { requestHash: zeroHash });
    },
  },
  {
    code: C.CUMULATIVE_MISMATCH,
    action: REJECT,
    status: 409,
    when: "seq 2 with the cumulative of seq 1",
    run: async (w) => {
      await held(w, 1n);
      return http(w, { seq: 2n, cumulative: PRICE });
    },
  },
  {
    code: C.EQUIVOCATION,
    action: REJECT,
    status: 409,
    when: "a second receipt for seq 1",
    run: async (w) => {
      await held(w, 1n);
      return http(w, { requestHash: zeroHash });
    },
  },
  {
    code: C.MESSAGE_INVALID,
    action: REJECT,
    status: 400,
    when: "bytes that do not decode",
    run: (w) => gossip(w, "0xdeadbeef"),
  },
  {
    code: C.NODE_NOT_REGISTERED,
    action: REJECT,
    status: 400,
    when: "records of an unregistered node",
    run: async (w) =>
      gossip(w, await messageOf(receiptOf({ node: unregistered.address }), { recordSigner: unregistered })),
  },
  {
    code: C.RECORD_INVALID,
    action: REJECT,
    status: 400,
    when: "weights summing to 999,999",
    run: async (w) => gossip(w, await messageOf(receiptOf(), { record: { weightsPpm: [700_000, 299_999] } })),
  },
  {
    code: C.RECORD_SIGNATURE_INVALID,
    action: REJECT,
    status: 400,
    when: "a 64-byte record signature",
    run: async (w) => {
      const receipt = receiptOf();
      const entry = await entryOf(receipt, await signReceipt(payer, receipt));
      return gossip(w, encodeRecordsMessage([{ ...entry, recordSig: toCompact(entry.recordSig) }]));
    },
  },
  {
    code: C.RECORD_SIGNER_NOT_OPERATOR,
    action: REJECT,
    status: 400,
    when: "a record signed by a stranger",
    run: async (w) => gossip(w, await messageOf(receiptOf(), { recordSigner: stranger })),
  },
  {
    code: C.RECORD_RECEIPT_MISMATCH,
    action: REJECT,
    status: 400,
    when: "a record naming another receipt",
    run: async (w) => gossip(w, await messageOf(receiptOf(), { record: { receiptDigest: zeroHash } })),
  },
  {
    code: C.OUTPUT_HASH_MISMATCH,
    action: REJECT,
    status: 400,
    when: "an outputHash of another text",
    run: async (w) => gossip(w, await messageOf(receiptOf(), { record: { outputHash: hashOutputText("other") } })),
  },
  {
    code: C.DATASET_NOT_IN_VERSION,
    action: REJECT,
    status: 400,
    when: "a dataset outside the version's training datasets",
    run: async (w) => gossip(w, await messageOf(receiptOf(), { record: { datasetIds: [1n, 4n] } })),
  },
  {
    code: C.RECORD_EQUIVOCATION,
    action: REJECT,
    status: 409,
    when: "a second record for a held receipt",
    run: async (w) => {
      const receipt = receiptOf();
      const signature = await signReceipt(payer, receipt);
      await gossipSubject.submit(w, receipt, signature);
      return gossip(w, encodeRecordsMessage([await entryOf(receipt, signature, { outputText: "other" })]));
    },
  },
  {
    code: C.CHAIN_NOT_SYNCED,
    action: IGNORE,
    status: 503,
    when: "our chain view behind",
    run: (w) => {
      w.chain.synced = false;
      return http(w);
    },
  },
  {
    code: C.CHAIN_UNAVAILABLE,
    action: IGNORE,
    status: 503,
    when: "our chain view throwing",
    run: async (w) => {
      w.chain.fail.add("operatorOf");
      return gossip(w, await messageOf(receiptOf()));
    },
  },
  {
    code: C.STORE_UNAVAILABLE,
    action: IGNORE,
    status: 503,
    when: "our lane store throwing",
    run: async (w) => {
      w.lanes.fail.add("unredeemed");
      return gossip(w, await messageOf(receiptOf()));
    },
  },
  {
    code: C.INTERNAL_ERROR,
    action: IGNORE,
    status: 500,
    when: "an unexpected exception",
    run: (w) => {
      w.lanes.getLane = async () => ({ seq: 1 as unknown as bigint, cumulative: 0n, receiptDigest: zeroHash });
      return http(w);
    },
  },
];

describe("validation classification table (THREATS #47)", () => {
  it("covers every code once", () => {
    expect(TABLE.map((row) => row.code)).to.have.members(Object.values(ValidationErrorCode));
  });

  for (const row of TABLE) {
    it(`${row.when} → ${row.action} ${row.code}, HTTP ${row.status}`, async () => {
      const w = newWorld();
      let thrown: unknown;
      try {
        await row.run(w);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, "expected a ValidationError").to.be.instanceOf(ValidationError);
      const error = thrown as ValidationError;
      expect(error.type.code, error.message).to.equal(row.code);
      expect(error.action).to.equal(row.action);
      expect(httpStatusOf(error)).to.equal(row.status);
      const body = JSON.parse(JSON.stringify(httpErrorBodyOf(error)));
      expect(body.error).to.include({ code: row.code, message: error.message });
    });
  }
});
