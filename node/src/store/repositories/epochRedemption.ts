import { decodeAbiParameters, encodeAbiParameters, hexToBytes } from "viem";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeUint, joinBytes } from "../encoding.js";
import type { EpochRedemption } from "../types.js";
import { decodePoolKey, encodePoolKey, POOL_KEY_BYTES, type PoolKey } from "./epochPool.js";
import { Repository } from "./repository.js";

/** The id of a redemption: its pool and where its `Redeemed` event sits in the chain. */
export type RedemptionKey = PoolKey & { blockNumber: bigint; logIndex: number };

const epochRedemptionParameters = [
  {
    name: "redemption",
    type: "tuple",
    components: [
      { name: "node", type: "address" },
      { name: "versionId", type: "uint256" },
      { name: "epoch", type: "uint64" },
      { name: "payer", type: "address" },
      { name: "lane", type: "uint32" },
      { name: "fromSeq", type: "uint64" },
      { name: "toSeq", type: "uint64" },
      { name: "cumulative", type: "uint128" },
      { name: "collected", type: "uint128" },
      { name: "datasetsPart", type: "uint128" },
      { name: "blockNumber", type: "uint64" },
      { name: "logIndex", type: "uint32" },
    ],
  },
] as const;

/**
 * The `Redeemed` events of each pool: key pool (60 bytes) ‖ block number (8, big-endian) ‖ log index (4,
 * big-endian), so a pool's redemptions are contiguous and in chain order, and the same event always lands on the
 * same key (re-indexing it is a no-op). Value: `abi.encode((address node, uint256 versionId, uint64 epoch, address
 * payer, uint32 lane, uint64 fromSeq, uint64 toSeq, uint128 cumulative, uint128 collected, uint128 datasetsPart,
 * uint64 blockNumber, uint32 logIndex))`.
 */
export class EpochRedemptionRepository extends Repository<RedemptionKey, EpochRedemption> {
  constructor(db: Database) {
    super(db, Bucket.epochRedemptions);
  }

  encodeKey(id: RedemptionKey): Uint8Array {
    return joinBytes(encodePoolKey(id), encodeUint(id.blockNumber, 8), encodeUint(id.logIndex, 4));
  }

  decodeKey(key: Uint8Array): RedemptionKey {
    if (key.length !== POOL_KEY_BYTES + 12)
      throw new RangeError(`expected a ${POOL_KEY_BYTES + 12}-byte key, found ${key.length}`);
    return {
      ...decodePoolKey(key),
      blockNumber: decodeUint(key.subarray(POOL_KEY_BYTES, POOL_KEY_BYTES + 8)),
      logIndex: Number(decodeUint(key.subarray(POOL_KEY_BYTES + 8))),
    };
  }

  encodeValue(redemption: EpochRedemption): Uint8Array {
    return hexToBytes(encodeAbiParameters(epochRedemptionParameters, [redemption]));
  }

  decodeValue(bytes: Uint8Array): EpochRedemption {
    const [redemption] = decodeAbiParameters(epochRedemptionParameters, bytes);
    return { ...redemption };
  }

  /** Up to `limit` redemptions of `pool` in chain order, from `after` (exclusive) on. */
  async listByPool(pool: PoolKey, limit: number, after?: RedemptionKey): Promise<EpochRedemption[]> {
    const rows = await this.entriesWithPrefix(
      encodePoolKey(pool),
      limit,
      after === undefined ? undefined : this.encodeKey(after),
    );
    return rows.map(({ value }) => value);
  }
}
