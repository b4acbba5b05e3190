import { readFileSync } from "node:fs";
import { closestMatch } from "../config/index.js";
import { parseCommandArgs } from "./args.js";
import { CliError, type CliIo, type Command, ExitCode } from "./command.js";
import { auditCommand } from "./commands/audit.js";
import { claimCommand } from "./commands/claim.js";
import { configCheckCommand, configKeysCommand } from "./commands/config.js";
import { datasetAddCommand, datasetInspectCommand } from "./commands/dataset.js";
import { depositCommand } from "./commands/deposit.js";
import { keysGenerateCommand, keysShowCommand } from "./commands/keys.js";
import { nodePriceCommand, nodeRegisterCommand } from "./commands/node.js";
import { startCommand } from "./commands/start.js";
import { statusCommand } from "./commands/status.js";
import { trainCommand } from "./commands/train.js";
import { verifyCommand } from "./commands/verify.js";
import { formatCommandHelp, formatGroupHelp, formatToolHelp, TOOL } from "./help.js";
import { reportError } from "./report.js";

/**
 * Every command, in help order. Only commands that work are listed (`devnet` is `npm start`).
 */
export const COMMANDS: readonly Command[] = [
  auditCommand,
  claimCommand,
  configCheckCommand,
  configKeysCommand,
  datasetAddCommand,
  datasetInspectCommand,
  depositCommand,
  keysGenerateCommand,
  keysShowCommand,
  nodePriceCommand,
  nodeRegisterCommand,
  startCommand,
  statusCommand,
  trainCommand,
  verifyCommand,
];

/** The package's version, from package.json. */
export function getVersion(): string {
  const url = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/**
 * Runs `olnode` with `argv` (without the node binary and script) and returns the exit code: 0 ok, 1 the user's
 * input is wrong (one clear line, no stack), 2 the command was called wrongly. Writes only to `io`; never exits the
 * process, so tests call it in-process.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  commands: readonly Command[] = COMMANDS,
): Promise<ExitCode> {
  const json = argv.includes("--json");
  let current: Command | undefined;
  try {
    const [first] = argv;
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      io[first === undefined ? "stderr" : "stdout"].write(formatToolHelp(commands, getVersion()));
      return first === undefined ? ExitCode.USAGE_ERROR : ExitCode.OK;
    }
    if (first === "--version") {
      io.stdout.write(`${getVersion()}\n`);
      return ExitCode.OK;
    }
    const { command, rest } = findCommand(argv, commands, io);
    if (command === undefined) return ExitCode.OK;
    current = command;
    const args = parseCommandArgs(rest, command);
    if (args.options.help === true) {
      io.stdout.write(formatCommandHelp(command));
      return ExitCode.OK;
    }
    return (await command.run({ io, args, json: args.options.json === true })) ?? ExitCode.OK;
  } catch (err) {
    return reportError(err, io, json, current);
  }
}

/**
 * Finds the command named by argv's leading words. A group's name alone (`olnode keys`) prints the group's help:
 * to stdout with `--help` (and `command` undefined), else as a usage error.
 */
function findCommand(
  argv: readonly string[],
  commands: readonly Command[],
  io: CliIo,
): { command: Command | undefined; rest: readonly string[] } {
  const [first, second] = argv as [string, string | undefined];
  const group = commands.filter((c) => c.path[0] === first);
  if (group.length === 0) {
    const suggestion = closestMatch(first, new Set(commands.map((c) => c.path[0] as string)));
    const hint = suggestion === undefined ? `run '${TOOL} --help' for the commands` : `did you mean ${suggestion}?`;
    const what = first.startsWith("-") ? "flag" : "command";
    throw new CliError(
      `unknown ${what} ${first}; ${hint}`,
      ExitCode.USAGE_ERROR,
      `CLI_ERROR_UNKNOWN_${what.toUpperCase()}`,
    );
  }
  const single = group.find((c) => c.path.length === 1);
  if (single !== undefined) return { command: single, rest: argv.slice(1) };
  const command = group.find((c) => c.path[1] === second);
  if (command !== undefined) return { command, rest: argv.slice(2) };
  if (second === "--help" || second === "-h") {
    io.stdout.write(formatGroupHelp(first, group));
    return { command: undefined, rest: [] };
  }
  if (second === undefined || second.startsWith("-")) {
    throw new CliError(
      `${first} needs a command:\n${formatGroupHelp(first, group)}`,
      ExitCode.USAGE_ERROR,
      "CLI_ERROR_MISSING_COMMAND",
    );
  }
  const suggestion = closestMatch(
    second,
    group.map((c) => c.path[1] as string),
  );
  const hint =
    suggestion === undefined
      ? `run '${TOOL} ${first} --help' for its commands`
      : `did you mean ${first} ${suggestion}?`;
  throw new CliError(`unknown command ${first} ${second}; ${hint}`, ExitCode.USAGE_ERROR, "CLI_ERROR_UNKNOWN_COMMAND");
}
