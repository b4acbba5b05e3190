import { expect } from "chai";
import { keccak256, toHex, zeroHash } from "viem";
import { buildAttributionTree, getRecordsRoot } from "../../../../node/src/protocol/index.js";
import {
  type CoveredEntry,
  computePoolAttribution,
  getDatasetAmounts,
  type RedemptionWithRecords,
} from "../../../../node/src/settle/index.js";

const SHARES = [
  { datasetId: 1n, weightPpm: 750_000 },
  { datasetId: 2n, weightPpm: 250_000 },
];
const LANE = keccak256(toHex("lane"));

function record(
  seq: bigint,
  datasetIds: bigint[],
  weightsPpm: number[],
  extra: Partial<CoveredEntry> = {},
): CoveredEntry {
  return {
    recordId: keccak256(toHex(`record ${seq}`)),
    seq,
    value: 100n,
    datasetIds,
    weightsPpm,
    isPrivate: false,
    ...extra,
  };
}

function redemption(
  fromSeq: bigint,
  toSeq: bigint,
  datasetsPart: bigint,
  records: CoveredEntry[],
  coveredValue = (toSeq - fromSeq) * 100n,
): RedemptionWithRecords {
  return { laneId: LANE, fromSeq, toSeq, datasetsPart, coveredValue, records };
}

describe("computePoolAttribution (DESIGN §6)", () => {
  it("divides each redemption by Σ value × weightPpm of the records it first covered", () => {
    const result = computePoolAttribution(
      [redemption(0n, 2n, 1_000n, [record(1n, [1n], [1_000_000]), record(2n, [1n, 3n], [500_000, 500_000])])],
      SHARES,
    );
    expect(result.tree.leaves).to.deep.equal([
      { datasetId: 1n, amount: 750n },
      { datasetId: 3n, amount: 250n },
    ]);
    expect(result.recordIds).to.deep.equal(
      [record(1n, [], []).recordId, record(2n, [], []).recordId].map((id) => id.toLowerCase()).sort(),
    );
    expect(result.recordsRoot).to.equal(getRecordsRoot(result.recordIds));
    expect(result.missingSeqs).to.equal(0n);
  });

  it("weighs covered seqs without a record, private records and invalid records by the training shares", () => {
    const result = computePoolAttribution(
      [
        redemption(0n, 4n, 4_000n, [
          record(1n, [3n], [1_000_000]),
          record(2n, [3n], [1_000_000], { isPrivate: true }),
          record(3n, [3n], [999_999]), // weights not summing to 1e6: not a valid record
          // seq 4: no record held
        ]),
      ],
      SHARES,
    );
    // 1/4 to dataset 3; 3/4 by the shares: 2,250 to 1 and 750 to 2.
    expect(result.tree.leaves).to.deep.equal([
      { datasetId: 1n, amount: 2_250n },
      { datasetId: 2n, amount: 750n },
      { datasetId: 3n, amount: 1_000n },
    ]);
    expect(result.missingSeqs).to.equal(2n); // the invalid one and the absent one
    expect(result.privateRecords).to.equal(1);
    expect(result.recordIds).to.have.length(2); // counted: the valid one and the private one
  });

  it("weighs a top-up that covered no seq by the training shares, and ignores records outside its range", () => {
    const result = computePoolAttribution([redemption(5n, 5n, 1_001n, [record(5n, [3n], [1_000_000])], 0n)], SHARES);
    // 1,001 × 0.75 = 750.75 and 250.25: the unit left goes to the larger remainder.
    expect(result.tree.leaves).to.deep.equal([
      { datasetId: 1n, amount: 751n },
      { datasetId: 2n, amount: 250n },
    ]);
    expect(result.recordIds).to.deep.equal([]);
    expect(result.recordsRoot).to.equal(zeroHash);
  });

  it("sums redemptions and keeps the total equal to the dataset parts, so the Settlement accepts it", () => {
    const parts = [333n, 334n, 1n];
    const result = computePoolAttribution(
      parts.map((part, i) =>
        redemption(BigInt(i), BigInt(i + 1), part, [record(BigInt(i + 1), [1n, 2n, 3n], [333_333, 333_333, 333_334])]),
      ),
      SHARES,
    );
    expect(result.tree.total).to.equal(668n);
    expect(result.tree.root).to.equal(buildAttributionTree(result.tree.leaves).root);
  });

  it("gives each dataset's share in ppm", () => {
    expect(
      getDatasetAmounts([
        { datasetId: 1n, amount: 1n },
        { datasetId: 2n, amount: 2n },
      ]),
    ).to.deep.equal([
      { datasetId: 1n, amount: 1n, share: 333_333 },
      { datasetId: 2n, amount: 2n, share: 666_666 },
    ]);
  });
});
