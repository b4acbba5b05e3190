import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, getAddress, type Hex, isAddressEqual } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";

/** The operator's secp256k1 key: it signs inference records and sends the node's transactions. */
export interface OperatorKey {
  readonly address: Address;
  readonly privateKey: Hex;
}

/** The libp2p peer key (Ed25519): its public key is the node's peer id. */
export interface PeerKey {
  readonly peerId: PeerId;
  readonly privateKey: PrivateKey;
}

/** A key read from its file, with the file's permission bits (for a warning when others can read it). */
export type KeyFile<T> = T & { readonly path: string; readonly mode: number };

/** Why a key file could not be written or read. */
export enum KeyFileErrorCode {
  /** No file at the path. */
  NOT_FOUND = "KEY_FILE_ERROR_NOT_FOUND",
  /** A file is already at the path: keys are never overwritten. */
  ALREADY_EXISTS = "KEY_FILE_ERROR_ALREADY_EXISTS",
  /** The file is not a key file of the expected kind. */
  INVALID = "KEY_FILE_ERROR_INVALID",
  /** The public part written in the file does not belong to its private key (edited or corrupt). */
  MISMATCH = "KEY_FILE_ERROR_MISMATCH",
}

/** The code of a {@link KeyFileError} with its context (never any key material). */
export type KeyFileErrorType =
  | { code: KeyFileErrorCode.NOT_FOUND; path: string }
  | { code: KeyFileErrorCode.ALREADY_EXISTS; path: string }
  | { code: KeyFileErrorCode.INVALID; path: string; problem: string }
  | { code: KeyFileErrorCode.MISMATCH; path: string; field: string; expected: string; found: string };

/** A key file that cannot be written or read; the message never holds key material. */
export class KeyFileError extends Error {
  /** The code and its context. */
  readonly type: KeyFileErrorType;

  /** @param type the code and its context */
  constructor(type: KeyFileErrorType, options?: ErrorOptions) {
    super(describeKeyFileError(type), options);
    this.name = "KeyFileError";
    this.type = type;
  }
}

function describeKeyFileError(type: KeyFileErrorType): string {
  switch (type.code) {
    case KeyFileErrorCode.NOT_FOUND:
      return `no key file at ${type.path}; create one with: olnode keys generate`;
    case KeyFileErrorCode.ALREADY_EXISTS:
      return `a file is already at ${type.path}: keys are never overwritten; move it away first if you mean to replace it`;
    case KeyFileErrorCode.INVALID:
      return `key file ${type.path}: ${type.problem}`;
    case KeyFileErrorCode.MISMATCH:
      return `key file ${type.path}: its ${type.field} is ${type.found}, but its private key gives ${type.expected} (edited or corrupt)`;
  }
}

const OPERATOR_KIND = "olnode-operator-key";
const PEER_KIND = "olnode-peer-key";
const VERSION = 1;
/** Owner read and write only: the file holds a private key. */
const KEY_FILE_MODE = 0o600;
/** Owner only: the folder lists key files. */
const KEY_DIR_MODE = 0o700;
const PRIVATE_KEY_HEX = /^0x[0-9a-fA-F]{64}$/;

/** A fresh operator key (viem's `generatePrivateKey`: 32 bytes from the platform's secure random source). */
export function generateOperatorKey(): OperatorKey {
  const privateKey = generatePrivateKey();
  return { address: privateKeyToAddress(privateKey), privateKey };
}

/** A fresh libp2p peer key (Ed25519, libp2p's default kind). */
export async function generatePeerKey(): Promise<PeerKey> {
  const privateKey = await generateKeyPair("Ed25519");
  return { peerId: peerIdFromPrivateKey(privateKey), privateKey };
}

/**
 * Writes an operator key file (JSON, mode 0600, its folder created 0700), never over an existing file.
 *
 * @throws {KeyFileError} `ALREADY_EXISTS`
 */
export async function writeOperatorKeyFile(path: string, key: OperatorKey): Promise<void> {
  await writeKeyFile(path, { kind: OPERATOR_KIND, version: VERSION, address: key.address, privateKey: key.privateKey });
}

/**
 * Writes a peer key file (JSON with the libp2p protobuf encoding of the key in base64, mode 0600), never over an
 * existing file.
 *
 * @throws {KeyFileError} `ALREADY_EXISTS`
 */
export async function writePeerKeyFile(path: string, key: PeerKey): Promise<void> {
  const privateKey = Buffer.from(privateKeyToProtobuf(key.privateKey)).toString("base64");
  await writeKeyFile(path, { kind: PEER_KIND, version: VERSION, peerId: key.peerId.toString(), privateKey });
}

/**
 * Reads an operator key file and checks that its address belongs to its key.
 *
 * @throws {KeyFileError} `NOT_FOUND`, `INVALID` or `MISMATCH`
 */
export async function readOperatorKeyFile(path: string): Promise<KeyFile<OperatorKey>> {
  const { json, mode } = await readKeyFile(path, OPERATOR_KIND);
  const { privateKey, address } = json;
  if (typeof privateKey !== "string" || !PRIVATE_KEY_HEX.test(privateKey)) {
    throw new KeyFileError({
      code: KeyFileErrorCode.INVALID,
      path,
      problem: "expected privateKey to be 32 bytes of hex",
    });
  }
  let derived: Address;
  try {
    derived = privateKeyToAddress(privateKey as Hex);
  } catch {
    throw new KeyFileError({
      code: KeyFileErrorCode.INVALID,
      path,
      problem: "privateKey is not a valid secp256k1 key",
    });
  }
  if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new KeyFileError({ code: KeyFileErrorCode.INVALID, path, problem: "expected address to be 20 bytes of hex" });
  }
  if (!isAddressEqual(address as Address, derived)) {
    throw new KeyFileError({
      code: KeyFileErrorCode.MISMATCH,
      path,
      field: "address",
      expected: derived,
      found: address,
    });
  }
  return { path, mode, address: getAddress(derived), privateKey: privateKey as Hex };
}

/**
 * Reads a peer key file and checks that its peer id belongs to its key.
 *
 * @throws {KeyFileError} `NOT_FOUND`, `INVALID` or `MISMATCH`
 */
export async function readPeerKeyFile(path: string): Promise<KeyFile<PeerKey>> {
  const { json, mode } = await readKeyFile(path, PEER_KIND);
  if (typeof json.privateKey !== "string") {
    throw new KeyFileError({ code: KeyFileErrorCode.INVALID, path, problem: "expected privateKey to be base64 text" });
  }
  let privateKey: PrivateKey;
  try {
    privateKey = privateKeyFromProtobuf(Buffer.from(json.privateKey, "base64"));
  } catch {
    throw new KeyFileError({ code: KeyFileErrorCode.INVALID, path, problem: "privateKey is not a libp2p private key" });
  }
  const peerId = peerIdFromPrivateKey(privateKey);
  if (json.peerId !== peerId.toString()) {
    throw new KeyFileError({
      code: KeyFileErrorCode.MISMATCH,
      path,
      field: "peerId",
      expected: peerId.toString(),
      found: String(json.peerId),
    });
  }
  return { path, mode, peerId, privateKey };
}

async function writeKeyFile(path: string, contents: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: KEY_DIR_MODE });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // "wx": fail if anything is there, so a key is never overwritten (and a symlink planted there is not followed).
    handle = await open(path, "wx", KEY_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new KeyFileError({ code: KeyFileErrorCode.ALREADY_EXISTS, path }, { cause: err });
    }
    throw err;
  }
  try {
    await handle.writeFile(`${JSON.stringify(contents, null, 2)}\n`);
    // On disk before we say it is written: losing a key the operator was told about loses its funds.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readKeyFile(path: string, kind: string): Promise<{ json: Record<string, unknown>; mode: number }> {
  let text: string;
  let mode: number;
  try {
    const handle = await open(path, "r");
    try {
      mode = (await handle.stat()).mode & 0o777;
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new KeyFileError({ code: KeyFileErrorCode.NOT_FOUND, path }, { cause: err });
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which holds a key.
    throw new KeyFileError({ code: KeyFileErrorCode.INVALID, path, problem: "not JSON" });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new KeyFileError({ code: KeyFileErrorCode.INVALID, path, problem: "expected a JSON object" });
  }
  const record = json as Record<string, unknown>;
  if (record.kind !== kind) {
    throw new KeyFileError({
      code: KeyFileErrorCode.INVALID,
      path,
      problem: `expected kind ${JSON.stringify(kind)}, found ${JSON.stringify(record.kind ?? null)}`,
    });
  }
  if (record.version !== VERSION) {
    throw new KeyFileError({
      code: KeyFileErrorCode.INVALID,
      path,
      problem: `expected version ${VERSION}, found ${JSON.stringify(record.version ?? null)}`,
    });
  }
  return { json: record, mode };
}

/** Is a key file readable or writable by anyone but its owner? */
export function isKeyFileModeOpen(mode: number): boolean {
  return (mode & 0o077) !== 0;
}
