import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PeerId } from "@libp2p/interface";
import { Wallet } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";
import {
  generateOperatorKey,
  generatePeerKey,
  type OperatorKey,
  writeOperatorKeyFile,
  writePeerKeyFile,
} from "../config/index.js";

/** The devnet's people and machines that hold a key of their own (and a folder, as `olnode` users do). */
export const PARTY_NAMES = [
  "alice",
  "bob",
  "carol",
  "mallory",
  "node-a",
  "node-b",
  "node-c",
  "auditor",
  "dapp",
] as const;
export type PartyName = (typeof PARTY_NAMES)[number];

/** The nodes that serve inference, in start order (the first trains the adapter); the auditor runs a node too. */
export const SERVING_NODES = ["node-a", "node-b", "node-c"] as const satisfies readonly PartyName[];
export const NODE_NAMES = [...SERVING_NODES, "auditor"] as const satisfies readonly PartyName[];

/** One party: its key, its folder (`store.dir`), an ethers wallet on the devnet's chain. */
export interface Party {
  readonly name: PartyName;
  readonly address: Address;
  readonly key: OperatorKey;
  /** The party's folder: `store.dir` of its `olnode` commands and node; keys under `keys/`. */
  readonly dir: string;
  readonly wallet: Wallet;
  /** The libp2p peer id, for the nodes. */
  readonly peerId?: PeerId;
}

/**
 * Creates every party: a fresh operator key written as `<dir>/<name>/keys/operator-key.json` (where `olnode` looks for
 * it by default), and for the nodes a peer key as `keys/peer-key.json`, so the peer id is known before the node runs
 * (it is registered on chain).
 */
export async function createParties(connection: NetworkConnection, runDir: string): Promise<Map<PartyName, Party>> {
  const parties = new Map<PartyName, Party>();
  for (const name of PARTY_NAMES) {
    const dir = join(runDir, name);
    await mkdir(dir, { recursive: true });
    const key = generateOperatorKey();
    await writeOperatorKeyFile(join(dir, "keys", "operator-key.json"), key);
    let peerId: PeerId | undefined;
    if ((NODE_NAMES as readonly string[]).includes(name)) {
      const peer = await generatePeerKey();
      await writePeerKeyFile(join(dir, "keys", "peer-key.json"), peer);
      peerId = peer.peerId;
    }
    const wallet = new Wallet(key.privateKey, connection.ethers.provider);
    parties.set(name, { name, address: key.address, key, dir, wallet, ...(peerId === undefined ? {} : { peerId }) });
  }
  return parties;
}

/** The party of that name (every name is created). */
export function partyOf(parties: ReadonlyMap<PartyName, Party>, name: PartyName): Party {
  const party = parties.get(name);
  if (party === undefined) throw new Error(`no party ${name}`);
  return party;
}
