import { ConfigError, KeyFileError } from "../config/index.js";
import { TrainerError } from "../trainer/index.js";
import { CliError, type CliIo, type Command, ExitCode, writeJson } from "./command.js";
import { DatasetFileError } from "./commands/dataset.js";
import { TOOL } from "./help.js";

/**
 * Prints an error as one line (or a JSON document with `--json`) and picks the exit code. Exported for commands with
 * their own exit codes (`olnode verify`), which print the error and then return theirs.
 */
export function reportError(err: unknown, io: CliIo, json: boolean, command: Command | undefined): ExitCode {
  let exitCode: ExitCode;
  let code: string;
  let context: unknown;
  if (err instanceof DatasetFileError) {
    exitCode = err.exitCode;
    code = err.code;
    context = { file: err.file, ...err.error.type };
  } else if (err instanceof CliError) {
    exitCode = err.exitCode;
    code = err.code;
  } else if (err instanceof ConfigError) {
    exitCode = err.isUsageError ? ExitCode.USAGE_ERROR : ExitCode.USER_ERROR;
    code = err.type.code;
    context = err.type;
  } else if (err instanceof TrainerError) {
    // The trainer's failures (a config, a corpus, a transaction, the Python process) name their problem and context.
    exitCode = ExitCode.USER_ERROR;
    code =
      err.type.code === "TRAINER_ERROR_PYTHON" && "pythonCode" in err.type
        ? `TRAINER_ERROR_PYTHON_${err.type.pythonCode}`
        : err.type.code;
    context = err.type;
  } else if (err instanceof KeyFileError) {
    exitCode = ExitCode.USER_ERROR;
    code = err.type.code;
    context = err.type;
  } else {
    // Not the user's mistake: a bug or the machine. The stack is what a bug report needs.
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr.write(`${TOOL}: internal error: ${stack}\n`);
    return ExitCode.USER_ERROR;
  }
  const message = (err as Error).message;
  if (json) {
    writeJson(io.stderr, { error: { code, message, ...(context === undefined ? {} : { context }) } });
  } else {
    const help = `${TOOL}${command === undefined ? "" : ` ${command.path.join(" ")}`} --help`;
    const hint = exitCode === ExitCode.USAGE_ERROR && !message.includes("\n") ? ` (see '${help}')` : "";
    io.stderr.write(`${TOOL}: ${message}${hint}\n`);
  }
  return exitCode;
}
