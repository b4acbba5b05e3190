import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import ArbiterModule from "./Arbiter.js";
import OpenTokenModule from "./OpenToken.js";

/** Node operators: stake, peer id, endpoint, prices; slashable by the Arbiter only. */
export default buildModule("NodeRegistry", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const { arbiter } = m.useModule(ArbiterModule);
  const owner = m.getParameter("owner", m.getAccount(0));
  const minStake = m.getParameter("minStake", 1_000n * 10n ** 18n);
  const unbondingPeriod = m.getParameter("unbondingPeriod", 14n * 24n * 3600n);
  const slashBps = m.getParameter("slashBps", 1_000n);
  const nodeRegistry = m.contract("NodeRegistry", [token, arbiter, owner, minStake, unbondingPeriod, slashBps]);
  return { nodeRegistry };
});
