import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import { getDatasetRoot, parseDataset, type Sample } from "../protocol/index.js";

/** A sample as `/olp/req/samples/1` serves it: its index in the file and its canonical text (DESIGN §4). */
export interface ServedSample {
  readonly index: bigint;
  readonly text: string;
}

/** The most samples one {@link DatasetStore.getSamples} call returns (the protocol's page, docs/protocol.md). */
export const MAX_SAMPLES_PER_READ = 1024;

/** Parsed datasets kept in memory for serving (each a few MiB at most): the rest are re-read from disk. */
const PARSED_CACHE_SIZE = 4;

/**
 * The dataset files this node holds, keyed by their dataset root: `<dir>/<root>.jsonl`, the bytes exactly as added
 * (so anyone can rebuild the root from them). `olnode dataset add` writes here after the reveal; `olnode train` reads
 * the training datasets from here; the `/olp/req/samples/1` handler serves from here.
 */
export class DatasetStore {
  private readonly dir: string;
  /** root → parsed samples, least recently used first; at most {@link PARSED_CACHE_SIZE}. */
  private readonly parsed = new Map<Hex, Sample[]>();

  /** @param opts `dir`: the folder (created on first write) */
  constructor(opts: { readonly dir: string }) {
    this.dir = opts.dir;
  }

  /** The file of a dataset root. */
  pathOf(root: Hex): string {
    return join(this.dir, `${checkRoot(root)}.jsonl`);
  }

  /**
   * Stores a dataset file under the root its samples build (parsed here: a file that breaks DESIGN §4 throws its
   * `DatasetError`). Written to a temporary file and renamed, so a reader never sees half a file.
   */
  async put(file: Uint8Array): Promise<{ readonly root: Hex; readonly path: string }> {
    const root = getDatasetRoot(parseDataset(file).map((s) => s.sampleHash));
    const path = this.pathOf(root);
    await mkdir(this.dir, { recursive: true });
    const partial = `${path}.partial`;
    await writeFile(partial, file);
    await rename(partial, path);
    return { root, path };
  }

  /** The file of a root, or `null` when this node does not hold it. */
  async read(root: Hex): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.pathOf(root)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  /**
   * Up to `count` samples (at most {@link MAX_SAMPLES_PER_READ}) of the dataset `root` from `startIndex`, in file
   * order, or `null` for a dataset this node does not hold: the `getSamples` of p2p's `ReqRespHandlers`. A stored file
   * that no longer builds its root is treated as not held.
   */
  async getSamples(root: Hex, startIndex: bigint, count: number): Promise<ServedSample[] | null> {
    const samples = await this.samplesOf(root);
    if (samples === null || startIndex < 0n) return null;
    const take = Math.max(0, Math.min(count, MAX_SAMPLES_PER_READ));
    const start = startIndex > BigInt(samples.length) ? samples.length : Number(startIndex);
    return samples.slice(start, start + take).map((s, i) => ({ index: BigInt(start + i), text: s.canonicalText }));
  }

  private async samplesOf(root: Hex): Promise<Sample[] | null> {
    const cached = this.parsed.get(root);
    if (cached !== undefined) {
      this.parsed.delete(root);
      this.parsed.set(root, cached);
      return cached;
    }
    const file = await this.read(root);
    if (file === null) return null;
    const samples = parseDataset(file);
    if (getDatasetRoot(samples.map((s) => s.sampleHash)) !== root) return null;
    this.parsed.set(root, samples);
    // Drop policy: the least recently used parse goes; it is re-read from disk when asked for again.
    for (const oldest of this.parsed.keys()) {
      if (this.parsed.size <= PARSED_CACHE_SIZE) break;
      this.parsed.delete(oldest);
    }
    return samples;
  }
}

function checkRoot(root: Hex): Hex {
  if (!/^0x[0-9a-f]{64}$/.test(root))
    throw new RangeError(`expected a dataset root as 0x + 64 lowercase hex, found ${root}`);
  return root;
}
