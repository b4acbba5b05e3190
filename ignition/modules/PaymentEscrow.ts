import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import OpenTokenModule from "./OpenToken.js";

const DAY = 24n * 3600n;

/**
 * Dapps' prepaid OPEN per (payer, node) and their receipt signers. Its collector, the Settlement, is set once by the
 * owner: the `Protocol` module does it.
 */
export default buildModule("PaymentEscrow", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const owner = m.getParameter("owner", m.getAccount(0));
  // A week to get unused funds back: longer than any node waits to redeem what it served.
  const thawingPeriod = m.getParameter("thawingPeriod", 7n * DAY);
  // Three days for a retired signer: its last receipts are redeemed before it is revoked.
  const signerThawingPeriod = m.getParameter("signerThawingPeriod", 3n * DAY);
  // An hour after an emergency revocation: enough for nodes to redeem what a leaked key signed before.
  const revokeGracePeriod = m.getParameter("revokeGracePeriod", 3_600n);
  const paymentEscrow = m.contract("PaymentEscrow", [
    token,
    owner,
    thawingPeriod,
    signerThawingPeriod,
    revokeGracePeriod,
  ]);
  return { paymentEscrow };
});
