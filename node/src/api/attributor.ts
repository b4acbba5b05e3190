import { RECORD_WEIGHT_TOTAL } from "../protocol/index.js";

/** A span of the output credited to datasets (DESIGN §8); the explorer shows them. */
export type AttributionSpan = { start: number; end: number; datasetIds: readonly bigint[] };

/** What a record credits: dataset ids strictly ascending, weights in ppm > 0 summing to 1,000,000 (DESIGN §4). */
export type Attribution = { datasetIds: bigint[]; weightsPpm: number[]; spans?: AttributionSpan[] };

/**
 * Credits an output to the version's datasets (DESIGN §8). A private output's weights must be the version's training
 * shares (DESIGN §4): the attribution module's implementation plugs in here.
 */
export interface Attributor {
  attribute(versionId: bigint, outputText: string, options: { private: boolean }): Promise<Attribution>;
}

/** A version's training shares in ppm (DESIGN §7/§8), or undefined when unknown. */
export type TrainingSharesLookup = (versionId: bigint) => Promise<Attribution | undefined> | Attribution | undefined;

/**
 * The attribution every record may fall back to: the version's training shares, whatever the output (DESIGN §8 "with
 * no span, or for a private record, the weights are the training shares"). Used until the span attributor is wired,
 * and for failed requests and private ones. Checks the shares' shape so a bad lookup cannot sign a bad record.
 */
export class TrainingSharesAttributor implements Attributor {
  constructor(private readonly lookup: TrainingSharesLookup) {}

  async attribute(versionId: bigint): Promise<Attribution> {
    const shares = await this.lookup(versionId);
    if (shares === undefined) throw new Error(`no training shares known for version ${versionId}`);
    checkAttribution(shares, versionId);
    return { datasetIds: [...shares.datasetIds], weightsPpm: [...shares.weightsPpm] };
  }
}

/** [DESIGN §4] ≥ 1 dataset, ids strictly ascending, weights > 0 summing to exactly 1,000,000. */
export function checkAttribution(a: Attribution, versionId: bigint): void {
  const fail = (why: string): never => {
    throw new Error(`attribution of version ${versionId}: expected ${why}`);
  };
  if (a.datasetIds.length === 0 || a.datasetIds.length !== a.weightsPpm.length) {
    fail(`≥ 1 dataset and one weight each, found ${a.datasetIds.length} ids and ${a.weightsPpm.length} weights`);
  }
  let total = 0;
  a.datasetIds.forEach((id, i) => {
    const previous = a.datasetIds[i - 1];
    if (previous !== undefined && id <= previous) fail(`ids strictly ascending, found ${id} after ${previous}`);
    const w = a.weightsPpm[i] ?? 0;
    if (!Number.isInteger(w) || w <= 0) fail(`weights > 0, found ${w} for dataset ${id}`);
    total += w;
  });
  if (BigInt(total) !== BigInt(RECORD_WEIGHT_TOTAL)) fail(`weights summing to ${RECORD_WEIGHT_TOTAL}, found ${total}`);
}
