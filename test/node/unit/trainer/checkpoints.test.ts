import { expect } from "chai";
import { decodeAbiParameters, encodeAbiParameters, hexToBytes, toHex } from "viem";
import { createCheckpointHandler, decodeCheckpoint, encodeCheckpoint } from "../../../../node/src/trainer/index.js";

describe("trainer: checkpoint bytes for /olp/req/checkpoints/1", () => {
  const weights = Uint8Array.from({ length: 77 }, (_, i) => i);
  const state = Uint8Array.from({ length: 33 }, (_, i) => 255 - i);

  it("encodes exactly as abi.encode(bytes, bytes) does, and decodes back", () => {
    const encoded = encodeCheckpoint({ weights, state });
    expect(toHex(encoded)).to.equal(
      encodeAbiParameters([{ type: "bytes" }, { type: "bytes" }], [toHex(weights), toHex(state)]),
    );
    const [w, s] = decodeAbiParameters([{ type: "bytes" }, { type: "bytes" }], toHex(encoded));
    expect(hexToBytes(w)).to.deep.equal(weights);
    expect(hexToBytes(s)).to.deep.equal(state);
    expect(decodeCheckpoint(encoded)).to.deep.equal({ weights, state });
  });

  it("refuses truncated bytes and non-zero padding", () => {
    const encoded = encodeCheckpoint({ weights, state });
    expect(() => decodeCheckpoint(encoded.subarray(0, encoded.length - 32))).to.throw(RangeError);
    const padded = new Uint8Array(encoded);
    padded[96 + 77] = 1; // inside the weights' zero padding
    expect(() => decodeCheckpoint(padded)).to.throw(RangeError, /canonical/);
  });

  it("serves byte ranges of a held checkpoint, nothing past the end, and null for one it lacks", async () => {
    const handler = createCheckpointHandler({
      getCheckpoint: async (versionId, k) => (versionId === 1n && k === 2 ? { versionId, k, weights, state } : null),
    });
    const whole = encodeCheckpoint({ weights, state });
    const first = await handler(1n, 2n, 0n, 100);
    expect(first?.totalBytes).to.equal(BigInt(whole.length));
    expect(first?.data).to.deep.equal(whole.subarray(0, 100));
    expect((await handler(1n, 2n, 100n, 10_000))?.data).to.deep.equal(whole.subarray(100));
    expect((await handler(1n, 2n, BigInt(whole.length) + 5n, 10))?.data.length).to.equal(0);
    expect(await handler(1n, 3n, 0n, 10)).to.equal(null);
    expect(await handler(2n, 2n, 0n, 10)).to.equal(null);
    expect(await handler(1n, -1n, 0n, 10)).to.equal(null);
  });
});
