import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import OpenTokenModule from "./OpenToken.js";

/** Datanets and staked datasets, with commit–reveal registration and duplicate proofs. */
export default buildModule("DatanetRegistry", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const owner = m.getParameter("owner", m.getAccount(0));
  const revealWindowBlocks = m.getParameter("revealWindowBlocks", 7_200n);
  const unbondingPeriod = m.getParameter("unbondingPeriod", 7n * 24n * 3600n);
  const duplicateSlashBps = m.getParameter("duplicateSlashBps", 5_000n);
  const proverShareBps = m.getParameter("proverShareBps", 8_000n);
  const datanetRegistry = m.contract("DatanetRegistry", [
    token,
    owner,
    revealWindowBlocks,
    unbondingPeriod,
    duplicateSlashBps,
    proverShareBps,
  ]);
  return { datanetRegistry };
});
