import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  parseEther,
  type TransactionReceipt,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { openTokenAbi } from "../../../node/src/chain/abi/index.js";
import {
  ChainError,
  ChainErrorCode,
  createChainClients,
  type TxFailureReason,
  type TxResult,
  TxSender,
  type TxSenderMetrics,
} from "../../../node/src/chain/index.js";
import { deployProtocol, type Protocol } from "../../../node/src/devnet/index.js";
import { HARDHAT_KEYS, RpcServer } from "./chainHelpers.js";

/** The structural type settle's helper codes against: the sender must stay assignable to it (checked by tsc). */
type SettleSender = {
  send(request: {
    label: string;
    address: Address;
    abi: Abi;
    functionName: string;
    args: readonly unknown[];
    value?: bigint;
  }): Promise<{ hash: Hex; receipt: TransactionReceipt }>;
};

type Logged = { level: string; msg: string; ctx?: object };

function capture() {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (msg: string, ctx?: object): void =>
      void lines.push({ level, msg, ...(ctx === undefined ? {} : { ctx }) });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

function counters(): TxSenderMetrics & { values: Record<string, number> } {
  const values: Record<string, number> = {};
  const inc =
    (name: string) =>
    (v = 1) => {
      values[name] = (values[name] ?? 0) + v;
    };
  return {
    values,
    sent: { inc: inc("sent") },
    replaced: { inc: inc("replaced") },
    dropped: { inc: inc("dropped") },
    failed: { inc: ({ reason }: { reason: TxFailureReason }) => inc(`failed_${reason}`)() },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("TxSender (Hardhat EVM over HTTP on loopback)", function () {
  this.timeout(60_000);
  const account = privateKeyToAccount(HARDHAT_KEYS[0] as Hex);
  const recipient = privateKeyToAccount(HARDHAT_KEYS[5] as Hex).address;
  let conn: NetworkConnection;
  let protocol: Protocol;
  let server: RpcServer;
  let client: PublicClient<Transport, Chain>;
  let snapshot: string;

  before(async () => {
    conn = await network.create();
    protocol = await deployProtocol(conn);
    server = new RpcServer(conn.provider);
    await server.open();
    // No transport retries of its own: the sender's retries are what is under test.
    client = createChainClients({
      rpcUrl: server.url,
      chainId: 31337,
      retryCount: 0,
      timeoutMs: 2_000,
      pollingIntervalMs: 50,
    }).publicClient;
    snapshot = (await conn.provider.request({ method: "evm_snapshot" })) as string;
  });

  beforeEach(async () => {
    await server.open().catch(() => undefined);
    await conn.provider.request({ method: "evm_revert", params: [snapshot] });
    snapshot = (await conn.provider.request({ method: "evm_snapshot" })) as string;
    await conn.provider.request({ method: "evm_setAutomine", params: [true] });
    server.calls.length = 0;
  });

  after(async () => {
    await server.close();
    await conn.close();
  });

  function sender(opts: ConstructorParameters<typeof TxSender>[0] = {}, log = capture(), metrics = counters()) {
    return new TxSender(
      { receiptPollMs: 20, retryBaseMs: 20, retryMaxMs: 100, maxAttempts: 200, ...opts },
      { client, account, chainId: 31337, logger: log.logger, metrics },
    );
  }

  const transfer = (amount: bigint, label = "OpenToken.transfer") => ({
    label,
    address: protocol.deployment.contracts.openToken,
    abi: openTokenAbi,
    functionName: "transfer",
    args: [recipient, amount] as const,
  });

  const balanceOf = (who: Address) =>
    client.readContract({
      address: protocol.deployment.contracts.openToken,
      abi: openTokenAbi,
      functionName: "balanceOf",
      args: [who],
    });
  const nonceOf = () => client.getTransactionCount({ address: account.address, blockTag: "latest" });

  it("keeps nonces in order across concurrent sends, each mined once", async () => {
    const tx: SettleSender & TxSender = sender();
    const [n0, b0] = await Promise.all([nonceOf(), balanceOf(recipient)]);
    const results = await Promise.all([1n, 2n, 3n, 4n, 5n].map((i) => tx.send(transfer(parseEther(i.toString())))));
    const nonces = await Promise.all(results.map(async (r) => (await client.getTransaction({ hash: r.hash })).nonce));
    expect(nonces).to.deep.equal([n0, n0 + 1, n0 + 2, n0 + 3, n0 + 4]);
    expect(results.every((r) => r.receipt.status === "success")).to.equal(true);
    expect(await nonceOf()).to.equal(n0 + 5);
    expect(await balanceOf(recipient)).to.equal(b0 + parseEther("15"));
    await tx.close();
  });

  it("refuses a reverting call with the decoded custom error and its args, and sends nothing", async () => {
    const metrics = counters();
    const tx = sender({}, capture(), metrics);
    const n0 = await nonceOf();
    const balance = await balanceOf(account.address);
    const err = await tx.send(transfer(balance + 1n)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ChainError);
    const type = (err as ChainError).type;
    expect(type.code).to.equal(ChainErrorCode.TX_REVERTED);
    if (type.code !== ChainErrorCode.TX_REVERTED) throw err;
    expect(type.errorName).to.equal("ERC20InsufficientBalance");
    expect(type.args).to.deep.equal([account.address, balance, balance + 1n]);
    expect((err as Error).message)
      .to.contain("OpenToken.transfer")
      .and.contain("ERC20InsufficientBalance");
    expect(server.calls).to.not.include("eth_sendRawTransaction");
    expect(await nonceOf()).to.equal(n0);
    expect(metrics.values.failed_reverted).to.equal(1);
    // The next request still gets the next nonce.
    const ok = await tx.send(transfer(1n));
    expect((await client.getTransaction({ hash: ok.hash })).nonce).to.equal(n0);
    await tx.close();
  });

  it("replaces a stuck transaction with higher fees (same nonce) and it is mined once", async () => {
    const log = capture();
    const metrics = counters();
    const tx = sender({ replaceAfterMs: 150 }, log, metrics);
    const [n0, b0] = await Promise.all([nonceOf(), balanceOf(recipient)]);
    await conn.provider.request({ method: "evm_setAutomine", params: [false] });
    const sending = tx.send(transfer(7n));
    await until(() => (metrics.values.replaced ?? 0) >= 1, "a replacement");
    await conn.provider.request({ method: "evm_mine" });
    const result: TxResult = await sending;

    const first = log.lines.find((l) => l.msg === "transaction sent")?.ctx as { hash: Hex };
    expect(result.hash).to.not.equal(first.hash);
    const [original, replacement] = await Promise.all([
      client.getTransaction({ hash: first.hash }).catch(() => undefined),
      client.getTransaction({ hash: result.hash }),
    ]);
    // The original was replaced in the pool: never mined.
    expect(original?.blockNumber ?? null).to.equal(null);
    expect(replacement.nonce).to.equal(n0);
    expect(await nonceOf()).to.equal(n0 + 1);
    expect(await balanceOf(recipient)).to.equal(b0 + 7n);
    expect(metrics.values.sent).to.equal(1);
    await tx.close();
  });

  it("raises both fees by the bump on each replacement", async () => {
    const log = capture();
    const metrics = counters();
    const tx = sender({ replaceAfterMs: 100, feeBumpPercent: 30 }, log, metrics);
    await conn.provider.request({ method: "evm_setAutomine", params: [false] });
    const sending = tx.send(transfer(1n));
    await until(() => (metrics.values.replaced ?? 0) >= 2, "two replacements");
    await conn.provider.request({ method: "evm_mine" });
    const result = await sending;
    const hashes = log.lines
      .filter((l) => l.msg === "transaction sent" || l.msg === "transaction replaced")
      .map((l) => (l.ctx as { hash: Hex }).hash);
    expect(hashes).to.include(result.hash);
    const mined = await client.getTransaction({ hash: result.hash });
    const firstFees = log.lines.find((l) => l.msg === "transaction replaced")?.ctx as { maxFeePerGas: bigint };
    expect((mined.maxFeePerGas ?? 0n) >= firstFees.maxFeePerGas).to.equal(true);
    await tx.close();
  });

  it("waits out the chain going away before sending, then sends exactly once", async () => {
    const log = capture();
    const tx = sender({}, log);
    const [n0, b0] = await Promise.all([nonceOf(), balanceOf(recipient)]);
    await server.close();
    const sending = tx.send(transfer(11n));
    await until(() => log.lines.filter((l) => l.msg === "RPC unavailable, retrying").length >= 2, "retries");
    await server.open();
    const result = await sending;
    expect(result.receipt.status).to.equal("success");
    expect(await nonceOf()).to.equal(n0 + 1);
    expect(await balanceOf(recipient)).to.equal(b0 + 11n);
    await tx.close();
  });

  it("a lost answer to the broadcast, then an outage: the same transaction only, mined once", async () => {
    const log = capture();
    const metrics = counters();
    const tx = sender({}, log, metrics);
    const [n0, b0] = await Promise.all([nonceOf(), balanceOf(recipient)]);
    // The node receives (and automines) the transaction, but the answer never comes back; then the RPC is down.
    server.dropNextResponse("eth_sendRawTransaction", true);
    const sending = tx.send(transfer(13n));
    await until(() => log.lines.filter((l) => l.level === "warn").length >= 2, "the sender to notice the outage");
    await server.open();
    const result = await sending;
    expect(result.receipt.status).to.equal("success");
    expect(await nonceOf()).to.equal(n0 + 1);
    expect(await balanceOf(recipient)).to.equal(b0 + 13n);
    expect(metrics.values.sent).to.equal(1);
    expect(metrics.values.replaced).to.equal(undefined);
    // The same signed bytes went out again after the outage (one hash: a copy, never a second transaction).
    expect(server.calls.filter((m) => m === "eth_sendRawTransaction").length).to.be.greaterThanOrEqual(2);
    // The request is done: the next one takes the next nonce.
    const next = await tx.send(transfer(1n));
    expect((await client.getTransaction({ hash: next.hash })).nonce).to.equal(n0 + 1);
    await tx.close();
  });

  it("refuses requests beyond its queue bound, and everything after close", async () => {
    const metrics = counters();
    const tx = sender({ maxQueue: 2 }, capture(), metrics);
    const a = tx.send(transfer(1n));
    const b = tx.send(transfer(2n));
    const c = await tx.send(transfer(3n)).catch((e: unknown) => e);
    expect((c as ChainError).type.code).to.equal(ChainErrorCode.QUEUE_FULL);
    expect(metrics.values.dropped).to.equal(1);
    await Promise.all([a, b]);
    await tx.close();
    const d = await tx.send(transfer(4n)).catch((e: unknown) => e);
    expect((d as ChainError).type.code).to.equal(ChainErrorCode.CLOSED);
  });

  it("says which contract has no code and which chain ids differ (checkChain)", async () => {
    const { checkChain } = await import("../../../node/src/chain/index.js");
    await checkChain(client, protocol.deployment);
    const wrongChain = await checkChain(client, { ...protocol.deployment, chainId: 10 }).catch((e: unknown) => e);
    expect((wrongChain as Error).message).to.equal(
      "expected an RPC of chain 10 (the deployment file's), found chain 31337",
    );
    const missing = "0x000000000000000000000000000000000000dEaD";
    const noCode = await checkChain(client, {
      ...protocol.deployment,
      contracts: { ...protocol.deployment.contracts, settlement: missing },
    }).catch((e: unknown) => e);
    expect((noCode as ChainError).type).to.deep.equal({
      code: ChainErrorCode.NO_CODE,
      contract: "settlement",
      address: missing,
      chainId: 31337,
    });
  });
});
