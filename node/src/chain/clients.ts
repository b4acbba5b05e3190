import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
  webSocket,
} from "viem";
import { DEPLOYMENT_CONTRACTS, type Deployment } from "./deployment.js";
import { ChainError, ChainErrorCode } from "./errors.js";

/** The clients of one chain: reads through `publicClient`, transactions from `walletClient` when an account is given. */
export type ChainClients<A extends Account | undefined = Account | undefined> = {
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  readonly walletClient: A extends Account ? WalletClient<Transport, Chain, Account> : undefined;
};

/** Inputs of {@link createChainClients}. */
export type CreateChainClientsParameters<A extends Account | undefined> = {
  /** `http(s)://` or `ws(s)://`: the transport follows the scheme. Ignored when `transport` is given. */
  readonly rpcUrl?: string;
  /** A ready transport instead of a URL (tests: viem `custom(provider)`). */
  readonly transport?: Transport;
  /** The chain id of the deployment file; {@link checkChain} checks the RPC serves it. */
  readonly chainId: number;
  /** The account that signs transactions (the operator's local key). */
  readonly account?: A;
  /** Retries of a request on transport errors (default 3). */
  readonly retryCount?: number;
  /** First delay between retries, doubling each time (default 200 ms). */
  readonly retryDelayMs?: number;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** How often viem polls (block numbers, receipts), default 1 s. */
  readonly pollingIntervalMs?: number;
};

/**
 * The viem clients of the chain at `rpcUrl`: HTTP or WebSocket by the URL's scheme, each request retried with
 * exponential backoff on transport errors (viem retries only what may succeed again: network failures, timeouts,
 * HTTP 5xx/429, never a revert). The wallet client exists only when `account` is given.
 */
export function createChainClients<A extends Account | undefined = undefined>(
  p: CreateChainClientsParameters<A>,
): ChainClients<A> {
  if (!Number.isSafeInteger(p.chainId) || p.chainId <= 0) {
    throw new ChainError({
      code: ChainErrorCode.INVALID_ARGUMENT,
      name: "chainId",
      reason: "to be a positive integer",
    });
  }
  const transportOptions = {
    retryCount: p.retryCount ?? 3,
    retryDelay: p.retryDelayMs ?? 200,
    timeout: p.timeoutMs ?? 10_000,
  };
  let transport: Transport;
  if (p.transport !== undefined) {
    transport = p.transport;
  } else {
    const url = p.rpcUrl ?? "";
    let scheme: string;
    try {
      scheme = new URL(url).protocol;
    } catch {
      throw new ChainError({ code: ChainErrorCode.INVALID_ARGUMENT, name: "rpcUrl", reason: "to be a URL" });
    }
    if (scheme === "http:" || scheme === "https:") transport = http(url, transportOptions);
    else if (scheme === "ws:" || scheme === "wss:") transport = webSocket(url, transportOptions);
    else {
      throw new ChainError({
        code: ChainErrorCode.INVALID_ARGUMENT,
        name: "rpcUrl",
        reason: `to be http(s):// or ws(s)://, found ${scheme}`,
      });
    }
  }
  const chain = defineChain({
    id: p.chainId,
    name: `chain ${p.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    // The URL stays out of the chain object: it may carry an API key, and chains get logged.
    rpcUrls: { default: { http: [] } },
  });
  const pollingInterval = p.pollingIntervalMs ?? 1_000;
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient<Transport, Chain>;
  const walletClient =
    p.account === undefined ? undefined : createWalletClient({ chain, transport, account: p.account, pollingInterval });
  return { chain, publicClient, walletClient } as unknown as ChainClients<A>;
}

/** What {@link checkChain} needs of a client. */
export type CheckChainClient = Pick<PublicClient, "getChainId" | "getCode">;

/**
 * Refuses an RPC whose chain id differs from the deployment file's, or where any of the deployment's contracts has no
 * code (a wrong file, a restarted devnet): the node never talks to addresses that are not the protocol's.
 *
 * @throws {ChainError} `CHAIN_ID_MISMATCH` naming both ids, `NO_CODE` naming the contract, address and chain
 */
export async function checkChain(client: CheckChainClient, deployment: Deployment): Promise<void> {
  const found = await client.getChainId();
  if (found !== deployment.chainId) {
    throw new ChainError({ code: ChainErrorCode.CHAIN_ID_MISMATCH, expected: deployment.chainId, found });
  }
  for (const contract of DEPLOYMENT_CONTRACTS) {
    const address = deployment.contracts[contract];
    const code = await client.getCode({ address });
    if (code === undefined || code === "0x") {
      throw new ChainError({ code: ChainErrorCode.NO_CODE, contract, address, chainId: found });
    }
  }
}
