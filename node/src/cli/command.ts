/** Something text is written to: `process.stdout`, or a test's buffer. */
export interface Writer {
  write(chunk: string): unknown;
}

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** Environment variables (`OLNODE_*` are config). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The folder relative paths are resolved against. */
  readonly cwd: string;
}

/** One of a command's own flags. */
export interface CommandOption {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** For string flags, the value's name in help: `<path>`. */
  readonly valueName?: string;
  readonly short?: string;
}

/** A required positional argument. */
export interface CommandPositional {
  readonly name: string;
  readonly description: string;
}

/** A command's arguments after parsing. */
export interface CommandArgs {
  /** The command's own flags by name (`json`, `config`, …); absent when not given. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  /** Config flags (`--api.port 8080`), as typed, for `parseConfig`. */
  readonly configArgv: readonly string[];
}

/** What a command's `run` receives. */
export interface CommandContext {
  readonly io: CliIo;
  readonly args: CommandArgs;
  /** `--json` was given: print one JSON document instead of text. */
  readonly json: boolean;
}

/** One `olnode` command. */
export interface Command {
  /** Its words: `["keys", "generate"]`. */
  readonly path: readonly string[];
  /** One line, for the command list. */
  readonly summary: string;
  /** What it does, for its help; several lines allowed. */
  readonly description: string;
  readonly positionals: readonly CommandPositional[];
  /** Its own flags (`--help` and `--json` come with every command). */
  readonly options: Readonly<Record<string, CommandOption>>;
  /** Does it take config flags (`--section.key value`)? */
  readonly configFlags: boolean;
  readonly examples: readonly string[];
  /**
   * Runs it; returns on success (optionally with its own exit code, e.g. `olnode verify`'s 1 for a mismatch), throws
   * {@link CliError} (or a module's coded error) on failure.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most commands return nothing; a few return their exit code.
  run(context: CommandContext): Promise<void | ExitCode>;
}

/** Exit codes: 0 ok, 1 the user's input is wrong (a file, a value), 2 the command was called wrongly. */
export enum ExitCode {
  OK = 0,
  USER_ERROR = 1,
  USAGE_ERROR = 2,
}

/** A failure to report to the user as one clear line, without a stack. */
export class CliError extends Error {
  /**
   * @param message what went wrong and, where it helps, what to do
   * @param exitCode {@link ExitCode.USER_ERROR} (default) or {@link ExitCode.USAGE_ERROR}
   * @param code a stable code for `--json` output
   */
  constructor(
    message: string,
    readonly exitCode: ExitCode.USER_ERROR | ExitCode.USAGE_ERROR = ExitCode.USER_ERROR,
    readonly code: string = exitCode === ExitCode.USAGE_ERROR ? "CLI_ERROR_USAGE" : "CLI_ERROR_USER",
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Writes one JSON document and a newline (bigints as decimal strings). */
export function writeJson(writer: Writer, value: unknown): void {
  writer.write(`${JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
}
