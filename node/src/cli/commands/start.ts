import { getSecretValues, requireStartKeys } from "../../config/index.js";
import { createLogger } from "../../logger/index.js";
import { OlNode } from "../../node/index.js";
import { type Command, writeJson } from "../command.js";
import { CONFIG_OPTION, loadConfig } from "./config.js";

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** `olnode start`. */
export const startCommand: Command = {
  path: ["start"],
  summary: "run the node: p2p gossip, chain indexer, paid inference API, explorer, settlement",
  description: [
    "Starts one node from the config file, OLNODE_* variables and flags (in that order of precedence; an unknown",
    "key is an error that names it). The operator key (keys.operatorKeyFile) must be registered to a node in",
    "NodeRegistry (`olnode node register`). The node serves the adapter versions under <store.dir>/trainer/versions,",
    "validates and stores every gossiped record, redeems lanes past the settle thresholds, posts epoch attribution",
    "roots, and with settle.auditor audits other nodes' roots. Logs go to stderr; Ctrl-C (SIGINT) or SIGTERM stops",
    "it, persisting everything before the store closes.",
  ].join("\n"),
  positionals: [],
  options: CONFIG_OPTION,
  configFlags: true,
  examples: [
    "olnode start --config olnode.json",
    "OLNODE_CHAIN_RPC_URL=http://127.0.0.1:8545 olnode start --chain.deploymentFile deployment.json --api.port 8080",
  ],
  async run(context) {
    const { config } = await loadConfig(context);
    const startConfig = requireStartKeys(config);
    const logger = createLogger({
      level: config.log.level,
      format: config.log.format,
      secrets: getSecretValues(config),
      destination: { write: (line: string) => context.io.stderr.write(line) },
    });
    const node = await OlNode.init({ config: startConfig, cwd: context.io.cwd }, { logger });
    const started = {
      node: node.node,
      operator: node.operator.address,
      api: node.apiUrl,
      explorer: `${node.apiUrl}/explorer/`,
      p2p: node.multiaddrs,
      versions: node.versions.map((v) => `v${v.versionId}`),
    };
    if (context.json) {
      writeJson(context.io.stdout, started);
    } else {
      context.io.stdout.write(
        [
          `node ${started.node} (operator ${started.operator})`,
          `  api       ${started.api}`,
          `  explorer  ${started.explorer}`,
          `  p2p       ${started.p2p.join(" ")}`,
          `  serving   ${started.versions.length === 0 ? "no versions yet" : started.versions.join(", ")}`,
          "Ctrl-C stops it.",
          "",
        ].join("\n"),
      );
    }
    const signal = await untilStopped();
    logger.info("stopping", { signal });
    await node.close();
  },
};
