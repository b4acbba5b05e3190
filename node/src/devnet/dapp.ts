import { join } from "node:path";
import { type Address, type Chain, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Deployment } from "../chain/index.js";
import { settlementDomain } from "../protocol/index.js";
import { depositWithPermit, type LaneStore, nextReceipt, openLevelLaneStore, RECEIPT_HEADER } from "../sdk/index.js";

/** A node the dapp pays: its address, API and price for the version. */
export interface PaidNode {
  readonly name: string;
  readonly node: Address;
  readonly apiUrl: string;
  readonly price: bigint;
}

/** One paid inference as the dapp saw it. */
export interface DappInference {
  readonly node: Address;
  readonly lane: number;
  readonly seq: bigint;
  readonly recordId: Hex;
  readonly prompt: string;
  readonly outputText: string;
}

/** What the dapp needs: its key, its folder (the lane store), the chain. */
export interface DappOptions {
  readonly privateKey: Hex;
  readonly dir: string;
  readonly chain: Chain;
  readonly rpcUrl: string;
  readonly deployment: Deployment;
}

/** Lanes per node the dapp uses in parallel: a lane's requests run one at a time (docs/sdk.md). */
export const LANES_PER_NODE = 2;

/**
 * The devnet's dapp, through the SDK only: it deposits into escrow for each node with a permit, then pays for
 * inferences with one signed receipt each (`nextReceipt`, the `OLP-Receipt` header), spread round-robin over the
 * nodes and {@link LANES_PER_NODE} lanes each, with plain `fetch`.
 */
export class Dapp {
  private constructor(
    private readonly opts: DappOptions,
    private readonly store: LaneStore,
  ) {}

  static async open(opts: DappOptions): Promise<Dapp> {
    const { chainId, contracts } = opts.deployment;
    const store = await openLevelLaneStore({
      location: join(opts.dir, "lanes"),
      domain: settlementDomain(BigInt(chainId), contracts.settlement),
    });
    return new Dapp(opts, store);
  }

  get address(): Address {
    return privateKeyToAccount(this.opts.privateKey).address;
  }

  private client() {
    return createWalletClient({
      account: privateKeyToAccount(this.opts.privateKey),
      chain: this.opts.chain,
      transport: http(this.opts.rpcUrl),
    });
  }

  /** Deposits `amount` for each node (`depositWithPermit`: permit and deposit in one transaction). */
  async deposit(nodes: readonly Address[], amount: bigint, deadline: bigint): Promise<void> {
    const client = this.client();
    for (const node of nodes) {
      await depositWithPermit(client, {
        escrow: this.opts.deployment.contracts.paymentEscrow,
        node,
        amount,
        deadline,
        token: this.opts.deployment.contracts.openToken,
      });
    }
  }

  /**
   * Pays for `count` inferences of `versionId`, request i going to node i mod n, on one of its lanes; `prompts` are
   * used in turn. A request answered with anything but 200, or without its record header, fails the run.
   */
  async infer(
    nodes: readonly PaidNode[],
    versionId: bigint,
    count: number,
    prompts: readonly string[],
    onProgress: (done: number) => void,
  ): Promise<DappInference[]> {
    const client = this.client();
    const payer = client.account.address;
    const workers = nodes.flatMap((node) => Array.from({ length: LANES_PER_NODE }, (_, lane) => ({ node, lane })));
    const results: DappInference[] = [];
    let done = 0;
    await Promise.all(
      workers.map(async ({ node, lane }, w) => {
        for (let i = w; i < count; i += workers.length) {
          const prompt = prompts[i % prompts.length] ?? "";
          const body = new TextEncoder().encode(
            JSON.stringify({
              model: versionId.toString(),
              messages: [{ role: "user", content: prompt }],
              max_tokens: 48,
            }),
          );
          const { receipt, header } = await nextReceipt(client, {
            store: this.store,
            lane: { payer, node: node.node, versionId, lane },
            requestBody: body,
            value: node.price,
          });
          const res = await fetch(`${node.apiUrl}/v1/chat/completions`, {
            method: "POST",
            body,
            headers: { "content-type": "application/json", [RECEIPT_HEADER]: header },
          });
          const text = await res.text();
          if (res.status !== 200) {
            throw new Error(
              `${node.name} answered inference ${i + 1} (lane ${lane}, seq ${receipt.seq}) with ${res.status}: ${text.slice(0, 300)}`,
            );
          }
          const recordId = res.headers.get("olp-record-id");
          if (recordId === null)
            throw new Error(`${node.name} answered inference ${i + 1} without an OLP-Record-Id header`);
          const json = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
          results.push({
            node: node.node,
            lane,
            seq: receipt.seq,
            recordId: recordId as Hex,
            prompt,
            outputText: json.choices?.[0]?.message?.content ?? "",
          });
          onProgress(++done);
        }
      }),
    );
    return results;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
