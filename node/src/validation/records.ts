import { type Address, bytesToHex, type Hex, isAddressEqual } from "viem";
import {
  checkInferenceRecord,
  decodeRecordsMessage,
  type Entry,
  getReceiptKey,
  hashOutputText,
  parseStrictSignature,
  ReceiptError,
  recoverStrictSigner,
} from "../protocol/index.js";
import {
  at,
  checkPrice,
  checkSignedReceipt,
  checkSigner,
  checkVersion,
  EscrowGuard,
  rejectOnReceiptError,
  requireSynced,
  sameHex,
} from "./checks.js";
import { DomainDigests } from "./digests.js";
import { type At, GossipAction, ValidationError, ValidationErrorCode } from "./errors.js";
import { LaneTracker } from "./lanes.js";
import { ChainReader, LaneReader } from "./reads.js";
import { withInternalErrorsIgnored } from "./receipt.js";
import type { AcceptedEntry, AcceptedRecords, SignedReceipt, SignedRecord, ValidationContext } from "./types.js";

/** An entry after the rules that need no context: its receipt digest, and whether its text did not travel. */
type Checked = { entry: Entry; where: At; receiptDigest: Hex; private: boolean };

/** A checked entry with its signers recovered. */
type Authenticated = { entry: Entry; signed: SignedReceipt; record: SignedRecord; private: boolean; where: At };

/**
 * Judges a `/olp/records/1` gossip message (DESIGN §4) before it is stored or forwarded: 1 to 256 entries of one
 * node, each a receipt that passes the receipt rules for that node's lanes (its price, continuity against what we
 * have seen) and a record signed by the node's operator that answers it. A batch with one bad entry is rejected whole;
 * REJECT wins over IGNORE, so a batch is IGNOREd only when no entry breaks a rule we can judge. Entries we already
 * hold are dropped; a batch of nothing new is IGNORE (DUPLICATE). Returns the new entries and the lane updates to
 * persist in one atomic batch; throws a {@link ValidationError}, whose `action` gossipsub gets.
 *
 * @param payload the message data as received
 * @param from the peer it came from, handed back for the caller's logs: no rule depends on who relayed it
 * @param decoded the entries `decodeRecordsMessage(payload)` already returned (the p2p layer decodes every payload
 *   before its validator runs): passing them spares a second decode, about a tenth of an entry's cost. They must be
 *   that payload's, unchanged; without them the payload is decoded here.
 */
export async function validateRecordsMessage(
  payload: Hex | Uint8Array,
  from: string,
  ctx: ValidationContext,
  decoded?: readonly Entry[],
): Promise<AcceptedRecords> {
  return withInternalErrorsIgnored(async () => {
    const entries = decoded ?? decode(typeof payload === "string" ? payload : bytesToHex(payload));
    const digests = DomainDigests.of(ctx.chain.chainId, ctx.chain.settlement);
    // Every rule that needs no context first, for every entry: cheap, and a REJECT needs no chain.
    const checked = entries.map((entry, index) => checkEntry(digests, entry, at(index)));
    const authenticated: Authenticated[] = [];
    for (const item of checked) authenticated.push(await recoverEntry(digests, item));

    const chain = new ChainReader(ctx.chain);
    const lanesRead = new LaneReader(ctx.lanes);
    await requireSynced(chain);
    // decodeRecordsMessage guarantees 1 to 256 entries, all of one node.
    const node = entries[0]?.receipt.node as Address;
    const operator = await chain.operatorOf(node);
    // [REJECT] DESIGN §4: records are signed by the operator of receipt.node, so the node is registered (THREATS #1).
    if (operator === undefined) {
      throw new ValidationError(GossipAction.REJECT, { code: ValidationErrorCode.NODE_NOT_REGISTERED, node });
    }

    const lanes = new LaneTracker(lanesRead);
    const escrow = new EscrowGuard(chain, lanesRead);
    const accepted: AcceptedEntry[] = [];
    let firstDuplicate: ValidationError | undefined;
    let cannotJudge: ValidationError | undefined;
    for (const item of authenticated) {
      const { entry, signed, record, where } = item;
      const verdict = await lanes.judge(signed, record, where);
      if (verdict.kind === "duplicate") {
        firstDuplicate ??= verdict.error;
        continue;
      }
      await checkSigner(chain, signed, where);
      // [REJECT] DESIGN §4: the record's signer is the operator address of receipt.node.
      if (!isAddressEqual(record.signer, operator)) {
        throw new ValidationError(GossipAction.REJECT, {
          code: ValidationErrorCode.RECORD_SIGNER_NOT_OPERATOR,
          node,
          operator,
          signer: record.signer,
          ...where,
        });
      }
      if (verdict.kind === "broken") throw verdict.error;
      const notYet = await checkVersion(chain, entry.receipt.versionId, where);
      if (notYet === undefined) {
        await checkPrice(chain, entry.receipt, where);
        await checkDatasets(chain, entry, where);
      } else {
        cannotJudge ??= notYet;
      }
      if (verdict.kind === "unjudgeable") {
        cannotJudge ??= verdict.error;
        continue;
      }
      await escrow.charge(entry.receipt, where);
      lanes.accept(verdict, signed, record.recordId);
      accepted.push({
        ...signed,
        receiptKey: getReceiptKey(signed.digest, signed.signer),
        laneKey: verdict.laneKey,
        record,
        outputText: entry.outputText,
        private: item.private,
      });
    }
    if (cannotJudge !== undefined) throw cannotJudge;
    if (firstDuplicate !== undefined && accepted.length === 0) throw firstDuplicate;
    return { node, from, entries: accepted, lanes: lanes.updates(), duplicates: entries.length - accepted.length };
  });
}

function decode(payload: Hex): Entry[] {
  try {
    return decodeRecordsMessage(payload);
  } catch (cause) {
    if (!(cause instanceof ReceiptError)) throw cause;
    // [REJECT] DESIGN §4: abi.encode(Entry[]), 1 to 256 entries of one node, at most 1 MiB.
    throw new ValidationError(
      GossipAction.REJECT,
      { code: ValidationErrorCode.MESSAGE_INVALID, reason: cause.type.code, detail: cause.message },
      { cause },
    );
  }
}

/** The rules of an entry that need no context. */
function checkEntry(digests: DomainDigests, entry: Entry, where: At): Checked {
  const { receipt, record, outputText } = entry;
  const receiptDigest = checkSignedReceipt(digests, receipt, entry.receiptSig, where);
  const checked = { entry, where, receiptDigest };
  // [REJECT] DESIGN §4: token counts fit, datasetIds strictly ascending, weights > 0 summing to 1,000,000.
  rejectOnReceiptError(ValidationErrorCode.RECORD_INVALID, where, () => checkInferenceRecord(record));
  // [REJECT] DESIGN §4: the record's signature is 65 bytes r‖s‖v with low s, like every signature.
  rejectOnReceiptError(ValidationErrorCode.RECORD_SIGNATURE_INVALID, where, () =>
    parseStrictSignature(entry.recordSig),
  );
  // [REJECT] DESIGN §4: receiptDigest is the receipt's full EIP-712 digest.
  if (!sameHex(record.receiptDigest, receiptDigest)) {
    throw new ValidationError(GossipAction.REJECT, {
      code: ValidationErrorCode.RECORD_RECEIPT_MISMATCH,
      expected: receiptDigest,
      found: record.receiptDigest,
      ...where,
    });
  }
  // An empty text is private mode: the outputHash of a text that did not travel cannot be recomputed (DESIGN §4).
  if (outputText === "") return { ...checked, private: true };
  const outputHash = hashOutputText(outputText);
  // [REJECT] DESIGN §4: outputHash = keccak256(utf8(output text)).
  if (!sameHex(record.outputHash, outputHash)) {
    throw new ValidationError(GossipAction.REJECT, {
      code: ValidationErrorCode.OUTPUT_HASH_MISMATCH,
      expected: outputHash,
      found: record.outputHash,
      ...where,
    });
  }
  return { ...checked, private: false };
}

/** Who signed the entry's receipt and record: the costly part (two secp256k1 recoveries), after the cheap rules. */
async function recoverEntry(digests: DomainDigests, checked: Checked): Promise<Authenticated> {
  const { entry, where, receiptDigest } = checked;
  const { receipt, receiptSig, record, recordSig } = entry;
  const signer = await recoverStrictSigner(receiptDigest, receiptSig);
  const recordId = digests.record(record);
  const recordSigner = await recoverStrictSigner(recordId, recordSig);
  return {
    entry,
    signed: { receipt, signature: receiptSig, digest: receiptDigest, signer },
    record: { record, recordSig, recordId, signer: recordSigner },
    private: checked.private,
    where,
  };
}

/** Throws REJECT unless every dataset the record credits is a training dataset of the version. */
async function checkDatasets(chain: ChainReader, entry: Entry, where: At): Promise<void> {
  const { versionId } = entry.receipt;
  const training = new Set(await chain.trainingDatasets(versionId));
  for (const datasetId of entry.record.datasetIds) {
    // [REJECT] DESIGN §8: only the version's training datasets can be credited.
    if (!training.has(datasetId)) {
      throw new ValidationError(GossipAction.REJECT, {
        code: ValidationErrorCode.DATASET_NOT_IN_VERSION,
        versionId,
        datasetId,
        ...where,
      });
    }
  }
}
