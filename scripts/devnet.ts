// `npm start`: the protocol's whole lifecycle on this machine (node/src/devnet), then node A's explorer until Ctrl-C.
import {
  checkDevnetInvariants,
  DEVNET_HELP,
  formatDevnetReport,
  parseDevnetArgs,
  runDevnet,
} from "../node/src/devnet/index.js";

async function main(): Promise<void> {
  const args = parseDevnetArgs(process.argv.slice(2), process.cwd());
  if (args.help) {
    console.log(DEVNET_HELP);
    return;
  }
  const started = Date.now();
  const run = await runDevnet({ ...args.options, progress: process.stderr }, { log: (line) => console.log(line) });
  console.log(formatDevnetReport(run.report));
  const failures = checkDevnetInvariants(run.report);
  for (const failure of failures) console.log(`INVARIANT BROKEN: ${failure}`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s; the run's folders are in ${run.dir}`);
  if (failures.length > 0) process.exitCode = 1;
  if (args.once) {
    await run.close();
    return;
  }
  console.log(`\nExplorer: ${run.explorerUrl}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  console.log("\nstopping the nodes and the chain");
  await run.close();
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`devnet failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
