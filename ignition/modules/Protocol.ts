import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import AdapterRegistryModule from "./AdapterRegistry.js";
import ArbiterModule from "./Arbiter.js";
import DatanetRegistryModule from "./DatanetRegistry.js";
import NodeRegistryModule from "./NodeRegistry.js";
import OpenTokenModule from "./OpenToken.js";

/**
 * The whole protocol, deployed and wired: the registries that answer to the Arbiter are allow-listed as its subjects.
 * Parameters go per module id (`OpenToken`, `Arbiter`, `DatanetRegistry`, `NodeRegistry`, `AdapterRegistry`).
 */
export default buildModule("Protocol", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const { arbiter } = m.useModule(ArbiterModule);
  const { datanetRegistry } = m.useModule(DatanetRegistryModule);
  const { nodeRegistry } = m.useModule(NodeRegistryModule);
  const { adapterRegistry } = m.useModule(AdapterRegistryModule);
  m.call(arbiter, "setSubject", [nodeRegistry, true], { id: "allowNodeRegistry" });
  m.call(arbiter, "setSubject", [adapterRegistry, true], { id: "allowAdapterRegistry" });
  return { token, arbiter, datanetRegistry, nodeRegistry, adapterRegistry };
});
