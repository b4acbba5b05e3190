import type { Address } from "viem";
import { adapterRegistryAbi } from "../chain/abi/index.js";
import { type ContributorShare, contributorsRoot } from "../protocol/index.js";
import { SettleError, SettleErrorCode } from "./errors.js";
import type { SettleReader, TrainingSharesSource } from "./types.js";

/** Most versions whose checked shares are kept; the oldest is dropped first (and read again when needed). */
export const MAX_CACHED_SHARES = 256;

/**
 * A version's training shares, checked against its on-chain contributors root (DESIGN §7) before any pool is divided
 * by them: shares that do not hash to the root would make a root no claim can match. Checked shares are cached (a
 * version's contributors root never changes once it is active).
 */
export class CheckedShares {
  private readonly cache = new Map<bigint, readonly ContributorShare[]>();

  constructor(
    private readonly adapterRegistry: Address,
    private readonly modules: { reader: SettleReader; trainingShares: TrainingSharesSource },
  ) {}

  /** The training shares of `versionId`; throws SHARES_MISMATCH when they are not its contributors root's. */
  async get(versionId: bigint): Promise<readonly ContributorShare[]> {
    const cached = this.cache.get(versionId);
    if (cached !== undefined) return cached;
    const shares = await this.modules.trainingShares.getTrainingShares(versionId);
    const expected = await this.modules.reader.readContract({
      address: this.adapterRegistry,
      abi: adapterRegistryAbi,
      functionName: "contributorsRootOf",
      args: [versionId],
    });
    const found = contributorsRoot(shares);
    if (found !== expected)
      throw new SettleError({ code: SettleErrorCode.SHARES_MISMATCH, versionId, expected, found });
    if (this.cache.size >= MAX_CACHED_SHARES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(versionId, shares);
    return shares;
  }
}
