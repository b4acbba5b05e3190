import { expect } from "chai";
import {
  AttributionIndex,
  type AttributionResult,
  attribute,
  tokenize,
} from "../../../../node/src/attribution/index.js";
import {
  type ContributorShare,
  getDatasetRoot,
  normalize,
  parseDataset,
  sharesPpm,
} from "../../../../node/src/protocol/index.js";
import { buildTrainingCorpus, type TrainingCorpus } from "../../../../node/src/trainer/index.js";
import { jsonlFile } from "./helpers.js";

/**
 * The gaming cases of issue 6, each run through the real pipeline: JSONL files, `buildTrainingCorpus` (DESIGN §7
 * ownership), the index, `attribute`. Training shares are counted with the §8 tokenizer standing in for the base
 * model's (the shares' source does not change what these tests show).
 */

type Row = { instruction: string; output: string };

function dataset(datasetId: bigint, commitOrder: bigint, rows: readonly Row[]) {
  const file = jsonlFile(rows);
  return { datasetId, commitOrder, file, root: getDatasetRoot(parseDataset(file).map((s) => s.sampleHash)) };
}

function trainingShares(corpus: TrainingCorpus): ContributorShare[] {
  const counts = new Map<bigint, bigint>();
  for (const line of corpus.lines) {
    counts.set(line.datasetId, (counts.get(line.datasetId) ?? 0n) + BigInt(tokenize(normalize(line.text)).length));
  }
  return sharesPpm(counts);
}

function indexOf(corpus: TrainingCorpus, minSpan = 8): { index: AttributionIndex; shares: ContributorShare[] } {
  const shares = trainingShares(corpus);
  return {
    index: AttributionIndex.build({ versionId: 1n, samples: corpus.lines, trainingShares: shares, minSpan }),
    shares,
  };
}

function weightOf(result: AttributionResult, datasetId: bigint): number {
  const i = result.datasetIds.indexOf(datasetId);
  return i < 0 ? 0 : (result.weightsPpm[i] as number);
}

function asWeights(shares: readonly ContributorShare[]): { datasetIds: bigint[]; weightsPpm: number[] } {
  return { datasetIds: shares.map((s) => s.datasetId), weightsPpm: shares.map((s) => s.weightPpm) };
}

function weightsOf(result: AttributionResult): { datasetIds: bigint[]; weightsPpm: number[] } {
  return { datasetIds: result.datasetIds, weightsPpm: result.weightsPpm };
}

/** A rare passage: words no other sample holds in this order. */
const RARE =
  "the lighthouse keeper counted forty seven gulls before the fog rolled over the granite breakwater at dawn";
const COMMON = "thank you for your question, i hope this helps you";

const honest: Row[] = [
  { instruction: "Tell a story about a lighthouse.", output: `Once, ${RARE}.` },
  ...Array.from({ length: 20 }, (_, i) => ({
    instruction: `Answer question number ${i}.`,
    output: `The answer is ${i * 7}. ${COMMON}.`,
  })),
];

describe("attribution gaming cases (issue 6)", () => {
  it("a dataset stuffed with a common phrase earns little: rarity splits the phrase over its many holders", () => {
    const stuffer: Row[] = Array.from({ length: 5 }, (_, i) => ({
      instruction: `Filler ${i}.`,
      output: `${COMMON}. ${COMMON}! ${COMMON}?`,
    }));
    const corpus = buildTrainingCorpus({ training: [dataset(1n, 1n, honest), dataset(2n, 2n, stuffer)] });
    const { index } = indexOf(corpus);
    const result = attribute(index, `Sure. ${RARE}. ${COMMON}.`);
    const spans = result.spans.map((s) => ({ text: s.text, c: s.occurrences, datasets: s.datasets }));
    // The longest matches take the "." after them. The phrase with its "." (12 tokens) starts at 25 positions: 20
    // honest ones and the 5 stuffed ones that a "." follows.
    expect(spans).to.deep.equal([
      { text: `${RARE}.`, c: 1, datasets: [{ datasetId: 1n, count: 1 }] },
      {
        text: `${COMMON}.`,
        c: 25,
        datasets: [
          { datasetId: 1n, count: 20 },
          { datasetId: 2n, count: 5 },
        ],
      },
    ]);
    // credit_d = Σ length × floor(1e6 / c) × n_d: the stuffer gets 5/25 of one short common phrase.
    expect(result.credits).to.deep.equal([
      { datasetId: 1n, credit: 18n * 1_000_000n + 12n * 40_000n * 20n },
      { datasetId: 2n, credit: 12n * 40_000n * 5n },
    ]);
    // 8% of the credit; with the floor (a tenth of its token-stuffed training share) about 10% of the output, less than
    // the training share its stuffing bought, while the honest dataset that wrote the rare passage gets the rest.
    const { shares } = indexOf(corpus);
    const share2 = shares.find((s) => s.datasetId === 2n)?.weightPpm ?? 0;
    expect(share2).to.be.greaterThan(250_000);
    expect(weightOf(result, 2n)).to.equal(72_000 + Math.round(share2 / 10));
    expect(weightOf(result, 2n)).to.be.lessThan(share2 / 2);
    expect(weightOf(result, 1n)).to.be.greaterThan(850_000);
  });

  it("stuffing earns at most the output tokens the phrase covers: no dataset gets more than its matched share", () => {
    // Even holding every copy of the phrase, the stuffer's credit is bounded by 1e6 per output token it covers.
    const stuffer: Row[] = Array.from({ length: 30 }, (_, i) => ({
      instruction: `F${i}.`,
      output: `${COMMON} (${i})`,
    }));
    const corpus = buildTrainingCorpus({ training: [dataset(1n, 1n, honest.slice(0, 1)), dataset(2n, 2n, stuffer)] });
    const { index, shares } = indexOf(corpus);
    const result = attribute(index, `${RARE}, ${COMMON}.`);
    const credit2 = result.credits.find((c) => c.datasetId === 2n)?.credit ?? 0n;
    expect(credit2 > 0n, "the stuffer does match").to.equal(true);
    const covered = BigInt(tokenize(COMMON).length);
    expect(credit2 <= covered * 1_000_000n).to.equal(true);
    const share2 = shares.find((s) => s.datasetId === 2n)?.weightPpm ?? 0;
    // 90% × (12 of 30 matched tokens) + 10% of its training share, plus at most one rounding unit.
    expect(weightOf(result, 2n)).to.be.at.most(Math.ceil((900_000 * 12) / 30 + share2 / 10) + 1);
  });

  it("a near-copy (white space and case changed) is not in the corpus twice: the original owner is credited", () => {
    const copy: Row[] = honest.map((r) => ({
      instruction: r.instruction.toUpperCase(),
      output: `  ${r.output.replaceAll(" ", "\u00A0\t")}\n`,
    }));
    const corpus = buildTrainingCorpus({ training: [dataset(1n, 1n, honest), dataset(2n, 2n, copy)] });
    // Same sample hashes: the copy owns nothing, its samples are excluded.
    expect(corpus.lines.filter((l) => l.datasetId === 2n)).to.deep.equal([]);
    expect(corpus.datasets.find((d) => d.datasetId === 2n)?.excludedSampleHashes.length).to.equal(honest.length);
    const { index } = indexOf(corpus);
    const result = attribute(index, `As told: ${RARE.toUpperCase()}`);
    expect(result.spans.map((s) => s.datasets)).to.deep.equal([[{ datasetId: 1n, count: 1 }]]);
    expect(weightsOf(result)).to.deep.equal({ datasetIds: [1n], weightsPpm: [1_000_000] });
  });

  it("a dataset registered after training is never credited, even for an output it holds word for word", () => {
    const late: Row[] = [
      { instruction: "Late.", output: "a very specific sentence that only the late dataset has written here" },
    ];
    const corpus = buildTrainingCorpus({
      training: [dataset(1n, 1n, honest)],
      others: [
        { datasetId: 9n, commitOrder: 9n, sampleHashes: parseDataset(jsonlFile(late)).map((s) => s.sampleHash) },
      ],
    });
    expect(corpus.lines.every((l) => l.datasetId === 1n)).to.equal(true);
    const { index, shares } = indexOf(corpus);
    const result = attribute(index, late[0]?.output ?? "");
    expect(result.spans).to.deep.equal([]);
    expect(weightsOf(result)).to.deep.equal(asWeights(shares));
    expect(result.datasetIds).to.not.include(9n);
  });

  it("an output with no match falls back to the training shares", () => {
    const corpus = buildTrainingCorpus({
      training: [
        dataset(1n, 1n, honest),
        dataset(
          2n,
          2n,
          honest.map((r) => ({ ...r, instruction: `${r.instruction} (2)` })),
        ),
      ],
    });
    const { index, shares } = indexOf(corpus);
    const result = attribute(index, "Completely unrelated words about volcanoes and penguins in a long sentence.");
    expect(result.spans).to.deep.equal([]);
    expect(result.credits).to.deep.equal([]);
    expect(weightsOf(result)).to.deep.equal(asWeights(shares));
  });

  it("a private record gets the training shares, whatever its text copies", () => {
    const corpus = buildTrainingCorpus({
      training: [dataset(1n, 1n, honest), dataset(2n, 2n, [{ instruction: "x", output: "y" }])],
    });
    const { index, shares } = indexOf(corpus);
    expect(attribute(index, RARE).datasetIds).to.deep.equal([1n, 2n]);
    expect(weightOf(attribute(index, RARE), 1n)).to.be.greaterThan(shares[0]?.weightPpm ?? 0);
    const result = attribute(index, RARE, { private: true });
    expect(weightsOf(result)).to.deep.equal(asWeights(shares));
    expect(result.spans).to.deep.equal([]);
  });

  it("a flood of cheap datasets without matches earns only its floor: a tenth of its training share", () => {
    const flood = Array.from({ length: 40 }, (_, i) =>
      dataset(BigInt(100 + i), BigInt(100 + i), [{ instruction: `cheap ${i}`, output: `filler number ${i}` }]),
    );
    const corpus = buildTrainingCorpus({ training: [dataset(1n, 1n, honest), ...flood] });
    const { index, shares } = indexOf(corpus);
    const result = attribute(index, `Here it is: ${RARE}.`);
    expect(result.credits.map((c) => c.datasetId)).to.deep.equal([1n]);
    let floodTotal = 0;
    for (const { datasetId, weightPpm } of shares.filter((s) => s.datasetId >= 100n)) {
      const w = weightOf(result, datasetId);
      // Its numerator is t_d·C over 10·C·1e6: t_d / 10 ppm, give or take the rounding unit.
      expect(w, `dataset ${datasetId}`).to.be.within(Math.floor(weightPpm / 10), Math.ceil(weightPpm / 10));
      floodTotal += w;
    }
    const floodShare = shares.filter((s) => s.datasetId >= 100n).reduce((a, s) => a + s.weightPpm, 0);
    expect(floodTotal).to.be.at.most(Math.ceil(floodShare / 10) + 40);
    expect(weightOf(result, 1n)).to.be.at.least(900_000);
  });
});
