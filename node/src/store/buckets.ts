/**
 * The buckets of the store: every key starts with one byte naming its bucket, then the record key. The numbers are
 * written to disk, so they are append-only: a bucket that is retired stays here as a comment with its number, and a
 * new bucket takes the next number, never a retired one.
 */
export enum Bucket {
  /** Schema version and the EIP-712 domain the database belongs to (`meta` keys are UTF-8 names). */
  meta = 0,
  /** Accepted entries (receipt, record, signatures, output text), by record id. */
  records = 1,
  /** The latest receipt of each lane, by lane id: what a redemption sends. */
  receipts = 2,
  /** Each lane's state (last seq, cumulative, collected on-chain, last redeemed seq, times), by lane id. */
  lanes = 3,
  /** lane id ‖ seq → record id: serves `/olp/req/records/1` by seq range. */
  laneSeqIndex = 4,
  /** Equivocation evidence, by lane id ‖ seq ‖ kind: two receipts for one (lane, seq), or two records for one receipt. */
  equivocations = 5,
  /** Adapter versions indexed from the AdapterRegistry, by version id. */
  adapters = 6,
  /** Dataset pools indexed from the Settlement, by node ‖ version id ‖ epoch. */
  epochPools = 7,
  /** `Redeemed` events of each pool, by node ‖ version id ‖ epoch ‖ block number ‖ log index. */
  epochRedemptions = 8,
  /** Arbiter challenges, by challenge id. */
  challenges = 9,
  /** subject contract ‖ subject id (a version id or a pool id) ‖ challenge id → nothing: challenges of a subject. */
  challengesBySubject = 10,
  /** Where the event indexer stopped (block number and hash), by indexer name. */
  chainCursor = 11,
  /**
   * payer ‖ node → Σ over the stored lanes of (payer, node) of `cumulative − collected`: what the payer's escrow still
   * owes for receipts stored, kept in the same batch as every lane write (schema 2). Zero totals are not stored.
   */
  owed = 12,
}

/** The name of a bucket, as errors and logs show it. */
export function getBucketName(bucket: Bucket): string {
  return Bucket[bucket] ?? `bucket${bucket}`;
}

/** The full database key of `key` in `bucket`: the bucket byte, then the record key. */
export function encodeBucketKey(bucket: Bucket, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = bucket;
  out.set(key, 1);
  return out;
}

/** Bounds that hold exactly the keys of `bucket` starting with `prefix`: `gte` and `lt` for a level iterator. */
export function getPrefixRange(
  bucket: Bucket,
  prefix: Uint8Array = new Uint8Array(0),
): { gte: Uint8Array; lt: Uint8Array } {
  const gte = encodeBucketKey(bucket, prefix);
  const lt = Uint8Array.from(gte);
  // The smallest key above every key starting with `gte`: add one to the last byte below 0xff, dropping the 0xff tail.
  let end = lt.length;
  while (end > 0 && lt[end - 1] === 0xff) end--;
  // The bucket byte is below 0xff, so `end` is at least 1.
  lt[end - 1] = (lt[end - 1] ?? 0) + 1;
  return { gte, lt: lt.slice(0, end) };
}
