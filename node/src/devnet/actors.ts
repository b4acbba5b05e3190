import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

/** Who takes part in a devnet run, by role. Accounts are Hardhat's default ones, in this order. */
export const ROLES = [
  "treasury",
  "curatorA",
  "curatorB",
  "alice",
  "bob",
  "mallory",
  "watcher",
  "node",
  "operator",
  "adapterOwner",
  "verifier1",
  "verifier2",
  "verifier3",
  "challenger",
] as const;

export type Role = (typeof ROLES)[number];
export type Actors = Record<Role, HardhatEthersSigner>;

/** Binds each role to one of the chain's funded signers. */
export function assignActors(signers: readonly HardhatEthersSigner[]): Actors {
  if (signers.length < ROLES.length) {
    throw new Error(`the devnet needs ${ROLES.length} accounts, the chain has ${signers.length}`);
  }
  return Object.fromEntries(ROLES.map((role, i) => [role, signers[i]])) as Actors;
}
