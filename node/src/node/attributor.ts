import type { Attribution, Attributor } from "../api/index.js";
import type { AttributionService } from "../attribution/index.js";
import type { ContributorShare } from "../protocol/index.js";

/** A version's training shares, for records the index cannot judge. */
export type SharesOf = (versionId: bigint) => readonly ContributorShare[] | undefined;

/**
 * The node's attributor: DESIGN §8 spans over the version's index when the node holds one, else the training shares
 * (what §8 gives an output with no span, and what a private record always gets). A version this node holds no
 * shares for cannot be attributed at all: the record is refused rather than signed with made-up weights.
 */
export class NodeAttributor implements Attributor {
  constructor(
    private readonly service: AttributionService,
    private readonly sharesOf: SharesOf,
    private readonly indexed: ReadonlySet<bigint>,
  ) {}

  async attribute(versionId: bigint, outputText: string, options: { private: boolean }): Promise<Attribution> {
    if (this.indexed.has(versionId)) {
      const result = await this.service.attribute(versionId, outputText, options);
      return {
        datasetIds: [...result.datasetIds],
        weightsPpm: [...result.weightsPpm],
        spans: result.spans.map((s) => ({
          start: s.startToken,
          end: s.endToken,
          datasetIds: s.datasets.map((d) => d.datasetId),
        })),
      };
    }
    const shares = this.sharesOf(versionId);
    if (shares === undefined) throw new Error(`no training shares held for version ${versionId}`);
    const positive = shares.filter((s) => s.weightPpm > 0);
    return { datasetIds: positive.map((s) => s.datasetId), weightsPpm: positive.map((s) => s.weightPpm) };
  }
}
