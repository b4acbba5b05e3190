import { join } from "node:path";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../logger/index.js";
import {
  booleanType,
  enumType,
  integerType,
  listType,
  multiaddrType,
  numberType,
  pathType,
  stringType,
  urlType,
  type ValueType,
  weiType,
} from "./types.js";

/** `builtin`: the node runs the model itself; `openai-compatible`: it forwards to a server such as vLLM. */
export const INFERENCE_BACKENDS = ["builtin", "openai-compatible"] as const;
export type InferenceBackend = (typeof INFERENCE_BACKENDS)[number];

/** The node's configuration, after defaults, file, environment and flags (see {@link CONFIG_SCHEMA}). */
export interface OlnodeConfig {
  readonly chain: {
    readonly rpcUrl: string | undefined;
    readonly deploymentFile: string | undefined;
    readonly confirmations: number;
    readonly pollIntervalMs: number;
  };
  readonly keys: {
    readonly operatorKeyFile: string;
  };
  readonly p2p: {
    readonly listen: readonly string[];
    readonly bootstrap: readonly string[];
    readonly dht: boolean;
    readonly peerKeyFile: string;
    readonly ipColocationWeight: number;
  };
  readonly api: {
    readonly host: string;
    readonly port: number;
  };
  readonly store: {
    readonly dir: string;
  };
  readonly settle: {
    readonly redeemValueWei: bigint;
    readonly redeemAgeSeconds: number;
    readonly postEpochs: boolean;
    readonly auditor: boolean;
    readonly tickIntervalMs: number;
  };
  readonly inference: {
    readonly backend: InferenceBackend;
    readonly upstreamUrl: string | undefined;
    readonly upstreamApiKey: string | undefined;
    readonly modelDir: string;
  };
  readonly trainer: {
    readonly pythonPath: string;
  };
  readonly metrics: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
  };
  readonly log: {
    readonly level: LogLevel;
    readonly format: LogFormat;
  };
}

/** A section of the config file: `chain`, `p2p`, … */
export type ConfigSection = keyof OlnodeConfig;

/** A config key, `section.field`: `chain.rpcUrl`, `p2p.listen`, … */
export type ConfigKey = { [S in ConfigSection]: `${S}.${keyof OlnodeConfig[S] & string}` }[ConfigSection];

/** The type of a config key's value. */
export type ConfigValue<K extends ConfigKey> = K extends `${infer S extends ConfigSection}.${infer F}`
  ? F extends keyof OlnodeConfig[S]
    ? OlnodeConfig[S][F]
    : never
  : never;

/** Reads an already resolved value, for defaults derived from other keys. */
export type ConfigGetter = <K extends ConfigKey>(key: K) => ConfigValue<K>;

/** A default computed from other keys (which must themselves have plain defaults). */
export interface DerivedDefault<T> {
  readonly derive: (get: ConfigGetter) => T;
  /** The rule in words, for docs: "<store.dir>/keys/operator-key.json". */
  readonly rule: string;
}

/** One row of the config table: everything about one key, in one place. */
export interface ConfigOption<T> {
  readonly type: ValueType<Exclude<T, undefined>>;
  /** The default: a value, a rule over other keys, or `undefined` (unset; {@link requiredToStart} says if it must be set). */
  readonly default: T | DerivedDefault<T>;
  /** Why the default is what it is. */
  readonly why: string;
  /** What the key does. */
  readonly description: string;
  /** Its environment variable: `OLNODE_` and the key in upper snake case. */
  readonly env: `OLNODE_${string}`;
  /** Its flag (`--` and the key), or `null` for a secret: secrets never come from flags. */
  readonly flag: `--${ConfigKey}` | null;
  /** A key or an RPC URL: from the file or the environment only, and never printed or logged. */
  readonly secret: boolean;
  /** `olnode start` refuses to run while it is unset. */
  readonly requiredToStart?: true;
}

function derived<T>(rule: string, derive: (get: ConfigGetter) => T): DerivedDefault<T> {
  return { rule, derive };
}

/** Is this default derived from other keys? */
export function isDerivedDefault<T>(value: T | DerivedDefault<T>): value is DerivedDefault<T> {
  return typeof value === "object" && value !== null && "derive" in value;
}

const port = integerType(0, 65535);
const durationMs = (min: number, max: number) => integerType(min, max);

/**
 * The one schema of the node's configuration: file (JSON, one object per section), environment (`OLNODE_*`) and
 * flags (`--section.key`) all read through it, with precedence flags > environment > file > defaults. Every default
 * lives here, with why. docs/config.md prints this table (`olnode config keys --markdown`).
 */
export const CONFIG_SCHEMA: { readonly [K in ConfigKey]: ConfigOption<ConfigValue<K>> } = {
  "chain.rpcUrl": {
    type: urlType(["http:", "https:", "ws:", "wss:"]),
    default: undefined,
    why: "a guessed local RPC could be a different chain than the one the deployment file names",
    description: "JSON-RPC endpoint of the chain the protocol's contracts live on",
    env: "OLNODE_CHAIN_RPC_URL",
    flag: null,
    secret: true,
    requiredToStart: true,
  },
  "chain.deploymentFile": {
    type: pathType(),
    default: undefined,
    why: "a node must never talk to contract addresses it guessed",
    description: "JSON file with the protocol's contract addresses, as the deploy wrote it",
    env: "OLNODE_CHAIN_DEPLOYMENT_FILE",
    flag: "--chain.deploymentFile",
    secret: false,
    requiredToStart: true,
  },
  "chain.confirmations": {
    type: integerType(0, 10_000),
    default: 3,
    why: "L2 reorgs of the unsafe head are one or two blocks deep; devnets set 0",
    description: "blocks an event must be buried under before the indexer acts on it",
    env: "OLNODE_CHAIN_CONFIRMATIONS",
    flag: "--chain.confirmations",
    secret: false,
  },
  "chain.pollIntervalMs": {
    type: durationMs(100, 600_000),
    default: 2000,
    why: "an OP Stack L2 makes a block every 2 s: polling faster finds nothing new",
    description: "how often the indexer asks the chain for new blocks, in milliseconds",
    env: "OLNODE_CHAIN_POLL_INTERVAL_MS",
    flag: "--chain.pollIntervalMs",
    secret: false,
  },
  "keys.operatorKeyFile": {
    type: pathType(),
    default: derived("<store.dir>/keys/operator-key.json", (get) =>
      join(get("store.dir"), "keys", "operator-key.json"),
    ),
    why: "beside the store, so one folder holds one node; `olnode keys generate` writes it there",
    description: "the operator's secp256k1 key (signs inference records, sends transactions)",
    env: "OLNODE_KEYS_OPERATOR_KEY_FILE",
    flag: null,
    secret: true,
  },
  "p2p.listen": {
    type: listType(multiaddrType({ peerId: false }), 16),
    default: ["/ip4/0.0.0.0/tcp/9700"],
    why: "all interfaces, on a port Ethereum clients leave free (they take 9000), so both run on one host",
    description: "multiaddrs the libp2p host listens on",
    env: "OLNODE_P2P_LISTEN",
    flag: "--p2p.listen",
    secret: false,
  },
  "p2p.bootstrap": {
    type: listType(multiaddrType({ peerId: true }), 64),
    default: [],
    why: "no public network yet: a node without bootstrap peers waits to be dialled",
    description: "peers dialled at start to join the network (each ends in /p2p/<peer id>)",
    env: "OLNODE_P2P_BOOTSTRAP",
    flag: "--p2p.bootstrap",
    secret: false,
  },
  "p2p.dht": {
    type: booleanType(),
    default: true,
    why: "the Kademlia DHT finds peers beyond the bootstrap list; turn it off only on closed test networks",
    description: "run the Kademlia DHT for peer discovery",
    env: "OLNODE_P2P_DHT",
    flag: "--p2p.dht",
    secret: false,
  },
  "p2p.peerKeyFile": {
    type: pathType(),
    default: derived("<store.dir>/keys/peer-key.json", (get) => join(get("store.dir"), "keys", "peer-key.json")),
    why: "beside the store, so a restarted node keeps its peer id (and the score peers gave it)",
    description: "the libp2p peer key (Ed25519); its public key is the node's peer id",
    env: "OLNODE_P2P_PEER_KEY_FILE",
    flag: null,
    secret: true,
  },
  "p2p.ipColocationWeight": {
    type: numberType(-1000, 0),
    default: -35,
    why: "Lodestar's choice (minus the most a peer can earn), so a crowd behind one IP cannot outweigh bad behaviour; 0 on loopback test networks, where every peer shares one IP (DESIGN §5)",
    description: "gossipsub score weight of peers sharing one IP address",
    env: "OLNODE_P2P_IP_COLOCATION_WEIGHT",
    flag: "--p2p.ipColocationWeight",
    secret: false,
  },
  "api.host": {
    type: stringType("a host name or IP address"),
    default: "127.0.0.1",
    why: "loopback: a paid API is exposed on purpose (a reverse proxy, or 0.0.0.0), never by accident",
    description: "address the HTTP API binds to",
    env: "OLNODE_API_HOST",
    flag: "--api.host",
    secret: false,
  },
  "api.port": {
    type: port,
    default: 8470,
    why: "out of the way of Hardhat's 8545 and the usual dev servers (3000, 8000, 8080); 0 picks a free port",
    description: "TCP port of the HTTP API",
    env: "OLNODE_API_PORT",
    flag: "--api.port",
    secret: false,
  },
  "store.dir": {
    type: pathType(),
    default: "./olnode-data",
    why: "relative to the working directory, so two nodes started from two folders never share a store",
    description: "folder of the node's level database (and, by default, its keys and models)",
    env: "OLNODE_STORE_DIR",
    flag: "--store.dir",
    secret: false,
  },
  "settle.redeemValueWei": {
    type: weiType(),
    default: 1_000_000_000_000_000_000n,
    why: "one token (18 decimals): a redemption costs the same gas for 1 or 1,000,000 receipts, so waiting for a token's worth keeps gas a small share",
    description: "redeem a lane once its unredeemed value reaches this many wei",
    env: "OLNODE_SETTLE_REDEEM_VALUE_WEI",
    flag: "--settle.redeemValueWei",
    secret: false,
  },
  "settle.redeemAgeSeconds": {
    type: integerType(60, 30 * 24 * 3600),
    default: 3600,
    why: "an hour bounds what a payer who thaws and withdraws can leave unpaid, at a few redemptions a day per lane",
    description: "redeem a lane once its oldest unredeemed receipt is this old, in seconds, whatever its value",
    env: "OLNODE_SETTLE_REDEEM_AGE_SECONDS",
    flag: "--settle.redeemAgeSeconds",
    secret: false,
  },
  "settle.postEpochs": {
    type: booleanType(),
    default: true,
    why: "a node that posts no attribution root in time has its pools claimed against the contributors root (DESIGN §6)",
    description: "post each ended epoch's attribution roots (with their bond)",
    env: "OLNODE_SETTLE_POST_EPOCHS",
    flag: "--settle.postEpochs",
    secret: false,
  },
  "settle.auditor": {
    type: booleanType(),
    default: false,
    why: "auditing recomputes every other node's pools and bonds a challenge on a mismatch: an operator opts in",
    description: "audit other nodes' posted attribution roots from gossiped records and challenge mismatches",
    env: "OLNODE_SETTLE_AUDITOR",
    flag: "--settle.auditor",
    secret: false,
  },
  "settle.tickIntervalMs": {
    type: integerType(100, 3_600_000),
    default: 15_000,
    why: "redemption and posting thresholds are minutes to hours; a devnet with minute epochs sets about 1 s",
    description: "how often the settle loop checks lanes to redeem, epochs to post and pools to audit",
    env: "OLNODE_SETTLE_TICK_INTERVAL_MS",
    flag: "--settle.tickIntervalMs",
    secret: false,
  },
  "inference.backend": {
    type: enumType(INFERENCE_BACKENDS),
    default: "builtin",
    why: "runs with nothing else installed; real deployments point at an OpenAI-compatible server such as vLLM",
    description: "who runs the model: the node itself, or an OpenAI-compatible upstream server",
    env: "OLNODE_INFERENCE_BACKEND",
    flag: "--inference.backend",
    secret: false,
  },
  "inference.upstreamUrl": {
    type: urlType(["http:", "https:"]),
    default: undefined,
    why: "needed only by the openai-compatible backend, and then required",
    description: "base URL of the OpenAI-compatible server (its /v1 prefix included)",
    env: "OLNODE_INFERENCE_UPSTREAM_URL",
    flag: null,
    secret: true,
  },
  "inference.upstreamApiKey": {
    type: stringType(),
    default: undefined,
    why: "a local vLLM needs no key",
    description: "bearer token sent to the upstream server",
    env: "OLNODE_INFERENCE_UPSTREAM_API_KEY",
    flag: null,
    secret: true,
  },
  "inference.modelDir": {
    type: pathType(),
    default: derived("<store.dir>/models", (get) => join(get("store.dir"), "models")),
    why: "beside the store, so one folder holds one node",
    description: "folder of base models and adapters the builtin backend loads",
    env: "OLNODE_INFERENCE_MODEL_DIR",
    flag: "--inference.modelDir",
    secret: false,
  },
  "trainer.pythonPath": {
    type: pathType(),
    default: "python3",
    why: "looked up on PATH, so an activated virtual environment's Python wins",
    description: "the Python interpreter that runs the trainer",
    env: "OLNODE_TRAINER_PYTHON_PATH",
    flag: "--trainer.pythonPath",
    secret: false,
  },
  "metrics.enabled": {
    type: booleanType(),
    default: false,
    why: "off: a node opens no port its operator did not ask for (as Lodestar)",
    description: "serve Prometheus metrics at /metrics on metrics.host:metrics.port",
    env: "OLNODE_METRICS_ENABLED",
    flag: "--metrics.enabled",
    secret: false,
  },
  "metrics.host": {
    type: stringType("a host name or IP address"),
    default: "127.0.0.1",
    why: "loopback: metrics show the node's volumes and health, for the operator's Prometheus only",
    description: "address the metrics server binds to",
    env: "OLNODE_METRICS_HOST",
    flag: "--metrics.host",
    secret: false,
  },
  "metrics.port": {
    type: port,
    default: 8471,
    why: "next to the API's port; 0 picks a free port",
    description: "TCP port of the metrics server",
    env: "OLNODE_METRICS_PORT",
    flag: "--metrics.port",
    secret: false,
  },
  "log.level": {
    type: enumType(LOG_LEVELS),
    default: "info",
    why: "what an operator reads: starts, stops, peers, redemptions; debug is for one module at a time",
    description: "the least severe level logged",
    env: "OLNODE_LOG_LEVEL",
    flag: "--log.level",
    secret: false,
  },
  "log.format": {
    type: enumType(LOG_FORMATS),
    default: "pretty",
    why: "a person starts the first node; log collectors set json",
    description: "readable lines (pretty) or one JSON object per line (json)",
    env: "OLNODE_LOG_FORMAT",
    flag: "--log.format",
    secret: false,
  },
};

/** Every config key, in the table's order. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];

/** The config file's sections, in the table's order. */
export const CONFIG_SECTIONS = [...new Set(CONFIG_KEYS.map((key) => key.split(".")[0] as ConfigSection))];

/** The environment variable naming the config file (`--config` wins over it). */
export const CONFIG_PATH_ENV = "OLNODE_CONFIG";

/** The prefix of every environment variable the node reads. */
export const ENV_PREFIX = "OLNODE_";

/** The row of a key (typed loosely, for code that walks every key). */
export function getConfigOption(key: ConfigKey): ConfigOption<unknown> {
  return CONFIG_SCHEMA[key] as ConfigOption<unknown>;
}

/** Is `key` a config key? */
export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_SCHEMA, key);
}

/** The environment variable a key is read from, by the table's rule: `p2p.peerKeyFile` → `OLNODE_P2P_PEER_KEY_FILE`. */
export function toEnvName(key: string): string {
  return `${ENV_PREFIX}${key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(".", "_")
    .toUpperCase()}`;
}

/** The config keys a node cannot start without. */
export const REQUIRED_TO_START_KEYS = CONFIG_KEYS.filter((key) => getConfigOption(key).requiredToStart === true);
