export { type Actors, assignActors, ROLES, type Role } from "./actors.js";
export { makeCopycatDataset } from "./copycat.js";
export { DEVNET_PARAMETERS, deployProtocol, type Protocol } from "./deployProtocol.js";
export { type GasEntry, GasLedger } from "./gasLedger.js";
export {
  activateVersion,
  advanceTime,
  FAUCET_DEFAULTS,
  type FaucetGrant,
  fundAccounts,
  LOCAL_DATANET,
  type LocalChain,
  type LocalChainOptions,
  startLocalChain,
} from "./localChain.js";
export { signPermit } from "./permit.js";
export {
  type RegistriesTourOptions,
  type RegistriesTourResult,
  runRegistriesTour,
  type TourDataset,
} from "./registriesTour.js";
export { formatTourReport } from "./report.js";
