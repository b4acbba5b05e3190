import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Registry } from "prom-client";
import {
  AttributionErrorCode,
  type AttributionMetrics,
  AttributionService,
  createAttributionMetrics,
} from "../../../../node/src/attribution/index.js";
import { expectRejectedWithCode, sample, shares } from "./helpers.js";

const corpus = [
  sample(1n, "to be or not to be, that is the question whether tis nobler in the mind"),
  sample(2n, "all the world's a stage, and all the men and women merely players"),
];
const trainingShares = shares([1n, 400_000], [2n, 600_000]);
const output = "He said: all the world's a stage, and all the men and women merely players. Indeed.";

async function counter(metrics: AttributionMetrics, name: keyof AttributionMetrics, labels?: object): Promise<number> {
  const values = (await metrics[name].get()).values;
  const match = values.find((v) => labels === undefined || JSON.stringify(v.labels) === JSON.stringify(labels));
  return match?.value ?? 0;
}

describe("AttributionService", () => {
  let dir: string;
  let metrics: AttributionMetrics;
  let service: AttributionService;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "olp-attribution-service-"));
    metrics = createAttributionMetrics(new Registry());
    service = new AttributionService({ dir: join(dir, "indexes"), maxIndexes: 1 }, { metrics });
  });
  afterEach(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("builds a version's index once, then attributes outputs against it", async () => {
    expect(await service.hasIndex(3n)).to.equal(false);
    expect(await service.ensureIndex(3n, corpus, trainingShares)).to.equal(true);
    expect(await service.ensureIndex(3n, [...corpus].reverse(), trainingShares)).to.equal(false);
    expect(await service.hasIndex(3n)).to.equal(true);
    expect(await counter(metrics, "indexBuilds")).to.equal(1);
    const result = await service.attribute(3n, output, { private: false });
    expect(result.datasetIds).to.deep.equal([1n, 2n]);
    // One span of 14 tokens in dataset 2 only: 2 gets 90% + 10% × 60%, 1 keeps 10% × 40%.
    expect(result.weightsPpm).to.deep.equal([40_000, 960_000]);
    expect(result.spans?.map((s) => s.text)).to.deep.equal([
      "all the world's a stage, and all the men and women merely players",
    ]);
    expect(await counter(metrics, "attributions", { outcome: "spans" })).to.equal(1);
  });

  it("shares one build between concurrent callers", async () => {
    const built = await Promise.all([
      service.ensureIndex(3n, corpus, trainingShares),
      service.ensureIndex(3n, corpus, trainingShares),
    ]);
    expect(built.filter((b) => b).length).to.equal(1);
    expect(await counter(metrics, "indexBuilds")).to.equal(1);
  });

  it("loads a stored index lazily in a new service and answers the same", async () => {
    await service.ensureIndex(3n, corpus, trainingShares, { minSpan: 4 });
    const first = await service.attribute(3n, output, { private: false });
    const again = new AttributionService({ dir: join(dir, "indexes") }, {});
    try {
      expect(await again.attribute(3n, output, { private: false })).to.deep.equal(first);
      // Same inputs: the stored file is kept, nothing is rebuilt.
      expect(await again.ensureIndex(3n, corpus, trainingShares, { minSpan: 4 })).to.equal(false);
    } finally {
      await again.close();
    }
  });

  it("rebuilds when the corpus, shares or minSpan differ from the stored index", async () => {
    await service.ensureIndex(3n, corpus, trainingShares);
    expect(await service.ensureIndex(3n, corpus, shares([1n, 500_000], [2n, 500_000]))).to.equal(true);
    expect(await service.ensureIndex(3n, corpus, shares([1n, 500_000], [2n, 500_000]), { minSpan: 5 })).to.equal(true);
    expect(await service.ensureIndex(3n, corpus.slice(0, 1), shares([1n, 1_000_000]), { minSpan: 5 })).to.equal(true);
    const result = await service.attribute(3n, output, { private: false });
    expect(result.datasetIds).to.deep.equal([1n]);
  });

  it("answers private records and outputs without a span with the training shares", async () => {
    await service.ensureIndex(3n, corpus, trainingShares);
    const privateResult = await service.attribute(3n, output, { private: true });
    expect(privateResult.datasetIds).to.deep.equal([1n, 2n]);
    expect(privateResult.weightsPpm).to.deep.equal([400_000, 600_000]);
    expect(privateResult.spans).to.deep.equal([]);
    const none = await service.attribute(3n, "nothing from the corpus at all, really", { private: false });
    expect(none.weightsPpm).to.deep.equal([400_000, 600_000]);
    expect(await counter(metrics, "attributions", { outcome: "private" })).to.equal(1);
    expect(await counter(metrics, "attributions", { outcome: "fallback" })).to.equal(1);
  });

  it("keeps at most maxIndexes in memory and reloads an evicted one from disk", async () => {
    await service.ensureIndex(3n, corpus, trainingShares);
    await service.ensureIndex(4n, corpus.slice(1), shares([2n, 1_000_000]));
    expect(await counter(metrics, "indexEvictions")).to.equal(1);
    expect(await counter(metrics, "indexesLoaded")).to.equal(1);
    expect((await service.attribute(3n, output, { private: false })).weightsPpm).to.deep.equal([40_000, 960_000]);
    expect((await service.attribute(4n, output, { private: false })).weightsPpm).to.deep.equal([1_000_000]);
    expect(await counter(metrics, "indexEvictions")).to.equal(3);
  });

  it("refuses an unknown version, a corrupt file and a file of another version", async () => {
    await expectRejectedWithCode(
      service.attribute(8n, output, { private: false }),
      AttributionErrorCode.INDEX_NOT_FOUND,
      {
        versionId: 8n,
      },
    );
    await service.ensureIndex(3n, corpus, trainingShares);
    const fresh = new AttributionService({ dir: join(dir, "indexes") }, {});
    try {
      const path = fresh.getIndexPath(3n);
      const bytes = await readFile(path);
      await writeFile(fresh.getIndexPath(5n), bytes);
      await expectRejectedWithCode(
        fresh.attribute(5n, output, { private: false }),
        AttributionErrorCode.INDEX_MISMATCH,
        {
          field: "version id",
        },
      );
      bytes[300] = (bytes[300] as number) ^ 0x10;
      await writeFile(path, bytes);
      await expectRejectedWithCode(
        fresh.attribute(3n, output, { private: false }),
        AttributionErrorCode.INDEX_CORRUPT,
        {
          reason: "checksum mismatch",
        },
      );
      // A refused load is not cached, and ensureIndex replaces the corrupt file though its header names these inputs.
      expect(await fresh.ensureIndex(3n, corpus, trainingShares)).to.equal(true);
      expect((await fresh.attribute(3n, output, { private: false })).weightsPpm).to.deep.equal([40_000, 960_000]);
    } finally {
      await fresh.close();
    }
  });

  it("refuses calls after close", async () => {
    await service.close();
    await expectRejectedWithCode(service.attribute(3n, output, { private: false }), AttributionErrorCode.CLOSED);
    await expectRejectedWithCode(service.ensureIndex(3n, corpus, trainingShares), AttributionErrorCode.CLOSED);
  });
});
