/**
 * Builds test/vectors/receipt-header.json, the golden vectors of the `OLP-Receipt` header (docs/protocol.md, "Receipt
 * header"): `base64url(abi.encode(Receipt) ‖ r ‖ s ‖ v)` without padding, 428 characters. The file is the pinned truth;
 * receiptHeader.test.ts checks that this builder still writes it byte for byte and runs the SDK against it.
 *
 * Nothing here calls the code under test: the encoding comes from ethers (`AbiCoder`, `TypedDataEncoder`,
 * `SigningKey`) and Node's `Buffer` base64url, so the SDK's own base64url and ABI code are checked against another
 * implementation.
 *
 * Regenerate (only when the header format changes, which is a protocol version change):
 * `npx tsx test/node/unit/sdk/receiptHeaderVectors.ts`
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AbiCoder, computeAddress, getBytes, id, Signature, SigningKey, TypedDataEncoder, toBeHex } from "ethers";

/** Where the pinned file lives. */
export const RECEIPT_HEADER_PATH = fileURLToPath(new URL("../../../vectors/receipt-header.json", import.meta.url));

/** Integers as decimal strings, the lane (uint32) as a number. */
export type JsonReceipt = {
  payer: string;
  node: string;
  versionId: string;
  lane: number;
  seq: string;
  requestHash: string;
  value: string;
  cumulative: string;
};

/** One entry of receipt-header.json: a header built from a signed receipt, or a header refused with an error. */
export type ReceiptHeaderVector =
  | {
      name: string;
      inputs: { domain: { chainId: string; verifyingContract: string }; receipt: JsonReceipt; privateKey: string };
      outputs: { digest: string; signer: string; signature: string; header: string };
    }
  | { name: string; inputs: { header: string }; outputs: { error: string } };

const RECEIPT_TYPES = {
  Receipt: [
    { name: "payer", type: "address" },
    { name: "node", type: "address" },
    { name: "versionId", type: "uint256" },
    { name: "lane", type: "uint32" },
    { name: "seq", type: "uint64" },
    { name: "requestHash", type: "bytes32" },
    { name: "value", type: "uint128" },
    { name: "cumulative", type: "uint128" },
  ],
};
const RECEIPT_TUPLE = "tuple(address,address,uint256,uint32,uint64,bytes32,uint128,uint128)";
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const DOMAIN = { chainId: "31337", verifyingContract: "0x5E7711E000000000000000000000000000000001" };
const PAYER_KEY = id("receipt header vectors: payer");
const SIGNER_KEY = id("receipt header vectors: signer");
const NODE = "0x4e0dE00000000000000000000000000000000001";

function receiptWords(receipt: JsonReceipt): Uint8Array {
  const r = receipt;
  return getBytes(
    AbiCoder.defaultAbiCoder().encode(
      [RECEIPT_TUPLE],
      [[r.payer, r.node, r.versionId, r.lane, r.seq, r.requestHash, r.value, r.cumulative]],
    ),
  );
}

function sign(receipt: JsonReceipt, privateKey: string): { digest: string; signature: string } {
  const domain = { name: "OLP Settlement", version: "1", ...DOMAIN };
  const digest = TypedDataEncoder.hash(domain, RECEIPT_TYPES, receipt);
  return { digest, signature: new SigningKey(privateKey).sign(digest).serialized };
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const header = (words: Uint8Array, signature: string) => base64url(Buffer.concat([words, getBytes(signature)]));

function receipt(over: Partial<JsonReceipt>): JsonReceipt {
  return {
    payer: computeAddress(PAYER_KEY),
    node: NODE,
    versionId: "1",
    lane: 0,
    seq: "1",
    requestHash: id('{"model":"legal-7b","messages":[{"role":"user","content":"hi"}]}'),
    value: "10000000000000000",
    cumulative: "10000000000000000",
    ...over,
  };
}

function valid(name: string, r: JsonReceipt, privateKey: string): ReceiptHeaderVector {
  const { digest, signature } = sign(r, privateKey);
  return {
    name: `valid: ${name}`,
    inputs: { domain: DOMAIN, receipt: r, privateKey },
    outputs: { digest, signer: computeAddress(privateKey), signature, header: header(receiptWords(r), signature) },
  };
}

const refused = (name: string, value: string, error: string): ReceiptHeaderVector => ({
  name: `refused: ${name}`,
  inputs: { header: value },
  outputs: { error },
});

/** The first receipt of the seq whose signature has `v`, so both recovery ids are pinned. */
function withV(v: 27 | 28, privateKey: string): JsonReceipt {
  for (let seq = 1; ; seq++) {
    const r = receipt({ seq: String(seq), cumulative: String(10n ** 16n * BigInt(seq)) });
    if (Signature.from(sign(r, privateKey).signature).v === v) return r;
  }
}

/** Every vector, in file order. */
export function buildReceiptHeaderVectors(): ReceiptHeaderVector[] {
  const base = receipt({});
  const { signature } = sign(base, PAYER_KEY);
  const words = receiptWords(base);
  const good = header(words, signature);
  const sig = Signature.from(signature);
  const highS = `${sig.r}${toBeHex(N - BigInt(sig.s), 32).slice(2)}${sig.v === 27 ? "1c" : "1b"}`;
  const dirtyPayer = Uint8Array.from(words);
  dirtyPayer[0] = 1;
  const wideLane = Uint8Array.from(words);
  wideLane[3 * 32 + 27] = 1;
  const seqZero = receipt({ seq: "0" });
  const valueAboveCumulative = receipt({ value: "2", cumulative: "1" });
  return [
    valid("the first receipt of a lane, signed by the payer", base, PAYER_KEY),
    valid("a signature with v = 27, by an authorized signer", withV(27, SIGNER_KEY), SIGNER_KEY),
    valid("a signature with v = 28, by an authorized signer", withV(28, SIGNER_KEY), SIGNER_KEY),
    valid(
      "every integer at the top of its type",
      receipt({
        versionId: String(2n ** 256n - 1n),
        lane: 2 ** 32 - 1,
        seq: String(2n ** 64n - 1n),
        value: String(2n ** 128n - 1n),
        cumulative: String(2n ** 128n - 1n),
      }),
      SIGNER_KEY,
    ),
    refused("base64 padding", `${good}=`, "ALPHABET"),
    refused("the standard base64 alphabet (+ and /)", `+${good.slice(1)}`, "ALPHABET"),
    refused("whitespace", ` ${good.slice(1)}`, "ALPHABET"),
    refused("a 64-byte EIP-2098 signature", header(words, `${sig.r}${sig.yParityAndS.slice(2)}`), "LENGTH"),
    refused("a byte too many", base64url(Buffer.concat([words, getBytes(signature), Uint8Array.of(0)])), "LENGTH"),
    refused("the receipt alone", base64url(words), "LENGTH"),
    refused("an empty value", "", "LENGTH"),
    refused("a payer word with dirty padding", header(dirtyPayer, signature), "NON_CANONICAL"),
    refused("a lane word above uint32", header(wideLane, signature), "NON_CANONICAL"),
    refused("seq 0", header(receiptWords(seqZero), sign(seqZero, PAYER_KEY).signature), "INVALID_RECEIPT"),
    refused(
      "a value above the cumulative",
      header(receiptWords(valueAboveCumulative), sign(valueAboveCumulative, PAYER_KEY).signature),
      "INVALID_RECEIPT",
    ),
    refused("the high-s twin of a valid signature", header(words, highS), "INVALID_SIGNATURE"),
    refused("v = 0 (a y-parity instead of 27)", header(words, `${signature.slice(0, -2)}00`), "INVALID_SIGNATURE"),
  ];
}

/** The file's bytes: two-space JSON and a final newline. */
export function serializeReceiptHeaderVectors(vectors: ReceiptHeaderVector[]): string {
  return `${JSON.stringify(vectors, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(RECEIPT_HEADER_PATH, serializeReceiptHeaderVectors(buildReceiptHeaderVectors()));
}
