import { expect } from "chai";
import { HttpRequestError } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainError, ChainErrorCode, createChainClients, isTransportError } from "../../../../node/src/chain/index.js";

describe("createChainClients", () => {
  it("builds an HTTP or a WebSocket transport by the URL's scheme", () => {
    const http = createChainClients({ rpcUrl: "http://127.0.0.1:8545", chainId: 31337 });
    expect(http.publicClient.transport.type).to.equal("http");
    expect(http.walletClient).to.equal(undefined);
    expect(http.chain.id).to.equal(31337);
    const ws = createChainClients({ rpcUrl: "ws://127.0.0.1:8546", chainId: 10 });
    expect(ws.publicClient.transport.type).to.equal("webSocket");
  });

  it("adds a wallet client for an account", () => {
    const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const { walletClient } = createChainClients({ rpcUrl: "https://rpc.example", chainId: 1, account });
    expect(walletClient?.account.address).to.equal(account.address);
  });

  it("keeps the RPC URL (which may hold an API key) out of the chain object", () => {
    const { chain } = createChainClients({ rpcUrl: "https://rpc.example/key-123", chainId: 1 });
    expect(JSON.stringify(chain)).to.not.contain("key-123");
  });

  it("refuses a URL of another scheme, a non-URL and a bad chain id, naming the key", () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return [(err as ChainError).type.code, (err as Error).message];
      }
      return undefined;
    };
    expect(codeOf(() => createChainClients({ rpcUrl: "ftp://x", chainId: 1 }))).to.deep.equal([
      ChainErrorCode.INVALID_ARGUMENT,
      "expected rpcUrl to be http(s):// or ws(s)://, found ftp:",
    ]);
    expect(codeOf(() => createChainClients({ rpcUrl: "not a url", chainId: 1 }))?.[0]).to.equal(
      ChainErrorCode.INVALID_ARGUMENT,
    );
    expect(codeOf(() => createChainClients({ rpcUrl: "http://x", chainId: 0 }))?.[1]).to.equal(
      "expected chainId to be a positive integer",
    );
  });
});

describe("isTransportError", () => {
  it("is true for an unreachable RPC and a 5xx, false for an answer and for anything else", () => {
    expect(isTransportError(new HttpRequestError({ url: "http://x", cause: new Error("fetch failed") }))).to.equal(
      true,
    );
    expect(isTransportError(new HttpRequestError({ url: "http://x", status: 503 }))).to.equal(true);
    expect(isTransportError(new HttpRequestError({ url: "http://x", status: 400 }))).to.equal(false);
    expect(isTransportError(new Error("fetch failed"))).to.equal(false);
    expect(isTransportError(new ChainError({ code: ChainErrorCode.CLOSED }))).to.equal(false);
  });
});
