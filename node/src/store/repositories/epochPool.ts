import { type Address, decodeAbiParameters, encodeAbiParameters, getAddress, hexToBytes } from "viem";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeAddressBytes, encodeUint, joinBytes, toHex } from "../encoding.js";
import type { EpochPool } from "../types.js";
import { Repository } from "./repository.js";

/** The id of a pool (DESIGN §6): node, adapter version, epoch. */
export type PoolKey = { node: Address; versionId: bigint; epoch: bigint };

/** Length of a pool key: node (20) ‖ versionId (32) ‖ epoch (8). */
export const POOL_KEY_BYTES = 60;

/** The 60-byte key of a pool: node (20 bytes) ‖ versionId (32, big-endian) ‖ epoch (8, big-endian, uint64). */
export function encodePoolKey(pool: PoolKey): Uint8Array {
  return joinBytes(encodeAddressBytes(pool.node), encodeUint(pool.versionId, 32), encodeUint(pool.epoch, 8));
}

/** The pool of a 60-byte pool key (a key may go on after it). */
export function decodePoolKey(key: Uint8Array): PoolKey {
  if (key.length < POOL_KEY_BYTES)
    throw new RangeError(`expected a pool key of ${POOL_KEY_BYTES} bytes, found ${key.length}`);
  return {
    node: getAddress(toHex(key.subarray(0, 20))),
    versionId: decodeUint(key.subarray(20, 52)),
    epoch: decodeUint(key.subarray(52, 60)),
  };
}

const epochPoolParameters = [
  {
    name: "pool",
    type: "tuple",
    components: [
      { name: "node", type: "address" },
      { name: "versionId", type: "uint256" },
      { name: "epoch", type: "uint64" },
      { name: "amount", type: "uint128" },
      { name: "claimed", type: "uint128" },
      { name: "root", type: "bytes32" },
      { name: "recordsRoot", type: "bytes32" },
      { name: "poster", type: "address" },
      { name: "challengeEnd", type: "uint64" },
      { name: "openChallenges", type: "uint16" },
      { name: "fellBack", type: "bool" },
      { name: "bond", type: "uint256" },
    ],
  },
] as const;

/**
 * Dataset pools indexed from the Settlement, by node ‖ version id ‖ epoch (60 bytes), so a node's pools of one
 * version are contiguous and in epoch order. Value: `abi.encode((address node, uint256 versionId, uint64 epoch,
 * uint128 amount, uint128 claimed, bytes32 root, bytes32 recordsRoot, address poster, uint64 challengeEnd, uint16
 * openChallenges, bool fellBack, uint256 bond))`, the types of `ISettlement.Pool`.
 */
export class EpochPoolRepository extends Repository<PoolKey, EpochPool> {
  constructor(db: Database) {
    super(db, Bucket.epochPools);
  }

  encodeKey(pool: PoolKey): Uint8Array {
    return encodePoolKey(pool);
  }

  decodeKey(key: Uint8Array): PoolKey {
    if (key.length !== POOL_KEY_BYTES)
      throw new RangeError(`expected a ${POOL_KEY_BYTES}-byte key, found ${key.length}`);
    return decodePoolKey(key);
  }

  encodeValue(pool: EpochPool): Uint8Array {
    return hexToBytes(encodeAbiParameters(epochPoolParameters, [pool]));
  }

  decodeValue(bytes: Uint8Array): EpochPool {
    const [pool] = decodeAbiParameters(epochPoolParameters, bytes);
    return { ...pool };
  }

  /** Up to `limit` pools of `node` and `versionId`, ascending by epoch, from epoch `after` (exclusive) on. */
  async listByVersion(node: Address, versionId: bigint, limit: number, after?: bigint): Promise<EpochPool[]> {
    const prefix = joinBytes(encodeAddressBytes(node), encodeUint(versionId, 32));
    const rows = await this.entriesWithPrefix(
      prefix,
      limit,
      after === undefined ? undefined : encodePoolKey({ node, versionId, epoch: after }),
    );
    return rows.map(({ value }) => value);
  }
}
