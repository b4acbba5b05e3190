import { expect } from "chai";
import { type Account, createWalletClient, custom, type Hex, hexToBigInt, keccak256, numberToHex, slice } from "viem";
import { toAccount } from "viem/accounts";
import {
  getReceiptDigest,
  parseStrictSignature,
  ReceiptError,
  ReceiptErrorCode,
  recoverReceiptSigner,
  SECP256K1_N,
} from "../../../../node/src/protocol/index.js";
import {
  type AccountClient,
  createMemoryLaneStore,
  decodeReceiptHeader,
  LaneErrorCode,
  LaneStore,
  type LaneStoreBackend,
  LaneStoreErrorCode,
  nextReceipt,
} from "../../../../node/src/sdk/index.js";
import {
  DOMAIN,
  expectRejectedWithCode,
  payerAccount,
  signedState,
  signerAccount,
  strangerAccount,
  testLane,
} from "./helpers.js";

/** A client that signs locally and has no chain to talk to: signing a receipt never needs one. */
function offlineClient(account: Account = signerAccount): AccountClient {
  return createWalletClient({
    account,
    transport: custom({
      request: async ({ method }) => {
        throw new Error(`no RPC in unit tests (${method})`);
      },
    }),
  });
}

const body = (text: string) => new TextEncoder().encode(text);
const PRICE = 10n ** 16n;

describe("sdk/nextReceipt", () => {
  const lane = testLane();
  const client = offlineClient();

  it("signs seq 1 with cumulative = value, the body's keccak256 and the lane's fields", async () => {
    const store = await createMemoryLaneStore({ domain: DOMAIN });
    const requestBody = body('{"model":"legal-7b","messages":[]}');
    const { receipt, signature, header } = await nextReceipt(client, { store, lane, requestBody, value: PRICE });
    expect(receipt).to.deep.equal({
      ...lane,
      seq: 1n,
      requestHash: keccak256(requestBody),
      value: PRICE,
      cumulative: PRICE,
    });
    expect(await recoverReceiptSigner(DOMAIN, receipt, signature)).to.equal(signerAccount.address);
    expect(decodeReceiptHeader(header)).to.deep.equal({ receipt, signature });
  });

  it("rises by one seq and by each value per request", async () => {
    const store = await createMemoryLaneStore({ domain: DOMAIN });
    const values = [PRICE, 1n, 3n * PRICE, 7n];
    let cumulative = 0n;
    for (const [i, value] of values.entries()) {
      cumulative += value;
      const { receipt } = await nextReceipt(client, { store, lane, requestBody: body(`request ${i}`), value });
      expect([receipt.seq, receipt.value, receipt.cumulative]).to.deep.equal([BigInt(i + 1), value, cumulative]);
    }
  });

  it("hashes the body byte for byte: the same JSON spaced differently is another requestHash", async () => {
    const store = await createMemoryLaneStore({ domain: DOMAIN });
    const a = await nextReceipt(client, { store, lane, requestBody: body('{"a":1}'), value: 1n });
    const b = await nextReceipt(client, { store, lane, requestBody: body('{ "a": 1 }'), value: 1n });
    expect(a.receipt.requestHash).to.not.equal(b.receipt.requestHash);
  });

  it("returns a 65-byte low-s signature (v 27 or 28) over the protocol's digest", async () => {
    const store = await createMemoryLaneStore({ domain: DOMAIN });
    for (let i = 0; i < 8; i++) {
      const { receipt, signature } = await nextReceipt(client, { store, lane, requestBody: body(`${i}`), value: 1n });
      const { s, v } = parseStrictSignature(signature);
      expect(hexToBigInt(s) <= SECP256K1_N / 2n).to.equal(true);
      expect([27, 28]).to.include(v);
      const digest = getReceiptDigest(DOMAIN, receipt);
      expect(await signerAccount.sign({ hash: digest })).to.equal(signature);
    }
  });

  it("writes the lane's new state before it returns the receipt (pay before: no receipt leaves unrecorded)", async () => {
    const entries = new Map<string, string>();
    const gate = Promise.withResolvers<void>();
    const started = Promise.withResolvers<void>();
    let writes = 0;
    const backend: LaneStoreBackend = {
      location: "gated memory",
      get: async (key) => entries.get(key),
      write: async (batch) => {
        writes += 1;
        if (writes > 1) {
          // The first write is the schema; the second, the lane's, waits for the gate.
          started.resolve();
          await gate.promise;
        }
        for (const [key, value] of batch) entries.set(key, value);
      },
      isEmpty: async () => entries.size === 0,
      close: async () => {},
    };
    const store = await LaneStore.open(backend, DOMAIN);
    let returned = false;
    const pending = nextReceipt(client, { store, lane, requestBody: body("x"), value: 1n }).then((result) => {
      returned = true;
      return result;
    });
    await started.promise;
    // Let every other queued callback run: a receipt returned before the write lands would show up here.
    await new Promise((resolve) => setImmediate(resolve));
    expect(returned, "no receipt before the write lands").to.equal(false);
    gate.resolve();
    const { receipt } = await pending;
    expect((await store.getLane(lane))?.last.receipt).to.deep.equal(receipt);
  });

  it("hands out no receipt when the write fails, and signs the same seq again next time", async () => {
    const entries = new Map<string, string>();
    let fail = false;
    const backend: LaneStoreBackend = {
      location: "failing memory",
      get: async (key) => entries.get(key),
      write: async (batch) => {
        if (fail) throw new Error("disk full");
        for (const [key, value] of batch) entries.set(key, value);
      },
      isEmpty: async () => entries.size === 0,
      close: async () => {},
    };
    const store = await LaneStore.open(backend, DOMAIN);
    await nextReceipt(client, { store, lane, requestBody: body("1"), value: 1n });
    fail = true;
    let caught: unknown;
    await nextReceipt(client, { store, lane, requestBody: body("2"), value: 1n }).catch((err: unknown) => {
      caught = err;
    });
    expect((caught as Error).message).to.equal("disk full");
    fail = false;
    const { receipt } = await nextReceipt(client, { store, lane, requestBody: body("3"), value: 1n });
    expect(receipt.seq).to.equal(2n);
  });

  it("continues a lane at the next seq after a restart over the same data", async () => {
    const entries = new Map<string, string>();
    const first = await createMemoryLaneStore({ domain: DOMAIN, entries });
    await nextReceipt(client, { store: first, lane, requestBody: body("1"), value: 5n });
    await nextReceipt(client, { store: first, lane, requestBody: body("2"), value: 5n });
    await first.close();
    const second = await createMemoryLaneStore({ domain: DOMAIN, entries });
    const { receipt } = await nextReceipt(client, { store: second, lane, requestBody: body("3"), value: 5n });
    expect([receipt.seq, receipt.cumulative]).to.deep.equal([3n, 15n]);
  });

  it("never signs one seq twice under concurrent calls on one lane", async () => {
    const store = await createMemoryLaneStore({ domain: DOMAIN });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => nextReceipt(client, { store, lane, requestBody: body(`${i}`), value: 2n })),
    );
    const seqs = results.map((r) => r.receipt.seq).sort((a, b) => (a < b ? -1 : 1));
    expect(seqs).to.deep.equal(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    for (const { receipt } of results) expect(receipt.cumulative).to.equal(receipt.seq * 2n);
    expect((await store.getLane(lane))?.seq).to.equal(20n);
  });

  it("signs a lane's receipts for its payer with the payer's own key too", async () => {
    const store = await createMemoryLaneStore({ domain: DOMAIN });
    const { receipt, signature } = await nextReceipt(offlineClient(payerAccount), {
      store,
      lane,
      requestBody: body("x"),
      value: 1n,
    });
    expect(await recoverReceiptSigner(DOMAIN, receipt, signature)).to.equal(payerAccount.address);
  });

  describe("refusals (nothing is signed or written)", () => {
    for (const value of [0n, -1n, 2n ** 128n]) {
      it(`refuses a value of ${value}, naming the lane`, async () => {
        const store = await createMemoryLaneStore({ domain: DOMAIN });
        const error = await expectRejectedWithCode(
          nextReceipt(client, { store, lane, requestBody: body("x"), value }),
          LaneErrorCode.INVALID_VALUE,
          { lane, value },
        );
        expect(error.message).to.include(`${lane.payer}/${lane.node}/1/0`);
        expect(await store.getLane(lane)).to.equal(undefined);
      });
    }

    const badLanes: [string, ReturnType<typeof testLane>][] = [
      ["version 0", testLane({ versionId: 0n })],
      ["a negative lane number", testLane({ lane: -1 })],
      ["a lane number above uint32", testLane({ lane: 2 ** 32 })],
      ["a payer that is not an address", testLane({ payer: "0x1234" })],
    ];
    for (const [what, bad] of badLanes) {
      it(`refuses a lane with ${what}`, async () => {
        const store = await createMemoryLaneStore({ domain: DOMAIN });
        await expectRejectedWithCode(
          nextReceipt(client, { store, lane: bad, requestBody: body("x"), value: 1n }),
          LaneErrorCode.INVALID_LANE,
        );
      });
    }

    it("refuses to pass a cumulative of 2^128 - 1", async () => {
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      const max = 2n ** 128n - 1n;
      await store.updateLane(lane, () => signedState(lane, 3n, max - 5n));
      await expectRejectedWithCode(
        nextReceipt(client, { store, lane, requestBody: body("x"), value: 6n }),
        LaneErrorCode.CUMULATIVE_OVERFLOW,
        { cumulative: max - 5n, value: 6n },
      );
      const { receipt } = await nextReceipt(client, { store, lane, requestBody: body("x"), value: 5n });
      expect(receipt.cumulative).to.equal(max);
    });

    it("refuses to pass seq 2^64 - 1", async () => {
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      await store.updateLane(lane, () => signedState(lane, 2n ** 64n - 1n, 2n ** 70n));
      await expectRejectedWithCode(
        nextReceipt(client, { store, lane, requestBody: body("x"), value: 1n }),
        LaneErrorCode.SEQ_EXHAUSTED,
      );
    });

    it("refuses on a closed store", async () => {
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      await store.close();
      await expectRejectedWithCode(
        nextReceipt(client, { store, lane, requestBody: body("x"), value: 1n }),
        LaneStoreErrorCode.CLOSED,
      );
    });

    it("refuses to continue from a corrupted entry, naming the lane", async () => {
      const entries = new Map<string, string>();
      const store = await createMemoryLaneStore({ domain: DOMAIN, entries });
      await nextReceipt(client, { store, lane, requestBody: body("x"), value: 1n });
      const [key] = [...entries.keys()].filter((k) => k.startsWith("lane/"));
      entries.set(key ?? "", (entries.get(key ?? "") ?? "").replace('"seq":"1"', '"seq":"7"'));
      const error = await expectRejectedWithCode(
        nextReceipt(client, { store, lane, requestBody: body("y"), value: 1n }),
        LaneStoreErrorCode.CORRUPT_ENTRY,
        { lane, key },
      );
      expect(error.message).to.include(`${lane.payer}/${lane.node}/1/0`);
    });

    it("refuses a wallet whose signature recovers to another account", async () => {
      const liar = toAccount({
        address: signerAccount.address,
        signMessage: (p) => strangerAccount.signMessage(p),
        signTransaction: (p) => strangerAccount.signTransaction(p),
        signTypedData: (p) => strangerAccount.signTypedData(p),
      });
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      await expectRejectedWithCode(
        nextReceipt(offlineClient(liar), { store, lane, requestBody: body("x"), value: 1n }),
        LaneErrorCode.SIGNER_MISMATCH,
        { expected: signerAccount.address, recovered: strangerAccount.address },
      );
      expect(await store.getLane(lane)).to.equal(undefined);
    });

    it("refuses a wallet that returns the high-s twin of its signature (THREATS #22)", async () => {
      const highS = toAccount({
        address: signerAccount.address,
        signMessage: (p) => signerAccount.signMessage(p),
        signTransaction: (p) => signerAccount.signTransaction(p),
        signTypedData: async (p) => {
          const signature = await signerAccount.signTypedData(p);
          const s = SECP256K1_N - hexToBigInt(slice(signature, 32, 64));
          const v = Number(hexToBigInt(slice(signature, 64, 65))) === 27 ? 28 : 27;
          return `${slice(signature, 0, 32)}${numberToHex(s, { size: 32 }).slice(2)}${v.toString(16)}` as Hex;
        },
      });
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      const error = await expectRejectedWithCode(
        nextReceipt(offlineClient(highS), { store, lane, requestBody: body("x"), value: 1n }),
        LaneErrorCode.NON_STRICT_SIGNATURE,
        { lane },
      );
      expect(error.cause).to.be.instanceOf(ReceiptError);
      expect((error.cause as ReceiptError).type.code).to.equal(ReceiptErrorCode.SIGNATURE_S);
      expect(await store.getLane(lane)).to.equal(undefined);
    });
  });
});
