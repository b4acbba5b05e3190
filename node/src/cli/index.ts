export { COMMON_OPTIONS, parseCommandArgs } from "./args.js";
export {
  CliError,
  type CliIo,
  type Command,
  type CommandArgs,
  type CommandContext,
  type CommandOption,
  type CommandPositional,
  ExitCode,
  type Writer,
  writeJson,
} from "./command.js";
export { auditCommand, type PoolAudit, type WeightsCheck } from "./commands/audit.js";
export {
  attributionMessagePath,
  formatOpen,
  MAX_ATTRIBUTION_MESSAGE_BYTES,
  PostedSource,
  parseOpen,
} from "./commands/chainSupport.js";
export { type ClaimLine, claimCommand, MAX_CLAIMS_PER_TX, type SkippedPool } from "./commands/claim.js";
export {
  CONFIG_OPTION,
  configCheckCommand,
  configKeysCommand,
  formatConfigKeysMarkdown,
  loadConfig,
} from "./commands/config.js";
export {
  countTokens,
  type DatasetAddResult,
  DatasetFileError,
  type DatasetSummary,
  datasetAddCommand,
  datasetInspectCommand,
  PINNED_UNICODE_VERSION,
  summarizeDataset,
} from "./commands/dataset.js";
export { depositCommand } from "./commands/deposit.js";
export { keysGenerateCommand, keysShowCommand } from "./commands/keys.js";
export { nodePriceCommand, nodeRegisterCommand } from "./commands/node.js";
export { type TrainCommandResult, trainCommand } from "./commands/train.js";
export { VerifyExitCode, verifyCommand } from "./commands/verify.js";
export { formatCommandHelp, formatGroupHelp, formatToolHelp, TOOL } from "./help.js";
export { reportError } from "./report.js";
export { COMMANDS, getVersion, runCli } from "./run.js";
