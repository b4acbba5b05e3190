import { expect } from "chai";
import { type Account, createWalletClient, custom, type Hex, hexToBigInt, numberToHex, slice } from "viem";
import { type Receipt, SECP256K1_N } from "../../../../node/src/protocol/index.js";
import {
  type AccountClient,
  createMemoryLaneStore,
  LaneErrorCode,
  type LaneStore,
  nextReceipt,
  resumeLane,
} from "../../../../node/src/sdk/index.js";
import {
  DOMAIN,
  expectRejectedWithCode,
  PAYER_KEY,
  STRANGER_KEY,
  signerAccount,
  signReceipt,
  testLane,
  testReceipt,
} from "./helpers.js";

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

const client = offlineClient();
const lane = testLane();

/** A store whose lane holds `count` receipts of value 10, signed by the SDK itself. */
async function storeAt(count: number): Promise<LaneStore> {
  const store = await createMemoryLaneStore({ domain: DOMAIN });
  for (let i = 0; i < count; i++) {
    await nextReceipt(client, { store, lane, requestBody: new TextEncoder().encode(`request ${i}`), value: 10n });
  }
  return store;
}

/** A node's view with proof: the receipt of (seq, cumulative), signed with `key` (our signer by default). */
async function provenView(seq: bigint, cumulative: bigint, key?: Hex, over: Partial<Receipt> = {}) {
  const receipt = testReceipt(lane, seq, cumulative, over);
  return { seq, cumulative, receipt, signature: await signReceipt(receipt, key) };
}

describe("sdk/resumeLane", () => {
  describe("the node is behind (it missed receipts we signed)", () => {
    it("keeps ours when consistent, and hands back our last receipt to send again", async () => {
      const store = await storeAt(5);
      const before = await store.getLane(lane);
      for (const view of [
        { seq: 0n, cumulative: 0n },
        { seq: 3n, cumulative: 30n },
        { seq: 4n, cumulative: 40n },
      ]) {
        const { outcome, state } = await resumeLane(client, { store, lane, view });
        expect(outcome).to.equal("ahead");
        expect(state).to.deep.equal(before);
      }
    });

    it("refuses a lower seq with a cumulative our later receipts cannot follow (equivocation evidence)", async () => {
      const store = await storeAt(5);
      // Every value is at least 1 wei, so seq 4 holds at most 50 - 1 and seq 3 at most 50 - 2.
      for (const theirs of [
        { seq: 4n, cumulative: 50n },
        { seq: 3n, cumulative: 49n },
      ]) {
        await expectRejectedWithCode(resumeLane(client, { store, lane, view: theirs }), LaneErrorCode.CONFLICT, {
          lane,
          ours: { seq: 5n, cumulative: 50n },
          theirs,
          proven: false,
        });
      }
      expect((await resumeLane(client, { store, lane, view: { seq: 3n, cumulative: 48n } })).outcome).to.equal("ahead");
    });
  });

  describe("the node saw our last receipt", () => {
    it("is in sync when seq and cumulative match, with or without the receipt", async () => {
      const store = await storeAt(3);
      const state = await store.getLane(lane);
      if (state === undefined) throw new Error("expected a lane state");
      expect((await resumeLane(client, { store, lane, view: { seq: 3n, cumulative: 30n } })).outcome).to.equal(
        "in-sync",
      );
      const view = { seq: 3n, cumulative: 30n, receipt: state.last.receipt, signature: state.last.signature };
      expect(await resumeLane(client, { store, lane, view })).to.deep.equal({ outcome: "in-sync", state });
    });

    it("is in sync when neither side has a receipt", async () => {
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      expect(await resumeLane(client, { store, lane, view: { seq: 0n, cumulative: 0n } })).to.deep.equal({
        outcome: "in-sync",
        state: undefined,
      });
    });

    it("refuses our seq with another cumulative", async () => {
      const store = await storeAt(3);
      await expectRejectedWithCode(
        resumeLane(client, { store, lane, view: { seq: 3n, cumulative: 31n } }),
        LaneErrorCode.CONFLICT,
        { ours: { seq: 3n, cumulative: 30n }, theirs: { seq: 3n, cumulative: 31n } },
      );
    });

    it("refuses another receipt of our seq signed by our key, as proven equivocation", async () => {
      const store = await storeAt(3);
      const view = await provenView(3n, 30n);
      const error = await expectRejectedWithCode(resumeLane(client, { store, lane, view }), LaneErrorCode.CONFLICT, {
        proven: true,
      });
      const digests = (error.type as { digests?: { ours: Hex; theirs: Hex } }).digests;
      expect(digests?.ours).to.not.equal(digests?.theirs);
    });
  });

  describe("the node is ahead (we lost state)", () => {
    it("adopts a receipt of ours beyond our state, writes it, and continues after it", async () => {
      const entries = new Map<string, string>();
      const store = await createMemoryLaneStore({ domain: DOMAIN, entries });
      await nextReceipt(client, { store, lane, requestBody: new Uint8Array([1]), value: 10n });
      const view = await provenView(7n, 70n);
      const { outcome, state } = await resumeLane(client, { store, lane, view });
      expect(outcome).to.equal("adopted");
      expect(state).to.deep.include({ seq: 7n, cumulative: 70n });
      expect(state?.last).to.deep.equal({ receipt: view.receipt, signature: view.signature });
      await store.close();
      const restarted = await createMemoryLaneStore({ domain: DOMAIN, entries });
      const { receipt } = await nextReceipt(client, {
        store: restarted,
        lane,
        requestBody: new Uint8Array([2]),
        value: 10n,
      });
      expect([receipt.seq, receipt.cumulative]).to.deep.equal([8n, 80n]);
    });

    it("adopts a receipt the payer's own key signed, with no state of ours at all", async () => {
      const store = await createMemoryLaneStore({ domain: DOMAIN });
      const view = await provenView(2n, 20n, PAYER_KEY);
      expect((await resumeLane(client, { store, lane, view })).outcome).to.equal("adopted");
    });

    it("refuses the node's word alone: adopting it could make us pay for requests never made", async () => {
      const store = await storeAt(2);
      await expectRejectedWithCode(
        resumeLane(client, { store, lane, view: { seq: 9n, cumulative: 900n } }),
        LaneErrorCode.UNPROVEN_VIEW,
        { ours: { seq: 2n, cumulative: 20n }, theirs: { seq: 9n, cumulative: 900n } },
      );
      expect((await store.getLane(lane))?.seq).to.equal(2n);
    });

    it("refuses a proof whose cumulative our receipts cannot lead to, as proven equivocation", async () => {
      const store = await storeAt(5);
      // seq 7 needs at least 50 + 2; 51 means one of the two histories is not ours alone.
      await expectRejectedWithCode(
        resumeLane(client, { store, lane, view: await provenView(7n, 51n) }),
        LaneErrorCode.CONFLICT,
        { proven: true },
      );
      expect((await store.getLane(lane))?.seq).to.equal(5n);
    });
  });

  describe("malformed views are refused before anything is compared", () => {
    const cases: [string, () => Promise<Parameters<typeof resumeLane>[1]["view"]>][] = [
      ["a cumulative below the seq", async () => ({ seq: 5n, cumulative: 4n })],
      ["a cumulative at seq 0", async () => ({ seq: 0n, cumulative: 1n })],
      ["a seq above uint64", async () => ({ seq: 2n ** 64n, cumulative: 2n ** 65n })],
      ["a receipt without its signature", async () => ({ ...(await provenView(3n, 30n)), signature: undefined })],
      ["a receipt signed by a stranger", () => provenView(3n, 30n, STRANGER_KEY)],
      ["a receipt of another lane", () => provenView(3n, 30n, undefined, { lane: 9 })],
      ["a receipt of another seq", async () => ({ ...(await provenView(3n, 30n)), seq: 4n, cumulative: 40n })],
      [
        "a high-s signature (THREATS #22)",
        async () => {
          const view = await provenView(3n, 30n);
          const s = SECP256K1_N - hexToBigInt(slice(view.signature, 32, 64));
          const v = hexToBigInt(slice(view.signature, 64, 65)) === 27n ? "1c" : "1b";
          return {
            ...view,
            signature: `${slice(view.signature, 0, 32)}${numberToHex(s, { size: 32 }).slice(2)}${v}` as Hex,
          };
        },
      ],
    ];
    for (const [what, makeView] of cases) {
      it(`refuses ${what}`, async () => {
        const store = await storeAt(1);
        const view = await makeView();
        await expectRejectedWithCode(
          resumeLane(client, { store, lane, view: view as Parameters<typeof resumeLane>[1]["view"] }),
          LaneErrorCode.INVALID_VIEW,
          { lane },
        );
        expect((await store.getLane(lane))?.seq).to.equal(1n);
      });
    }
  });
});
