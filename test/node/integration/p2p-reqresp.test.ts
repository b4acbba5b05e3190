import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { expect } from "chai";
import * as lp from "it-length-prefixed";
import { bytesToHex, type Hex, hexToBytes, keccak256, toHex } from "viem";
import {
  decodeResponseFrame,
  encodeRequest,
  encodeSuccessFrame,
  type Lane,
  MAX_CHECKPOINT_CHUNK_BYTES,
  MAX_RECORDS_PER_RESPONSE,
  MAX_REQUEST_FRAME_BYTES,
  MAX_RESPONSE_FRAME_BYTES,
  REQ_RESP_PROTOCOLS,
  ReqRespError,
  ReqRespErrorCode,
  ResponseStatus,
  type SampleItem,
} from "../../../node/src/p2p/index.js";
import type { Entry } from "../../../node/src/protocol/index.js";
import { expectRejectedWithCode, makeEntry, TEST_LANE } from "../unit/p2p/helpers.js";
import { closeAll, createRawHost, type RawHost, readMetric, startNode, type TestNode } from "./p2pHelpers.js";

const RECORDS: Entry[] = Array.from({ length: 600 }, (_, i) => makeEntry(BigInt(i + 1)));
const FAILING_LANE: Lane = { ...TEST_LANE, lane: 99 };
const DATASET_ROOT = keccak256(toHex("dataset root"));
const SAMPLES: SampleItem[] = Array.from({ length: 10 }, (_, i) => ({ index: BigInt(i), text: `sample ${i} ✓` }));
/** A checkpoint of 5 MiB and 3 bytes: two pages (4 MiB, then the rest), the first of 8 full chunks. */
const CHECKPOINT = Uint8Array.from({ length: 5 * 1024 * 1024 + 3 }, (_, i) => (i * 31 + 7) & 0xff);

/** Sends `bytes` on a fresh `protocol` stream from `host` to `address` and returns the response frames' bodies. */
async function exchange(host: RawHost, address: string, protocol: string, bytes: Uint8Array): Promise<Hex[]> {
  const stream = await host.dialProtocol(multiaddr(address), protocol);
  stream.send(bytes);
  await stream.close();
  const frames: Hex[] = [];
  for await (const frame of lp.decode(stream, { maxDataLength: 2 * MAX_RESPONSE_FRAME_BYTES })) {
    frames.push(bytesToHex(frame.subarray()));
  }
  return frames;
}

/** Makes `host` answer `/olp/req/records/1` with `respond` (after reading the request frame). */
async function serveRecords(host: RawHost, respond: (stream: Stream) => Promise<void>): Promise<void> {
  await host.unhandle(REQ_RESP_PROTOCOLS.records);
  await host.handle(REQ_RESP_PROTOCOLS.records, async (stream) => {
    const requests = lp.decode(stream, { maxDataLength: MAX_REQUEST_FRAME_BYTES })[Symbol.asyncIterator]();
    await requests.next();
    await respond(stream);
  });
}

describe("p2p request–response on loopback, real libp2p (DESIGN §4, docs/protocol.md)", function () {
  this.timeout(60_000);
  let dir: string;
  let server: TestNode;
  let client: TestNode;
  let raw: RawHost;
  let serverAddress: string;
  let rawId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "olp-p2p-reqresp-"));
    server = await startNode(dir, "server", {
      reqResp: { requestTimeoutMs: 500 },
      handlers: {
        getRecords: async (lane, fromSeq, toSeq) => {
          if (lane.lane === FAILING_LANE.lane) throw new Error("LEVEL_IO_ERROR: /var/lib/olnode/store is read-only");
          return RECORDS.filter((e) => e.receipt.seq >= fromSeq && e.receipt.seq <= toSeq);
        },
        getSamples: async (root, start, count) =>
          root === DATASET_ROOT ? SAMPLES.slice(Number(start), Number(start) + count) : null,
        getCheckpoint: async (versionId, step, offset, maxBytes) =>
          versionId === 1n && step === 2n
            ? {
                totalBytes: BigInt(CHECKPOINT.length),
                data: CHECKPOINT.subarray(Number(offset), Number(offset) + maxBytes),
              }
            : null,
      },
    });
    client = await startNode(dir, "client", { reqResp: { ttfbTimeoutMs: 1_000, respTimeoutMs: 1_000 } });
    [serverAddress = ""] = server.network.getMultiaddrs();
    await client.network.connect(serverAddress);
    raw = await createRawHost();
    rawId = raw.peerId.toString();
    const [rawAddress] = raw.getMultiaddrs();
    if (rawAddress === undefined) throw new Error("the raw host listens nowhere");
    await client.network.connect(rawAddress.toString());
  });

  after(async () => {
    await closeAll(raw, client?.network, server?.network);
    rmSync(dir, { recursive: true, force: true });
  });

  it("serve the records of a lane by seq range", async () => {
    const entries = await client.network.requestRecords(server.network.peerId, TEST_LANE, 5n, 9n);
    expect(entries).to.deep.equal(RECORDS.slice(4, 9));
  });

  it("page records: at most 256 a response, and the rest from the last seq + 1", async () => {
    const pages: number[] = [];
    const all: Entry[] = [];
    for (let from = 1n; from <= 600n; ) {
      const page = await client.network.requestRecords(server.network.peerId, TEST_LANE, from, 600n);
      pages.push(page.length);
      all.push(...page);
      from = (page.at(-1)?.receipt.seq ?? from) + 1n;
    }
    expect(pages).to.deep.equal([MAX_RECORDS_PER_RESPONSE, MAX_RECORDS_PER_RESPONSE, 88]);
    expect(all).to.deep.equal(RECORDS);
  });

  it("serve samples of a dataset by root from an index, and answer RESOURCE_UNAVAILABLE for an unknown root", async () => {
    expect(await client.network.requestSamples(server.network.peerId, DATASET_ROOT, 3n, 4)).to.deep.equal(
      SAMPLES.slice(3, 7),
    );
    expect(await client.network.requestSamples(server.network.peerId, DATASET_ROOT, 8n, 5)).to.deep.equal(
      SAMPLES.slice(8),
    );
    await expectRejectedWithCode(
      () => client.network.requestSamples(server.network.peerId, keccak256("0x00"), 0n, 1),
      ReqRespError,
      ReqRespErrorCode.ERROR_RESPONSE,
      { status: ResponseStatus.RESOURCE_UNAVAILABLE, message: `no dataset with root ${keccak256("0x00")}` },
    );
  });

  it("serve a checkpoint in pages of 512 KiB chunks, reassembled byte for byte", async () => {
    const parts: Uint8Array[] = [];
    let offset = 0n;
    let total = -1n;
    while (offset !== total) {
      const page = await client.network.requestCheckpoint(server.network.peerId, 1n, 2n, offset);
      total = page.totalBytes;
      parts.push(page.data);
      offset += BigInt(page.data.length);
    }
    expect(parts.map((p) => p.length)).to.deep.equal([8 * MAX_CHECKPOINT_CHUNK_BYTES, 1024 * 1024 + 3]);
    expect(Buffer.concat(parts).equals(Buffer.from(CHECKPOINT))).to.equal(true);
    await expectRejectedWithCode(
      () => client.network.requestCheckpoint(server.network.peerId, 1n, 3n, 0n),
      ReqRespError,
      ReqRespErrorCode.ERROR_RESPONSE,
      { status: ResponseStatus.RESOURCE_UNAVAILABLE },
    );
  });

  it("answer a handler failure with a SERVER_ERROR frame that says nothing of our internals", async () => {
    await expectRejectedWithCode(
      () => client.network.requestRecords(server.network.peerId, FAILING_LANE, 1n, 1n),
      ReqRespError,
      ReqRespErrorCode.ERROR_RESPONSE,
      { status: ResponseStatus.SERVER_ERROR, message: "internal error" },
    );
  });

  it("answer a request that breaks its protocol's rules with an INVALID_REQUEST frame", async () => {
    const request = encodeRequest("records", { ...TEST_LANE, fromSeq: 0n, toSeq: 10n });
    const frames = await exchange(
      raw,
      serverAddress,
      REQ_RESP_PROTOCOLS.records,
      lp.encode.single(hexToBytes(request)).subarray(),
    );
    expect(frames.map((f) => decodeResponseFrame("records", f))).to.deep.equal([
      { status: ResponseStatus.INVALID_REQUEST, message: "expected a valid request, found a seq range 0..10" },
    ]);
    const samples = encodeRequest("samples", { datasetRoot: DATASET_ROOT, startIndex: 0n, count: 1025 });
    const [frame] = await exchange(
      raw,
      serverAddress,
      REQ_RESP_PROTOCOLS.samples,
      lp.encode.single(hexToBytes(samples)).subarray(),
    );
    expect(decodeResponseFrame("samples", frame ?? "0x")).to.deep.include({ status: ResponseStatus.INVALID_REQUEST });
  });

  it("refuse a request frame over 1 KiB from its length prefix, with an INVALID_REQUEST frame", async () => {
    const oversize = lp.encode.single(new Uint8Array(MAX_REQUEST_FRAME_BYTES + 1)).subarray();
    const frames = await exchange(raw, serverAddress, REQ_RESP_PROTOCOLS.records, oversize);
    expect(frames.map((f) => decodeResponseFrame("records", f))).to.deep.equal([
      {
        status: ResponseStatus.INVALID_REQUEST,
        message: `expected a frame of at most ${MAX_REQUEST_FRAME_BYTES} bytes, found a longer length prefix`,
      },
    ]);
  });

  it("drop a stream that sends no request in time", async () => {
    const before = await readMetric(server.registry, "olnode_p2p_reqresp_requests_total");
    const stream = await raw.dialProtocol(multiaddr(serverAddress), REQ_RESP_PROTOCOLS.samples);
    const frames: unknown[] = [];
    try {
      for await (const frame of lp.decode(stream)) frames.push(frame);
    } catch {
      // A reset stream ends the read with an error; either way no frame came.
    }
    expect(frames).to.be.empty;
    expect(await readMetric(server.registry, "olnode_p2p_reqresp_requests_total")).to.equal(before + 1);
    const metric = await server.registry.getSingleMetric("olnode_p2p_reqresp_requests_total")?.get();
    expect(metric?.values.some((v) => v.labels.status === ReqRespErrorCode.TIMEOUT && v.value === 1)).to.equal(true);
  });

  describe("as a requester", () => {
    it("refuse a response frame over 1 MiB from its length prefix", async () => {
      await serveRecords(raw, async (stream) => {
        stream.send(lp.encode.single(new Uint8Array(MAX_RESPONSE_FRAME_BYTES + 1)));
        await stream.close();
      });
      await expectRejectedWithCode(
        () => client.network.requestRecords(rawId, TEST_LANE, 1n, 1n),
        ReqRespError,
        ReqRespErrorCode.FRAME_TOO_LARGE,
        { max: MAX_RESPONSE_FRAME_BYTES },
      );
    });

    it("refuse more items than a page holds, and items outside the range asked for", async () => {
      await serveRecords(raw, async (stream) => {
        for (const entry of RECORDS.slice(0, MAX_RECORDS_PER_RESPONSE + 1)) {
          stream.send(lp.encode.single(hexToBytes(encodeSuccessFrame("records", entry))));
        }
        await stream.close();
      });
      await expectRejectedWithCode(
        () => client.network.requestRecords(rawId, TEST_LANE, 1n, 600n),
        ReqRespError,
        ReqRespErrorCode.INVALID_RESPONSE,
        { reason: `more than ${MAX_RECORDS_PER_RESPONSE} items` },
      );
      await expectRejectedWithCode(
        () => client.network.requestRecords(rawId, TEST_LANE, 300n, 600n),
        ReqRespError,
        ReqRespErrorCode.INVALID_RESPONSE,
      );
    });

    it("time out when the first frame does not come", async () => {
      await serveRecords(raw, async () => {});
      await expectRejectedWithCode(
        () => client.network.requestRecords(rawId, TEST_LANE, 1n, 1n),
        ReqRespError,
        ReqRespErrorCode.TIMEOUT,
        { phase: "first frame" },
      );
    });

    it("check its own arguments before sending", async () => {
      await expectRejectedWithCode(
        () => client.network.requestRecords(server.network.peerId, TEST_LANE, 5n, 4n),
        ReqRespError,
        ReqRespErrorCode.INVALID_REQUEST,
      );
      await expectRejectedWithCode(
        () => client.network.requestSamples(server.network.peerId, DATASET_ROOT, 0n, 0),
        ReqRespError,
        ReqRespErrorCode.INVALID_REQUEST,
      );
    });
  });
});
