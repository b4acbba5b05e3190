import { expect } from "chai";
import {
  LineDecoder,
  parseTrainerMessage,
  parseTrainResult,
  parseVerifyResult,
  TrainerErrorCode,
} from "../../../../node/src/trainer/index.js";
import { expectTrainerError, H, trainResultJson } from "./helpers.js";

describe("trainer/messages (the JSON-lines protocol)", () => {
  it("types a train progress line", () => {
    const line = '{"type":"progress","phase":"train","step":3,"steps":8,"loss":6.6,"tokensPerSecond":177.9}';
    expect(parseTrainerMessage(line)).to.deep.equal({
      type: "progress",
      phase: "train",
      step: 3,
      steps: 8,
      loss: 6.6,
      tokensPerSecond: 177.9,
    });
  });

  it("keeps another phase's fields as sent", () => {
    expect(parseTrainerMessage('{"type":"progress","phase":"load","what":"model","path":"/m"}')).to.deep.equal({
      type: "progress",
      phase: "load",
      fields: { what: "model", path: "/m" },
    });
  });

  it("types checkpoint 0 and checkpoint k with its chain step", () => {
    expect(
      parseTrainerMessage(
        JSON.stringify({ type: "checkpoint", k: 0, head: H("aa"), weightsHash: H("bb"), stateHash: H("cc") }),
      ),
    ).to.deep.equal({ type: "checkpoint", k: 0, head: H("aa"), weightsHash: H("bb"), stateHash: H("cc") });
    const k1 = {
      type: "checkpoint",
      k: 1,
      prevHead: H("aa"),
      weightsHash: H("bb"),
      stateHash: H("cc"),
      batchHash: H("dd"),
      lossBits: 0x40200000,
      head: H("ee"),
      loss: 2.5,
    };
    expect(parseTrainerMessage(JSON.stringify(k1))).to.deep.equal({
      type: "checkpoint",
      k: 1,
      head: H("ee"),
      weightsHash: H("bb"),
      stateHash: H("cc"),
      step: { prevHead: H("aa"), batchHash: H("dd"), lossBits: 0x40200000, loss: 2.5 },
    });
  });

  it("types metric, artifact, result and error lines", () => {
    expect(parseTrainerMessage('{"type":"metric","name":"train_loss","value":6.5,"step":4}')).to.deep.equal({
      type: "metric",
      name: "train_loss",
      value: 6.5,
      step: 4,
    });
    expect(parseTrainerMessage('{"type":"artifact","kind":"adapter","path":"/r/a","files":["/r/a/x"]}')).to.deep.equal({
      type: "artifact",
      kind: "adapter",
      path: "/r/a",
      files: ["/r/a/x"],
    });
    expect(parseTrainerMessage('{"type":"result","command":"verify","match":true}')).to.deep.equal({
      type: "result",
      command: "verify",
      result: { match: true },
    });
    const error =
      '{"type":"error","code":"ROOT_MISMATCH","message":"dataset 1: …","datasetId":1,"expected":"0x1","found":"0x2"}';
    expect(parseTrainerMessage(error)).to.deep.equal({
      type: "error",
      code: "ROOT_MISMATCH",
      message: "dataset 1: …",
      context: { datasetId: 1, expected: "0x1", found: "0x2" },
    });
  });

  it("refuses a malformed line: not JSON, not an object, an unknown type, a bad hash, a bad step", () => {
    const bad = [
      "not json",
      "[1,2]",
      '{"type":"chatter"}',
      '{"phase":"train"}',
      JSON.stringify({ type: "checkpoint", k: 0, head: "0x12", weightsHash: H("bb"), stateHash: H("cc") }),
      JSON.stringify({ type: "checkpoint", k: 0, head: H("AA"), weightsHash: H("bb"), stateHash: H("cc") }),
      JSON.stringify({ type: "checkpoint", k: -1, head: H("aa"), weightsHash: H("bb"), stateHash: H("cc") }),
      JSON.stringify({ type: "checkpoint", k: 1, head: H("aa"), weightsHash: H("bb"), stateHash: H("cc") }),
      '{"type":"progress","phase":"train","step":1.5,"steps":8,"loss":1,"tokensPerSecond":1}',
      '{"type":"metric","name":"x"}',
      '{"type":"error","code":7,"message":"m"}',
    ];
    for (const line of bad)
      expectTrainerError(() => parseTrainerMessage(line), TrainerErrorCode.MALFORMED_MESSAGE, { line });
  });

  it("checks a train result field by field and orders the shares by dataset id", () => {
    const result = parseTrainResult(trainResultJson());
    expect(result.datasetIds).to.deep.equal([1n, 2n]);
    expect(result.shares).to.deep.equal([
      { datasetId: 1n, weightPpm: 600_000 },
      { datasetId: 2n, weightPpm: 400_000 },
    ]);
    expect(result).to.deep.include({ checkpoints: 2, evalScore: 0, finalHead: H("07") });
    for (const [field, value] of [
      ["checkpointRoot", "0x00"],
      ["checkpoints", 0],
      ["evalScore", 10_001],
      ["datasetIds", [1, "2"]],
      ["shares", { "0x1": 1 }],
      ["seed", undefined],
    ] as const) {
      expectTrainerError(
        () => parseTrainResult(trainResultJson({ [field]: value })),
        TrainerErrorCode.MALFORMED_RESULT,
        {
          field,
        },
      );
    }
  });

  it("checks that a verify result matches only when no check failed", () => {
    const ok = { check: "batchHash", ok: true, expected: H("01"), found: H("01") };
    const failed = { check: "checkpoint 1 weightsHash", ok: false, expected: H("01"), found: H("02") };
    expect(parseVerifyResult({ match: true, segment: 1, mismatches: [], checks: [ok] })).to.deep.equal({
      match: true,
      segment: 1,
      mismatches: [],
      checks: [ok],
    });
    expect(
      parseVerifyResult({ match: false, segment: 2, mismatches: [failed.check], checks: [ok, failed] }).match,
    ).to.equal(false);
    expectTrainerError(
      () => parseVerifyResult({ match: true, segment: 1, mismatches: [], checks: [ok, failed] }),
      TrainerErrorCode.MALFORMED_RESULT,
      { field: "mismatches" },
    );
    expectTrainerError(
      () => parseVerifyResult({ match: "yes", segment: 1, mismatches: [], checks: [] }),
      TrainerErrorCode.MALFORMED_RESULT,
      { field: "match" },
    );
  });
});

describe("trainer/LineDecoder (bounded stdout lines)", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("splits lines across chunks and drops a CR before the LF", () => {
    const decoder = new LineDecoder(100);
    expect(decoder.push(bytes('{"a":'))).to.deep.equal([]);
    expect(decoder.push(bytes('1}\r\n{"b":2}\n{"c"'))).to.deep.equal(['{"a":1}', '{"b":2}']);
    expect(decoder.push(bytes(":3}"))).to.deep.equal([]);
    expect(decoder.end()).to.equal('{"c":3}');
    expect(decoder.end()).to.equal(undefined);
  });

  it("decodes a multi-byte character split between chunks", () => {
    const decoder = new LineDecoder(100);
    const text = bytes("é😀\n");
    expect(decoder.push(text.subarray(0, 3))).to.deep.equal([]);
    expect(decoder.push(text.subarray(3))).to.deep.equal(["é😀"]);
  });

  it("refuses a line longer than the bound as soon as it passes it, even before its LF", () => {
    const decoder = new LineDecoder(10);
    expect(decoder.push(bytes("0123456789\n"))).to.deep.equal(["0123456789"]);
    expect(decoder.push(bytes("012345"))).to.deep.equal([]);
    expectTrainerError(() => decoder.push(bytes("67890")), TrainerErrorCode.LINE_TOO_LONG, { maxLineBytes: 10 });
  });

  it("refuses a line that is not UTF-8", () => {
    const decoder = new LineDecoder(10);
    expectTrainerError(() => decoder.push(new Uint8Array([0xff, 0x0a])), TrainerErrorCode.MALFORMED_MESSAGE);
  });
});
