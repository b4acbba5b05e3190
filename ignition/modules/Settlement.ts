import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import AdapterRegistryModule from "./AdapterRegistry.js";
import ArbiterModule from "./Arbiter.js";
import DatanetRegistryModule from "./DatanetRegistry.js";
import NodeRegistryModule from "./NodeRegistry.js";
import OpenTokenModule from "./OpenToken.js";
import PaymentEscrowModule from "./PaymentEscrow.js";

const DAY = 24n * 3600n;

/**
 * Redemption of receipts, the fee split and the epoch dataset pools (DESIGN §6). It needs to be the escrow's
 * collector and an Arbiter subject: the `Protocol` module wires both.
 */
export default buildModule("Settlement", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const { paymentEscrow } = m.useModule(PaymentEscrowModule);
  const { nodeRegistry } = m.useModule(NodeRegistryModule);
  const { adapterRegistry } = m.useModule(AdapterRegistryModule);
  const { datanetRegistry } = m.useModule(DatanetRegistryModule);
  const { arbiter } = m.useModule(ArbiterModule);
  const owner = m.getParameter("owner", m.getAccount(0));
  // Production epochs are a day (DESIGN §6); the devnet uses minutes.
  const epochLength = m.getParameter("epochLength", DAY);
  const params = {
    // DESIGN §6 defaults: node 40 %, adapter owner 20 %, datasets 35 %, protocol 5 % burned.
    nodeBps: m.getParameter("nodeBps", 4_000n),
    ownerBps: m.getParameter("ownerBps", 2_000n),
    datasetsBps: m.getParameter("datasetsBps", 3_500n),
    protocolBps: m.getParameter("protocolBps", 500n),
    // Two days to post an epoch's root, three to challenge it, an hour more after a late challenge.
    postWindow: m.getParameter("postWindow", 2n * DAY),
    challengeWindow: m.getParameter("challengeWindow", 3n * DAY),
    extension: m.getParameter("extension", 3_600n),
    // Claims expire a year after the epoch (DESIGN §6).
    claimExpiry: m.getParameter("claimExpiry", 365n * DAY),
    minRootBond: m.getParameter("minRootBond", 100n * 10n ** 18n),
  };
  const settlement = m.contract("Settlement", [
    token,
    paymentEscrow,
    nodeRegistry,
    adapterRegistry,
    datanetRegistry,
    arbiter,
    owner,
    epochLength,
    params,
  ]);
  return { settlement };
});
