import { runCli, type Writer } from "../cli/index.js";

/** What one `olnode` command printed. */
export interface OlnodeRun {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an `olnode` command in process, as a party of the devnet would from its own folder: `env` carries its
 * `OLNODE_*` configuration. `stderr` receives the command's stderr as it is written (the training progress bar), besides
 * being captured. A non-zero exit is thrown with what the command said.
 */
export async function runOlnode(
  argv: readonly string[],
  opts: { env: Readonly<Record<string, string>>; cwd: string; stderr?: Writer & { isTTY?: boolean } },
): Promise<OlnodeRun> {
  let stdout = "";
  let stderr = "";
  const passThrough = opts.stderr;
  const errWriter: Writer & { isTTY?: boolean } = {
    write: (chunk: string) => {
      stderr += chunk;
      passThrough?.write(chunk);
      return true;
    },
  };
  if (passThrough?.isTTY === true) errWriter.isTTY = true;
  const code = await runCli(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: errWriter,
    env: opts.env,
    cwd: opts.cwd,
  });
  if (code !== 0) {
    throw new Error(`olnode ${argv.slice(0, 2).join(" ")} exited ${code}: ${errorMessageOf(stderr)}`);
  }
  return { stdout, stderr };
}

/** The message of a `--json` error document, or the last line of text. */
function errorMessageOf(stderr: string): string {
  const text = stderr.trim();
  try {
    const json = JSON.parse(text) as { error?: { message?: string; code?: string } };
    if (json.error?.message !== undefined) return `${json.error.message} (${json.error.code ?? "no code"})`;
  } catch {
    // not JSON: plain text
  }
  return text.split("\n").at(-1) ?? "(nothing on stderr)";
}
