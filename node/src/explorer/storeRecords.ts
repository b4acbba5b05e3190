import type { Hex } from "viem";
import type { Entry } from "../protocol/index.js";
import type { ExplorerRecord, ExplorerRecordSource, ExplorerSpan } from "./types.js";

/** What {@link storeRecordSource} needs of the node's `Store` (docs/store.md): point reads and the id-ordered scan. */
export type RecordStoreLike = {
  getRecord(recordId: Hex): Promise<{ recordId: Hex; entry: Entry; receivedAt: number } | undefined>;
  readonly records: {
    list(limit: number, after?: Hex): Promise<{ id: Hex; value: { entry: Entry; receivedAt: number } }[]>;
  };
};

/** Spans of one record, from the attribution module when it has them. */
export type SpansOf = (record: { recordId: Hex; entry: Entry }) => Promise<readonly ExplorerSpan[] | undefined>;

/**
 * Adapts the node's store to {@link ExplorerRecordSource}: pages in record-id order (`records.list`), and spans from
 * `spansOf` when given.
 */
export function storeRecordSource(store: RecordStoreLike, spansOf?: SpansOf): ExplorerRecordSource {
  const view = async (recordId: Hex, entry: Entry, receivedAt: number): Promise<ExplorerRecord> => {
    const spans = spansOf === undefined ? undefined : await spansOf({ recordId, entry });
    return spans === undefined ? { recordId, entry, receivedAt } : { recordId, entry, receivedAt, spans };
  };
  return {
    async listRecords({ after, limit }) {
      const rows = await store.records.list(limit, after);
      const records = await Promise.all(rows.map((r) => view(r.id, r.value.entry, r.value.receivedAt)));
      const last = rows[rows.length - 1];
      return rows.length === limit && last !== undefined ? { records, next: last.id } : { records };
    },
    async getRecord(recordId) {
      const stored = await store.getRecord(recordId);
      return stored === undefined ? undefined : view(stored.recordId, stored.entry, stored.receivedAt);
    },
  };
}
