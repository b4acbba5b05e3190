import { getAddress, isAddress } from "viem";
import { LaneError, LaneErrorCode } from "./errors.js";
import type { Lane } from "./types.js";

const MAX_UINT32 = 2 ** 32 - 1;
const MAX_UINT256 = 2n ** 256n - 1n;

/**
 * Checks a lane's fields against their Solidity types (addresses, `versionId` in [1, 2^256), `lane` a uint32) and
 * returns it with checksummed addresses, the one form the SDK stores and signs. Throws a {@link LaneError}.
 */
export function checkLane(lane: Lane): Lane {
  const invalid = (reason: string) => new LaneError({ code: LaneErrorCode.INVALID_LANE, lane, reason });
  if (!isAddress(lane.payer, { strict: false })) throw invalid("payer is not an address");
  if (!isAddress(lane.node, { strict: false })) throw invalid("node is not an address");
  // Ids start at 1; 0 means none (DESIGN §3), and the Settlement pays only active versions.
  if (lane.versionId < 1n || lane.versionId > MAX_UINT256) throw invalid("versionId is not in [1, 2^256)");
  if (!Number.isInteger(lane.lane) || lane.lane < 0 || lane.lane > MAX_UINT32) {
    throw invalid("lane is not a uint32");
  }
  return { payer: getAddress(lane.payer), node: getAddress(lane.node), versionId: lane.versionId, lane: lane.lane };
}
