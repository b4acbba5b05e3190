// `npm run chain`: a local chain for the guides (docs/guide-*.md): serve, deploy, create datanet 1; and the faucet,
// the clock and activation against a running one.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatUnits, parseUnits } from "viem";
import {
  activateVersion,
  advanceTime,
  FAUCET_DEFAULTS,
  fundAccounts,
  startLocalChain,
} from "../node/src/devnet/index.js";

const HELP = `Usage: npm run chain [-- options]

Without an action: serves Hardhat's EVM on http://<host>:<port> (a block every --interval ms), deploys the protocol
with the devnet's minute-scale parameters (node/src/devnet/deployProtocol.ts), writes the deployment file the node
reads (--deployment), creates datanet 1 (olp://datanets/ad-copy: min stake 100 OPEN, 0.1 OPEN a sample, for the
files of trainer/data/advertise) and runs until Ctrl-C. Every chain starts empty: nothing is kept across runs.

With an action, against a running chain (--rpc):
  --fund <address>[,...]   the faucet: sends each address --eth ETH and --open OPEN from Hardhat's first dev account
  --advance <seconds>      moves the chain's clock on, mines a block, prints the Settlement's epoch now
  --activate <versionId>   activates a version whose challenge window has passed

Options:
  --host <host>            interface to serve on (default: $OLNODE_CHAIN_RPC_URL's host, else 127.0.0.1)
  --port <port>            port to serve on (default: $OLNODE_CHAIN_RPC_URL's port, else 8545)
  --chain-id <id>          chain id (default 31337)
  --interval <ms>          interval mining, in milliseconds (default 1000)
  --deployment <file>      the deployment file (default ./local/deployment.json)
  --rpc <url>              the running chain, for an action (default $OLNODE_CHAIN_RPC_URL, else http://127.0.0.1:8545)
  --eth <ETH>              ETH per funded address (default ${formatUnits(FAUCET_DEFAULTS.eth, 18)})
  --open <OPEN>            OPEN per funded address (default ${formatUnits(FAUCET_DEFAULTS.open, 18)})
  -h, --help               show this text

Examples:
  npm run chain
  npm run chain -- --fund 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
  npm run chain -- --advance 1800
  npm run chain -- --activate 1`;

function amount(flag: string, text: string): bigint {
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(text)) throw new Error(`--${flag} ${JSON.stringify(text)} is not an amount`);
  return parseUnits(text, 18);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < min || n > max)
    throw new Error(`--${flag} ${JSON.stringify(text)}: want an integer in [${min}, ${max}]`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      host: { type: "string" },
      port: { type: "string" },
      "chain-id": { type: "string" },
      interval: { type: "string" },
      deployment: { type: "string" },
      rpc: { type: "string" },
      fund: { type: "string" },
      eth: { type: "string" },
      open: { type: "string" },
      advance: { type: "string" },
      activate: { type: "string" },
    },
  });
  if (values.help === true) {
    console.log(HELP);
    return;
  }
  if (positionals.length > 0) throw new Error(`unexpected argument ${positionals[0]} (see --help)`);
  const deploymentFile = values.deployment ?? "local/deployment.json";
  const rpc = values.rpc ?? process.env.OLNODE_CHAIN_RPC_URL ?? "http://127.0.0.1:8545";
  const actions = (["fund", "advance", "activate"] as const).filter((a) => values[a] !== undefined);
  if (actions.length > 1) throw new Error(`give one action at a time, not --${actions.join(" and --")}`);
  if (values.fund !== undefined) {
    const grants = await fundAccounts(
      rpc,
      deploymentFile,
      values.fund.split(",").map((a) => a.trim()),
      {
        eth: values.eth === undefined ? FAUCET_DEFAULTS.eth : amount("eth", values.eth),
        open: values.open === undefined ? FAUCET_DEFAULTS.open : amount("open", values.open),
      },
    );
    for (const g of grants) {
      console.log(`funded ${g.address}: ${formatUnits(g.eth, 18)} ETH, ${formatUnits(g.open, 18)} OPEN`);
    }
    return;
  }
  if (values.advance !== undefined) {
    const seconds = integer("advance", values.advance, 1, 10 * 365 * 24 * 3600);
    const now = await advanceTime(rpc, seconds, existsSync(deploymentFile) ? deploymentFile : undefined);
    const when = new Date(Number(now.timestamp) * 1000).toISOString();
    console.log(`advanced ${seconds} s: the chain's time is now ${now.timestamp} (${when})`);
    if (now.epoch !== undefined) {
      console.log(`epoch ${now.epoch} now (epochs last ${now.epochLength} s)`);
    }
    return;
  }
  if (values.activate !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.activate))
      throw new Error(`--activate ${JSON.stringify(values.activate)} is not a version id`);
    const hash = await activateVersion(rpc, deploymentFile, BigInt(values.activate));
    console.log(`activated version ${values.activate} (tx ${hash})`);
    return;
  }
  // Serve where the node will look: the URL every guide exports.
  const fromEnv =
    process.env.OLNODE_CHAIN_RPC_URL === undefined ? undefined : new URL(process.env.OLNODE_CHAIN_RPC_URL);
  const chain = await startLocalChain({
    host: values.host ?? fromEnv?.hostname,
    port: integer("port", values.port ?? fromEnv?.port ?? "8545", 0, 65535),
    chainId: values["chain-id"] === undefined ? undefined : integer("chain-id", values["chain-id"], 1, 2 ** 31),
    intervalMs: values.interval === undefined ? undefined : integer("interval", values.interval, 1, 3_600_000),
    deploymentFile,
  });
  const c = chain.deployment.contracts;
  console.log(
    [
      `chain ${chain.chainId} on ${chain.rpcUrl}`,
      `deployment   ${chain.deploymentFile}`,
      `OpenToken    ${c.openToken}`,
      `Settlement   ${c.settlement}`,
      `datanet ${chain.datanetId}    olp://datanets/ad-copy (min stake 100 OPEN, 0.1 OPEN a sample)`,
      "ready: Ctrl-C stops the chain (and forgets it)",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await chain.close();
}

main().catch((err: unknown) => {
  console.error(`chain: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
