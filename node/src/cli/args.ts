import { parseArgs } from "node:util";
import { closestMatch, type FlagOption, getConfigFlagOptions, isConfigKey, suggestFlag } from "../config/index.js";
import { CliError, type Command, type CommandArgs, type CommandOption, ExitCode } from "./command.js";

/** Flags every command has. */
export const COMMON_OPTIONS: Readonly<Record<string, CommandOption>> = {
  json: { type: "boolean", description: "print one JSON document instead of text" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/**
 * Splits a command's argv into its own flags, its positionals and config flags (left as typed, for
 * `parseConfig`). Values of config flags are not read here; unknown flags are refused with the closest known one.
 *
 * @throws {CliError} a usage error: unknown flag, a flag without its value or given twice, missing or extra
 * positionals (unless `--help` was given, which wins)
 */
export function parseCommandArgs(argv: readonly string[], command: Command): CommandArgs {
  const own: Record<string, CommandOption> = { ...COMMON_OPTIONS, ...command.options };
  const options: Record<string, FlagOption> = command.configFlags ? { ...getConfigFlagOptions() } : {};
  for (const [name, option] of Object.entries(own)) {
    options[name] = option.short === undefined ? { type: option.type } : { type: option.type, short: option.short };
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const configArgv: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const option = own[token.name];
    if (option !== undefined) {
      if (Object.hasOwn(values, token.name))
        usage(`flag ${token.rawName} given twice; give it once`, "CLI_ERROR_DUPLICATE_FLAG");
      values[token.name] = readOwnValue(token.rawName, option, token.value);
    } else if (command.configFlags && isConfigKey(token.name)) {
      const withValue = token.value !== undefined && !token.inlineValue;
      configArgv.push(...argv.slice(token.index, token.index + (withValue ? 2 : 1)));
    } else {
      const ownFlags = Object.keys(own).map((name) => `--${name}`);
      const suggestion = command.configFlags
        ? suggestFlag(token.rawName, ownFlags)
        : closestMatch(token.rawName.replace(/^--no-/, "--"), ownFlags);
      usage(
        `unknown flag ${token.rawName}${suggestion === undefined ? "" : `; did you mean ${suggestion}?`}`,
        "CLI_ERROR_UNKNOWN_FLAG",
      );
    }
  }
  if (values.help !== true) {
    const expected = command.positionals;
    if (positionals.length < expected.length) {
      const missing = expected.slice(positionals.length).map((p) => `<${p.name}>`);
      usage(`missing ${missing.join(" ")}`, "CLI_ERROR_MISSING_ARGUMENT");
    }
    if (positionals.length > expected.length) {
      usage(`unexpected argument ${JSON.stringify(positionals[expected.length])}`, "CLI_ERROR_UNEXPECTED_ARGUMENT");
    }
  }
  return { options: values, positionals, configArgv };
}

function readOwnValue(rawName: string, option: CommandOption, value: string | undefined): string | boolean {
  if (option.type === "boolean") {
    if (value !== undefined) usage(`flag ${rawName} takes no value`, "CLI_ERROR_FLAG_VALUE");
    return !rawName.startsWith("--no-");
  }
  if (rawName.startsWith("--no-")) {
    usage(`unknown flag ${rawName} (--no- negates boolean flags only)`, "CLI_ERROR_UNKNOWN_FLAG");
  }
  if (value === undefined) {
    usage(`flag ${rawName} needs a value: ${option.valueName ?? "<value>"}`, "CLI_ERROR_FLAG_VALUE");
  }
  return value;
}

function usage(message: string, code: string): never {
  throw new CliError(message, ExitCode.USAGE_ERROR, code);
}
