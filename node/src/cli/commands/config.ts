import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  CONFIG_KEYS,
  CONFIG_PATH_ENV,
  type ConfigKeyDescription,
  describeConfigKeys,
  getValue,
  type ResolvedConfig,
  redactConfig,
  redactValue,
  requireStartKeys,
  resolveConfig,
} from "../../config/index.js";
import {
  CliError,
  type CliIo,
  type Command,
  type CommandContext,
  type CommandOption,
  ExitCode,
  writeJson,
} from "../command.js";

/** The `--config` flag of every command that reads a config. */
export const CONFIG_OPTION: Readonly<Record<string, CommandOption>> = {
  config: {
    type: "string",
    valueName: "<path>",
    description: `config file (JSON); default: $${CONFIG_PATH_ENV}, else none`,
  },
};

/**
 * Reads the configuration a command runs with: the file from `--config` or `OLNODE_CONFIG` (relative to the working
 * directory), the environment, and the command's config flags.
 *
 * @throws {CliError} when the config file cannot be read; {@link ConfigError} when the config is refused
 */
export async function loadConfig(context: CommandContext): Promise<ResolvedConfig & { path: string | undefined }> {
  const { io, args } = context;
  const given = args.options.config;
  const path = typeof given === "string" ? given : io.env[CONFIG_PATH_ENV] || undefined;
  let file: { path: string; text: string } | undefined;
  if (path !== undefined) {
    file = { path, text: await readConfigFile(io, path) };
  }
  return { ...resolveConfig({ file, env: io.env, argv: args.configArgv }), path };
}

async function readConfigFile(io: CliIo, path: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new CliError(`no config file at ${path}`, ExitCode.USER_ERROR, "CLI_ERROR_CONFIG_NOT_FOUND");
    if (code === "EISDIR")
      throw new CliError(`config file ${path} is a folder`, ExitCode.USER_ERROR, "CLI_ERROR_CONFIG_NOT_FOUND");
    throw new CliError(
      `cannot read config file ${path}: ${code ?? (err as Error).message}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_CONFIG_UNREADABLE",
    );
  }
}

/** `olnode config check`. */
export const configCheckCommand: Command = {
  path: ["config", "check"],
  summary: "validate a config and print the effective values, secrets redacted",
  description: [
    "Reads the config as `olnode start` would (defaults, file, OLNODE_* variables, flags), checks every key,",
    "and prints each value with where it came from. Secrets print as [redacted]. Fails (exit 1) naming the key",
    "when a key is unknown, a value has the wrong type, or a key a node needs to start is unset.",
  ].join("\n"),
  positionals: [],
  options: CONFIG_OPTION,
  configFlags: true,
  examples: ["olnode config check --config olnode.json", "OLNODE_API_PORT=9000 olnode config check --json"],
  async run(context) {
    const { config, sources, path } = await loadConfig(context);
    requireStartKeys(config);
    if (context.json) {
      writeJson(context.io.stdout, { ok: true, file: path ?? null, config: redactConfig(config), sources });
      return;
    }
    const rows = CONFIG_KEYS.map((key) => [key, JSON.stringify(redactValue(key, getValue(config, key))), sources[key]]);
    const keyWidth = Math.max(...rows.map((r) => (r[0] as string).length));
    const valueWidth = Math.max(...rows.map((r) => (r[1] as string).length));
    const lines = [`config ok (${path === undefined ? "no config file" : `file ${path}`})`, ""];
    for (const [key, value, source] of rows) {
      lines.push(`  ${(key as string).padEnd(keyWidth)}  ${(value as string).padEnd(valueWidth)}  ${source}`);
    }
    context.io.stdout.write(`${lines.join("\n")}\n`);
  },
};

/** `olnode config keys`. */
export const configKeysCommand: Command = {
  path: ["config", "keys"],
  summary: "list every config key: type, default, environment variable, flag",
  description: "Prints the config schema: each key's type, default (and why), environment variable and flag.",
  positionals: [],
  options: {
    markdown: { type: "boolean", description: "print the Markdown table of docs/config.md" },
  },
  configFlags: false,
  examples: ["olnode config keys", "olnode config keys --markdown"],
  async run(context) {
    const keys = describeConfigKeys();
    if (context.json) writeJson(context.io.stdout, keys);
    else if (context.args.options.markdown === true) context.io.stdout.write(formatConfigKeysMarkdown(keys));
    else context.io.stdout.write(formatConfigKeysText(keys));
  },
};

/** The config table in Markdown, as docs/config.md holds it between its `config-keys` markers (columns aligned, as Biome formats it). */
export function formatConfigKeysMarkdown(keys: readonly ConfigKeyDescription[]): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const rows = [["Key", "Type", "What it does", "Default", "Why this default", "Environment", "Flag"]];
  for (const k of keys) {
    const shown = k.default === undefined ? (k.requiredToStart ? "required" : "unset") : `\`${k.default}\``;
    const flag = k.flag === null ? "none (secret)" : `\`${k.flag}\``;
    rows.push([`\`${k.key}\``, cell(k.type), cell(k.description), cell(shown), cell(k.why), `\`${k.env}\``, flag]);
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => [...(row[i] as string)].length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((text, i) => text + " ".repeat((widths[i] as number) - [...text].length)).join(" | ")} |`;
  const [header, ...body] = rows;
  return `${[line(header as string[]), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")}\n`;
}

function formatConfigKeysText(keys: readonly ConfigKeyDescription[]): string {
  const out: string[] = [];
  for (const k of keys) {
    const shown = k.default === undefined ? (k.requiredToStart ? "none, required to start" : "unset") : k.default;
    out.push(
      `${k.key} (${k.type}${k.secret ? ", secret" : ""})`,
      `  ${k.description}`,
      `  default: ${shown} (${k.why})`,
      `  env: ${k.env}   flag: ${k.flag ?? "none (secrets come from the file or the environment)"}`,
      "",
    );
  }
  return out.join("\n");
}
