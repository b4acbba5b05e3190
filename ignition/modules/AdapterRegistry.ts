import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import ArbiterModule from "./Arbiter.js";
import DatanetRegistryModule from "./DatanetRegistry.js";
import OpenTokenModule from "./OpenToken.js";

/** Adapters, training commitments and versions with their proofs of training. */
export default buildModule("AdapterRegistry", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const { arbiter } = m.useModule(ArbiterModule);
  const { datanetRegistry } = m.useModule(DatanetRegistryModule);
  const owner = m.getParameter("owner", m.getAccount(0));
  const challengeWindow = m.getParameter("challengeWindow", 3n * 24n * 3600n);
  const minBond = m.getParameter("minBond", 500n * 10n ** 18n);
  const adapterRegistry = m.contract("AdapterRegistry", [
    token,
    datanetRegistry,
    arbiter,
    owner,
    challengeWindow,
    minBond,
  ]);
  return { adapterRegistry };
});
