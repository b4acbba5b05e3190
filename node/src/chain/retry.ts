import { BaseError, HttpRequestError, SocketClosedError, TimeoutError, WebSocketRequestError } from "viem";

/**
 * Whether `err` is the RPC being unreachable (connection refused or reset, a timeout, a closed socket, HTTP 5xx/429)
 * rather than an answer: such a call may succeed if tried again, and says nothing about the transaction itself.
 */
export function isTransportError(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  return (
    err.walk((e) => {
      if (e instanceof TimeoutError || e instanceof SocketClosedError || e instanceof WebSocketRequestError)
        return true;
      if (e instanceof HttpRequestError) return e.status === undefined || e.status >= 500 || e.status === 429;
      return false;
    }) !== null
  );
}

/** Backoff of the `attempt`-th retry (0-based): doubling from `baseMs`, at most `maxMs`. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
