import { readFileSync } from "node:fs";
import { expect } from "chai";
import {
  AttributionErrorCode,
  AttributionIndex,
  attribute,
  buildSuffixArray,
  encodeIndex,
  tokenize,
} from "../../../../node/src/attribution/index.js";
import { hashSample, normalize } from "../../../../node/src/protocol/index.js";
import { buildIndex, expectAttributionError, prng, sample, shares } from "./helpers.js";
import { referenceAttribute } from "./reference.js";

interface Vector {
  name: string;
  inputs: {
    text?: string;
    corpus?: { datasetId: string; text: string }[];
    trainingShares?: { datasetId: string; weightPpm: number }[];
    minSpan?: number;
    output?: string;
    private?: boolean;
  };
  outputs: Record<string, unknown>;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL("../../../vectors/attribution-spans.json", import.meta.url), "utf8"),
) as Vector[];

/** The vector's outputs with bigints as decimal strings, as the file holds them. */
function asJson(result: ReturnType<typeof attribute>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(
      {
        spans: result.spans,
        credits: result.credits,
        datasetIds: result.datasetIds,
        weightsPpm: result.weightsPpm,
      },
      (_key, value) => (typeof value === "bigint" ? value.toString() : value),
    ),
  ) as Record<string, unknown>;
}

describe("attribution (DESIGN §8)", () => {
  describe("golden vectors (test/vectors/attribution-spans.json)", () => {
    it("holds tokenization and attribution vectors", () => {
      expect(vectors.filter((v) => v.name.startsWith("tokenize:")).length).to.be.greaterThan(5);
      expect(vectors.filter((v) => v.name.startsWith("attribute:")).length).to.be.greaterThan(10);
    });

    for (const v of vectors.filter((v) => v.name.startsWith("tokenize:"))) {
      it(v.name, () => {
        const normalized = normalize(v.inputs.text as string);
        expect(normalized).to.equal(v.outputs.normalized);
        expect(tokenize(normalized)).to.deep.equal(v.outputs.tokens);
      });
    }

    for (const v of vectors.filter((v) => v.name.startsWith("attribute:"))) {
      it(v.name, () => {
        const samples = (v.inputs.corpus ?? []).map((s) => sample(BigInt(s.datasetId), s.text));
        const trainingShares = (v.inputs.trainingShares ?? []).map((s) => ({
          datasetId: BigInt(s.datasetId),
          weightPpm: s.weightPpm,
        }));
        const index = buildIndex(samples, trainingShares, v.inputs.minSpan);
        const result = attribute(index, v.inputs.output as string, { private: v.inputs.private === true });
        expect(asJson(result)).to.deep.equal(v.outputs);
        expect(result.weightsPpm.reduce((a, b) => a + b, 0)).to.equal(1_000_000);
        if (v.inputs.private !== true) {
          // The brute-force reading of §8 agrees, so the vectors do not merely echo the suffix array.
          const ref = referenceAttribute(
            samples,
            trainingShares,
            v.inputs.output as string,
            v.inputs.minSpan as number,
          );
          expect(ref.datasetIds).to.deep.equal(result.datasetIds);
          expect(ref.weightsPpm).to.deep.equal(result.weightsPpm);
          expect(ref.credits).to.deep.equal(result.credits);
        }
      });
    }
  });

  describe("suffix array", () => {
    it("equals a comparison sort of the suffixes, repeats and separators included", () => {
      const rand = prng(7);
      for (const [n, upper] of [
        [1, 0],
        [2, 1],
        [39, 2],
        [41, 1],
        [500, 3],
        [2000, 50],
        [3000, 0],
      ] as const) {
        const s = Int32Array.from({ length: n }, () => Math.floor(rand() * (upper + 1)));
        const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
          for (let k = 0; a + k < n && b + k < n; k++)
            if (s[a + k] !== s[b + k]) return (s[a + k] ?? 0) - (s[b + k] ?? 0);
          return b - a;
        });
        expect([...buildSuffixArray(s, upper)], `n=${n} upper=${upper}`).to.deep.equal(expected);
      }
    });
  });

  describe("index", () => {
    const corpus = [
      sample(2n, "the cat sat on the mat"),
      sample(1n, "The cat sat on the hat"),
      sample(1n, "a dog sat on the mat"),
    ];
    const half = shares([1n, 500_000], [2n, 500_000]);

    it("counts c and each dataset's n_d for any token sequence", () => {
      const index = buildIndex(corpus, half);
      expect(index.getOccurrences(tokenize("sat on the"))).to.deep.equal({
        occurrences: 3,
        datasets: [
          { datasetId: 1n, count: 2 },
          { datasetId: 2n, count: 1 },
        ],
      });
      expect(index.getOccurrences(tokenize("the cat"))).to.deep.equal({
        occurrences: 2,
        datasets: [
          { datasetId: 1n, count: 1 },
          { datasetId: 2n, count: 1 },
        ],
      });
      expect(index.getOccurrences(tokenize("the"))).to.deep.include({ occurrences: 5 });
      // "mat" ends one sample and "a" starts the next: no sequence crosses two samples.
      expect(index.getOccurrences(tokenize("hat a dog"))).to.deep.equal({ occurrences: 0, datasets: [] });
      expect(index.getOccurrences(tokenize("unicorn"))).to.deep.equal({ occurrences: 0, datasets: [] });
    });

    it("builds the same bytes twice and from the samples in any order", () => {
      const a = encodeIndex(buildIndex(corpus, half));
      const b = encodeIndex(buildIndex([...corpus].reverse(), [...half].reverse()));
      expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
      expect(Buffer.from(encodeIndex(buildIndex(corpus, half))).equals(Buffer.from(a))).to.equal(true);
    });

    it("refuses a corpus that breaks §7 or shares that break §7", () => {
      expectAttributionError(() => buildIndex([], half), AttributionErrorCode.INVALID_CORPUS);
      expectAttributionError(
        () => buildIndex([...corpus, sample(2n, "a  DOG sat on the mat")], half),
        AttributionErrorCode.INVALID_CORPUS,
        {
          reason: `sample ${hashSample("a dog sat on the mat")} appears twice`,
        },
      );
      expectAttributionError(
        () => buildIndex([sample(0n, "x")], shares([0n, 1_000_000])),
        AttributionErrorCode.INVALID_CORPUS,
      );
      expectAttributionError(
        () => buildIndex([{ datasetId: 1n, sampleHash: hashSample("other"), text: "this" }], shares([1n, 1_000_000])),
        AttributionErrorCode.SAMPLE_HASH_MISMATCH,
        { datasetId: 1n, expected: hashSample("other"), found: hashSample("this") },
      );
      expectAttributionError(
        () => buildIndex(corpus, shares([1n, 500_000], [2n, 499_999])),
        AttributionErrorCode.INVALID_SHARES,
        {
          reason: "shares sum to 999999, expected 1000000",
        },
      );
      // A share is a part of the corpus's tokens: a dataset without a sample cannot hold one.
      expectAttributionError(
        () => buildIndex(corpus, shares([1n, 500_000], [3n, 500_000])),
        AttributionErrorCode.INVALID_SHARES,
        { reason: "dataset 3 has a share but no sample in the corpus" },
      );
      expectAttributionError(() => buildIndex(corpus, half, 0), AttributionErrorCode.INVALID_MIN_SPAN, { minSpan: 0 });
      expectAttributionError(
        () => buildIndex([sample(1n, "x")], shares([1n, 1_000_000]), 1.5),
        AttributionErrorCode.INVALID_MIN_SPAN,
      );
    });

    it("skips the hash check only when asked, for a corpus already checked", () => {
      const unchecked = AttributionIndex.build({
        versionId: 1n,
        samples: [{ datasetId: 1n, sampleHash: hashSample("other"), text: "this" }],
        trainingShares: shares([1n, 1_000_000]),
        checkSampleHashes: false,
      });
      expect(unchecked.sampleCount).to.equal(1);
    });
  });

  describe("attribute", () => {
    it("agrees with the brute-force reading of §8 on random corpora, weights always summing to 1,000,000", () => {
      const rand = prng(42);
      const words = "a b c d e f g h i j k l".split(" ");
      let spans = 0;
      let shared = 0;
      for (let round = 0; round < 40; round++) {
        const datasetCount = 1 + Math.floor(rand() * 4);
        const texts = new Set<string>();
        const samples = [];
        for (let k = 0; k < 3 + Math.floor(rand() * 8); k++) {
          const length = 3 + Math.floor(rand() * 25);
          // A small alphabet makes repeats, so c > 1 and ties are common.
          const text = Array.from({ length }, () => words[Math.floor(rand() * 4 + (k % 3))]).join(" ");
          if (texts.has(text)) continue;
          texts.add(text);
          samples.push(sample(BigInt(1 + (k % datasetCount)), text));
        }
        const ids = [...new Set(samples.map((s) => s.datasetId))];
        const first = 1_000_000 - Math.floor(1_000_000 / ids.length) * (ids.length - 1);
        const trainingShares = ids.map((datasetId, i) => ({
          datasetId,
          weightPpm: i === 0 ? first : Math.floor(1_000_000 / ids.length),
        }));
        const minSpan = 2 + Math.floor(rand() * 4);
        const pick = samples[Math.floor(rand() * samples.length)]?.text ?? "";
        const output = `${words[Math.floor(rand() * 12)]} ${pick} ${words[Math.floor(rand() * 12)]} ${pick.split(" ").reverse().join(" ")}`;
        const index = buildIndex(samples, trainingShares, minSpan);
        const result = attribute(index, output);
        const ref = referenceAttribute(samples, trainingShares, output, minSpan);
        expect(
          result.spans.map(({ text: _t, ...rest }) => rest),
          `round ${round}`,
        ).to.deep.equal(ref.spans);
        expect(result.credits, `round ${round}`).to.deep.equal(ref.credits);
        expect(result.datasetIds, `round ${round}`).to.deep.equal(ref.datasetIds);
        expect(result.weightsPpm, `round ${round}`).to.deep.equal(ref.weightsPpm);
        expect(result.weightsPpm.reduce((a, b) => a + b, 0)).to.equal(1_000_000);
        expect(result.weightsPpm.every((w) => w > 0)).to.equal(true);
        spans += result.spans.length;
        shared += result.spans.filter((s) => s.occurrences > 1).length;
      }
      // Not vacuous: spans were found, some of them at several corpus positions.
      expect(spans).to.be.greaterThan(40);
      expect(shared).to.be.greaterThan(10);
    });

    it("shows each span as the normalized output text it covers", () => {
      const index = buildIndex([sample(1n, "Hello,   world! This is a test.")], shares([1n, 1_000_000]), 3);
      const result = attribute(index, "Say: HELLO, world!\n\tThis is new");
      expect(result.spans).to.deep.equal([
        {
          startToken: 2,
          endToken: 8,
          text: "hello, world! this is",
          occurrences: 1,
          datasets: [{ datasetId: 1n, count: 1 }],
        },
      ]);
    });

    it("takes minSpan and shares from the call over the index's", () => {
      const index = buildIndex(
        [sample(1n, "one two three"), sample(2n, "four five six")],
        shares([1n, 1], [2n, 999_999]),
      );
      expect(attribute(index, "one two three").datasetIds).to.deep.equal([1n, 2n]); // no span at 8: the shares
      expect(attribute(index, "one two three").weightsPpm).to.deep.equal([1, 999_999]);
      const result = attribute(index, "one two three", {
        minSpan: 3,
        trainingSharesPpm: shares([1n, 500_000], [2n, 500_000]),
      });
      expect(result.weightsPpm).to.deep.equal([950_000, 50_000]);
      expectAttributionError(() => attribute(index, "x", { minSpan: 0 }), AttributionErrorCode.INVALID_MIN_SPAN);
      expectAttributionError(
        () => attribute(index, "x", { trainingSharesPpm: shares([1n, 1]) }),
        AttributionErrorCode.INVALID_SHARES,
      );
    });
  });
});
