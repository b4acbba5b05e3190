import { CliError, type Command, ExitCode, writeJson } from "../command.js";
import { CONFIG_OPTION, loadConfig } from "./config.js";

/** What `GET /status` answers (docs/api.md). */
type NodeStatus = {
  node: string;
  operator: string;
  uptimeSeconds: number;
  chain: { chainId: string; synced: boolean | null; indexedBlock?: string | null; headBlock?: string | null };
  peers: number | null;
  lanes: { inFlight: number; inferencesInFlight: number };
  models: { name: string; versionId: string }[];
};

const STATUS_TIMEOUT_MS = 5_000;

/** `olnode status`. */
export const statusCommand: Command = {
  path: ["status"],
  summary: "show a running node's state: chain sync, peers, models served",
  description: [
    "Asks a running node (`olnode start`) for its /status: its address and operator, whether its chain index has",
    "caught up, how many peers it has, and which adapter versions it serves. The node is found at --url, or at",
    "http://<api.host>:<api.port> of the config.",
  ].join("\n"),
  positionals: [],
  options: {
    ...CONFIG_OPTION,
    url: { type: "string", description: "the node's API URL (default from api.host and api.port)", valueName: "<url>" },
  },
  configFlags: true,
  examples: ["olnode status", "olnode status --url http://127.0.0.1:8080 --json"],
  async run(context) {
    const given = context.args.options.url;
    let base: string;
    if (typeof given === "string") {
      base = given;
    } else {
      const { config } = await loadConfig(context);
      const host = config.api.host === "0.0.0.0" ? "127.0.0.1" : config.api.host;
      base = `http://${host.includes(":") ? `[${host}]` : host}:${config.api.port}`;
    }
    let status: NodeStatus;
    try {
      const response = await fetch(new URL("/status", base), { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      status = (await response.json()) as NodeStatus;
    } catch (err) {
      throw new CliError(
        `no node answered at ${base} (${err instanceof Error ? err.message : String(err)}): is \`olnode start\` running there?`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_NODE_UNREACHABLE",
      );
    }
    if (context.json) {
      writeJson(context.io.stdout, status);
      return;
    }
    const synced = status.chain.synced === null ? "unknown" : status.chain.synced ? "synced" : "catching up";
    context.io.stdout.write(
      [
        `node ${status.node} (operator ${status.operator}), up ${status.uptimeSeconds} s`,
        `  chain     ${status.chain.chainId}: ${synced}, indexed block ${status.chain.indexedBlock ?? "-"} of ${status.chain.headBlock ?? "-"}`,
        `  peers     ${status.peers ?? "-"}`,
        `  requests  ${status.lanes.inferencesInFlight} inferences in flight`,
        `  serving   ${status.models.length === 0 ? "no versions" : status.models.map((m) => m.name).join(", ")}`,
        "",
      ].join("\n"),
    );
  },
};
