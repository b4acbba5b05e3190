import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { getEmptyLogger, type Logger } from "../logger/index.js";
import type { ContributorShare } from "../protocol/index.js";
import { type AttributionResult, type AttributionSpan, attribute } from "./attribute.js";
import {
  AttributionIndex,
  type AttributionSample,
  checkMinSpan,
  DEFAULT_MIN_SPAN,
  getInputDigest,
  sortSamples,
} from "./corpusIndex.js";
import { AttributionError, AttributionErrorCode } from "./errors.js";
import { loadIndex, readIndexHeader, saveIndex } from "./indexFile.js";
import type { AttributionMetrics } from "./metrics.js";
import { checkTrainingShares } from "./shares.js";

/** Default {@link AttributionServiceOptions.maxIndexes}: a 100 MB corpus makes an index of about 1 GB in memory. */
export const DEFAULT_MAX_INDEXES = 4;

/** What the API codes against: the weights of a record, and the spans behind them. */
export interface Attributor {
  attribute(
    versionId: bigint,
    outputText: string,
    opts: { private: boolean },
  ): Promise<{ datasetIds: bigint[]; weightsPpm: number[]; spans?: AttributionSpan[] }>;
}

/** Options of {@link AttributionService}. */
export interface AttributionServiceOptions {
  /** Folder of the index files, one `<versionId>.olpidx` per adapter version; created when missing. */
  readonly dir: string;
  /** Most indexes held in memory; the least recently used one is dropped first (it stays on disk). */
  readonly maxIndexes?: number;
}

/** Modules of {@link AttributionService}. */
export interface AttributionServiceModules {
  readonly logger?: Logger;
  readonly metrics?: AttributionMetrics;
}

/** Options of {@link AttributionService.ensureIndex}. */
export interface EnsureIndexOptions {
  /** The training config's `minSpan`; default 8. */
  readonly minSpan?: number;
  /** See `BuildAttributionIndexParameters.checkSampleHashes`; default true. */
  readonly checkSampleHashes?: boolean;
}

/**
 * DESIGN §8 attribution for the node: one index per adapter version, built once from the version's training corpus
 * (`ensureIndex`) and stored in `dir`, loaded lazily on the first `attribute` of that version and kept in a bounded
 * LRU. Implements {@link Attributor}.
 */
export class AttributionService implements Attributor {
  private readonly dir: string;
  private readonly maxIndexes: number;
  private readonly logger: Logger;
  private readonly metrics: AttributionMetrics | undefined;
  /** Loaded (or loading) indexes by version id, least recently used first. */
  private readonly cache = new Map<bigint, Promise<AttributionIndex>>();
  /** Builds in progress, so two callers of one version share one build. */
  private readonly building = new Map<bigint, Promise<boolean>>();
  private closed = false;

  constructor(opts: AttributionServiceOptions, modules: AttributionServiceModules = {}) {
    const maxIndexes = opts.maxIndexes ?? DEFAULT_MAX_INDEXES;
    if (!Number.isInteger(maxIndexes) || maxIndexes < 1) throw new RangeError(`maxIndexes ${maxIndexes} is not ≥ 1`);
    this.dir = opts.dir;
    this.maxIndexes = maxIndexes;
    this.logger = modules.logger ?? getEmptyLogger();
    this.metrics = modules.metrics;
  }

  /** The index file of a version. */
  getIndexPath(versionId: bigint): string {
    return join(this.dir, `${versionId}.olpidx`);
  }

  /**
   * Makes sure the version has an index of exactly this corpus, shares and `minSpan`: a stored file whose header
   * names the same inputs and that passes every check is kept (and loaded); otherwise the index is built (synchronously, on this thread), saved atomically and
   * cached. `corpus` is the DESIGN §7 training corpus (the trainer's `TrainingCorpus.lines` fit as they are).
   *
   * @returns whether an index was built
   * @throws {AttributionError} for a corpus, shares or `minSpan` that break the rules, `CLOSED`
   */
  async ensureIndex(
    versionId: bigint,
    corpus: readonly AttributionSample[],
    trainingShares: readonly ContributorShare[],
    opts: EnsureIndexOptions = {},
  ): Promise<boolean> {
    this.checkOpen();
    // One build per version at a time: a second caller waits, then finds the file the first one wrote.
    const previous = this.building.get(versionId) ?? Promise.resolve(false);
    const next = previous.catch(() => false).then(() => this.ensureIndexNow(versionId, corpus, trainingShares, opts));
    this.building.set(versionId, next);
    try {
      return await next;
    } finally {
      if (this.building.get(versionId) === next) this.building.delete(versionId);
    }
  }

  private async ensureIndexNow(
    versionId: bigint,
    corpus: readonly AttributionSample[],
    trainingShares: readonly ContributorShare[],
    opts: EnsureIndexOptions,
  ): Promise<boolean> {
    this.checkOpen();
    const minSpan = opts.minSpan ?? DEFAULT_MIN_SPAN;
    checkMinSpan(minSpan);
    const sorted = sortSamples(corpus);
    const shares = checkTrainingShares(trainingShares, new Set(sorted.map((s) => s.datasetId)));
    const digest = getInputDigest(minSpan, sorted, shares);
    const path = this.getIndexPath(versionId);
    let stored: Awaited<ReturnType<typeof readIndexHeader>>;
    try {
      stored = await readIndexHeader(path, versionId);
    } catch (err) {
      this.logger.warn("attribution index file unreadable, rebuilding", { versionId, path }, err);
      stored = undefined;
    }
    if (stored !== undefined && stored.inputDigest === digest) {
      // The header names these inputs; the whole file must still pass its checks, else it is rebuilt.
      try {
        await this.load(versionId);
        return false;
      } catch (err) {
        this.logger.warn("attribution index file refused, rebuilding", { versionId, path }, err);
      }
    }

    const started = performance.now();
    const index = AttributionIndex.build({
      versionId,
      samples: sorted,
      trainingShares: shares,
      minSpan,
      checkSampleHashes: opts.checkSampleHashes ?? true,
    });
    const seconds = (performance.now() - started) / 1000;
    await mkdir(this.dir, { recursive: true });
    await saveIndex(index, path);
    this.metrics?.indexBuilds.inc();
    this.metrics?.indexBuildSeconds.observe(seconds);
    this.logger.info("attribution index built", {
      versionId,
      samples: index.sampleCount,
      positions: index.positions,
      seconds,
      replaced: stored !== undefined,
    });
    this.cache.delete(versionId);
    this.remember(versionId, Promise.resolve(index));
    return true;
  }

  /** Whether the version has an index file (not checked beyond its header). */
  async hasIndex(versionId: bigint): Promise<boolean> {
    try {
      return (await readIndexHeader(this.getIndexPath(versionId), versionId)) !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * The DESIGN §8 weights of one output of a version, and its spans (none for a private record, whose weights are the
   * training shares).
   *
   * @throws {AttributionError} `INDEX_NOT_FOUND`, `INDEX_CORRUPT`, `INDEX_MISMATCH`, `CLOSED`
   */
  async attribute(versionId: bigint, outputText: string, opts: { private: boolean }): Promise<AttributionResult> {
    this.checkOpen();
    const index = await this.getIndex(versionId);
    const started = performance.now();
    const result = attribute(index, outputText, { private: opts.private });
    this.metrics?.attributionSeconds.observe((performance.now() - started) / 1000);
    this.metrics?.attributions.inc({
      outcome: opts.private ? "private" : result.credits.length === 0 ? "fallback" : "spans",
    });
    return result;
  }

  /**
   * The version's index: from memory, else loaded from its file (checked whole: checksum, sections, version).
   *
   * @throws {AttributionError} `INDEX_NOT_FOUND`, `INDEX_CORRUPT`, `INDEX_MISMATCH`, `CLOSED`
   */
  async getIndex(versionId: bigint): Promise<AttributionIndex> {
    this.checkOpen();
    const pending = this.building.get(versionId);
    if (pending !== undefined) await pending.catch(() => false);
    return this.load(versionId);
  }

  /** The index from memory, else from its file; the caller has waited for any build of the version. */
  private load(versionId: bigint): Promise<AttributionIndex> {
    const cached = this.cache.get(versionId);
    if (cached !== undefined) {
      this.cache.delete(versionId);
      this.cache.set(versionId, cached);
      return cached;
    }
    const path = this.getIndexPath(versionId);
    const loading: Promise<AttributionIndex> = loadIndex(path, versionId).catch((err: unknown) => {
      // Not cached: a later call tries the file again (a build may have replaced it meanwhile).
      if (this.cache.get(versionId) === loading) this.cache.delete(versionId);
      this.metrics?.indexesLoaded.set(this.cache.size);
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new AttributionError({ code: AttributionErrorCode.INDEX_NOT_FOUND, versionId }, { cause: err });
      }
      this.logger.error("attribution index refused", { versionId, path }, err);
      throw err;
    });
    this.remember(versionId, loading);
    return loading;
  }

  /** Drops every index from memory; later calls fail with `CLOSED`. Files stay. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.building.values()]);
    this.cache.clear();
    this.metrics?.indexesLoaded.set(0);
  }

  private remember(versionId: bigint, index: Promise<AttributionIndex>): void {
    this.cache.set(versionId, index);
    // [bounded] least recently used first out; its file stays, so it comes back on demand.
    while (this.cache.size > this.maxIndexes) {
      const oldest = this.cache.keys().next().value as bigint;
      this.cache.delete(oldest);
      this.metrics?.indexEvictions.inc();
      this.logger.debug("attribution index evicted from memory", { versionId: oldest });
    }
    this.metrics?.indexesLoaded.set(this.cache.size);
  }

  private checkOpen(): void {
    if (this.closed) throw new AttributionError({ code: AttributionErrorCode.CLOSED });
  }
}
