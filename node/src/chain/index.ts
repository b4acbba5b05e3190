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
