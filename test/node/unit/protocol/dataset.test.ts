import { expect } from "chai";
import { id } from "ethers";
import {
  DatasetError,
  DatasetErrorCode,
  hashSample,
  parseDataset,
  readJsonlLines,
  toCanonicalText,
} from "../../../../node/src/protocol/index.js";
import { expectDatasetError, fileBytes, loadSampleVectors } from "./helpers.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const alpaca = JSON.stringify({ instruction: "Add 2 and 2.", output: "4" });

describe("protocol/parseDataset", () => {
  const vectors = loadSampleVectors();

  describe("golden vectors (test/vectors/samples.json)", () => {
    for (const vector of vectors) {
      if ("text" in vector.inputs) continue;
      const file = fileBytes(vector.inputs);
      if ("samples" in vector.outputs) {
        const expected = vector.outputs.samples;
        it(`parses "${vector.name}"`, () => {
          expect(parseDataset(file)).to.deep.equal(expected);
        });
      } else if ("error" in vector.outputs) {
        const { code, line } = vector.outputs.error;
        it(`rejects "${vector.name}" with ${code} at line ${line}`, () => {
          expectDatasetError(() => parseDataset(file), code, { line });
        });
      }
    }

    it("have a rejection vector for every file error code", () => {
      const codes = new Set(vectors.flatMap((v) => ("error" in v.outputs ? [v.outputs.error.code] : [])));
      const fileCodes = Object.values(DatasetErrorCode).filter(
        (c) =>
          c !== DatasetErrorCode.EMPTY_DATASET &&
          c !== DatasetErrorCode.DUPLICATE_SAMPLE_HASH &&
          c !== DatasetErrorCode.SAMPLE_NOT_IN_DATASET,
      );
      expect([...codes].sort()).to.deep.equal([...fileCodes].sort());
    });

    it("state sample hashes that an independent keccak (ethers) agrees with", () => {
      for (const v of vectors) {
        if (!("samples" in v.outputs)) continue;
        for (const s of v.outputs.samples) expect(s.sampleHash).to.equal(id(s.normalizedText));
      }
    });
  });

  it("hashes the normalized canonical text: hashSample(canonical) is each sample's hash", () => {
    const [sample] = parseDataset(utf8(alpaca));
    expect(sample?.sampleHash).to.equal(hashSample("Add 2 and 2.\n\n4"));
    expect(sample?.sampleHash).to.equal(id("add 2 and 2. 4"));
  });

  it("numbers lines from 1 and keeps file order", () => {
    const samples = parseDataset(utf8(`${alpaca}\r\n${JSON.stringify({ instruction: "b", output: "c" })}\n`));
    expect(samples.map((s) => s.line)).to.deep.equal([1, 2]);
  });

  it("reports the duplicate's first line and hash", () => {
    const error = expectDatasetError(
      () => parseDataset(utf8(`${alpaca}\n${alpaca}`)),
      DatasetErrorCode.DUPLICATE_SAMPLE,
      {
        line: 2,
        firstLine: 1,
        sampleHash: id("add 2 and 2. 4"),
      },
    );
    expect(error.message).to.equal(
      `line 2: expected each sample once, found sample ${id("add 2 and 2. 4")} again (first on line 1)`,
    );
  });

  it("names the field and both JSON types when a field has the wrong type", () => {
    const error = expectDatasetError(
      () => parseDataset(utf8(JSON.stringify({ conversations: [{ from: "a", value: ["b"] }] }))),
      DatasetErrorCode.WRONG_FIELD_TYPE,
      { line: 1, field: "conversations[0].value", expected: "string", found: "array" },
    );
    expect(error.message).to.equal('line 1: expected "conversations[0].value" to be a string, found an array');
  });

  it("names the missing field of a ShareGPT turn", () => {
    expectDatasetError(
      () => parseDataset(utf8(JSON.stringify({ conversations: [{ value: "b" }] }))),
      DatasetErrorCode.MISSING_FIELD,
      { field: "conversations[0].from" },
    );
  });

  it("names the unassigned code point", () => {
    const error = expectDatasetError(
      () => parseDataset(utf8(JSON.stringify({ instruction: "ok \u{e0080}", output: "x" }))),
      DatasetErrorCode.UNASSIGNED_CODE_POINT,
      { codePoint: "U+E0080" },
    );
    expect(error.message).to.equal("line 1: expected assigned Unicode code points only, found unassigned U+E0080");
  });

  it("says what JSON value it found instead of an object", () => {
    const error = expectDatasetError(() => parseDataset(utf8("true")), DatasetErrorCode.NOT_AN_OBJECT, {
      found: "boolean",
    });
    expect(error.message).to.equal("line 1: expected a JSON object, found a boolean");
  });

  it("keeps the parser's and decoder's errors as the cause", () => {
    const json = expectDatasetError(() => parseDataset(utf8("{")), DatasetErrorCode.INVALID_JSON);
    expect(json.cause).to.be.instanceOf(SyntaxError);
    const bytes = expectDatasetError(() => parseDataset(new Uint8Array([0xff])), DatasetErrorCode.INVALID_UTF8);
    expect(bytes.cause).to.be.instanceOf(TypeError);
    expect(bytes).to.be.instanceOf(DatasetError);
    expect(bytes.name).to.equal("DatasetError");
  });
});

describe("protocol/readJsonlLines", () => {
  it("yields lines lazily, so a later bad line is not met before an earlier one", () => {
    const lines = readJsonlLines(utf8("a\n\nb"));
    expect(lines.next().value).to.deep.equal({ line: 1, text: "a" });
    expectDatasetError(() => lines.next(), DatasetErrorCode.BLANK_LINE, { line: 2 });
  });

  it("drops one CR before an LF and keeps a CR elsewhere", () => {
    expect([...readJsonlLines(utf8("a\r\r\nb\rc\r"))]).to.deep.equal([
      { line: 1, text: "a\r" },
      { line: 2, text: "b\rc\r" },
    ]);
  });
});

describe("protocol/toCanonicalText", () => {
  it("joins Alpaca fields in the order system, instruction, input, output", () => {
    expect(toCanonicalText({ output: "o", input: "i", instruction: "n", system: "s" }, 1)).to.deep.equal({
      shape: "alpaca",
      canonicalText: "s\nn\ni\no",
    });
  });

  it("keeps the original text: normalization is a separate step", () => {
    expect(toCanonicalText({ conversations: [{ from: "Human", value: " A\u00a0B " }] }, 1).canonicalText).to.equal(
      "Human:  A\u00a0B ",
    );
  });
});
