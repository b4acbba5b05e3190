import type { Address } from "viem";
import type { StartConfig } from "../config/index.js";
import type { SettleTickResult } from "../settle/index.js";

/** What the devnet uses of a running node (the composition root's `OlNode`). */
export interface DevnetNode {
  /** The node's address (NodeRegistry: the operator key's node). */
  readonly node: Address;
  /** `http://127.0.0.1:<port>`: the OpenAI-shaped API, `/status`, `/explorer/`. */
  readonly apiUrl: string;
  /** libp2p listen addresses with `/p2p/<peer id>`, for the others' `p2p.bootstrap`. */
  readonly multiaddrs: readonly unknown[];
  readonly settle: { tick(): Promise<SettleTickResult> };
  readonly indexer: { syncOnce(): Promise<unknown> };
  close(): Promise<void>;
}

/** Starts one node of the devnet from its configuration, in its folder; `auditor` asks for settle's auditor mode. */
export type StartNode = (
  config: StartConfig,
  opts: { readonly cwd: string; readonly name: string; readonly auditor: boolean },
) => Promise<DevnetNode>;

/** The node daemon (`node/src/node`), once it lands on main. */
export const startOlNode: StartNode = async () => {
  throw new Error("the node daemon (node/src/node, OlNode) is not on this branch yet");
};
