import { expect } from "chai";
import { normalize } from "../../../../node/src/protocol/index.js";
import { loadSampleVectors } from "./helpers.js";
import { WHITE_SPACE_CODE_POINTS } from "./vectors.js";

describe("protocol/normalize", () => {
  const vectors = loadSampleVectors().flatMap((v) => ("text" in v.inputs && "normalized" in v.outputs ? [v] : []));

  it("has golden vectors for every White_Space code point of DESIGN §4", () => {
    for (const cp of WHITE_SPACE_CODE_POINTS) {
      const text = `a${String.fromCodePoint(cp)}b`;
      expect(vectors.some((v) => "text" in v.inputs && v.inputs.text === text)).to.equal(true, `U+${cp.toString(16)}`);
    }
  });

  for (const vector of vectors) {
    it(`matches the vector "${vector.name}"`, () => {
      if (!("text" in vector.inputs) || !("normalized" in vector.outputs)) throw new Error("not a normalize vector");
      expect(normalize(vector.inputs.text)).to.equal(vector.outputs.normalized);
    });
  }

  /** Every BMP character that NFC leaves as it is (the others are covered by the NFC vectors). */
  function* nfcStableBmp(): Generator<[number, string]> {
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      if (char.normalize("NFC") === char) yield [cp, char];
    }
  }

  it("treats exactly the White_Space characters of DESIGN §4 as space, across the BMP", () => {
    const listed = new Set(WHITE_SPACE_CODE_POINTS);
    for (const [cp, char] of nfcStableBmp()) {
      const isSpace = normalize(`a${char}b`) === "a b";
      if (isSpace !== listed.has(cp)) expect.fail(`U+${cp.toString(16)}: treated as space: ${isSpace}`);
    }
  });

  it("changes no other character than by lowercasing ASCII A-Z, across the BMP", () => {
    const listed = new Set(WHITE_SPACE_CODE_POINTS);
    for (const [cp, char] of nfcStableBmp()) {
      const expected = listed.has(cp) ? "" : cp >= 0x41 && cp <= 0x5a ? String.fromCodePoint(cp + 0x20) : char;
      if (normalize(char) !== expected) expect.fail(`U+${cp.toString(16)} gave ${JSON.stringify(normalize(char))}`);
    }
  });

  it("is locale-free: Turkish dotted capital I and German sharp s are left as they are", () => {
    expect(normalize("\u0130I\u1e9e")).to.equal("\u0130i\u1e9e");
  });
});
