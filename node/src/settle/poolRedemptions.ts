import type { Address, Hex } from "viem";
import { settlementAbi } from "../chain/abi/index.js";
import { BPS, getLaneId } from "../protocol/index.js";
import {
  type EpochRedemption,
  type PoolKey,
  type Store,
  type StoredRecord,
  StoreError,
  StoreErrorCode,
} from "../store/index.js";
import { SettleError, SettleErrorCode } from "./errors.js";
import type { CoveredEntry, RedemptionWithRecords } from "./poolAttribution.js";
import type { SettleReader } from "./types.js";

/** Default most records of one pool held in memory at once. */
export const DEFAULT_MAX_POOL_RECORDS = 1_000_000;
/** Default most blocks one `eth_getLogs` asks for. */
export const DEFAULT_LOG_CHUNK_BLOCKS = 10_000n;
/** Records read per store page. */
const RECORDS_PAGE = 256;

/** `ISettlement.PoolStatus`. */
export enum PoolStatus {
  Collecting = 0,
  Posting = 1,
  Challenging = 2,
  Claimable = 3,
  Fallback = 4,
  Expired = 5,
}

/** `value`, raised to `min` when below it (bigints: `Math.max` takes numbers only). */
export function atLeast(value: bigint, min: bigint): bigint {
  if (value < min) return min;
  return value;
}

/** The pool as the Settlement holds it now (`ISettlement.Pool`). */
export type OnChainPool = {
  amount: bigint;
  claimed: bigint;
  datasetsBps: number;
  root: Hex;
  poster: Address;
  challengeEnd: bigint;
  openChallenges: number;
  fellBack: boolean;
  bond: bigint;
};

/** Where the gatherer reads. */
export type PoolReadModules = { store: Store; reader: SettleReader };

/** Where the contracts are and how far back to read logs. */
export type PoolReadOptions = {
  settlement: Address;
  /** The first block of the deployment: log scans start there. */
  deployBlock: bigint;
  /** Most records of one pool (default {@link DEFAULT_MAX_POOL_RECORDS}); more throws POOL_TOO_LARGE. */
  maxPoolRecords?: number;
  /** Most blocks per `eth_getLogs` (default {@link DEFAULT_LOG_CHUNK_BLOCKS}). */
  logChunkBlocks?: bigint;
};

/** A pool with the redemptions that filled it and the records they covered. */
export type GatheredPool = {
  key: PoolKey;
  onChain: OnChainPool;
  redemptions: RedemptionWithRecords[];
  /** `store`: the indexer's redemptions added up to the pool; `logs`: they did not, the `Redeemed` logs were read. */
  source: "store" | "logs";
};

/** Reads `ISettlement.getPool`. */
export async function readPool(reader: SettleReader, settlement: Address, key: PoolKey): Promise<OnChainPool> {
  const pool = await reader.readContract({
    address: settlement,
    abi: settlementAbi,
    functionName: "getPool",
    args: [key.node, key.versionId, key.epoch],
  });
  return {
    amount: pool.amount,
    claimed: pool.claimed,
    datasetsBps: pool.datasetsBps,
    root: pool.root,
    poster: pool.poster,
    challengeEnd: pool.challengeEnd,
    openChallenges: pool.openChallenges,
    fellBack: pool.fellBack,
    bond: pool.bond,
  };
}

/**
 * Gathers a pool's redemptions and the records each first covered. The redemptions come from the store (written by
 * the chain indexer); when their dataset parts do not add up to the pool's on-chain amount (the indexer is behind),
 * they come from the Settlement's `Redeemed` logs of the epoch instead, each dataset part computed with the pool's
 * `datasetsBps` as the contract does. Records come from the store. Throws POOL_INCOMPLETE when neither source adds up.
 */
export async function gatherPool(modules: PoolReadModules, opts: PoolReadOptions, key: PoolKey): Promise<GatheredPool> {
  const onChain = await readPool(modules.reader, opts.settlement, key);
  let source: GatheredPool["source"] = "store";
  let events = await listStoredRedemptions(modules.store, key);
  if (sumParts(events) !== onChain.amount) {
    source = "logs";
    events = await readRedeemedLogs(modules.reader, opts, key, onChain.datasetsBps);
    const found = sumParts(events);
    if (found !== onChain.amount) {
      throw new SettleError({ code: SettleErrorCode.POOL_INCOMPLETE, ...key, expected: onChain.amount, found });
    }
  }
  const max = opts.maxPoolRecords ?? DEFAULT_MAX_POOL_RECORDS;
  let held = 0;
  const redemptions: RedemptionWithRecords[] = [];
  for (const [index, event] of events.entries()) {
    const laneId = getLaneId(event.payer, event.node, event.versionId, event.lane);
    const records = await readCovered(modules.store, laneId, event.fromSeq, event.toSeq);
    held += records.length;
    if (held > max) throw new SettleError({ code: SettleErrorCode.POOL_TOO_LARGE, ...key, max });
    const from = await getCumulativeAt(modules, opts, event, events.slice(0, index), records);
    redemptions.push({
      laneId,
      fromSeq: event.fromSeq,
      toSeq: event.toSeq,
      datasetsPart: event.datasetsPart,
      coveredValue: event.cumulative - from,
      records: records.map(toCovered),
    });
  }
  return { key, onChain, redemptions, source };
}

async function listStoredRedemptions(store: Store, key: PoolKey): Promise<EpochRedemption[]> {
  const all: EpochRedemption[] = [];
  let page = await store.listEpochRedemptions(key);
  while (page.length > 0) {
    all.push(...page);
    const last = page[page.length - 1] as EpochRedemption;
    page = await store.listEpochRedemptions(key, undefined, {
      ...key,
      blockNumber: last.blockNumber,
      logIndex: last.logIndex,
    });
  }
  return all;
}

function sumParts(events: readonly EpochRedemption[]): bigint {
  return events.reduce((sum, event) => sum + event.datasetsPart, 0n);
}

/** The records of `laneId` with `fromSeq < seq ≤ toSeq` we hold (none when the lane is unknown to us). */
async function readCovered(store: Store, laneId: Hex, fromSeq: bigint, toSeq: bigint): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  let next = fromSeq + 1n;
  while (next <= toSeq) {
    let page: StoredRecord[];
    try {
      page = await store.getRecordsBySeqRange(laneId, next, toSeq, RECORDS_PAGE);
    } catch (err) {
      if (err instanceof StoreError && err.type.code === StoreErrorCode.NOT_FOUND) return records;
      throw err;
    }
    records.push(...page);
    if (page.length < RECORDS_PAGE) break;
    next = (page[page.length - 1] as StoredRecord).entry.receipt.seq + 1n;
  }
  return records;
}

function toCovered(record: StoredRecord): CoveredEntry {
  const { receipt, record: inference, outputText } = record.entry;
  return {
    recordId: record.recordId,
    seq: receipt.seq,
    value: receipt.value,
    datasetIds: inference.datasetIds,
    weightsPpm: inference.weightsPpm,
    isPrivate: outputText === "",
  };
}

/**
 * The lane's cumulative at `event.fromSeq` (0 for a first redemption): from the record at that seq, or the first
 * covered record (its cumulative less its value), or the lane's previous `Redeemed` event (in this pool, else on
 * chain), whose `toSeq` is this one's `fromSeq`.
 */
async function getCumulativeAt(
  modules: PoolReadModules,
  opts: PoolReadOptions,
  event: EpochRedemption,
  earlier: readonly EpochRedemption[],
  covered: readonly StoredRecord[],
): Promise<bigint> {
  const seq = event.fromSeq;
  if (seq === 0n) return 0n;
  const laneId = getLaneId(event.payer, event.node, event.versionId, event.lane);
  const [atFrom] = await readCovered(modules.store, laneId, seq - 1n, seq);
  if (atFrom !== undefined) return atFrom.entry.receipt.cumulative;
  const first = covered[0];
  if (first !== undefined && first.entry.receipt.seq === seq + 1n) {
    return first.entry.receipt.cumulative - first.entry.receipt.value;
  }
  const previous = [...earlier].reverse().find((e) => isSameLane(e, event) && e.toSeq === seq);
  if (previous !== undefined) return previous.cumulative;
  const fromChain = await findRedeemedAt(modules.reader, opts, event);
  if (fromChain !== undefined) return fromChain;
  throw new SettleError({ code: SettleErrorCode.CUMULATIVE_UNKNOWN, laneId, seq });
}

function isSameLane(a: EpochRedemption, b: EpochRedemption): boolean {
  return a.payer.toLowerCase() === b.payer.toLowerCase() && a.lane === b.lane;
}

type RedeemedLog = {
  args: {
    payer?: Address;
    node?: Address;
    versionId?: bigint;
    lane?: number;
    fromSeq?: bigint;
    toSeq?: bigint;
    cumulative?: bigint;
    collected?: bigint;
    epoch?: bigint;
  };
  blockNumber: bigint | null;
  logIndex: number | null;
};

/** The `Redeemed` logs of (node, versionId) in blocks `[fromBlock, toBlock]`, a chunk at a time. */
async function getRedeemedLogs(
  reader: SettleReader,
  opts: PoolReadOptions,
  args: { payer?: Address; node: Address; versionId: bigint },
  fromBlock: bigint,
  toBlock: bigint,
): Promise<RedeemedLog[]> {
  const chunk = opts.logChunkBlocks ?? DEFAULT_LOG_CHUNK_BLOCKS;
  const logs: RedeemedLog[] = [];
  for (let start = fromBlock; start <= toBlock; start += chunk) {
    const end = start + chunk - 1n < toBlock ? start + chunk - 1n : toBlock;
    const page = await reader.getContractEvents({
      address: opts.settlement,
      abi: settlementAbi,
      eventName: "Redeemed",
      args,
      fromBlock: start,
      toBlock: end,
      strict: true,
    });
    logs.push(...(page as RedeemedLog[]));
  }
  return logs;
}

/** The pool's `Redeemed` logs, in chain order, read from the blocks of its epoch. */
async function readRedeemedLogs(
  reader: SettleReader,
  opts: PoolReadOptions,
  key: PoolKey,
  datasetsBps: number,
): Promise<EpochRedemption[]> {
  const [start, end] = await getEpochBlocks(reader, opts, key.epoch);
  const logs = await getRedeemedLogs(reader, opts, { node: key.node, versionId: key.versionId }, start, end);
  return logs
    .filter((log) => log.args.epoch === key.epoch)
    .map((log) => {
      const collected = log.args.collected ?? 0n;
      return {
        node: key.node,
        versionId: key.versionId,
        epoch: key.epoch,
        payer: log.args.payer as Address,
        lane: log.args.lane ?? 0,
        fromSeq: log.args.fromSeq ?? 0n,
        toSeq: log.args.toSeq ?? 0n,
        cumulative: log.args.cumulative ?? 0n,
        collected,
        datasetsPart: (collected * BigInt(datasetsBps)) / BPS,
        blockNumber: log.blockNumber ?? 0n,
        logIndex: log.logIndex ?? 0,
      };
    });
}

/** The cumulative of the lane's `Redeemed` event whose `toSeq` is `event.fromSeq`, read from the chain. */
async function findRedeemedAt(
  reader: SettleReader,
  opts: PoolReadOptions,
  event: EpochRedemption,
): Promise<bigint | undefined> {
  const logs = await getRedeemedLogs(
    reader,
    opts,
    { payer: event.payer, node: event.node, versionId: event.versionId },
    opts.deployBlock,
    event.blockNumber,
  );
  const match = logs.find((log) => log.args.lane === event.lane && log.args.toSeq === event.fromSeq);
  return match?.args.cumulative;
}

/** The blocks of `epoch`: from the first with a timestamp at its start to the last before its end. */
async function getEpochBlocks(reader: SettleReader, opts: PoolReadOptions, epoch: bigint): Promise<[bigint, bigint]> {
  const [genesis, length] = await Promise.all([
    reader.readContract({ address: opts.settlement, abi: settlementAbi, functionName: "genesisTime" }),
    reader.readContract({ address: opts.settlement, abi: settlementAbi, functionName: "epochLength" }),
  ]);
  const startTime = genesis + epoch * length;
  const latest = await reader.getBlockNumber();
  const first = await findFirstBlockAt(reader, opts.deployBlock, latest, startTime);
  const afterEnd = await findFirstBlockAt(reader, first, latest, startTime + length);
  return [first, afterEnd - 1n];
}

/** The first block in `[low, high]` with a timestamp ≥ `time` (`high + 1` when none): a binary search. */
async function findFirstBlockAt(reader: SettleReader, low: bigint, high: bigint, time: bigint): Promise<bigint> {
  let lo = low;
  let hi = high + 1n;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    const block = await reader.getBlock({ blockNumber: mid });
    if (block.timestamp >= time) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}
