import { COMMON_OPTIONS } from "./args.js";
import type { Command, CommandOption } from "./command.js";

/** The tool's name, as users type it. */
export const TOOL = "olnode";

/** Help for the whole tool: usage, every command, the common flags. */
export function formatToolHelp(commands: readonly Command[], version: string): string {
  return [
    `${TOOL} ${version}: the OpenLedger node`,
    "",
    `Usage: ${TOOL} <command> [options]`,
    "",
    "Commands:",
    ...table(commands.map((c) => [c.path.join(" "), c.summary])),
    "",
    "Options:",
    ...table([
      ["-h, --help", "show this help (after a command: that command's help)"],
      ["--version", "print the version"],
    ]),
    "",
    `Run '${TOOL} <command> --help' for a command's options.`,
    "",
  ].join("\n");
}

/** Help for a group of commands (`olnode keys`). */
export function formatGroupHelp(group: string, commands: readonly Command[]): string {
  return [
    `Usage: ${TOOL} ${group} <command> [options]`,
    "",
    "Commands:",
    ...table(commands.map((c) => [c.path.join(" "), c.summary])),
    "",
    `Run '${TOOL} ${group} <command> --help' for a command's options.`,
    "",
  ].join("\n");
}

/** Help for one command: usage, what it does, its flags, examples. */
export function formatCommandHelp(command: Command): string {
  const positionals = command.positionals.map((p) => ` <${p.name}>`).join("");
  const usage = `Usage: ${TOOL} ${command.path.join(" ")}${positionals} [options]${command.configFlags ? " [--section.key value ...]" : ""}`;
  const lines = [usage, "", command.description, ""];
  if (command.positionals.length > 0) {
    lines.push("Arguments:", ...table(command.positionals.map((p) => [`<${p.name}>`, p.description])), "");
  }
  const options = { ...command.options, ...COMMON_OPTIONS };
  lines.push(
    "Options:",
    ...table(Object.entries(options).map(([name, option]) => [flagLabel(name, option), option.description])),
    "",
  );
  if (command.configFlags) {
    lines.push(
      "Config flags:",
      "  Any config key that is not a secret, as --section.key value (e.g. --api.port 8080, --no-p2p.dht).",
      "  Precedence: flags > OLNODE_* environment variables > config file > defaults.",
      `  Secrets (key files, RPC and upstream URLs, API keys) come only from the file or the environment.`,
      `  Every key: ${TOOL} config keys`,
      "",
    );
  }
  if (command.examples.length > 0) lines.push("Examples:", ...command.examples.map((e) => `  ${e}`), "");
  return lines.join("\n");
}

function flagLabel(name: string, option: CommandOption): string {
  const short = option.short === undefined ? "" : `-${option.short}, `;
  const value = option.type === "string" ? ` ${option.valueName ?? "<value>"}` : "";
  return `${short}--${name}${value}`;
}

/** Two aligned columns, indented by two. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
