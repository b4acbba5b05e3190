import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { P2pError, P2pErrorCode } from "./errors.js";

/**
 * The node's libp2p identity, kept in `path` so its peer id survives restarts (peers and the NodeRegistry know it):
 * read when the file exists, else a new Ed25519 key written there (protobuf bytes, mode 0600, written, synced and
 * renamed into place, so a crash never leaves half a key). A file that does not decode is an error: we never overwrite
 * an identity.
 */
export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const key = await generateKeyPair("Ed25519");
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    const file = await open(temporary, "wx", 0o600);
    try {
      await file.writeFile(privateKeyToProtobuf(key));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    return key;
  }
  try {
    return privateKeyFromProtobuf(bytes);
  } catch (cause) {
    throw new P2pError({ code: P2pErrorCode.PEER_KEY_INVALID, path }, { cause });
  }
}
