/**
 * Builds the golden vectors of DESIGN §4 "Samples and dataset roots": test/vectors/samples.json and
 * test/vectors/dataset-roots.json. The files are the pinned truth; vectors.test.ts checks that this builder still
 * writes them byte for byte, and the other tests run the protocol code against the files.
 *
 * Expected texts are written here by hand. Hashes come from ethers (`id`), roots and proofs from
 * `@openzeppelin/merkle-tree`, never from the code under test, so a slip in node/src/protocol cannot write itself
 * into the vectors.
 *
 * Regenerate (only when a rule of DESIGN §4 changes, which is a protocol version change):
 * `npx tsx test/node/unit/protocol/vectors.ts`
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { id } from "ethers";
import { DatasetErrorCode } from "../../../../node/src/protocol/index.js";

/** A dataset file: readable UTF-8 text, or raw bytes for files that are not valid UTF-8. */
export type FileInput = { utf8: string } | { hex: `0x${string}` };

/** A sample as a vector states it. */
export interface SampleOutput {
  line: number;
  shape: "alpaca" | "sharegpt";
  canonicalText: string;
  normalizedText: string;
  sampleHash: string;
}

/** One entry of samples.json. */
export type SampleVector =
  | { name: string; inputs: { text: string }; outputs: { normalized: string } }
  | { name: string; inputs: FileInput; outputs: { samples: SampleOutput[] } }
  | { name: string; inputs: FileInput; outputs: { error: { code: DatasetErrorCode; line: number } } };

/** One entry of dataset-roots.json. */
export interface DatasetRootVector {
  name: string;
  inputs: { utf8: string };
  outputs: { sampleHashes: string[]; root: string; proofs: { sampleHash: string; proof: string[] }[] };
}

/** Where the pinned files live. */
export const SAMPLES_PATH = fileURLToPath(new URL("../../../vectors/samples.json", import.meta.url));
export const DATASET_ROOTS_PATH = fileURLToPath(new URL("../../../vectors/dataset-roots.json", import.meta.url));

/** The White_Space code points of DESIGN §4 `normalize`, step 2. */
export const WHITE_SPACE_CODE_POINTS = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

type Shape = SampleOutput["shape"];
/** A hand-written sample: its shape and texts; the line number and hash are filled in. */
type ExpectedSample = [shape: Shape, canonicalText: string, normalizedText: string];

const hex = (codePoint: number) => codePoint.toString(16).toUpperCase().padStart(4, "0");
const json = (value: unknown) => JSON.stringify(value);

function normalizeVector(name: string, text: string, normalized: string): SampleVector {
  return { name: `normalize: ${name}`, inputs: { text }, outputs: { normalized } };
}

function samplesVector(name: string, utf8: string, expected: ExpectedSample[]): SampleVector {
  const samples = expected.map(([shape, canonicalText, normalizedText], i) => ({
    line: i + 1,
    shape,
    canonicalText,
    normalizedText,
    sampleHash: id(normalizedText),
  }));
  return { name: `parse: ${name}`, inputs: { utf8 }, outputs: { samples } };
}

function rejectVector(name: string, inputs: FileInput, code: DatasetErrorCode, line: number): SampleVector {
  return { name: `reject: ${name}`, inputs, outputs: { error: { code, line } } };
}

/** Builds samples.json. */
export function buildSampleVectors(): SampleVector[] {
  const allWhiteSpace = String.fromCodePoint(...WHITE_SPACE_CODE_POINTS);
  const alpaca = json({ instruction: "Add 2 and 2.", output: "4" });
  const A = DatasetErrorCode;
  return [
    // normalize, step 1: NFC
    normalizeVector("NFC composes a base letter and a combining accent", "Cafe\u0301", "caf\u00e9"),
    normalizeVector("NFC composes Hangul jamo into a syllable", "\u1100\u1161", "\uac00"),
    normalizeVector("NFC reorders combining marks by combining class", "q\u0307\u0323", "q\u0323\u0307"),
    normalizeVector("NFC maps the ohm sign to omega, which is not ASCII and stays capital", "\u2126", "\u03a9"),
    normalizeVector("NFC maps the kelvin sign to ASCII K, which step 4 then lowercases", "\u212a", "k"),
    normalizeVector("NFC maps the angstrom sign to A with ring, which stays capital", "\u212b", "\u00c5"),
    normalizeVector(
      "NFC keeps compatibility characters (NFKC would not)",
      "\ufb01 \uff21 \u00b2",
      "\ufb01 \uff21 \u00b2",
    ),
    normalizeVector(
      "NFC comes before whitespace: a no-break space between a letter and an accent does not compose",
      "e\u00a0\u0301",
      "e \u0301",
    ),
    // normalize, step 2: every White_Space character, alone and in runs
    ...WHITE_SPACE_CODE_POINTS.map((cp) =>
      normalizeVector(`U+${hex(cp)} is White_Space`, `a${String.fromCodePoint(cp)}b`, "a b"),
    ),
    normalizeVector("a run of every White_Space character becomes one space", `a${allWhiteSpace}b`, "a b"),
    normalizeVector("each run is replaced separately", "a\t\tb\n\nc  d", "a b c d"),
    normalizeVector(
      "characters that look blank but are not White_Space stay (U+200B, U+2060, U+180E, U+FEFF)",
      "a\u200bb\u2060c\u180ed\ufeffe",
      "a\u200bb\u2060c\u180ed\ufeffe",
    ),
    // normalize, step 3: trim
    normalizeVector("leading and trailing runs are trimmed", " \t\u3000 Hello \u00a0 ", "hello"),
    normalizeVector("a leading U+FEFF is not White_Space and is not trimmed", "\ufeffHi ", "\ufeffhi"),
    normalizeVector("text of only White_Space becomes empty", "\u2028\u2029 \u0085", ""),
    normalizeVector("the empty text stays empty", "", ""),
    // normalize, step 4: ASCII-only lowercase
    normalizeVector(
      "only ASCII A-Z are lowercased",
      "ABC xyz \u00c0\u00c9\u00ce Stra\u00dfe \u0130STANBUL \u03a3\u0391\u03a3 \u0416",
      "abc xyz \u00c0\u00c9\u00ce stra\u00dfe \u0130stanbul \u03a3\u0391\u03a3 \u0416",
    ),
    normalizeVector("digits, punctuation and emoji pass through", "Q1: 2+2=4?! \u{1f600}", "q1: 2+2=4?! \u{1f600}"),

    // canonical text and sample hashes
    samplesVector(
      "Alpaca with system, instruction, input and output",
      json({ system: "You are terse.", instruction: "Translate to French.", input: "Good morning", output: "Bonjour" }),
      [
        [
          "alpaca",
          "You are terse.\nTranslate to French.\nGood morning\nBonjour",
          "you are terse. translate to french. good morning bonjour",
        ],
      ],
    ),
    samplesVector("Alpaca without input: input is the empty string", alpaca, [
      ["alpaca", "Add 2 and 2.\n\n4", "add 2 and 2. 4"],
    ]),
    samplesVector(
      "Alpaca with an empty system: system is left out",
      json({ system: "", instruction: "Name a colour.", input: "", output: "Blue" }),
      [["alpaca", "Name a colour.\n\nBlue", "name a colour. blue"]],
    ),
    samplesVector(
      "Alpaca with a system of one space: present and non-empty, so kept",
      json({ system: " ", instruction: "X", output: "Y" }),
      [["alpaca", " \nX\n\nY", "x y"]],
    ),
    samplesVector(
      "Alpaca ignores other keys, whatever their type",
      json({ id: 7, tags: ["a"], meta: { x: null }, instruction: "Hi", output: "Hello", note: "\ud83d\ude00" }),
      [["alpaca", "Hi\n\nHello", "hi hello"]],
    ),
    samplesVector(
      "ShareGPT turns as from: value, joined by LF",
      json({
        conversations: [
          { from: "human", value: "What is 2+2?" },
          { from: "gpt", value: "4" },
        ],
      }),
      [["sharegpt", "human: What is 2+2?\ngpt: 4", "human: what is 2+2? gpt: 4"]],
    ),
    samplesVector(
      "ShareGPT wins when conversations is present, and other keys of a turn are ignored",
      json({
        instruction: "ignored",
        output: "ignored",
        conversations: [
          { from: "system", value: "Be kind.", weight: 0 },
          { from: "human", value: "Hi" },
        ],
      }),
      [["sharegpt", "system: Be kind.\nhuman: Hi", "system: be kind. human: hi"]],
    ),
    samplesVector(
      "ShareGPT with empty from and value still has text",
      json({ conversations: [{ from: "", value: "" }] }),
      [["sharegpt", ": ", ":"]],
    ),
    samplesVector(
      "JSON escapes are decoded first; NFC then composes E and an acute into a capital E-acute, which stays capital",
      '{"instruction":"caf\\u00e9","output":"ok"}\n{"instruction":"CAFE\\u0301!","output":"ok"}',
      [
        ["alpaca", "caf\u00e9\n\nok", "caf\u00e9 ok"],
        ["alpaca", "CAFE\u0301!\n\nok", "caf\u00c9! ok"],
      ],
    ),
    samplesVector("a surrogate pair escape is one astral character", '{"instruction":"\\ud83d\\ude00","output":"x"}', [
      ["alpaca", "\u{1f600}\n\nx", "\u{1f600} x"],
    ]),
    samplesVector(
      "CRLF line ends: the CR is dropped; the last LF is optional",
      `${json({ instruction: "One", output: "1" })}\r\n${json({ instruction: "Two", output: "2" })}`,
      [
        ["alpaca", "One\n\n1", "one 1"],
        ["alpaca", "Two\n\n2", "two 2"],
      ],
    ),
    samplesVector("a final LF ends the last line, it does not start a new one", `${alpaca}\n`, [
      ["alpaca", "Add 2 and 2.\n\n4", "add 2 and 2. 4"],
    ]),
    samplesVector("a CR not followed by LF is JSON whitespace between tokens", '{"instruction":"a",\r"output":"b"}\r', [
      ["alpaca", "a\n\nb", "a b"],
    ]),
    samplesVector(
      "private-use code points are assigned (Co) and accepted",
      json({ instruction: "\ue000", output: "x" }),
      [["alpaca", "\ue000\n\nx", "\ue000 x"]],
    ),
    samplesVector(
      "a lone surrogate in an ignored key does not matter",
      '{"instruction":"a","output":"b","meta":"\\ud800"}',
      [["alpaca", "a\n\nb", "a b"]],
    ),

    // rejections, each with its 1-based line
    rejectVector("an empty file", { hex: "0x" }, A.EMPTY_FILE, 1),
    rejectVector("a file of one LF is one blank line", { utf8: "\n" }, A.BLANK_LINE, 1),
    rejectVector("a BOM at the start of the file", { utf8: `\ufeff${alpaca}` }, A.BOM, 1),
    rejectVector("a BOM at the start of a later line", { utf8: `${alpaca}\n\ufeff${alpaca}` }, A.BOM, 2),
    rejectVector("a blank line between samples", { utf8: `${alpaca}\n\n${alpaca}` }, A.BLANK_LINE, 2),
    rejectVector("a line of spaces and tabs is blank", { utf8: `${alpaca}\n \t \n` }, A.BLANK_LINE, 2),
    rejectVector("a CRLF blank line", { utf8: `${alpaca}\r\n\r\n` }, A.BLANK_LINE, 2),
    rejectVector("two final LFs leave a blank last line", { utf8: `${alpaca}\n\n` }, A.BLANK_LINE, 2),
    rejectVector(
      "invalid UTF-8: a lone continuation byte",
      { hex: utf8Hex(`${alpaca}\n{"x":"`, "80", '"}') },
      A.INVALID_UTF8,
      2,
    ),
    rejectVector(
      "invalid UTF-8: an overlong slash",
      { hex: utf8Hex('{"instruction":"', "c0af", '","output":"x"}') },
      A.INVALID_UTF8,
      1,
    ),
    rejectVector(
      "invalid UTF-8: an encoded surrogate",
      { hex: utf8Hex('{"instruction":"', "eda080", '","output":"x"}') },
      A.INVALID_UTF8,
      1,
    ),
    rejectVector(
      "invalid UTF-8: a truncated sequence",
      { hex: utf8Hex('{"instruction":"', "e282", '","output":"x"}') },
      A.INVALID_UTF8,
      1,
    ),
    rejectVector("invalid UTF-8: byte FF", { hex: utf8Hex("", "ff", "") }, A.INVALID_UTF8, 1),
    rejectVector(
      "a lone high surrogate escape",
      { utf8: '{"instruction":"\\ud800","output":"x"}' },
      A.LONE_SURROGATE,
      1,
    ),
    rejectVector(
      "a lone low surrogate escape",
      { utf8: '{"instruction":"x","output":"\\udc00"}' },
      A.LONE_SURROGATE,
      1,
    ),
    rejectVector(
      "a surrogate pair in the wrong order",
      { utf8: '{"instruction":"\\ude00\\ud83d","output":"x"}' },
      A.LONE_SURROGATE,
      1,
    ),
    rejectVector(
      "a lone surrogate in a ShareGPT turn",
      { utf8: '{"conversations":[{"from":"human","value":"\\ud83d"}]}' },
      A.LONE_SURROGATE,
      1,
    ),
    rejectVector("text that is not JSON", { utf8: `${alpaca}\nhello` }, A.INVALID_JSON, 2),
    rejectVector("JSON with a trailing comma", { utf8: '{"instruction":"a","output":"b",}' }, A.INVALID_JSON, 1),
    rejectVector("two objects on one line", { utf8: `${alpaca}${alpaca}` }, A.INVALID_JSON, 1),
    rejectVector("a JSON array", { utf8: '["instruction","output"]' }, A.NOT_AN_OBJECT, 1),
    rejectVector("a JSON string", { utf8: '"instruction"' }, A.NOT_AN_OBJECT, 1),
    rejectVector("a JSON number", { utf8: "42" }, A.NOT_AN_OBJECT, 1),
    rejectVector("JSON null", { utf8: "null" }, A.NOT_AN_OBJECT, 1),
    rejectVector("Alpaca without instruction", { utf8: json({ output: "x" }) }, A.MISSING_FIELD, 1),
    rejectVector("Alpaca without output", { utf8: json({ instruction: "x", input: "y" }) }, A.MISSING_FIELD, 1),
    rejectVector(
      "a ShareGPT turn without value",
      { utf8: json({ conversations: [{ from: "human" }] }) },
      A.MISSING_FIELD,
      1,
    ),
    rejectVector(
      "a number where a string belongs",
      { utf8: json({ instruction: 1, output: "x" }) },
      A.WRONG_FIELD_TYPE,
      1,
    ),
    rejectVector("a null input", { utf8: json({ instruction: "x", input: null, output: "y" }) }, A.WRONG_FIELD_TYPE, 1),
    rejectVector(
      "an array system",
      { utf8: json({ system: ["s"], instruction: "x", output: "y" }) },
      A.WRONG_FIELD_TYPE,
      1,
    ),
    rejectVector(
      "conversations that are not an array",
      { utf8: json({ conversations: { from: "a" } }) },
      A.WRONG_FIELD_TYPE,
      1,
    ),
    rejectVector(
      "a ShareGPT turn that is not an object",
      { utf8: json({ conversations: [{ from: "a", value: "b" }, "c"] }) },
      A.WRONG_FIELD_TYPE,
      1,
    ),
    rejectVector(
      "a ShareGPT from that is not a string",
      { utf8: json({ conversations: [{ from: 1, value: "b" }] }) },
      A.WRONG_FIELD_TYPE,
      1,
    ),
    rejectVector(
      "an unassigned code point (U+0378)",
      { utf8: json({ instruction: "\u0378", output: "x" }) },
      A.UNASSIGNED_CODE_POINT,
      1,
    ),
    rejectVector(
      "a noncharacter is unassigned (U+FFFF)",
      { utf8: json({ instruction: "x", output: "\uffff" }) },
      A.UNASSIGNED_CODE_POINT,
      1,
    ),
    rejectVector(
      "a noncharacter is unassigned (U+10FFFF)",
      { utf8: json({ instruction: "x", output: "\u{10ffff}" }) },
      A.UNASSIGNED_CODE_POINT,
      1,
    ),
    rejectVector(
      "Alpaca of empty strings",
      { utf8: `${alpaca}\n${json({ instruction: "", output: "" })}` },
      A.EMPTY_TEXT,
      2,
    ),
    rejectVector(
      "Alpaca of White_Space only",
      { utf8: json({ instruction: "\u3000", input: "\t", output: "\u00a0" }) },
      A.EMPTY_TEXT,
      1,
    ),
    rejectVector("ShareGPT with no turns", { utf8: json({ conversations: [] }) }, A.EMPTY_TEXT, 1),
    rejectVector("the same line twice", { utf8: `${alpaca}\n${alpaca}` }, A.DUPLICATE_SAMPLE, 2),
    rejectVector(
      "two lines that differ only in ASCII case and whitespace",
      { utf8: `${alpaca}\n${json({ instruction: "ADD  2 and 2.", input: "\u00a0", output: " 4 " })}` },
      A.DUPLICATE_SAMPLE,
      2,
    ),
    rejectVector(
      "two lines that differ only in Unicode normal form",
      {
        utf8: `${json({ instruction: "caf\u00e9", output: "x" })}\n${json({ instruction: "cafe\u0301", output: "x" })}`,
      },
      A.DUPLICATE_SAMPLE,
      2,
    ),
    rejectVector(
      "an Alpaca and a ShareGPT line with the same normalized text",
      {
        utf8: `${json({ instruction: "human: hi", output: "gpt: hello" })}\n${json({
          conversations: [
            { from: "human", value: "hi" },
            { from: "gpt", value: "hello" },
          ],
        })}`,
      },
      A.DUPLICATE_SAMPLE,
      2,
    ),
    rejectVector("the first bad line is reported", { utf8: `${alpaca}\n[]\n\n${alpaca}` }, A.NOT_AN_OBJECT, 2),
  ];
}

/** Builds dataset-roots.json: small datasets, and for each its sample hashes, root and a proof of every sample. */
export function buildDatasetRootVectors(): DatasetRootVector[] {
  const original: [Record<string, unknown>, string][] = [
    [{ instruction: "What is the capital of France?", output: "Paris." }, "what is the capital of france? paris."],
    [
      { instruction: "Translate to German.", input: "Thank you", output: "Danke" },
      "translate to german. thank you danke",
    ],
    [{ instruction: "Is 7 prime?", output: "Yes." }, "is 7 prime? yes."],
    [
      {
        conversations: [
          { from: "human", value: "Say hello." },
          { from: "gpt", value: "Hello!" },
        ],
      },
      "human: say hello. gpt: hello!",
    ],
  ];
  const copy: [Record<string, unknown>, string][] = [
    [{ instruction: "How many legs has a spider?", output: "Eight." }, "how many legs has a spider? eight."],
    // The original's samples, re-cased and re-spaced: the same sample hashes.
    [{ instruction: "WHAT is the capital of France?", output: "  Paris." }, "what is the capital of france? paris."],
    [
      { instruction: "Translate to German.", input: "Thank\u00a0you", output: "Danke\n" },
      "translate to german. thank you danke",
    ],
    [{ instruction: "Is 7 prime?\t", output: "Yes." }, "is 7 prime? yes."],
    [{ instruction: "human: Say hello.", output: "gpt: Hello!" }, "human: say hello. gpt: hello!"],
    [{ instruction: "Name a prime above 10.", output: "11" }, "name a prime above 10. 11"],
  ];
  const single: [Record<string, unknown>, string][] = [
    [{ instruction: "Is 7 prime?", output: "Yes." }, "is 7 prime? yes."],
  ];
  const three: [Record<string, unknown>, string][] = [
    [
      {
        conversations: [
          { from: "human", value: "2+3?" },
          { from: "gpt", value: "5" },
        ],
      },
      "human: 2+3? gpt: 5",
    ],
    [{ instruction: "What is the capital of France?", output: "Paris." }, "what is the capital of france? paris."],
    [{ system: "Be brief.", instruction: "Colour of the sky?", output: "Blue." }, "be brief. colour of the sky? blue."],
  ];
  return [
    rootVector("four samples, both shapes (the original)", original),
    rootVector("six samples: a copy of the original's four, re-cased and re-spaced, and two more", copy),
    rootVector("one sample: the root is its leaf and its proof is empty", single),
    rootVector("three samples, one shared with the original", three),
  ];
}

function rootVector(name: string, lines: [Record<string, unknown>, string][]): DatasetRootVector {
  const sampleHashes = lines.map(([, normalized]) => id(normalized));
  const tree = StandardMerkleTree.of(
    sampleHashes.map((h) => [h]),
    ["bytes32"],
  );
  return {
    name,
    inputs: { utf8: lines.map(([record]) => json(record)).join("\n") },
    outputs: {
      sampleHashes,
      root: tree.root,
      proofs: sampleHashes.map((sampleHash) => ({ sampleHash, proof: tree.getProof([sampleHash]) })),
    },
  };
}

/** The file's bytes as hex: UTF-8 text, then raw bytes, then UTF-8 text. */
function utf8Hex(before: string, rawHex: string, after: string): `0x${string}` {
  return `0x${Buffer.from(before, "utf8").toString("hex")}${rawHex}${Buffer.from(after, "utf8").toString("hex")}`;
}

/** Pretty JSON, ASCII only: every other code unit as `\uXXXX`, so invisible and look-alike characters show. */
export function serializeVectors(vectors: unknown): string {
  const text = JSON.stringify(vectors, null, 2).replace(
    /[^\u0020-\u007e\n]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${text}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SAMPLES_PATH, serializeVectors(buildSampleVectors()));
  writeFileSync(DATASET_ROOTS_PATH, serializeVectors(buildDatasetRootVectors()));
}
