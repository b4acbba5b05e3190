import { readFileSync } from "node:fs";
import { expect } from "chai";
import {
  buildDatasetRootVectors,
  buildSampleVectors,
  DATASET_ROOTS_PATH,
  SAMPLES_PATH,
  serializeVectors,
} from "./vectors.js";

describe("golden vectors of DESIGN §4 samples and dataset roots", () => {
  it("test/vectors/samples.json is what vectors.ts builds, byte for byte", () => {
    expect(serializeVectors(buildSampleVectors())).to.equal(readFileSync(SAMPLES_PATH, "utf8"));
  });

  it("test/vectors/dataset-roots.json is what vectors.ts builds, byte for byte", () => {
    expect(serializeVectors(buildDatasetRootVectors())).to.equal(readFileSync(DATASET_ROOTS_PATH, "utf8"));
  });

  it("are pure ASCII, so no invisible character hides in them", () => {
    for (const path of [SAMPLES_PATH, DATASET_ROOTS_PATH]) {
      expect(/^[\n\u0020-\u007e]*$/.test(readFileSync(path, "utf8"))).to.equal(true, path);
    }
  });

  it("have unique names", () => {
    const names = [...buildSampleVectors(), ...buildDatasetRootVectors()].map((v) => v.name);
    expect(new Set(names).size).to.equal(names.length);
  });
});
