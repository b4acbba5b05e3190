import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { countTokens } from "../../../../node/src/cli/index.js";
import { olnode, tempDir } from "./helpers.js";

interface RootVector {
  name: string;
  inputs: { utf8: string };
  outputs: { sampleHashes: string[]; root: string };
}

/** The pinned dataset-root vectors (built with @openzeppelin/merkle-tree and ethers, not with the code under test). */
const VECTORS = JSON.parse(
  readFileSync(new URL("../../../../test/vectors/dataset-roots.json", import.meta.url), "utf8"),
) as RootVector[];

describe("cli: olnode dataset inspect", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => remove());

  for (const vector of VECTORS) {
    it(`prints the pinned dataset root of "${vector.name}"`, async () => {
      await writeFile(join(dir, "data.jsonl"), vector.inputs.utf8);
      const { code, stdout, stderr } = await olnode(["dataset", "inspect", "data.jsonl", "--json"], { cwd: dir });
      expect(code, stderr).to.equal(0);
      const summary = JSON.parse(stdout);
      expect(summary.datasetRoot).to.equal(vector.outputs.root);
      expect(summary.samples).to.equal(vector.outputs.sampleHashes.length);
      expect(summary.bytes).to.equal(Buffer.byteLength(vector.inputs.utf8));
    });
  }

  it("counts each shape and the tokens, in text by default", async () => {
    const lines = [
      { instruction: "Say hi", input: "", output: "Hello there, friend!" },
      { instruction: "Add", input: "2+2", output: "4" },
      {
        conversations: [
          { from: "human", value: "Hi?" },
          { from: "gpt", value: "Hello." },
        ],
      },
    ];
    await writeFile(join(dir, "d.jsonl"), `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const json = JSON.parse((await olnode(["dataset", "inspect", "d.jsonl", "--json"], { cwd: dir })).stdout);
    expect(json.shapes).to.deep.equal({ alpaca: 2, sharegpt: 1 });
    // "say hi\nhello there, friend!" → say hi hello there , friend ! = 7; "add 2+2 4" → add 2 + 2 4 = 5;
    // "human: hi? gpt: hello." → human : hi ? gpt : hello . = 8
    expect(json.tokens).to.equal(20);
    const text = await olnode(["dataset", "inspect", "d.jsonl"], { cwd: dir });
    expect(text.code).to.equal(0);
    expect(text.stdout).to.contain("samples      3 (alpaca 2, sharegpt 1)\n");
    expect(text.stdout).to.contain("tokens       ~20 (DESIGN §8 attribution tokens)\n");
    expect(text.stdout).to.contain(`datasetRoot  ${json.datasetRoot}\n`);
  });

  it("exits 1 on a malformed file, printing the line number and the problem", async () => {
    await writeFile(join(dir, "bad.jsonl"), '{"instruction":"a","output":"b"}\n{"instruction":"c"}\n');
    const { code, stdout, stderr } = await olnode(["dataset", "inspect", "bad.jsonl"], { cwd: dir });
    expect(code).to.equal(1);
    expect(stdout).to.equal("");
    expect(stderr).to.equal('olnode: bad.jsonl: line 2: expected a field "output", found none\n');
  });

  it("exits 1 on a duplicate sample naming both lines, with the code and line in --json", async () => {
    await writeFile(join(dir, "dup.jsonl"), '{"instruction":"a","output":"b"}\n{"instruction":"A","output":"b"}\n');
    const { code, stderr } = await olnode(["dataset", "inspect", "dup.jsonl", "--json"], { cwd: dir });
    expect(code).to.equal(1);
    const error = JSON.parse(stderr).error;
    expect(error.code).to.equal("DATASET_ERROR_DUPLICATE_SAMPLE");
    expect(error.context).to.deep.include({ file: "dup.jsonl", line: 2, firstLine: 1 });
    expect(error.message).to.match(/^dup\.jsonl: line 2: /);
  });

  it("exits 1 on an empty or missing file", async () => {
    await writeFile(join(dir, "empty.jsonl"), "");
    const empty = await olnode(["dataset", "inspect", "empty.jsonl"], { cwd: dir });
    expect(empty.code).to.equal(1);
    expect(empty.stderr).to.equal(
      "olnode: empty.jsonl: line 1: expected at least one JSONL sample, found an empty file\n",
    );
    const missing = await olnode(["dataset", "inspect", "none.jsonl"], { cwd: dir });
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal("olnode: none.jsonl: no such file\n");
  });

  it("exits 2 without its file argument, or with two", async () => {
    const none = await olnode(["dataset", "inspect"], { cwd: dir });
    expect(none.code).to.equal(2);
    expect(none.stderr).to.equal("olnode: missing <file.jsonl> (see 'olnode dataset inspect --help')\n");
    const two = await olnode(["dataset", "inspect", "a.jsonl", "b.jsonl"], { cwd: dir });
    expect(two.code).to.equal(2);
    expect(two.stderr).to.contain('unexpected argument "b.jsonl"');
  });

  it("countTokens splits runs of letters and digits from single other characters (DESIGN §8)", () => {
    expect(countTokens("hello, world!")).to.equal(4);
    expect(countTokens("naïve café 42x")).to.equal(3);
    expect(countTokens("a+b=c")).to.equal(5);
    expect(countTokens("")).to.equal(0);
  });
});
