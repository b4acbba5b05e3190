import { decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes } from "viem";
import { getLaneId } from "../../protocol/index.js";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { encodeBytes32, toHex, toMillis } from "../encoding.js";
import type { LaneState } from "../types.js";
import { Repository } from "./repository.js";

/** The lane value: its key (payer, node, versionId, lane), then its counters and times (ms). */
const laneValueParameters = [
  { name: "payer", type: "address" },
  { name: "node", type: "address" },
  { name: "versionId", type: "uint256" },
  { name: "lane", type: "uint32" },
  { name: "lastSeq", type: "uint64" },
  { name: "cumulative", type: "uint128" },
  { name: "collected", type: "uint128" },
  { name: "lastRedeemedSeq", type: "uint64" },
  { name: "updatedAt", type: "uint64" },
  { name: "unredeemedSince", type: "uint64" },
] as const;

/**
 * Each lane's state by lane id (`getLaneId`, 32 bytes). Value: `abi.encode(address payer, address node, uint256
 * versionId, uint32 lane, uint64 lastSeq, uint128 cumulative, uint128 collected, uint64 lastRedeemedSeq, uint64
 * updatedAt, uint64 unredeemedSince)`, the types of the Receipt and the Settlement's `Lane`.
 */
export class LaneRepository extends Repository<Hex, LaneState> {
  constructor(db: Database) {
    super(db, Bucket.lanes);
  }

  encodeKey(laneId: Hex): Uint8Array {
    return encodeBytes32(laneId);
  }

  decodeKey(key: Uint8Array): Hex {
    return toHex(key);
  }

  /** Encodes the state; its `laneId` is the key, and follows from the lane's key fields. */
  encodeValue(state: LaneState): Uint8Array {
    return hexToBytes(
      encodeAbiParameters(laneValueParameters, [
        state.payer,
        state.node,
        state.versionId,
        state.lane,
        state.lastSeq,
        state.cumulative,
        state.collected,
        state.lastRedeemedSeq,
        BigInt(state.updatedAt),
        BigInt(state.unredeemedSince),
      ]),
    );
  }

  /** Decodes a state; its `laneId` is recomputed from the lane's key, so it always names what the value holds. */
  decodeValue(bytes: Uint8Array): LaneState {
    const [payer, node, versionId, lane, lastSeq, cumulative, collected, lastRedeemedSeq, updatedAt, unredeemedSince] =
      decodeAbiParameters(laneValueParameters, bytes);
    return {
      laneId: getLaneId(payer, node, versionId, lane),
      payer,
      node,
      versionId,
      lane,
      lastSeq,
      cumulative,
      collected,
      lastRedeemedSeq,
      updatedAt: toMillis(updatedAt),
      unredeemedSince: toMillis(unredeemedSince),
    };
  }

  /** Up to `limit` lanes in lane id order, from `after` (exclusive) on. */
  async list(limit: number, after?: Hex): Promise<LaneState[]> {
    const rows = await this.entriesWithPrefix(
      new Uint8Array(0),
      limit,
      after === undefined ? undefined : encodeBytes32(after),
    );
    return rows.map(({ value }) => value);
  }
}
