/**
 * Builds the golden vectors of the request–response frames (docs/protocol.md "Request–response frames"):
 * test/vectors/p2p-frames.json. The file is the pinned truth; frames.test.ts checks that this builder still writes it
 * byte for byte and runs node/src/p2p's encoders and decoders against it.
 *
 * Nothing here calls the code under test: bodies come from ethers' `AbiCoder`, length prefixes from the unsigned
 * varint written out below, and the one record entry from test/vectors/receipts.json (really signed).
 *
 * Regenerate (only when a frame format changes, which is a protocol version change):
 * `npx tsx test/node/unit/p2p/frameVectors.ts`
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AbiCoder, hexlify, toUtf8Bytes } from "ethers";

/** Where the pinned file lives. */
export const P2P_FRAMES_PATH = fileURLToPath(new URL("../../../vectors/p2p-frames.json", import.meta.url));
const RECEIPTS_PATH = fileURLToPath(new URL("../../../vectors/receipts.json", import.meta.url));

/** An entry as receipts.json writes it: integers that may pass 2^53 as decimal strings. */
export type JsonEntry = {
  receipt: {
    payer: string;
    node: string;
    versionId: string;
    lane: number;
    seq: string;
    requestHash: string;
    value: string;
    cumulative: string;
  };
  receiptSig: string;
  record: {
    receiptDigest: string;
    outputHash: string;
    promptTokens: number;
    outputTokens: number;
    datasetIds: string[];
    weightsPpm: number[];
  };
  recordSig: string;
  outputText: string;
};
export type JsonRecordsRequest = {
  payer: string;
  node: string;
  versionId: string;
  lane: number;
  fromSeq: string;
  toSeq: string;
};
export type JsonSamplesRequest = { datasetRoot: string; startIndex: string; count: number };
export type JsonCheckpointRequest = { versionId: string; step: string; offset: string };
export type JsonSample = { index: string; text: string };
export type JsonChunk = { offset: string; totalBytes: string; data: string };

/** `body`: the frame's `abi.encode`; `frame`: the bytes on the wire, unsigned-varint length first. */
export type FrameOutputs = { body: string; frame: string };

/** One vector; the kind is the name's prefix, before the colon. */
export type FrameVector =
  | { name: string; inputs: { protocol: "records"; request: JsonRecordsRequest }; outputs: FrameOutputs }
  | { name: string; inputs: { protocol: "samples"; request: JsonSamplesRequest }; outputs: FrameOutputs }
  | { name: string; inputs: { protocol: "checkpoints"; request: JsonCheckpointRequest }; outputs: FrameOutputs }
  | { name: string; inputs: { protocol: "records"; item: JsonEntry }; outputs: FrameOutputs }
  | { name: string; inputs: { protocol: "samples"; item: JsonSample }; outputs: FrameOutputs }
  | { name: string; inputs: { protocol: "checkpoints"; item: JsonChunk }; outputs: FrameOutputs }
  | { name: string; inputs: { status: number; message: string }; outputs: FrameOutputs & { sentMessage: string } };

const coder = AbiCoder.defaultAbiCoder();
const ENTRY =
  "tuple(tuple(address,address,uint256,uint32,uint64,bytes32,uint128,uint128),bytes," +
  "tuple(bytes32,bytes32,uint32,uint32,uint256[],uint32[]),bytes,string)";

/** The unsigned LEB128 varint of `n`: 7 bits a byte, low bits first, the high bit set on all but the last. */
function varint(n: number): Uint8Array {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

function outputs(body: string): FrameOutputs {
  const bytes = Buffer.from(body.slice(2), "hex");
  return { body, frame: hexlify(Buffer.concat([varint(bytes.length), bytes])) };
}

function entryValues(e: JsonEntry): unknown[] {
  const r = e.receipt;
  const rec = e.record;
  return [
    [r.payer, r.node, BigInt(r.versionId), r.lane, BigInt(r.seq), r.requestHash, BigInt(r.value), BigInt(r.cumulative)],
    e.receiptSig,
    [rec.receiptDigest, rec.outputHash, rec.promptTokens, rec.outputTokens, rec.datasetIds.map(BigInt), rec.weightsPpm],
    e.recordSig,
    e.outputText,
  ];
}

/** The first entry of receipts.json's "entries: one entry" vector. */
function signedEntry(): JsonEntry {
  const receipts = JSON.parse(readFileSync(RECEIPTS_PATH, "utf8")) as {
    name: string;
    inputs: { entries?: JsonEntry[] };
  }[];
  const entry = receipts.find((v) => v.name === "entries: one entry")?.inputs.entries?.[0];
  if (entry === undefined) throw new Error('receipts.json has no "entries: one entry" vector');
  return entry;
}

/** An error message cut to 256 UTF-8 bytes at a character boundary (what a responder sends for a longer one). */
function cut(message: string): string {
  const bytes = toUtf8Bytes(message);
  if (bytes.length <= 256) return message;
  let end = 256;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return Buffer.from(bytes.subarray(0, end)).toString("utf8");
}

function errorVector(name: string, status: number, message: string): FrameVector {
  const sentMessage = cut(message);
  return {
    name,
    inputs: { status, message },
    outputs: { ...outputs(coder.encode(["uint8", "string"], [status, sentMessage])), sentMessage },
  };
}

/** Every vector, in a fixed order. */
export function buildFrameVectors(): FrameVector[] {
  const recordsRequest: JsonRecordsRequest = {
    payer: "0xbBeF0D918239fa05b7aAB20f5d881dD958c36967",
    node: "0x4e0dE00000000000000000000000000000000001",
    versionId: "1",
    lane: 0,
    fromSeq: "1",
    toSeq: "256",
  };
  const wideRequest: JsonRecordsRequest = {
    ...recordsRequest,
    versionId: "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    lane: 4294967295,
    fromSeq: "18446744073709551360",
    toSeq: "18446744073709551615",
  };
  const samplesRequest: JsonSamplesRequest = {
    datasetRoot: "0x6b2a1a8f9f6f3b1e0d8c5e4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
    startIndex: "1024",
    count: 1024,
  };
  const checkpointRequest: JsonCheckpointRequest = { versionId: "3", step: "12", offset: "4194304" };
  const entry = signedEntry();
  const privateEntry: JsonEntry = { ...entry, outputText: "" };
  const sample: JsonSample = { index: "0", text: "Add 2 and 2.\n\n4" };
  const unicodeSample: JsonSample = { index: "41", text: "Café — naïve\u00a0façade 🙂" };
  const chunk: JsonChunk = { offset: "4194304", totalBytes: "4194309", data: "0x0102030405" };

  const requestBody = {
    records: (r: JsonRecordsRequest) =>
      coder.encode(
        ["tuple(address,address,uint256,uint32,uint64,uint64)"],
        [[r.payer, r.node, BigInt(r.versionId), r.lane, BigInt(r.fromSeq), BigInt(r.toSeq)]],
      ),
    samples: (r: JsonSamplesRequest) =>
      coder.encode(["tuple(bytes32,uint64,uint32)"], [[r.datasetRoot, BigInt(r.startIndex), r.count]]),
    checkpoints: (r: JsonCheckpointRequest) =>
      coder.encode(["tuple(uint256,uint256,uint64)"], [[BigInt(r.versionId), BigInt(r.step), BigInt(r.offset)]]),
  };
  const success = {
    records: (e: JsonEntry) => coder.encode(["uint8", ENTRY], [0, entryValues(e)]),
    samples: (s: JsonSample) => coder.encode(["uint8", "tuple(uint64,string)"], [0, [BigInt(s.index), s.text]]),
    checkpoints: (c: JsonChunk) =>
      coder.encode(["uint8", "tuple(uint64,uint64,bytes)"], [0, [BigInt(c.offset), BigInt(c.totalBytes), c.data]]),
  };

  return [
    {
      name: "request: records of a lane, seq 1 to 256",
      inputs: { protocol: "records", request: recordsRequest },
      outputs: outputs(requestBody.records(recordsRequest)),
    },
    {
      name: "request: records at the top of every integer type",
      inputs: { protocol: "records", request: wideRequest },
      outputs: outputs(requestBody.records(wideRequest)),
    },
    {
      name: "request: samples of a dataset, a full page from index 1024",
      inputs: { protocol: "samples", request: samplesRequest },
      outputs: outputs(requestBody.samples(samplesRequest)),
    },
    {
      name: "request: checkpoint 12 of version 3 from byte 4194304",
      inputs: { protocol: "checkpoints", request: checkpointRequest },
      outputs: outputs(requestBody.checkpoints(checkpointRequest)),
    },
    {
      name: "success: one signed record entry",
      inputs: { protocol: "records", item: entry },
      outputs: outputs(success.records(entry)),
    },
    {
      name: "success: one record entry in private mode (empty output text)",
      inputs: { protocol: "records", item: privateEntry },
      outputs: outputs(success.records(privateEntry)),
    },
    {
      name: "success: one sample",
      inputs: { protocol: "samples", item: sample },
      outputs: outputs(success.samples(sample)),
    },
    {
      name: "success: one sample with non-ASCII text",
      inputs: { protocol: "samples", item: unicodeSample },
      outputs: outputs(success.samples(unicodeSample)),
    },
    {
      name: "success: the last five bytes of a checkpoint",
      inputs: { protocol: "checkpoints", item: chunk },
      outputs: outputs(success.checkpoints(chunk)),
    },
    errorVector("error: INVALID_REQUEST", 1, "expected a valid request, found a seq range 0..10"),
    errorVector("error: SERVER_ERROR", 2, "internal error"),
    errorVector("error: RESOURCE_UNAVAILABLE", 3, "no checkpoint 12 of version 3"),
    errorVector("error: a message over 256 bytes, cut at a character boundary", 1, `${"a".repeat(255)}é and more`),
    errorVector("error: an empty message", 2, ""),
  ];
}

/** Pretty JSON, two-space indented, with a final LF; non-ASCII characters as `\\uXXXX` escapes (an ASCII file). */
export function serializeVectors(vectors: unknown): string {
  const json = JSON.stringify(vectors, null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${json}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(P2P_FRAMES_PATH, serializeVectors(buildFrameVectors()));
}
