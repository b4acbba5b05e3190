// `npm start`: the protocol's registries end to end on an in-process chain, with a readable report.
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { formatTourReport, runRegistriesTour } from "../node/src/devnet/index.js";

const HELP = `Usage: npm start [-- --help]

Runs the protocol on an in-process Hardhat chain and prints what happened:
  deploys the contracts with the Ignition module, creates two datanets, registers two contributors' datasets
  (trainer/data/advertise/ads-1.jsonl and ads-2.jsonl) and a copycat's disguised copy that a watcher proves a
  duplicate, stakes a node, commits an adapter's training, submits two versions, runs one dismissed and one upheld
  challenge through staked verifiers, activates and prices the survivor, then reports balances, the burn and gas.

Options:
  --help   show this text`;

const DATA = new URL("../trainer/data/advertise/", import.meta.url);

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(HELP);
    return;
  }
  const unknown = process.argv.slice(2).filter((a) => a !== "--");
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (see --help)`);
  const started = Date.now();
  let step = 0;
  const connection = await network.create();
  const result = await runRegistriesTour(connection, {
    aliceDataset: readFileSync(new URL("ads-1.jsonl", DATA)),
    bobDataset: readFileSync(new URL("ads-2.jsonl", DATA)),
    log: (message) => console.log(message.startsWith("  ") ? `     ${message.trim()}` : `[${++step}] ${message}`),
  });
  console.log(formatTourReport(result));
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`devnet failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
