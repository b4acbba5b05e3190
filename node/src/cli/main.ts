// The `olnode` entry point: runs the CLI on this process's arguments and streams, then sets the exit code.
// Everything else lives in run.ts, which the tests call in-process.
import { runCli } from "./run.js";

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
