import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import OpenTokenModule from "./OpenToken.js";

const DAY = 24n * 3600n;

/** The Arbiter: verifier staking and commit–reveal rulings over allow-listed subjects. */
export default buildModule("Arbiter", (m) => {
  const { token } = m.useModule(OpenTokenModule);
  const owner = m.getParameter("owner", m.getAccount(0));
  const params = {
    commitPeriod: m.getParameter("commitPeriod", 1n * DAY),
    revealPeriod: m.getParameter("revealPeriod", 1n * DAY),
    minBond: m.getParameter("minBond", 100n * 10n ** 18n),
    quorumBps: m.getParameter("quorumBps", 3_000n),
    burnBps: m.getParameter("burnBps", 1_000n),
    voterRewardBps: m.getParameter("voterRewardBps", 2_000n),
    nonRevealSlashBps: m.getParameter("nonRevealSlashBps", 500n),
    leakSlashBps: m.getParameter("leakSlashBps", 1_000n),
    verifierUnbondingPeriod: m.getParameter("verifierUnbondingPeriod", 7n * DAY),
  };
  const arbiter = m.contract("Arbiter", [token, owner, params]);
  return { arbiter };
});
