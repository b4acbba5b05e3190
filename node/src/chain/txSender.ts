import {
  type Abi,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  encodeFunctionData,
  type Hex,
  keccak256,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
} from "viem";
import { ChainError, ChainErrorCode } from "./errors.js";
import type { ChainLogger } from "./indexerState.js";
import type { TxFailureReason, TxSenderMetrics } from "./metrics.js";
import { backoffMs, delay, isTransportError } from "./retry.js";

/** One contract call to send: what settle and the CLI hand to {@link TxSender.send}. */
export type TxRequest = {
  /** What the transaction is for, in logs, metrics and errors ("Settlement.redeem"). */
  label: string;
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  value?: bigint;
};

/** A mined, successful transaction: the hash that was mined (a replacement's when one was) and its receipt. */
export type TxResult = { hash: Hex; receipt: TransactionReceipt };

/** Options of a {@link TxSender}. */
export type TxSenderOpts = {
  /** Requests waiting or in flight at most (default 64); more are refused with QUEUE_FULL. */
  readonly maxQueue?: number;
  /** A transaction not mined within this is replaced with higher fees (default 30 s). */
  readonly replaceAfterMs?: number;
  /** Replacements per request at most (default 5); then TX_NOT_MINED. */
  readonly maxReplacements?: number;
  /** Each replacement's fee increase in percent (default 25; nodes require at least 10). */
  readonly feeBumpPercent?: number;
  /** Attempts of each RPC call before anything is broadcast (default 8), with doubling backoff. */
  readonly maxAttempts?: number;
  /** First backoff (default 250 ms) and the most (default 10 s). */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** How often receipts are polled (default 500 ms). */
  readonly receiptPollMs?: number;
  /**
   * How long a broadcast request waits at most, RPC outages included (default 10 min): then TX_NOT_MINED with every
   * hash it signed, so the caller can watch them rather than send again.
   */
  readonly maxWaitMs?: number;
  /** Gas limit headroom over the estimate in percent (default 20). */
  readonly gasHeadroomPercent?: number;
};

/** What a {@link TxSender} uses. */
export type TxSenderModules = {
  readonly client: PublicClient<Transport, Chain | undefined>;
  /** The one account this sender signs for, locally (the operator's key): no other sender may use it. */
  readonly account: LocalAccount;
  readonly chainId: number;
  readonly logger?: ChainLogger;
  readonly metrics?: TxSenderMetrics;
};

/** Who a broadcast is for, to name its hashes when an outage outlasts `maxWaitMs`. */
type BroadcastContext = { label: string; nonce: number; hashes: readonly Hex[]; start: number };

/** What a broadcast answered. */
type BroadcastResult = "accepted" | "known" | "nonce_too_low" | "underpriced";

/**
 * Sends contract calls from one account, one at a time, so nonces never race. Each request is simulated first (a
 * revert is a clear error naming the decoded custom error and its args, and nothing is sent), signed locally with
 * the next nonce, and broadcast; the signed bytes are kept, so an RPC outage retries the very same transaction. A
 * transaction not mined within `replaceAfterMs` is replaced (same nonce, fees up by `feeBumpPercent`): at most one of
 * a request's transactions can be mined, so a request never becomes two. The local nonce is resynced from the
 * chain's pending nonce whenever the sender is unsure of it. Nothing is persisted: after a restart no transaction is
 * re-sent; callers re-derive what to send from chain state.
 */
export class TxSender {
  private readonly client: PublicClient<Transport, Chain | undefined>;
  private readonly account: LocalAccount;
  private readonly chainId: number;
  private readonly logger: ChainLogger | undefined;
  private readonly metrics: TxSenderMetrics | undefined;
  private readonly maxQueue: number;
  private readonly replaceAfterMs: number;
  private readonly maxReplacements: number;
  private readonly feeBump: bigint;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly receiptPollMs: number;
  private readonly maxWaitMs: number;
  private readonly gasHeadroom: bigint;
  private readonly controller = new AbortController();

  private nonce: number | undefined;
  private pending = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(opts: TxSenderOpts, modules: TxSenderModules) {
    const feeBumpPercent = opts.feeBumpPercent ?? 25;
    if (!Number.isSafeInteger(feeBumpPercent) || feeBumpPercent < 10) {
      throw new ChainError({
        code: ChainErrorCode.INVALID_ARGUMENT,
        name: "feeBumpPercent",
        reason: `to be an integer ≥ 10 (nodes refuse smaller replacements), found ${feeBumpPercent}`,
      });
    }
    this.client = modules.client;
    this.account = modules.account;
    this.chainId = modules.chainId;
    this.logger = modules.logger;
    this.metrics = modules.metrics;
    this.maxQueue = opts.maxQueue ?? 64;
    this.replaceAfterMs = opts.replaceAfterMs ?? 30_000;
    this.maxReplacements = opts.maxReplacements ?? 5;
    this.feeBump = BigInt(feeBumpPercent);
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
    this.receiptPollMs = opts.receiptPollMs ?? 500;
    this.maxWaitMs = opts.maxWaitMs ?? 600_000;
    this.gasHeadroom = BigInt(opts.gasHeadroomPercent ?? 20);
  }

  /** The account's address. */
  get address(): Address {
    return this.account.address;
  }

  /** Requests waiting or in flight. */
  get queued(): number {
    return this.pending;
  }

  /**
   * Simulates, signs, sends and waits for `request` to be mined, after every request sent before it.
   *
   * @throws {ChainError} `TX_REVERTED` (simulation reverted: not sent), `TX_FAILED` (mined and reverted),
   *   `RPC_UNAVAILABLE` (nothing was sent), `TX_NOT_MINED` / `NONCE_TAKEN` (sent: the hashes are in the error),
   *   `QUEUE_FULL`, `CLOSED`
   */
  send(request: TxRequest): Promise<TxResult> {
    if (this.closed) return Promise.reject(new ChainError({ code: ChainErrorCode.CLOSED }));
    if (this.pending >= this.maxQueue) {
      this.metrics?.dropped.inc();
      return Promise.reject(
        new ChainError({ code: ChainErrorCode.QUEUE_FULL, pending: this.pending, max: this.maxQueue }),
      );
    }
    this.pending++;
    const run = this.tail.then(() => this.process(request));
    this.tail = run.catch(() => undefined);
    return run.finally(() => {
      this.pending--;
    });
  }

  /** Refuses new requests, stops waiting on the ones in flight (their transactions may still be mined). */
  async close(): Promise<void> {
    this.closed = true;
    this.controller.abort(new ChainError({ code: ChainErrorCode.CLOSED }));
    await this.tail;
  }

  private async process(request: TxRequest): Promise<TxResult> {
    if (this.closed) throw new ChainError({ code: ChainErrorCode.CLOSED });
    try {
      return await this.sendOne(request);
    } catch (err) {
      const reason = failureReason(err);
      if (reason !== undefined) this.metrics?.failed.inc({ reason });
      throw err;
    }
  }

  private async sendOne(request: TxRequest): Promise<TxResult> {
    const { label, address: to, abi, functionName, args } = request;
    const value = request.value ?? 0n;
    const from = this.account.address;
    const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);

    await this.beforeBroadcast("eth_call", () =>
      this.client.simulateContract({
        account: from,
        address: to,
        abi,
        functionName,
        args,
        value,
      } as unknown as Parameters<typeof this.client.simulateContract>[0]),
    ).catch((err: unknown) => {
      throw revertError(label, err) ?? err;
    });
    const estimate = await this.beforeBroadcast("eth_estimateGas", () =>
      this.client.estimateGas({ account: from, to, data, value }),
    ).catch((err: unknown) => {
      throw revertError(label, err) ?? err;
    });
    const gas = (estimate * (100n + this.gasHeadroom)) / 100n;
    let fees = await this.beforeBroadcast("eth_feeHistory", () => this.client.estimateFeesPerGas());

    // Before anything is broadcast the nonce may be resynced and the transaction signed again: nothing of ours left.
    let nonce = await this.getNonce();
    const hashes: Hex[] = [];
    let signed = await this.sign({ to, data, value, nonce, gas, ...fees });
    const start = Date.now();
    for (let resyncs = 0; ; resyncs++) {
      const result = await this.broadcast(signed, "first", { label, nonce, hashes, start });
      if (result !== "nonce_too_low" || resyncs >= 2) {
        hashes.push(keccak256(signed));
        break;
      }
      this.nonce = undefined;
      nonce = await this.getNonce();
      signed = await this.sign({ to, data, value, nonce, gas, ...fees });
    }
    this.metrics?.sent.inc();
    this.logger?.info("transaction sent", { label, nonce, hash: hashes[0] });

    // From here on a transaction of ours may be in a mempool: never sign another nonce for this request.
    let replacements = 0;
    let lastSent = Date.now();
    let attempt = 0;
    for (;;) {
      if (this.controller.signal.aborted) throw new ChainError({ code: ChainErrorCode.CLOSED });
      try {
        const mined = await this.findReceipt(hashes);
        attempt = 0;
        if (mined !== undefined) {
          this.nonce = Math.max(this.nonce ?? 0, nonce + 1);
          if (mined.receipt.status !== "success") {
            throw new ChainError({ code: ChainErrorCode.TX_FAILED, label, hash: mined.hash });
          }
          this.logger?.info("transaction mined", { label, nonce, hash: mined.hash, replacements });
          return mined;
        }
        const spent = await this.client.getTransactionCount({ address: from, blockTag: "latest" });
        if (spent > nonce) {
          // Our nonce was mined, but by none of our hashes (they may just have landed: look once more).
          const late = await this.findReceipt(hashes);
          if (late !== undefined) continue;
          this.nonce = undefined;
          throw new ChainError({ code: ChainErrorCode.NONCE_TAKEN, label, nonce, hashes });
        }
        if (Date.now() - lastSent >= this.replaceAfterMs) {
          if (replacements >= this.maxReplacements) {
            this.nonce = undefined;
            throw new ChainError({ code: ChainErrorCode.TX_NOT_MINED, label, nonce, hashes });
          }
          const current = await this.client.estimateFeesPerGas();
          fees = {
            maxFeePerGas: max(bump(fees.maxFeePerGas, this.feeBump), current.maxFeePerGas),
            maxPriorityFeePerGas: max(bump(fees.maxPriorityFeePerGas, this.feeBump), current.maxPriorityFeePerGas),
          };
          const replacement = await this.sign({ to, data, value, nonce, gas, ...fees });
          const result = await this.broadcast(replacement, "again", { label, nonce, hashes, start });
          lastSent = Date.now();
          if (result === "accepted") {
            hashes.push(keccak256(replacement));
            replacements++;
            this.metrics?.replaced.inc();
            this.logger?.info("transaction replaced", { label, nonce, hash: hashes.at(-1), ...fees });
          }
        }
      } catch (err) {
        if (!isTransportError(err)) throw err;
        this.logger?.warn("RPC unavailable while waiting for a transaction", { label, nonce, attempt }, err);
        attempt++;
      }
      if (Date.now() - start > this.maxWaitMs) {
        this.nonce = undefined;
        throw new ChainError({ code: ChainErrorCode.TX_NOT_MINED, label, nonce, hashes });
      }
      const wait = attempt === 0 ? this.receiptPollMs : backoffMs(attempt - 1, this.retryBaseMs, this.retryMaxMs);
      await delay(wait, this.controller.signal).catch(() => undefined);
    }
  }

  private async getNonce(): Promise<number> {
    if (this.nonce === undefined) {
      const address = this.account.address;
      this.nonce = await this.beforeBroadcast("eth_getTransactionCount", () =>
        this.client.getTransactionCount({ address, blockTag: "pending" }),
      );
    }
    return this.nonce;
  }

  private sign(tx: {
    to: Address;
    data: Hex;
    value: bigint;
    nonce: number;
    gas: bigint;
    maxFeePerGas: bigint;
    maxPriorityFeePerGas: bigint;
  }): Promise<Hex> {
    return this.account.signTransaction({ type: "eip1559", chainId: this.chainId, ...tx });
  }

  /**
   * Sends signed bytes, retrying the same bytes while the RPC is unreachable (a second copy of one transaction is
   * harmless: it has one hash). `first`: nothing of this request was sent before, so an outage that outlasts the
   * attempts fails with RPC_UNAVAILABLE; `again`: something was, so the outage is waited out.
   */
  private async broadcast(signed: Hex, phase: "first" | "again", ctx: BroadcastContext): Promise<BroadcastResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.request({ method: "eth_sendRawTransaction", params: [signed] });
        return "accepted";
      } catch (err) {
        if (isTransportError(err)) {
          if (phase === "first" && attempt === 0) {
            // The request may have reached the node before the connection failed: from now on, the same bytes only.
            return this.broadcast(signed, "again", ctx);
          }
          if (this.controller.signal.aborted) throw new ChainError({ code: ChainErrorCode.CLOSED });
          if (Date.now() - ctx.start > this.maxWaitMs) {
            this.nonce = undefined;
            const { label, nonce, hashes } = ctx;
            throw new ChainError({
              code: ChainErrorCode.TX_NOT_MINED,
              label,
              nonce,
              hashes: [...hashes, keccak256(signed)],
            });
          }
          this.logger?.warn("RPC unavailable: sending the same transaction again", { attempt }, err);
          await delay(backoffMs(attempt, this.retryBaseMs, this.retryMaxMs), this.controller.signal).catch(
            () => undefined,
          );
          continue;
        }
        const message = errorText(err);
        if (/already known|known transaction|already imported|already in (the )?(mempool|pool)/.test(message)) {
          return "known";
        }
        if (/nonce too low|nonce has already been used|nonce is too low/.test(message)) {
          return phase === "first" && attempt === 0 ? "nonce_too_low" : "known";
        }
        if (/underpriced|fee too low|replacement/.test(message)) return "underpriced";
        throw err;
      }
    }
  }

  /** Retries `call` with backoff on transport errors; RPC_UNAVAILABLE after the attempts. Only before a broadcast. */
  private async beforeBroadcast<T>(call: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isTransportError(err)) throw err;
        if (attempt >= this.maxAttempts || this.controller.signal.aborted) {
          throw new ChainError({ code: ChainErrorCode.RPC_UNAVAILABLE, call, attempts: attempt }, { cause: err });
        }
        this.logger?.warn("RPC unavailable, retrying", { call, attempt }, err);
        await delay(backoffMs(attempt - 1, this.retryBaseMs, this.retryMaxMs), this.controller.signal).catch(
          () => undefined,
        );
      }
    }
  }

  private async findReceipt(hashes: readonly Hex[]): Promise<TxResult | undefined> {
    for (const hash of hashes) {
      const receipt = await this.client.getTransactionReceipt({ hash }).catch((err: unknown) => {
        if (isTransportError(err)) throw err;
        return undefined;
      });
      if (receipt !== undefined) return { hash, receipt };
    }
    return undefined;
  }
}

/** A simulation's revert as TX_REVERTED with the decoded custom error and its args; undefined for anything else. */
function revertError(label: string, err: unknown): ChainError | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError)) return undefined;
  const errorName = revert.data?.errorName ?? (revert.reason === undefined ? "unknown error" : "Error");
  const args = revert.data?.args ?? (revert.reason === undefined ? [] : [revert.reason]);
  const reason = revert.data === undefined && revert.reason === undefined ? (revert.signature ?? "") : "";
  return new ChainError({ code: ChainErrorCode.TX_REVERTED, label, errorName, args, reason }, { cause: err });
}

function failureReason(err: unknown): TxFailureReason | undefined {
  if (!(err instanceof ChainError)) return undefined;
  switch (err.type.code) {
    case ChainErrorCode.TX_REVERTED:
      return "reverted";
    case ChainErrorCode.TX_FAILED:
      return "failed";
    case ChainErrorCode.RPC_UNAVAILABLE:
      return "unavailable";
    case ChainErrorCode.TX_NOT_MINED:
      return "not_mined";
    case ChainErrorCode.NONCE_TAKEN:
      return "nonce_taken";
    default:
      return undefined;
  }
}

function errorText(err: unknown): string {
  if (err instanceof BaseError) {
    const parts: string[] = [];
    err.walk((e) => {
      if (e instanceof Error) parts.push(e.message, (e as BaseError).details ?? "");
      return false;
    });
    return parts.join(" ").toLowerCase();
  }
  return String(err).toLowerCase();
}

function bump(value: bigint, percent: bigint): bigint {
  // Round up, so a bump of a tiny fee is never zero.
  return (value * (100n + percent) + 99n) / 100n;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
