/**
 * The child of crash.test.ts: signs receipts in one lane of a level store, as fast as it can, and prints each one
 * (`{"seq","header"}` per line) only after `nextReceipt` returned it, the moment a real dapp would send it. The parent
 * kills it with SIGKILL at some point and checks the store against what was printed.
 *
 * Usage: `node --import tsx crashChild.ts <location>`
 */
import { createWalletClient, custom } from "viem";
import { nextReceipt, openLevelLaneStore } from "../../../../node/src/sdk/index.js";
import { DOMAIN, signerAccount, testLane } from "./helpers.js";

const location = process.argv[2];
if (location === undefined) throw new Error("expected the store's location as the first argument");
const client = createWalletClient({
  account: signerAccount,
  transport: custom({
    request: async () => {
      throw new Error("no RPC");
    },
  }),
});
const store = await openLevelLaneStore({ location, domain: DOMAIN });
const lane = testLane();
for (let i = 0; ; i++) {
  const requestBody = new TextEncoder().encode(`request ${i} of pid ${process.pid}`);
  const { receipt, header } = await nextReceipt(client, { store, lane, requestBody, value: 7n });
  process.stdout.write(`${JSON.stringify({ seq: receipt.seq.toString(), header })}\n`);
}
