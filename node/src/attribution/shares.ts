import type { ContributorShare } from "../protocol/index.js";
import { AttributionError, AttributionErrorCode } from "./errors.js";

/** Parts per million: weights and shares sum to exactly this. */
export const PPM = 1_000_000;

/**
 * Checks training shares (DESIGN §7: ppm, summing to exactly 1,000,000, one entry per dataset) and returns them
 * ascending by id with zero shares left out, as the contributors root holds them.
 *
 * @param corpusDatasets when given, every share must name one of them: a share is a part of the corpus's tokens
 * @throws {AttributionError} `INVALID_SHARES`
 */
export function checkTrainingShares(
  shares: readonly ContributorShare[],
  corpusDatasets?: ReadonlySet<bigint>,
): ContributorShare[] {
  const seen = new Set<bigint>();
  let total = 0;
  for (const { datasetId, weightPpm } of shares) {
    if (seen.has(datasetId)) invalid(`dataset ${datasetId} appears twice`);
    seen.add(datasetId);
    if (!Number.isInteger(weightPpm) || weightPpm < 0 || weightPpm > PPM) {
      invalid(`dataset ${datasetId} has weight ${weightPpm}, expected an integer from 0 to ${PPM}`);
    }
    if (weightPpm > 0 && corpusDatasets !== undefined && !corpusDatasets.has(datasetId)) {
      invalid(`dataset ${datasetId} has a share but no sample in the corpus`);
    }
    total += weightPpm;
  }
  if (total !== PPM) invalid(`shares sum to ${total}, expected ${PPM}`);
  return shares
    .filter((s) => s.weightPpm > 0)
    .map((s) => ({ datasetId: s.datasetId, weightPpm: s.weightPpm }))
    .sort((a, b) => (a.datasetId < b.datasetId ? -1 : a.datasetId > b.datasetId ? 1 : 0));
}

function invalid(reason: string): never {
  throw new AttributionError({ code: AttributionErrorCode.INVALID_SHARES, reason });
}
