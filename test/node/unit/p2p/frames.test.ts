import { readFileSync } from "node:fs";
import { expect } from "chai";
import * as lp from "it-length-prefixed";
import { type Address, bytesToHex, concatHex, encodeAbiParameters, type Hex, hexToBytes, padHex, toHex } from "viem";
import {
  decodeRequest,
  decodeResponseFrame,
  encodeErrorFrame,
  encodeRequest,
  encodeSuccessFrame,
  MAX_ERROR_MESSAGE_BYTES,
  ReqRespError,
  ReqRespErrorCode,
  type ReqRespItems,
  type ReqRespProtocolName,
  type ReqRespRequests,
  ResponseStatus,
} from "../../../../node/src/p2p/index.js";
import type { Entry } from "../../../../node/src/protocol/index.js";
import {
  buildFrameVectors,
  type FrameVector,
  type JsonChunk,
  type JsonEntry,
  type JsonSample,
  P2P_FRAMES_PATH,
  serializeVectors,
} from "./frameVectors.js";
import { expectRejectedWithCode } from "./helpers.js";

const VECTORS = JSON.parse(readFileSync(P2P_FRAMES_PATH, "utf8")) as FrameVector[];

type RequestVector = Extract<FrameVector, { inputs: { request: unknown } }>;
type SuccessVector = Extract<FrameVector, { inputs: { item: unknown } }>;
type ErrorVector = Extract<FrameVector, { inputs: { status: number } }>;

function toRequest(vector: RequestVector): ReqRespRequests[ReqRespProtocolName] {
  const { inputs } = vector;
  switch (inputs.protocol) {
    case "records": {
      const r = inputs.request;
      return {
        payer: r.payer as Address,
        node: r.node as Address,
        versionId: BigInt(r.versionId),
        lane: r.lane,
        fromSeq: BigInt(r.fromSeq),
        toSeq: BigInt(r.toSeq),
      };
    }
    case "samples":
      return {
        ...inputs.request,
        datasetRoot: inputs.request.datasetRoot as Hex,
        startIndex: BigInt(inputs.request.startIndex),
      };
    case "checkpoints": {
      const r = inputs.request;
      return { versionId: BigInt(r.versionId), step: BigInt(r.step), offset: BigInt(r.offset) };
    }
  }
}

function toEntry(e: JsonEntry): Entry {
  return {
    receipt: {
      payer: e.receipt.payer as Address,
      node: e.receipt.node as Address,
      versionId: BigInt(e.receipt.versionId),
      lane: e.receipt.lane,
      seq: BigInt(e.receipt.seq),
      requestHash: e.receipt.requestHash as Hex,
      value: BigInt(e.receipt.value),
      cumulative: BigInt(e.receipt.cumulative),
    },
    receiptSig: e.receiptSig as Hex,
    record: {
      receiptDigest: e.record.receiptDigest as Hex,
      outputHash: e.record.outputHash as Hex,
      promptTokens: e.record.promptTokens,
      outputTokens: e.record.outputTokens,
      datasetIds: e.record.datasetIds.map(BigInt),
      weightsPpm: e.record.weightsPpm,
    },
    recordSig: e.recordSig as Hex,
    outputText: e.outputText,
  };
}

function toItem(vector: SuccessVector): ReqRespItems[ReqRespProtocolName] {
  const { inputs } = vector;
  switch (inputs.protocol) {
    case "records":
      return toEntry(inputs.item);
    case "samples":
      return { index: BigInt((inputs.item as JsonSample).index), text: (inputs.item as JsonSample).text };
    case "checkpoints": {
      const c = inputs.item as JsonChunk;
      return { offset: BigInt(c.offset), totalBytes: BigInt(c.totalBytes), data: c.data as Hex };
    }
  }
}

/** The length-prefixed frame of `body`, by it-length-prefixed (what the streams use). */
const frameOf = (body: Hex): Hex => bytesToHex(lp.encode.single(hexToBytes(body)).subarray());

const ofKind = <T extends FrameVector>(kind: string): T[] => {
  const found = VECTORS.filter((v) => v.name.startsWith(`${kind}: `)) as T[];
  expect(found, kind).to.not.be.empty;
  return found;
};

describe("p2p/reqRespFrames: request–response frames (docs/protocol.md)", () => {
  describe("golden vectors (test/vectors/p2p-frames.json)", () => {
    it("the file is what frameVectors.ts builds, byte for byte", () => {
      expect(serializeVectors(buildFrameVectors())).to.equal(readFileSync(P2P_FRAMES_PATH, "utf8"));
    });

    it("are pure ASCII with unique names", () => {
      expect(/^[\n\u0020-\u007e]*$/.test(readFileSync(P2P_FRAMES_PATH, "utf8"))).to.equal(true);
      expect(new Set(VECTORS.map((v) => v.name)).size).to.equal(VECTORS.length);
    });

    for (const vector of ofKind<RequestVector>("request")) {
      it(`encodes and decodes "${vector.name}"`, () => {
        const request = toRequest(vector);
        const body = encodeRequest(vector.inputs.protocol, request);
        expect(body).to.equal(vector.outputs.body);
        expect(frameOf(body)).to.equal(vector.outputs.frame);
        expect(decodeRequest(vector.inputs.protocol, vector.outputs.body as Hex)).to.deep.equal(request);
      });
    }

    for (const vector of ofKind<SuccessVector>("success")) {
      it(`encodes and decodes "${vector.name}"`, () => {
        const item = toItem(vector);
        const body = encodeSuccessFrame(vector.inputs.protocol, item);
        expect(body).to.equal(vector.outputs.body);
        expect(frameOf(body)).to.equal(vector.outputs.frame);
        expect(decodeResponseFrame(vector.inputs.protocol, vector.outputs.body as Hex)).to.deep.equal({
          status: ResponseStatus.SUCCESS,
          item,
        });
      });
    }

    for (const vector of ofKind<ErrorVector>("error")) {
      it(`encodes and decodes "${vector.name}"`, () => {
        const body = encodeErrorFrame(vector.inputs.status, vector.inputs.message);
        expect(body).to.equal(vector.outputs.body);
        expect(frameOf(body)).to.equal(vector.outputs.frame);
        for (const protocol of ["records", "samples", "checkpoints"] as const) {
          expect(decodeResponseFrame(protocol, vector.outputs.body as Hex)).to.deep.equal({
            status: vector.inputs.status,
            message: vector.outputs.sentMessage,
          });
        }
      });
    }

    it("cover every request, every item type and every error status", () => {
      const protocols = (kind: string) =>
        new Set(ofKind<RequestVector | SuccessVector>(kind).map((v) => v.inputs.protocol));
      expect([...protocols("request")].sort()).to.deep.equal(["checkpoints", "records", "samples"]);
      expect([...protocols("success")].sort()).to.deep.equal(["checkpoints", "records", "samples"]);
      const statuses = new Set(ofKind<ErrorVector>("error").map((v) => v.inputs.status));
      expect([...statuses].sort()).to.deep.equal([
        ResponseStatus.INVALID_REQUEST,
        ResponseStatus.SERVER_ERROR,
        ResponseStatus.RESOURCE_UNAVAILABLE,
      ]);
    });
  });

  describe("decoding refuses", () => {
    const [request] = ofKind<RequestVector>("request");
    const [success] = ofKind<SuccessVector>("success");
    const [failure] = ofKind<ErrorVector>("error");
    if (!request || !success || !failure) throw new Error("no vectors");

    it("a request with bytes after its encoding (non-canonical)", async () => {
      const body = concatHex([request.outputs.body as Hex, "0x00"]);
      await expectRejectedWithCode(() => decodeRequest("records", body), ReqRespError, ReqRespErrorCode.INVALID_FRAME, {
        reason: "a non-canonical encoding",
      });
    });

    it("a request of another protocol's shape that does not decode", async () => {
      await expectRejectedWithCode(
        () => decodeRequest("records", "0x1234"),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
        { reason: "bytes that do not decode" },
      );
    });

    it("a request whose uint32 lane word holds more than 32 bits", async () => {
      const body = request.outputs.body as Hex;
      // The lane is the fourth word; set a bit above uint32.
      const words = body.slice(2).match(/.{64}/g) ?? [];
      words[3] = padHex(toHex(1n << 40n), { size: 32 }).slice(2);
      await expectRejectedWithCode(
        () => decodeRequest("records", `0x${words.join("")}`),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
      );
    });

    it("a frame shorter than its status word", async () => {
      await expectRejectedWithCode(
        () => decodeResponseFrame("records", "0x00"),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
        { reason: "shorter than one word" },
      );
    });

    it("an unknown status (4) and a status word above 255", async () => {
      const message = (failure.outputs.body as Hex).slice(66);
      const withStatus = (status: bigint): Hex => `0x${padHex(toHex(status), { size: 32 }).slice(2)}${message}`;
      await expectRejectedWithCode(
        () => decodeResponseFrame("records", withStatus(4n)),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
        { reason: "unknown status 4" },
      );
      await expectRejectedWithCode(
        () => decodeResponseFrame("records", withStatus(256n)),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
        { reason: "a status word of 256" },
      );
    });

    it("a success frame with trailing bytes", async () => {
      await expectRejectedWithCode(
        () => decodeResponseFrame(success.inputs.protocol, concatHex([success.outputs.body as Hex, "0x00"])),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
      );
    });

    it("a success frame read as another protocol's item", async () => {
      const sample = ofKind<SuccessVector>("success").find((v) => v.inputs.protocol === "samples");
      await expectRejectedWithCode(
        () => decodeResponseFrame("checkpoints", sample?.outputs.body as Hex),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
      );
    });

    it("a checkpoint chunk with a wrong head offset, non-zero padding, a short body or a length past its end", async () => {
      const chunk = ofKind<SuccessVector>("success").find((v) => v.inputs.protocol === "checkpoints");
      const body = (chunk?.outputs.body ?? "0x") as Hex;
      const words = body.slice(2).match(/.{64}/g) ?? [];
      const withWord = (index: number, value: string) =>
        `0x${words.map((w, i) => (i === index ? value.padStart(64, "0") : w)).join("")}` as Hex;
      const lastWord = words.length - 1;
      for (const bad of [
        withWord(1, "60"),
        withWord(4, "40"),
        withWord(lastWord, `${(words[lastWord] ?? "").slice(0, 10)}${"0".repeat(53)}1`),
        withWord(5, "21"),
        withWord(2, `1${"0".repeat(16)}`),
        body.slice(0, -64) as Hex,
        `0x${body.slice(2, 2 + 5 * 64)}` as Hex,
      ]) {
        await expectRejectedWithCode(
          () => decodeResponseFrame("checkpoints", bad),
          ReqRespError,
          ReqRespErrorCode.INVALID_FRAME,
        );
      }
    });

    it(`an error message over ${MAX_ERROR_MESSAGE_BYTES} bytes (a responder must cut it)`, async () => {
      const body = encodeAbiParameters(
        [{ type: "uint8" }, { type: "string" }],
        [ResponseStatus.SERVER_ERROR, "x".repeat(MAX_ERROR_MESSAGE_BYTES + 1)],
      );
      await expectRejectedWithCode(
        () => decodeResponseFrame("samples", body),
        ReqRespError,
        ReqRespErrorCode.INVALID_FRAME,
        { reason: `an error message over ${MAX_ERROR_MESSAGE_BYTES} bytes` },
      );
    });
  });
});
