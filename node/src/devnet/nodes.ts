import type { Address } from "viem";
import type { StartConfig } from "../config/index.js";
import { createLogger, type LogDestination } from "../logger/index.js";
import { OlNode } from "../node/index.js";
import type { SettleTickResult } from "../settle/index.js";

/** What the devnet uses of a running node (the composition root's `OlNode`). */
export interface DevnetNode {
  /** The node's address (NodeRegistry: the operator key's node). */
  readonly node: Address;
  /** `http://127.0.0.1:<port>`: the OpenAI-shaped API, `/status`, `/metrics`, `/explorer/`. */
  readonly apiUrl: string;
  /** libp2p listen addresses with `/p2p/<peer id>`, for the others' `p2p.bootstrap`. */
  readonly multiaddrs: readonly string[];
  readonly settle: { tick(): Promise<SettleTickResult> };
  readonly indexer: { syncOnce(): Promise<unknown> };
  close(): Promise<void>;
}

/** Starts one node of the devnet from its configuration, in its folder (`name` prefixes its log lines). */
export type StartNode = (
  config: StartConfig,
  opts: { readonly cwd: string; readonly name: string; readonly logs?: LogDestination },
) => Promise<DevnetNode>;

/** The node daemon (`OlNode.init`), logging at the config's level to `logs` (default stderr). */
export const startOlNode: StartNode = async (config, { cwd, name, logs }) => {
  const logger = createLogger({
    level: config.log.level,
    format: config.log.format,
    module: name,
    destination: logs ?? { write: (line) => process.stderr.write(line) },
  });
  return await OlNode.init({ config, cwd }, { logger });
};
