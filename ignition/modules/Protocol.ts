import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import AdapterRegistryModule from "./AdapterRegistry.js";
import ArbiterModule from "./Arbiter.js";
import DatanetRegistryModule from "./DatanetRegistry.js";
import NodeRegistryModule from "./NodeRegistry.js";
import OpenTokenModule from "./OpenToken.js";
import PaymentEscrowModule from "./PaymentEscrow.js";
import SettlementModule from "./Settlement.js";

/**
 * The whole protocol, deployed and wired: the registries and the Settlement, which answer to the Arbiter, are
 * allow-listed as its subjects, and the Settlement is the escrow's collector (the escrow's owner must be account 0,
 * the default). Parameters go per module id (`OpenToken`, `Arbiter`, `DatanetRegistry`, `NodeRegistry`,
 * `AdapterRegistry`, `PaymentEscrow`, `Settlement`).
 */
export default buildModule("Protocol", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const { arbiter } = m.useModule(ArbiterModule);
  const { datanetRegistry } = m.useModule(DatanetRegistryModule);
  const { nodeRegistry } = m.useModule(NodeRegistryModule);
  const { adapterRegistry } = m.useModule(AdapterRegistryModule);
  const { paymentEscrow } = m.useModule(PaymentEscrowModule);
  const { settlement } = m.useModule(SettlementModule);
  m.call(arbiter, "setSubject", [nodeRegistry, true], { id: "allowNodeRegistry" });
  m.call(arbiter, "setSubject", [adapterRegistry, true], { id: "allowAdapterRegistry" });
  m.call(arbiter, "setSubject", [settlement, true], { id: "allowSettlement" });
  m.call(paymentEscrow, "setCollector", [settlement], { id: "setEscrowCollector" });
  return { token, arbiter, datanetRegistry, nodeRegistry, adapterRegistry, paymentEscrow, settlement };
});
