import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NetworkConnection } from "hardhat/types/network";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { type RegistriesTourResult, runRegistriesTour } from "../../../node/src/devnet/index.js";
import {
  buildAttributionTree,
  getRecordsRoot,
  type Receipt,
  receiptTypes,
  settlementDomain,
} from "../../../node/src/protocol/index.js";

/** An EIP-1193 provider, as Hardhat's connection has it. */
export type Eip1193 = { request(args: { method: string; params?: unknown }): Promise<unknown> };

/**
 * Serves `provider` as JSON-RPC over HTTP on loopback: a chain that can "go away" (`close`) and come back on the same
 * port (`open`) while its state lives on in the provider. `dropNextResponse(method, thenClose)` forwards the next call of
 * `method` to the chain and then kills the connection instead of answering: the request reached the node, the answer
 * was lost.
 */
export class RpcServer {
  private server: Server | undefined;
  private port = 0;
  private readonly drops = new Map<string, boolean>();
  /** Every method called, in order (for assertions on what was sent). */
  readonly calls: string[] = [];

  constructor(private readonly provider: Eip1193) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `thenClose`: the server goes down right after (the chain crashed after receiving the call). */
  dropNextResponse(method: string, thenClose = false): void {
    this.drops.set(method, thenClose);
  }

  async open(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.answer(Buffer.concat(chunks).toString("utf8")).then((body) => {
          if (body === undefined) {
            req.socket.destroy();
            return;
          }
          res.writeHead(200, { "content-type": "application/json" });
          res.end(body);
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(text: string): Promise<string | undefined> {
    const body = JSON.parse(text) as JsonRpcRequest | JsonRpcRequest[];
    const one = async (r: JsonRpcRequest): Promise<unknown> => {
      this.calls.push(r.method);
      try {
        const result = await this.provider.request({ method: r.method, params: r.params });
        const thenClose = this.drops.get(r.method);
        if (thenClose !== undefined) {
          this.drops.delete(r.method);
          if (thenClose) void this.close();
          return DROP;
        }
        return { jsonrpc: "2.0", id: r.id, result };
      } catch (err) {
        const e = err as { code?: number; message?: string; data?: unknown };
        return {
          jsonrpc: "2.0",
          id: r.id,
          error: {
            code: typeof e.code === "number" ? e.code : -32603,
            message: e.message ?? String(err),
            data: e.data,
          },
        };
      }
    };
    const out = Array.isArray(body) ? await Promise.all(body.map(one)) : await one(body);
    if (out === DROP || (Array.isArray(out) && out.includes(DROP))) return undefined;
    return JSON.stringify(out);
  }
}

const DROP = Symbol("drop");
type JsonRpcRequest = { id: number; method: string; params?: unknown };

/** Hardhat's default accounts' keys (the devnet's actors, in ROLES order). */
export const HARDHAT_KEYS: readonly Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
];

/** Small Alpaca-shaped dataset files, distinct per contributor. */
function dataset(owner: string, items: readonly string[]): Uint8Array {
  const lines = items.map((item, i) =>
    JSON.stringify({
      instruction: "Write advertising copy for the product.",
      input: `product: ${item} | seller: ${owner} | lot: ${i}`,
      output: `Meet the ${item}, made to last. (${owner} #${i})`,
    }),
  );
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

/** A chain with the whole protocol lived through: the registries tour, then a deposit and a redemption. */
export type Lifecycle = RegistriesTourResult & {
  payer: Address;
  node: Address;
  price: bigint;
  deposit: bigint;
  epoch: bigint;
  /** Signs and redeems the payer's lane-0 receipt `seq` worth `seq × price` in total. */
  redeem(seq: bigint): Promise<void>;
  /** Ends the epoch and posts the pool's root (operator). */
  postRoot(): Promise<{ root: Hex; recordsRoot: Hex }>;
};

/** Runs the tour (datasets, a version submitted and activated, a price), then alice deposits and the node redeems. */
export async function liveLifecycle(conn: NetworkConnection): Promise<Lifecycle> {
  const tour = await runRegistriesTour(conn, {
    aliceDataset: dataset("alice", ["linen shirt", "wool coat", "denim jacket"]),
    bobDataset: dataset("bob", ["oak table", "floor lamp", "glass vase"]),
    log: () => undefined,
  });
  const { token, paymentEscrow, settlement, nodeRegistry } = tour.protocol;
  const { alice, node, operator } = tour.actors;
  const price = await nodeRegistry.priceOf(node.address, 1n);
  const deposit = 100n * price;
  await (await token.connect(alice).approve(await paymentEscrow.getAddress(), deposit)).wait();
  await (await paymentEscrow.connect(alice).deposit(node.address, deposit)).wait();
  const { chainId } = tour.protocol.deployment;
  const domain = settlementDomain(BigInt(chainId), tour.protocol.deployment.contracts.settlement);
  const epoch = await settlement.currentEpoch();
  const redeem = async (seq: bigint): Promise<void> => {
    const receipt: Receipt = {
      payer: alice.address as Address,
      node: node.address as Address,
      versionId: 1n,
      lane: 0,
      seq,
      requestHash: keccak256(toHex(`request ${seq}`)),
      value: price,
      cumulative: seq * price,
    };
    const signature = await alice.signTypedData(
      { ...domain, chainId },
      { Receipt: [...receiptTypes.Receipt] },
      receipt as unknown as Record<string, unknown>,
    );
    await (await settlement.connect(operator).redeem(receipt, signature)).wait();
  };
  await redeem(1n);
  const postRoot = async () => {
    const { networkHelpers } = conn;
    await networkHelpers.time.increaseTo(await settlement.epochEnd(epoch));
    const pool = await settlement.getPool(node.address, 1n, epoch);
    const datasets = await tour.protocol.adapterRegistry.datasetIdsOf(1n);
    const first = datasets[0] as bigint;
    const tree = buildAttributionTree([{ datasetId: first, amount: pool.amount }]);
    const recordsRoot = getRecordsRoot([keccak256(toHex("record 1"))]);
    const bond = 100n * 10n ** 18n;
    await (await token.connect(operator).approve(await settlement.getAddress(), bond)).wait();
    await (
      await settlement
        .connect(operator)
        .postAttributionRoot(node.address, 1n, epoch, tree.root, tree.total, recordsRoot, bond)
    ).wait();
    return { root: tree.root, recordsRoot };
  };
  return {
    ...tour,
    payer: alice.address as Address,
    node: node.address as Address,
    price,
    deposit,
    epoch,
    redeem,
    postRoot,
  };
}
