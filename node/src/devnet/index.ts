export { type Actors, assignActors, ROLES, type Role } from "./actors.js";
export { type ChainServer, type Eip1193Provider, serveChain } from "./chainServer.js";
export { makeCopycatDataset } from "./copycat.js";
export { Dapp, type DappInference, type DappOptions, LANES_PER_NODE, type PaidNode } from "./dapp.js";
export { DEVNET_PARAMETERS, deployProtocol, type Protocol } from "./deployProtocol.js";
export {
  DEFAULT_DEVNET_OPTIONS,
  type DevnetModules,
  type DevnetOptions,
  type DevnetRun,
  runDevnet,
} from "./devnet.js";
export { DEVNET_HELP, type DevnetArgs, parseDevnetArgs } from "./devnetArgs.js";
export {
  buildDevnetReport,
  checkDevnetInvariants,
  type DevnetReport,
  formatDevnetReport,
  type ReportDataset,
} from "./devnetReport.js";
export { type GasEntry, GasLedger } from "./gasLedger.js";
export { scanGas } from "./gasScan.js";
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
export { type DevnetNode, type StartNode, startOlNode } from "./nodes.js";
export { type OlnodeRun, runOlnode } from "./olnodeCli.js";
export { NODE_NAMES, PARTY_NAMES, type Party, type PartyName, SERVING_NODES } from "./parties.js";
export { signPermit } from "./permit.js";
export {
  type RegistriesTourOptions,
  type RegistriesTourResult,
  runRegistriesTour,
  type TourDataset,
} from "./registriesTour.js";
export { formatTourReport } from "./report.js";
export { type SettledPool, type SettleOutcome, settleEpoch } from "./settleFlow.js";
export { type DevnetLog, DevnetStepError, describeError, Steps } from "./steps.js";
export { formatOpen, waitFor } from "./wait.js";
