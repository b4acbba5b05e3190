import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import AdapterRegistryModule from "./AdapterRegistry.ts";
import ArbiterModule from "./Arbiter.ts";
import DatanetRegistryModule from "./DatanetRegistry.ts";
import NodeRegistryModule from "./NodeRegistry.ts";
import OpenTokenModule from "./OpenToken.ts";

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
