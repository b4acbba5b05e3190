import { readFileSync } from "node:fs";
import { expect } from "chai";
import { type Address, type Hex, hexToBigInt, keccak256, numberToHex, toHex } from "viem";
import {
  getReceiptDigest,
  type Receipt,
  recoverReceiptSigner,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import { decodeBase64url, encodeBase64url } from "../../../../node/src/sdk/base64url.js";
import {
  decodeReceiptHeader,
  encodeReceiptHeader,
  RECEIPT_HEADER,
  RECEIPT_HEADER_LENGTH,
  ReceiptHeaderErrorCode,
} from "../../../../node/src/sdk/index.js";
import { expectRejectedWithCode, signReceipt, testLane, testReceipt } from "./helpers.js";
import {
  buildReceiptHeaderVectors,
  type JsonReceipt,
  RECEIPT_HEADER_PATH,
  type ReceiptHeaderVector,
  serializeReceiptHeaderVectors,
} from "./receiptHeaderVectors.js";

const vectors = JSON.parse(readFileSync(RECEIPT_HEADER_PATH, "utf8")) as ReceiptHeaderVector[];

function toReceipt(r: JsonReceipt): Receipt {
  return {
    payer: r.payer as Address,
    node: r.node as Address,
    versionId: BigInt(r.versionId),
    lane: r.lane,
    seq: BigInt(r.seq),
    requestHash: r.requestHash as Hex,
    value: BigInt(r.value),
    cumulative: BigInt(r.cumulative),
  };
}

/** A small deterministic generator, so the property test is reproducible. */
function* randomBytes(seed: string, count: number): Generator<Uint8Array> {
  let state = keccak256(toHex(seed));
  for (let i = 0; i < count; i++) {
    state = keccak256(state);
    const length = Number(hexToBigInt(state) % 64n);
    const bytes = new Uint8Array(length);
    for (let j = 0; j < length; j++)
      bytes[j] = Number(hexToBigInt(keccak256(`${state}${numberToHex(j, { size: 2 }).slice(2)}`)) & 0xffn);
    yield bytes;
  }
}

describe("sdk/receipt header (OLP-Receipt)", () => {
  it("test/vectors/receipt-header.json is what receiptHeaderVectors.ts builds, byte for byte", () => {
    expect(serializeReceiptHeaderVectors(buildReceiptHeaderVectors())).to.equal(
      readFileSync(RECEIPT_HEADER_PATH, "utf8"),
    );
  });

  it("is named OLP-Receipt and is 428 characters", () => {
    expect(RECEIPT_HEADER).to.equal("OLP-Receipt");
    expect(RECEIPT_HEADER_LENGTH).to.equal(428);
  });

  for (const vector of vectors) {
    if ("header" in vector.outputs) {
      const { inputs, outputs } = vector as Extract<ReceiptHeaderVector, { outputs: { header: string } }>;
      it(`${vector.name}: encodes to the pinned header and decodes back`, async () => {
        const receipt = toReceipt(inputs.receipt);
        const signature = outputs.signature as Hex;
        expect(encodeReceiptHeader({ receipt, signature })).to.equal(outputs.header);
        expect(outputs.header).to.have.length(RECEIPT_HEADER_LENGTH);
        expect(decodeReceiptHeader(outputs.header)).to.deep.equal({ receipt, signature });
        const domain = settlementDomain(BigInt(inputs.domain.chainId), inputs.domain.verifyingContract as Address);
        expect(getReceiptDigest(domain, receipt)).to.equal(outputs.digest);
        expect(await recoverReceiptSigner(domain, receipt, signature)).to.equal(outputs.signer);
        expect(await signReceipt(receipt, inputs.privateKey as Hex, domain)).to.equal(signature);
      });
    } else {
      const { inputs, outputs } = vector as Extract<ReceiptHeaderVector, { outputs: { error: string } }>;
      it(`${vector.name}: is refused with ${outputs.error}`, async () => {
        await expectRejectedWithCode(() => decodeReceiptHeader(inputs.header), `RECEIPT_HEADER_ERROR_${outputs.error}`);
      });
    }
  }

  it("names the first character outside the alphabet", async () => {
    const header = encodeReceiptHeader({
      receipt: testReceipt(testLane(), 1n, 10n),
      signature: await signReceipt(testReceipt(testLane(), 1n, 10n)),
    });
    await expectRejectedWithCode(
      () => decodeReceiptHeader(`${header.slice(0, 100)}/${header.slice(101)}`),
      ReceiptHeaderErrorCode.ALPHABET,
      { index: 100 },
    );
  });

  it("refuses to encode a receipt or a signature the node would refuse", async () => {
    const receipt = testReceipt(testLane(), 1n, 10n);
    const signature = await signReceipt(receipt);
    await expectRejectedWithCode(
      () => encodeReceiptHeader({ receipt: { ...receipt, seq: 0n }, signature }),
      ReceiptHeaderErrorCode.INVALID_RECEIPT,
    );
    await expectRejectedWithCode(
      () => encodeReceiptHeader({ receipt, signature: signature.slice(0, 130) as Hex }),
      ReceiptHeaderErrorCode.INVALID_SIGNATURE,
    );
  });

  it("round-trips receipts of every lane shape", async () => {
    for (let i = 0; i < 16; i++) {
      const lane = testLane({ versionId: 1n + BigInt(i) * 2n ** 200n, lane: i * 268_435_455 });
      const receipt = testReceipt(lane, BigInt(i + 1) * 2n ** 59n, 2n ** BigInt(64 + i * 4), { value: BigInt(i + 1) });
      const signature = await signReceipt(receipt);
      expect(decodeReceiptHeader(encodeReceiptHeader({ receipt, signature }))).to.deep.equal({ receipt, signature });
    }
  });

  describe("base64url", () => {
    it("agrees with Node's Buffer on random byte strings, both ways", () => {
      for (const bytes of randomBytes("base64url", 200)) {
        const text = Buffer.from(bytes).toString("base64url");
        expect(encodeBase64url(bytes)).to.equal(text);
        expect(decodeBase64url(text)).to.deep.equal(bytes);
      }
    });

    it("refuses a length of 1 mod 4 and non-zero trailing bits, so each byte string has one encoding", () => {
      expect(decodeBase64url("AAAAA")).to.deep.equal({ badIndex: 5 });
      expect(decodeBase64url("AB")).to.deep.equal({ badIndex: 2 });
      expect(decodeBase64url("AAB")).to.deep.equal({ badIndex: 3 });
      expect(decodeBase64url("AA")).to.deep.equal(new Uint8Array(1));
    });
  });
});
