import { lstat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  generateOperatorKey,
  generatePeerKey,
  isKeyFileModeOpen,
  KeyFileError,
  KeyFileErrorCode,
  readOperatorKeyFile,
  readPeerKeyFile,
  writeOperatorKeyFile,
  writePeerKeyFile,
} from "../../config/index.js";
import { type Command, type CommandContext, type CommandOption, writeJson } from "../command.js";
import { CONFIG_OPTION, loadConfig } from "./config.js";

const SELECT_OPTIONS: Readonly<Record<string, CommandOption>> = {
  ...CONFIG_OPTION,
  operator: { type: "boolean", description: "only the operator key" },
  peer: { type: "boolean", description: "only the peer key" },
};

/** Which keys a command acts on, and where their files are (from the config, relative to the working directory). */
async function getTargets(context: CommandContext): Promise<{ operator?: string; peer?: string }> {
  const { config } = await loadConfig(context);
  const { operator, peer } = context.args.options;
  const both = operator !== true && peer !== true;
  const targets: { operator?: string; peer?: string } = {};
  if (both || operator === true) targets.operator = resolve(context.io.cwd, config.keys.operatorKeyFile);
  if (both || peer === true) targets.peer = resolve(context.io.cwd, config.p2p.peerKeyFile);
  return targets;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** `olnode keys generate`. */
export const keysGenerateCommand: Command = {
  path: ["keys", "generate"],
  summary: "create the operator key and the libp2p peer key",
  description: [
    "Creates the operator key (secp256k1: signs inference records, sends transactions, receives credits) at",
    "keys.operatorKeyFile and the libp2p peer key (Ed25519: the node's peer id) at p2p.peerKeyFile, each a",
    "JSON file of mode 0600. Prints the operator address and the peer id, never a private key. Refuses to",
    "overwrite an existing file, and writes nothing unless every chosen file is free.",
    "Back up the operator key: whoever holds it holds the node's credits and bond.",
  ].join("\n"),
  positionals: [],
  options: SELECT_OPTIONS,
  configFlags: true,
  examples: [
    "olnode keys generate",
    "OLNODE_KEYS_OPERATOR_KEY_FILE=/secrets/operator.json olnode keys generate --operator",
  ],
  async run(context) {
    const targets = await getTargets(context);
    for (const path of [targets.operator, targets.peer]) {
      if (path !== undefined && (await exists(path))) {
        throw new KeyFileError({ code: KeyFileErrorCode.ALREADY_EXISTS, path });
      }
    }
    const result: { operator?: { address: string; file: string }; peer?: { peerId: string; file: string } } = {};
    if (targets.operator !== undefined) {
      const key = generateOperatorKey();
      await writeOperatorKeyFile(targets.operator, key);
      result.operator = { address: key.address, file: targets.operator };
    }
    if (targets.peer !== undefined) {
      const key = await generatePeerKey();
      await writePeerKeyFile(targets.peer, key);
      result.peer = { peerId: key.peerId.toString(), file: targets.peer };
    }
    if (context.json) {
      writeJson(context.io.stdout, result);
      return;
    }
    const lines: string[] = [];
    if (result.operator !== undefined) {
      lines.push(`operator address  ${result.operator.address}`, `  written to ${result.operator.file} (back it up)`);
    }
    if (result.peer !== undefined)
      lines.push(`peer id           ${result.peer.peerId}`, `  written to ${result.peer.file}`);
    context.io.stdout.write(`${lines.join("\n")}\n`);
  },
};

/** `olnode keys show`. */
export const keysShowCommand: Command = {
  path: ["keys", "show"],
  summary: "print the operator address and the peer id",
  description: [
    "Reads the key files named by keys.operatorKeyFile and p2p.peerKeyFile, checks each (its address or peer",
    "id must belong to its key), and prints the operator address and the peer id, never a private key.",
    "Warns when a key file can be read by anyone but its owner.",
  ].join("\n"),
  positionals: [],
  options: SELECT_OPTIONS,
  configFlags: true,
  examples: ["olnode keys show", "olnode keys show --peer --json"],
  async run(context) {
    const targets = await getTargets(context);
    const result: { operator?: { address: string; file: string }; peer?: { peerId: string; file: string } } = {};
    const warnings: string[] = [];
    const checkMode = (path: string, mode: number) => {
      if (isKeyFileModeOpen(mode)) {
        warnings.push(
          `warning: ${path} can be read by others (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 600 ${path}`,
        );
      }
    };
    if (targets.operator !== undefined) {
      const key = await readOperatorKeyFile(targets.operator);
      checkMode(key.path, key.mode);
      result.operator = { address: key.address, file: key.path };
    }
    if (targets.peer !== undefined) {
      const key = await readPeerKeyFile(targets.peer);
      checkMode(key.path, key.mode);
      result.peer = { peerId: key.peerId.toString(), file: key.path };
    }
    for (const warning of warnings) context.io.stderr.write(`${warning}\n`);
    if (context.json) {
      writeJson(context.io.stdout, result);
      return;
    }
    const lines: string[] = [];
    if (result.operator !== undefined) lines.push(`operator address  ${result.operator.address}`);
    if (result.peer !== undefined) lines.push(`peer id           ${result.peer.peerId}`);
    context.io.stdout.write(`${lines.join("\n")}\n`);
  },
};
