export {
  adapterRegistryAbi,
  arbiterAbi,
  datanetRegistryAbi,
  nodeRegistryAbi,
  openTokenAbi,
  paymentEscrowAbi,
  settlementAbi,
} from "./abi/index.js";
export {
  type ChainClients,
  type CheckChainClient,
  type CreateChainClientsParameters,
  checkChain,
  createChainClients,
} from "./clients.js";
export {
  DEPLOYMENT_CONTRACTS,
  type Deployment,
  type DeploymentContract,
  DeploymentFileError,
  decodeDeployment,
  encodeDeployment,
  readDeployment,
  writeDeployment,
} from "./deployment.js";
export { ChainError, ChainErrorCode, type ChainErrorType } from "./errors.js";
export {
  ChainIndexer,
  type ChainIndexerModules,
  type ChainIndexerOpts,
  type ChainIndexStore,
  type ChainLogger,
  type IndexedEvent,
  type IndexedRange,
} from "./indexer.js";
export {
  type ChainCounter,
  type ChainGauge,
  createIndexerMetrics,
  createTxSenderMetrics,
  type IndexerMetrics,
  TX_FAILURE_REASONS,
  type TxFailureReason,
  type TxSenderMetrics,
} from "./metrics.js";
export { ChainReader, type ChainReaderModules, type ChainReaderOpts, type IndexedHead } from "./reader.js";
export { isTransportError } from "./retry.js";
export { type TxRequest, type TxResult, TxSender, type TxSenderModules, type TxSenderOpts } from "./txSender.js";
