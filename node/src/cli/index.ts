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
export { keysGenerateCommand, keysShowCommand } from "./commands/keys.js";
export { type TrainCommandResult, trainCommand } from "./commands/train.js";
export { VerifyExitCode, verifyCommand } from "./commands/verify.js";
export { formatCommandHelp, formatGroupHelp, formatToolHelp, TOOL } from "./help.js";
export { reportError } from "./report.js";
export { COMMANDS, getVersion, runCli } from "./run.js";
