import { mkdir, open, readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { type Address, getAddress, type Hex, hexToBytes, toHex } from "viem";
import {
  type AttributionMessage,
  buildAttributionTree,
  decodeAttributionMessage,
  encodeAttributionMessage,
  getRecordsRoot,
} from "../protocol/index.js";
import { SettleError, SettleErrorCode } from "./errors.js";

/** Where a posted root stands in its life; final ones need nothing more from the poster. */
export enum PostedState {
  /** Written before the transaction: the root is (or is about to be) on-chain. */
  POSTED = "posted",
  /** Its bond was released, or it was rejected: nothing left to do but serve its records. */
  FINAL = "final",
}

/** The file name of a pool: node, version id and epoch, zero-padded so names sort by version then epoch. */
function fileName(node: Address, versionId: bigint, epoch: bigint, state: PostedState): string {
  return `${getAddress(node)}-${versionId.toString().padStart(20, "0")}-${epoch.toString().padStart(20, "0")}.${state}`;
}

const NAME = /^(0x[0-9a-fA-F]{40})-(\d{20})-(\d{20})\.(posted|final)$/;

/** A pool a root was posted for, as listed from the folder. */
export type PostedPool = { node: Address; versionId: bigint; epoch: bigint; state: PostedState };

/**
 * What this node posted, one file per pool: the `/olp/attribution/1` payload (root, leaves, recordsRoot and the record
 * ids behind it), so the records committed in `recordsRoot` can be served and the root re-derived after a restart.
 * Each file is written before its transaction is sent (a posted root is always on disk), to a temporary name,
 * fsynced, then renamed: a crash leaves the old file or the new one, never half of one. The store's database is
 * another module's; this folder is settle's own.
 */
export class PostedRoots {
  private constructor(private readonly dir: string) {}

  /** Opens (creating when missing) the folder `dir`. */
  static async open(dir: string): Promise<PostedRoots> {
    await mkdir(dir, { recursive: true });
    return new PostedRoots(dir);
  }

  /** Writes `message` as posted (durable when it resolves); returns the encoded payload. */
  async put(message: AttributionMessage): Promise<Hex> {
    const payload = encodeAttributionMessage(message);
    const name = fileName(message.node, message.versionId, message.epoch, PostedState.POSTED);
    const tmp = join(this.dir, `${name}.tmp`);
    const file = await open(tmp, "w");
    try {
      await file.writeFile(hexToBytes(payload));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.dir, name));
    await this.syncDir();
    return payload;
  }

  /** The posted message of a pool, or undefined; checks that its leaves and record ids give its roots. */
  async get(node: Address, versionId: bigint, epoch: bigint): Promise<AttributionMessage | undefined> {
    for (const state of [PostedState.POSTED, PostedState.FINAL]) {
      const name = fileName(node, versionId, epoch, state);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(join(this.dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      return this.decode(name, bytes);
    }
    return undefined;
  }

  /** Marks a pool's root final (bond released or root rejected). */
  async markFinal(node: Address, versionId: bigint, epoch: bigint): Promise<void> {
    await rename(
      join(this.dir, fileName(node, versionId, epoch, PostedState.POSTED)),
      join(this.dir, fileName(node, versionId, epoch, PostedState.FINAL)),
    );
    await this.syncDir();
  }

  /** Up to `limit` pools in `state`, by node, version and epoch. */
  async list(state: PostedState, limit: number): Promise<PostedPool[]> {
    const names = (await readdir(this.dir)).sort();
    const pools: PostedPool[] = [];
    for (const name of names) {
      const match = NAME.exec(name);
      if (match === null || match[4] !== state) continue;
      pools.push({
        node: getAddress(match[1] as string),
        versionId: BigInt(match[2] as string),
        epoch: BigInt(match[3] as string),
        state,
      });
      if (pools.length === limit) break;
    }
    return pools;
  }

  private decode(name: string, bytes: Uint8Array): AttributionMessage {
    let message: AttributionMessage;
    try {
      message = decodeAttributionMessage(toHex(bytes));
    } catch (cause) {
      throw new SettleError(
        { code: SettleErrorCode.POSTED_CORRUPT, file: name, reason: "bytes that do not decode" },
        { cause },
      );
    }
    if (buildAttributionTree(message.leaves).root !== message.root) {
      throw new SettleError({
        code: SettleErrorCode.POSTED_CORRUPT,
        file: name,
        reason: "leaves that do not give its root",
      });
    }
    if (message.recordIds.length > 0 && getRecordsRoot(message.recordIds) !== message.recordsRoot) {
      throw new SettleError({
        code: SettleErrorCode.POSTED_CORRUPT,
        file: name,
        reason: "record ids that do not give its recordsRoot",
      });
    }
    return message;
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
