import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** OPEN: the fixed supply is minted once, to `treasury` (the deployer unless given). */
export default buildModule("OpenToken", (m) => {
  const treasury = m.getParameter("treasury", m.getAccount(0));
  // 1 billion OPEN: a fixed supply, never minted again (DESIGN §3).
  const supply = m.getParameter("supply", 1_000_000_000n * 10n ** 18n);
  const token = m.contract("OpenToken", [treasury, supply]);
  return { token };
});
