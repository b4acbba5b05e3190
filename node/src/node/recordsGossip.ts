import { GossipAction, GossipValidationError, type GossipValidatorFn } from "../p2p/index.js";
import type { Entry } from "../protocol/index.js";
import type { Store } from "../store/index.js";
import {
  type AcceptedEntry,
  type AcceptedRecords,
  GossipAction as ValidationAction,
  type ValidationContext,
  ValidationError,
  ValidationErrorCode,
  validateRecordsMessage,
} from "../validation/index.js";

/** What the records glue reports, for logs and the auditor. */
export interface RecordsGossipLogger {
  debug(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
}

/** The code a store failure is ignored with: our own failure never costs the sender (DESIGN §4). */
export const STORE_WRITE_FAILED = "NODE_ERROR_STORE_WRITE_FAILED";

/** The gossip Entry an accepted entry was decoded from. */
export function toEntry(accepted: AcceptedEntry): Entry {
  return {
    receipt: accepted.receipt,
    receiptSig: accepted.signature,
    record: accepted.record.record,
    recordSig: accepted.record.recordSig,
    outputText: accepted.outputText,
  };
}

/**
 * The `/olp/records/1` validator: judges the message with the validation module and, when it passes, persists its
 * new entries in one atomic batch BEFORE returning ACCEPT, so a message we forward is a message we hold (a crash after
 * this point loses nothing we vouched for). Equivocation evidence is kept when validation finds it. A store failure
 * is IGNORE (our fault, not the sender's).
 *
 * Messages of one node are judged one at a time, in arrival order: judged concurrently, a lane's next message could
 * be checked before the previous one is stored and be ignored as a gap (SEQ_GAP), and an ignored message is not sent
 * again. The queue per node is bounded by gossipsub's own validation queue.
 */
export function createRecordsValidator(modules: {
  ctx: ValidationContext;
  store: Store;
  logger: RecordsGossipLogger;
}): GossipValidatorFn<Entry[]> {
  const { ctx, store, logger } = modules;
  const tails = new Map<string, Promise<void>>();
  const validate = async (payload: Uint8Array, from: string, entries: Entry[] | undefined): Promise<void> => {
    let accepted: AcceptedRecords;
    try {
      accepted = await validateRecordsMessage(payload, from, ctx, entries);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err; // counts as IGNORE in the p2p layer
      if (
        err.type.code === ValidationErrorCode.EQUIVOCATION ||
        err.type.code === ValidationErrorCode.RECORD_EQUIVOCATION
      ) {
        logger.warn("equivocation in a records message", {
          from,
          laneKey: err.type.evidence.laneKey,
          seq: err.type.evidence.seq,
        });
      }
      const action = err.action === ValidationAction.REJECT ? GossipAction.REJECT : GossipAction.IGNORE;
      throw new GossipValidationError(action, { code: err.type.code }, { cause: err });
    }
    try {
      await store.acceptDigestedEntries(
        accepted.entries.map((e) => ({
          entry: toEntry(e),
          recordId: e.record.recordId,
          receiptDigest: e.digest,
          receiptSigner: e.signer,
        })),
      );
    } catch (err) {
      logger.warn("records message accepted but not stored: ignored", { from, entries: accepted.entries.length }, err);
      throw new GossipValidationError(GossipAction.IGNORE, { code: STORE_WRITE_FAILED }, { cause: err });
    }
    logger.debug("records accepted", { from, entries: accepted.entries.length, duplicates: accepted.duplicates });
  };
  return (payload, from, entries) => {
    const node = entries?.[0]?.receipt.node.toLowerCase();
    if (node === undefined) return validate(payload, from, entries);
    const previous = tails.get(node) ?? Promise.resolve();
    const run = previous.then(() => validate(payload, from, entries));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(node, tail);
    void tail.then(() => {
      if (tails.get(node) === tail) tails.delete(node);
    });
    return run;
  };
}
