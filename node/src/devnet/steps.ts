/** Where the devnet says what it is doing: one line per step or detail. */
export type DevnetLog = (line: string) => void;

/** A devnet step that failed: which one, and why (the cause's message). */
export class DevnetStepError extends Error {
  constructor(
    readonly step: number,
    readonly title: string,
    override readonly cause: unknown,
  ) {
    super(`step ${step} (${title}) failed: ${describeError(cause)}`, { cause });
    this.name = "DevnetStepError";
  }
}

/**
 * Runs the devnet's steps in order, numbering them: `[3] funding the parties` before each, its time after, and any
 * failure rethrown as a {@link DevnetStepError} naming the step.
 */
export class Steps {
  #n = 0;
  readonly #timings: { step: number; title: string; seconds: number }[] = [];

  constructor(private readonly log: DevnetLog) {}

  /** Runs one step. */
  async run<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const step = ++this.#n;
    this.log(`[${step}] ${title}`);
    const started = Date.now();
    try {
      const result = await fn();
      const seconds = (Date.now() - started) / 1000;
      this.#timings.push({ step, title, seconds });
      if (seconds >= 2) this.log(`     (${seconds.toFixed(1)} s)`);
      return result;
    } catch (err) {
      if (err instanceof DevnetStepError) throw err;
      throw new DevnetStepError(step, title, err);
    }
  }

  /** A detail of the current step, indented under it. */
  detail(line: string): void {
    this.log(`     ${line}`);
  }

  /** Each step's wall time, in order. */
  timings(): readonly { step: number; title: string; seconds: number }[] {
    return this.#timings;
  }
}

/** An error's message, with its `cause` chain when it adds something (one line each). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (!parts.some((p) => p.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ");
}
