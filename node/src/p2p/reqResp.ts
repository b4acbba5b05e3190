import type { Libp2p, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import * as lp from "it-length-prefixed";
import type { Uint8ArrayList } from "uint8arraylist";
import { type Hex, size } from "viem";
import type { Entry } from "../protocol/index.js";
import { ReqRespError, ReqRespErrorCode } from "./errors.js";
import type { P2pLogger } from "./logger.js";
import type { P2pMetrics } from "./metrics.js";
import {
  bytesToHexFast,
  type CheckpointChunk,
  decodeRequest,
  decodeResponseFrame,
  encodeErrorFrame,
  encodeRequest,
  encodeSuccessFrame,
  hexToBytesFast,
  type Lane,
  MAX_CHECKPOINT_CHUNK_BYTES,
  MAX_CHECKPOINT_CHUNKS_PER_RESPONSE,
  MAX_RECORDS_PER_RESPONSE,
  MAX_REQUEST_FRAME_BYTES,
  MAX_RESPONSE_BYTES,
  MAX_RESPONSE_FRAME_BYTES,
  MAX_SAMPLES_PER_RESPONSE,
  REQ_RESP_PROTOCOLS,
  type ReqRespItems,
  type ReqRespProtocolName,
  type ReqRespRequests,
  ResponseStatus,
  type SampleItem,
} from "./reqRespFrames.js";

/** A run of checkpoint bytes a handler holds: `data` starts at the requested offset of `totalBytes`. */
export type CheckpointBytes = { totalBytes: bigint; data: Uint8Array };

/** What the node serves to peers, injected into the p2p layer; each returns at most what it was asked for. */
export interface ReqRespHandlers {
  /** The records of `lane` with `fromSeq ≤ seq ≤ toSeq` that we hold, ascending by seq (none: an empty array). */
  getRecords(lane: Lane, fromSeq: bigint, toSeq: bigint): Promise<Entry[]>;
  /** Up to `count` samples of the dataset with `datasetRoot` from `startIndex`, or null for a dataset we lack. */
  getSamples(datasetRoot: Hex, startIndex: bigint, count: number): Promise<SampleItem[] | null>;
  /** Up to `maxBytes` of checkpoint `step` of `versionId` from byte `offset`, or null for a checkpoint we lack. */
  getCheckpoint(versionId: bigint, step: bigint, offset: bigint, maxBytes: number): Promise<CheckpointBytes | null>;
}

/** Timeouts and stream limits of request–response; defaults in `defaultNetworkOptions`. */
export type ReqRespOptions = {
  /** A responder waits this long for the request frame. */
  requestTimeoutMs: number;
  /** A requester waits this long for the stream to open and the first response frame to arrive. */
  ttfbTimeoutMs: number;
  /** A requester waits this long for each next frame. */
  respTimeoutMs: number;
  /** Most concurrent inbound streams of one protocol on one connection (libp2p refuses the rest). */
  maxInboundStreams: number;
};

/** The most items of one response, by protocol. */
export const MAX_ITEMS_PER_RESPONSE: Record<ReqRespProtocolName, number> = {
  records: MAX_RECORDS_PER_RESPONSE,
  samples: MAX_SAMPLES_PER_RESPONSE,
  checkpoints: MAX_CHECKPOINT_CHUNKS_PER_RESPONSE,
};

const NAMES = Object.keys(REQ_RESP_PROTOCOLS) as ReqRespProtocolName[];

/**
 * The request–response protocols of DESIGN §4 on a libp2p host: serves the injected handlers and sends requests. One
 * request per stream; frames and limits are those of `reqRespFrames.ts` (docs/protocol.md).
 */
export class ReqResp {
  constructor(
    private readonly libp2p: Libp2p,
    private readonly handlers: ReqRespHandlers,
    private readonly opts: ReqRespOptions,
    private readonly logger: P2pLogger,
    private readonly metrics: P2pMetrics | null,
  ) {}

  /** Registers the three protocols' stream handlers. */
  async start(): Promise<void> {
    for (const name of NAMES) {
      await this.libp2p.handle(REQ_RESP_PROTOCOLS[name], (stream) => this.onStream(name, stream), {
        maxInboundStreams: this.opts.maxInboundStreams,
      });
    }
  }

  /** Unregisters them. */
  async stop(): Promise<void> {
    await this.libp2p.unhandle(NAMES.map((name) => REQ_RESP_PROTOCOLS[name]));
  }

  /**
   * Sends `request` to `peerId` and returns the items of its one-page response, checked against the frame, count
   * and byte limits (the protocol-specific range checks are the caller's). Throws a {@link ReqRespError}.
   */
  async request<P extends ReqRespProtocolName>(
    peerId: string,
    name: P,
    request: ReqRespRequests[P],
  ): Promise<ReqRespItems[P][]> {
    const protocol = REQ_RESP_PROTOCOLS[name];
    const body = hexToBytesFast(encodeRequest(name, request));
    let stream: Stream;
    try {
      stream = await this.libp2p.dialProtocol(peerIdFromString(peerId), protocol, {
        signal: AbortSignal.timeout(this.opts.ttfbTimeoutMs),
      });
    } catch (cause) {
      this.count(name, "outbound", ReqRespErrorCode.DIAL_FAILED);
      throw new ReqRespError({ code: ReqRespErrorCode.DIAL_FAILED, peerId, protocol }, { cause });
    }
    try {
      await send(stream, lp.encode.single(body));
      await stream.close();
      const items: ReqRespItems[P][] = [];
      let bytes = 0;
      const frames = readFrames(stream, MAX_RESPONSE_FRAME_BYTES);
      for (let phase: FramePhase = "first frame"; ; phase = "next frame") {
        const timeoutMs = phase === "first frame" ? this.opts.ttfbTimeoutMs : this.opts.respTimeoutMs;
        const next = await nextWithTimeout(frames, timeoutMs, phase);
        if (next.done === true) break;
        bytes += next.value.byteLength;
        if (bytes > MAX_RESPONSE_BYTES) throw invalidResponse(`more than ${MAX_RESPONSE_BYTES} bytes`);
        const frame = decodeResponseFrame(name, bytesToHexFast(next.value.subarray()));
        if (frame.status !== ResponseStatus.SUCCESS) {
          throw new ReqRespError({
            code: ReqRespErrorCode.ERROR_RESPONSE,
            status: frame.status,
            message: frame.message,
          });
        }
        items.push(frame.item);
        if (items.length > MAX_ITEMS_PER_RESPONSE[name]) {
          throw invalidResponse(`more than ${MAX_ITEMS_PER_RESPONSE[name]} items`);
        }
      }
      this.count(name, "outbound", "SUCCESS");
      return items;
    } catch (err) {
      const failure = toReqRespError(err);
      this.count(name, "outbound", failure.type.code);
      stream.abort(failure);
      throw failure;
    }
  }

  /** Serves one inbound stream: one request frame in, its response frames out, then close. */
  private async onStream(name: ReqRespProtocolName, stream: Stream): Promise<void> {
    let frames: Hex[];
    let status = "SUCCESS";
    try {
      const requests = readFrames(stream, MAX_REQUEST_FRAME_BYTES);
      const next = await nextWithTimeout(requests, this.opts.requestTimeoutMs, "request");
      if (next.done === true) throw new ReqRespError({ code: ReqRespErrorCode.INVALID_FRAME, reason: "no request" });
      const request = decodeRequest(name, bytesToHexFast(next.value.subarray()));
      frames = await this.respond(name, request);
    } catch (err) {
      if (err instanceof ReqRespError && err.type.code === ReqRespErrorCode.TIMEOUT) {
        this.count(name, "inbound", err.type.code);
        stream.abort(err);
        return;
      }
      const [code, message] = toErrorFrame(err);
      if (code === ResponseStatus.SERVER_ERROR) {
        this.logger.warn("Request-response handler failed", { protocol: name }, err);
      }
      status = ResponseStatus[code];
      frames = [encodeErrorFrame(code, message)];
    }
    try {
      for (const frame of frames) await send(stream, lp.encode.single(hexToBytesFast(frame)));
      await stream.close();
      this.count(name, "inbound", status);
    } catch (err) {
      this.logger.debug("Request-response stream failed while responding", { protocol: name }, err);
      this.count(name, "inbound", "STREAM_ERROR");
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The success frames answering a decoded request: one page, within the item and byte limits. */
  private async respond<P extends ReqRespProtocolName>(name: P, request: ReqRespRequests[P]): Promise<Hex[]> {
    switch (name) {
      case "records": {
        const { fromSeq, toSeq, ...lane } = request as ReqRespRequests["records"];
        // [INVALID_REQUEST] a range of seqs, which start at 1 (DESIGN §4).
        if (fromSeq < 1n || toSeq < fromSeq) throw invalidRequest(`a seq range ${fromSeq}..${toSeq}`);
        const last = minBigInt(toSeq, fromSeq + BigInt(MAX_RECORDS_PER_RESPONSE) - 1n);
        const entries = await this.handlers.getRecords(lane, fromSeq, last);
        return page(entries.map((entry) => () => encodeSuccessFrame("records", entry)));
      }
      case "samples": {
        const { datasetRoot, startIndex, count } = request as ReqRespRequests["samples"];
        if (count < 1 || count > MAX_SAMPLES_PER_RESPONSE) {
          throw invalidRequest(`a count of ${count} (1 to ${MAX_SAMPLES_PER_RESPONSE})`);
        }
        const samples = await this.handlers.getSamples(datasetRoot, startIndex, count);
        if (samples === null) throw new ResourceUnavailable(`no dataset with root ${datasetRoot}`);
        return page(samples.slice(0, count).map((sample) => () => encodeSuccessFrame("samples", sample)));
      }
      default: {
        const { versionId, step, offset } = request as ReqRespRequests["checkpoints"];
        const maxBytes = MAX_CHECKPOINT_CHUNK_BYTES * MAX_CHECKPOINT_CHUNKS_PER_RESPONSE;
        const held = await this.handlers.getCheckpoint(versionId, step, offset, maxBytes);
        if (held === null) throw new ResourceUnavailable(`no checkpoint ${step} of version ${versionId}`);
        if (offset > held.totalBytes) throw invalidRequest(`an offset ${offset} past the ${held.totalBytes} bytes`);
        const data = held.data.subarray(0, Math.min(maxBytes, Number(held.totalBytes - offset)));
        const chunks: (() => Hex)[] = [];
        for (let start = 0; start < data.length; start += MAX_CHECKPOINT_CHUNK_BYTES) {
          const chunk: CheckpointChunk = {
            offset: offset + BigInt(start),
            totalBytes: held.totalBytes,
            data: bytesToHexFast(data.subarray(start, start + MAX_CHECKPOINT_CHUNK_BYTES)),
          };
          chunks.push(() => encodeSuccessFrame("checkpoints", chunk));
        }
        return page(chunks);
      }
    }
  }

  private count(name: ReqRespProtocolName, direction: "inbound" | "outbound", status: string): void {
    this.metrics?.onReqResp(name, direction, status);
  }
}

/** A handler's way of saying it lacks what was asked for: RESOURCE_UNAVAILABLE. */
class ResourceUnavailable extends Error {}

/**
 * Encodes items into success frames until the item limit or the byte budget ends the page; a shorter page is legal
 * (the requester asks again from where it stopped). An item too large for one frame ends the page before it, or is a
 * SERVER_ERROR when it comes first (we cannot serve it).
 */
function page(encoders: (() => Hex)[]): Hex[] {
  const frames: Hex[] = [];
  let bytes = 0;
  for (const encode of encoders) {
    const frame = encode();
    const frameBytes = size(frame);
    if (frameBytes > MAX_RESPONSE_FRAME_BYTES || bytes + frameBytes > MAX_RESPONSE_BYTES) {
      if (frames.length === 0) throw new Error(`an item of ${frameBytes} bytes does not fit a frame`);
      break;
    }
    frames.push(frame);
    bytes += frameBytes;
  }
  return frames;
}

type FramePhase = "request" | "first frame" | "next frame";

/**
 * The length-prefixed frames of `stream`, each at most `maxDataLength` bytes; a longer length prefix fails at once,
 * before its bytes are read, as FRAME_TOO_LARGE, and a stream cut inside a frame as INVALID_FRAME.
 */
function readFrames(stream: Stream, maxDataLength: number): AsyncIterator<Uint8ArrayList> {
  const frames = lp.decode(stream, { maxDataLength })[Symbol.asyncIterator]();
  return {
    async next() {
      try {
        return await frames.next();
      } catch (err) {
        throw toReqRespError(err, maxDataLength);
      }
    },
  };
}

async function nextWithTimeout<T>(
  iterator: AsyncIterator<T>,
  timeoutMs: number,
  phase: FramePhase,
): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReqRespError({ code: ReqRespErrorCode.TIMEOUT, phase })), timeoutMs);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes `data`, waiting for the stream to drain when its write buffer is full. */
async function send(stream: Stream, data: Uint8Array | Uint8ArrayList): Promise<void> {
  if (!stream.send(data)) await stream.onDrain();
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function invalidRequest(reason: string): ReqRespError {
  return new ReqRespError({ code: ReqRespErrorCode.INVALID_REQUEST, reason });
}

function invalidResponse(reason: string): ReqRespError {
  return new ReqRespError({ code: ReqRespErrorCode.INVALID_RESPONSE, reason });
}

/** Whatever went wrong as a {@link ReqRespError}: length-prefix errors become FRAME_TOO_LARGE or INVALID_FRAME. */
function toReqRespError(err: unknown, maxFrameBytes = MAX_RESPONSE_FRAME_BYTES): ReqRespError {
  if (err instanceof ReqRespError) return err;
  const name = err instanceof Error ? err.name : "";
  if (name === "InvalidDataLengthError" || name === "InvalidDataLengthLengthError") {
    return new ReqRespError({ code: ReqRespErrorCode.FRAME_TOO_LARGE, max: maxFrameBytes }, { cause: err });
  }
  const reason = name === "UnexpectedEOFError" ? "a truncated frame" : `a failed stream (${String(err)})`;
  return new ReqRespError({ code: ReqRespErrorCode.INVALID_FRAME, reason }, { cause: err });
}

/**
 * The error frame answering what went wrong while reading or serving a request: our own failures are SERVER_ERROR
 * with a message that tells the peer nothing of our internals; the peer's mistakes say what was expected.
 */
function toErrorFrame(err: unknown): [Exclude<ResponseStatus, ResponseStatus.SUCCESS>, string] {
  if (err instanceof ResourceUnavailable) return [ResponseStatus.RESOURCE_UNAVAILABLE, err.message];
  if (err instanceof ReqRespError) return [ResponseStatus.INVALID_REQUEST, err.message];
  return [ResponseStatus.SERVER_ERROR, "internal error"];
}
