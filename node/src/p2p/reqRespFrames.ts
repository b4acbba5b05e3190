import { type Address, decodeAbiParameters, encodeAbiParameters, type Hex, hexToBigInt, size, sliceHex } from "viem";
import { type Entry, recordsMessageParameters } from "../protocol/index.js";
import { ReqRespError, ReqRespErrorCode } from "./errors.js";

// Request–response frames (docs/protocol.md "Request–response frames", pinned by test/vectors/p2p-frames.json).
// Every frame is an unsigned-varint length and then that many bytes of `abi.encode`. A request is one frame holding
// one tuple; a response is zero or more success frames `abi.encode(uint8 0, item)`, one item each, possibly ended by
// one error frame `abi.encode(uint8 status, string message)`, and then the responder closes the stream.

/** The request–response protocols of DESIGN §4. */
export const REQ_RESP_PROTOCOLS = {
  records: "/olp/req/records/1",
  samples: "/olp/req/samples/1",
  checkpoints: "/olp/req/checkpoints/1",
} as const;

/** The status byte of a response frame. */
export enum ResponseStatus {
  /** The frame holds one item. */
  SUCCESS = 0,
  /** The request does not decode, breaks a rule of its protocol, or its frame is too large. */
  INVALID_REQUEST = 1,
  /** The responder failed (its store, its handler): try again later or elsewhere. */
  SERVER_ERROR = 2,
  /** The responder does not hold what was asked (an unknown dataset root, version or checkpoint). */
  RESOURCE_UNAVAILABLE = 3,
}

/** Most bytes of a request frame (without its length prefix): requests are small fixed-size tuples. */
export const MAX_REQUEST_FRAME_BYTES = 1024;
/** Most bytes of a response frame (without its length prefix): one item, as large as one gossip message may be. */
export const MAX_RESPONSE_FRAME_BYTES = 1 << 20;
/** Most bytes of all the frames of one response together; the responder ends a page early rather than pass it. */
export const MAX_RESPONSE_BYTES = 8 << 20;
/** Most UTF-8 bytes of an error frame's message; a responder cuts a longer one. */
export const MAX_ERROR_MESSAGE_BYTES = 256;
/** Most records in one response (the size of a gossip batch, DESIGN §4). */
export const MAX_RECORDS_PER_RESPONSE = 256;
/** Most samples in one response. */
export const MAX_SAMPLES_PER_RESPONSE = 1024;
/** Most checkpoint bytes in one chunk frame. */
export const MAX_CHECKPOINT_CHUNK_BYTES = 512 * 1024;
/** Most chunk frames in one checkpoint response: 4 MiB a page. */
export const MAX_CHECKPOINT_CHUNKS_PER_RESPONSE = 8;

/** A lane (DESIGN §4): payer, node, adapter version and the payer's lane number. */
export type Lane = { payer: Address; node: Address; versionId: bigint; lane: number };

/** `/olp/req/records/1`: the records of `lane` with `fromSeq ≤ seq ≤ toSeq`, ascending by seq. */
export type RecordsRequest = Lane & { fromSeq: bigint; toSeq: bigint };

/** `/olp/req/samples/1`: up to `count` samples of the dataset with root `datasetRoot`, from `startIndex`. */
export type SamplesRequest = { datasetRoot: Hex; startIndex: bigint; count: number };

/** `/olp/req/checkpoints/1`: the bytes of checkpoint `step` of version `versionId`, from byte `offset`. */
export type CheckpointRequest = { versionId: bigint; step: bigint; offset: bigint };

/** One sample of a dataset: its index in the dataset file and its canonical text (DESIGN §4), whose hash is a leaf. */
export type SampleItem = { index: bigint; text: string };

/** A run of a checkpoint's bytes: `data` starts at `offset` of a checkpoint of `totalBytes` bytes. */
export type CheckpointChunk = { offset: bigint; totalBytes: bigint; data: Hex };

/** The request of each protocol, by short name. */
export type ReqRespRequests = { records: RecordsRequest; samples: SamplesRequest; checkpoints: CheckpointRequest };
/** The item of each protocol's success frames, by short name. */
export type ReqRespItems = { records: Entry; samples: SampleItem; checkpoints: CheckpointChunk };
/** The short name of a request–response protocol. */
export type ReqRespProtocolName = keyof typeof REQ_RESP_PROTOCOLS;

/** A decoded response frame: an item, or the status and message of an error frame. */
export type ResponseFrame<T> =
  | { status: ResponseStatus.SUCCESS; item: T }
  | { status: Exclude<ResponseStatus, ResponseStatus.SUCCESS>; message: string };

const recordsRequestParameters = [
  {
    name: "request",
    type: "tuple",
    components: [
      { name: "payer", type: "address" },
      { name: "node", type: "address" },
      { name: "versionId", type: "uint256" },
      { name: "lane", type: "uint32" },
      { name: "fromSeq", type: "uint64" },
      { name: "toSeq", type: "uint64" },
    ],
  },
] as const;

const samplesRequestParameters = [
  {
    name: "request",
    type: "tuple",
    components: [
      { name: "datasetRoot", type: "bytes32" },
      { name: "startIndex", type: "uint64" },
      { name: "count", type: "uint32" },
    ],
  },
] as const;

const checkpointRequestParameters = [
  {
    name: "request",
    type: "tuple",
    components: [
      { name: "versionId", type: "uint256" },
      { name: "step", type: "uint256" },
      { name: "offset", type: "uint64" },
    ],
  },
] as const;

const statusParameter = { name: "status", type: "uint8" } as const;

const entryParameter = { ...recordsMessageParameters[0], name: "entry", type: "tuple" } as const;

const sampleParameter = {
  name: "sample",
  type: "tuple",
  components: [
    { name: "index", type: "uint64" },
    { name: "text", type: "string" },
  ],
} as const;

const errorParameters = [statusParameter, { name: "message", type: "string" }] as const;

/** The `abi.encode` of a request of `protocol` (without its length prefix). */
export function encodeRequest<P extends ReqRespProtocolName>(protocol: P, request: ReqRespRequests[P]): Hex {
  switch (protocol) {
    case "records":
      return encodeAbiParameters(recordsRequestParameters, [request as RecordsRequest]);
    case "samples":
      return encodeAbiParameters(samplesRequestParameters, [request as SamplesRequest]);
    default:
      return encodeAbiParameters(checkpointRequestParameters, [request as CheckpointRequest]);
  }
}

/**
 * The request of `protocol` in `body`. Refuses a body that does not decode or is not the canonical encoding of what
 * it decodes to. Throws a {@link ReqRespError} `INVALID_FRAME`.
 */
export function decodeRequest<P extends ReqRespProtocolName>(protocol: P, body: Hex): ReqRespRequests[P] {
  const request = tryDecode(() => {
    switch (protocol) {
      case "records": {
        const [r] = decodeAbiParameters(recordsRequestParameters, body);
        return { ...r };
      }
      case "samples": {
        const [r] = decodeAbiParameters(samplesRequestParameters, body);
        return { ...r };
      }
      default: {
        const [r] = decodeAbiParameters(checkpointRequestParameters, body);
        return { ...r };
      }
    }
  });
  return check(body, request as ReqRespRequests[P], (r) => encodeRequest(protocol, r));
}

/** The success frame of one item (without its length prefix): `abi.encode(uint8 0, item)`. */
export function encodeSuccessFrame<P extends ReqRespProtocolName>(protocol: P, item: ReqRespItems[P]): Hex {
  switch (protocol) {
    case "records":
      return encodeAbiParameters([statusParameter, entryParameter], [ResponseStatus.SUCCESS, item as Entry]);
    case "samples":
      return encodeAbiParameters([statusParameter, sampleParameter], [ResponseStatus.SUCCESS, item as SampleItem]);
    default:
      return encodeChunkFrame(item as CheckpointChunk);
  }
}

/**
 * An error frame (without its length prefix): `abi.encode(uint8 status, string message)`, the message cut to
 * {@link MAX_ERROR_MESSAGE_BYTES} UTF-8 bytes at a character boundary.
 */
export function encodeErrorFrame(status: Exclude<ResponseStatus, ResponseStatus.SUCCESS>, message: string): Hex {
  return encodeAbiParameters(errorParameters, [status, truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES)]);
}

/**
 * A response frame of `protocol`: the status is the first word; a success frame decodes as `(uint8, item)`, any
 * other status as `(uint8, string)`. Refuses unknown statuses, error messages over the limit and non-canonical
 * encodings. Throws a {@link ReqRespError} `INVALID_FRAME`.
 */
export function decodeResponseFrame<P extends ReqRespProtocolName>(
  protocol: P,
  body: Hex,
): ResponseFrame<ReqRespItems[P]> {
  if (size(body) < 32) throw invalidFrame("shorter than one word");
  const word = hexToBigInt(sliceHex(body, 0, 32));
  if (word > 255n) throw invalidFrame(`a status word of ${word}`);
  const status = Number(word);
  if (status === ResponseStatus.SUCCESS && protocol === "checkpoints") {
    return { status, item: decodeChunkFrame(body) as ReqRespItems[P] };
  }
  if (status === ResponseStatus.SUCCESS) {
    const item = tryDecode(() => decodeItem(protocol, body));
    check(body, item, (i) => encodeSuccessFrame(protocol, i));
    return { status, item };
  }
  if (!isErrorStatus(status)) throw invalidFrame(`unknown status ${status}`);
  const [, message] = tryDecode(() => decodeAbiParameters(errorParameters, body));
  if (new TextEncoder().encode(message).length > MAX_ERROR_MESSAGE_BYTES) {
    throw invalidFrame(`an error message over ${MAX_ERROR_MESSAGE_BYTES} bytes`);
  }
  check(body, message, (m) => encodeAbiParameters(errorParameters, [status, m]));
  return { status, message };
}

function decodeItem<P extends ReqRespProtocolName>(protocol: P, body: Hex): ReqRespItems[P] {
  switch (protocol) {
    case "records": {
      const [, e] = decodeAbiParameters([statusParameter, entryParameter], body);
      const entry: Entry = {
        receipt: { ...e.receipt },
        receiptSig: e.receiptSig,
        record: { ...e.record, datasetIds: [...e.record.datasetIds], weightsPpm: [...e.record.weightsPpm] },
        recordSig: e.recordSig,
        outputText: e.outputText,
      };
      return entry as ReqRespItems[P];
    }
    case "samples": {
      const [, s] = decodeAbiParameters([statusParameter, sampleParameter], body);
      return { ...s } as ReqRespItems[P];
    }
    default:
      return decodeChunkFrame(body) as ReqRespItems[P];
  }
}

function isErrorStatus(status: number): status is Exclude<ResponseStatus, ResponseStatus.SUCCESS> {
  return (
    status === ResponseStatus.INVALID_REQUEST ||
    status === ResponseStatus.SERVER_ERROR ||
    status === ResponseStatus.RESOURCE_UNAVAILABLE
  );
}

function tryDecode<T>(decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw invalidFrame("bytes that do not decode", cause);
  }
}

/** [INVALID] the frame is the canonical `abi.encode` of what it decodes to, so one value has one encoding. */
function check<T>(body: Hex, value: T, encode: (value: T) => Hex): T {
  let canonical: Hex;
  try {
    canonical = encode(value);
  } catch (cause) {
    throw invalidFrame("a value that does not re-encode", cause);
  }
  if (canonical !== body.toLowerCase()) throw invalidFrame("a non-canonical encoding");
  return value;
}

function invalidFrame(reason: string, cause?: unknown): ReqRespError {
  return new ReqRespError({ code: ReqRespErrorCode.INVALID_FRAME, reason }, cause === undefined ? {} : { cause });
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, never inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

// Checkpoint chunks carry up to 512 KiB each, and a general ABI coder spends most of a page's time on them; their
// layout is fixed, so they are written and read word by word. The golden vectors hold this to ethers' encoding.
//   word 0: status 0 · word 1: 0x40 (the tuple's offset) · word 2: offset · word 3: totalBytes
//   word 4: 0x60 (the bytes' offset in the tuple) · word 5: length · then the data, zero-padded to 32 bytes.

const WORD = 64;
const UINT64_MAX = (1n << 64n) - 1n;

function word(value: bigint | number): string {
  return value.toString(16).padStart(WORD, "0");
}

function encodeChunkFrame(chunk: CheckpointChunk): Hex {
  for (const [field, value] of [
    ["offset", chunk.offset],
    ["totalBytes", chunk.totalBytes],
  ] as const) {
    if (value < 0n || value > UINT64_MAX) throw new RangeError(`${field} ${value} does not fit uint64`);
  }
  const data = chunk.data.slice(2).toLowerCase();
  if (data.length % 2 !== 0 || !/^[0-9a-f]*$/.test(data)) throw new TypeError("chunk data is not hex bytes");
  const padding = "0".repeat((WORD - (data.length % WORD)) % WORD);
  const head = [0, 0x40, chunk.offset, chunk.totalBytes, 0x60, data.length / 2].map(word).join("");
  return `0x${head}${data}${padding}`;
}

/** A checkpoint success frame, read word by word with every check a canonical re-encoding would make. */
function decodeChunkFrame(body: Hex): CheckpointChunk {
  const hex = body.slice(2).toLowerCase();
  const at = (index: number): string => hex.slice(index * WORD, (index + 1) * WORD);
  const uint = (index: number, bits: number): bigint => {
    const value = BigInt(`0x${at(index)}`);
    if (value >> BigInt(bits) !== 0n) throw invalidFrame(`word ${index} over uint${bits}`);
    return value;
  };
  if (hex.length < 6 * WORD || !/^[0-9a-f]*$/.test(hex)) throw invalidFrame("bytes that do not decode");
  if (uint(1, 256) !== 0x40n || uint(4, 256) !== 0x60n) throw invalidFrame("a non-canonical encoding");
  const offset = uint(2, 64);
  const totalBytes = uint(3, 64);
  const length = Number(uint(5, 32));
  const padded = Math.ceil(length / 32) * WORD;
  if (hex.length !== 6 * WORD + padded) throw invalidFrame("a non-canonical encoding");
  if (!/^0*$/.test(hex.slice(6 * WORD + length * 2))) throw invalidFrame("a non-canonical encoding");
  return { offset, totalBytes, data: `0x${hex.slice(6 * WORD, 6 * WORD + length * 2)}` };
}

/** `bytes` as 0x-hex, by Node's native encoder (viem's is slow for frames of megabytes). */
export function bytesToHexFast(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** The bytes of 0x-hex, by Node's native decoder. */
export function hexToBytesFast(hex: Hex): Uint8Array {
  return Buffer.from(hex.slice(2), "hex");
}
