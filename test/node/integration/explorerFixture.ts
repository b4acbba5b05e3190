import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { type Address, createPublicClient, custom, type Hex, keccak256, type PublicClient, toHex } from "viem";
import { type RegistriesTourResult, runRegistriesTour } from "../../../node/src/devnet/index.js";
import { ExplorerSource, type ExplorerSpan, storeRecordSource } from "../../../node/src/explorer/index.js";
import {
  buildAttributionTree,
  divideLargestRemainder,
  type Entry,
  getAttributionProof,
  getInferenceRecordDigest,
  getReceiptDigest,
  getRecordsRoot,
  hashOutputText,
  type Receipt,
  receiptTypes,
  type SettlementDomain,
  settlementDomain,
} from "../../../node/src/protocol/index.js";
import { Store } from "../../../node/src/store/index.js";

const OPEN = 10n ** 18n;
/** Values with dust (not a multiple of 10,000 wei), so the burn carries the rounding remainder. */
const VALUE = OPEN / 100n + 7n;

/** The output of an attacker-controlled inference: markup that must render as text and run nothing. */
export const XSS_OUTPUT = `<script>window.__xss = "script"</script><img src=x onerror="window.__xss = 'img'">`;

/** The span-bearing inference: its output text and the spans the attribution module found in it. */
export const SPAN_OUTPUT = "Meet the Linen shirt:   made for everyday life, built to last, and priced for you. Thanks!";
export const SPANS: ExplorerSpan[] = [
  { text: "linen shirt:", datasets: [{ datasetId: 1n, count: 1 }] },
  {
    text: "made for everyday life, built to last, and priced for you.",
    datasets: [
      { datasetId: 1n, count: 4 },
      { datasetId: 2n, count: 2 },
    ],
  },
];

/** Small Alpaca-shaped dataset files, distinct per contributor (as test/contracts/Protocol.test.ts). */
function adCopyDataset(owner: string, items: readonly string[]): Uint8Array {
  const lines = items.map((item, i) =>
    JSON.stringify({
      instruction: "Write advertising copy for the product.",
      input: `product: ${item} | seller: ${owner} | lot: ${i}`,
      output: `Meet the ${item}: made for everyday life, built to last, and priced for you. (${owner} #${i})`,
    }),
  );
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

export type ExplorerFixture = {
  readonly connection: NetworkConnection;
  readonly tour: RegistriesTourResult;
  readonly client: PublicClient;
  readonly domain: SettlementDomain;
  readonly store: Store;
  readonly source: ExplorerSource;
  readonly payer: HardhatEthersSigner;
  /** Stored entries by record id, in the order written. */
  readonly entries: ReadonlyMap<Hex, Entry>;
  readonly xssRecordId: Hex;
  readonly spanRecordId: Hex;
  /** What each redemption collected, in chain order. */
  readonly collected: readonly bigint[];
  /** The epochs of the redemptions (two distinct ones). */
  readonly epochs: readonly bigint[];
  readonly claimedByAlice: bigint;
  close(): Promise<void>;
};

/**
 * A Hardhat EVM chain with the registries tour (datanets, datasets, a copycat slashed by a duplicate proof, v1
 * active after a dismissed challenge, v2 rejected after an upheld one), then a payer's deposit, three redemptions
 * on two lanes over two epochs, an attribution root posted and a claim paid; and a real store on disk holding the
 * node's records of those lanes, one with attacker markup as its output and one with spans.
 */
export async function createExplorerFixture(): Promise<ExplorerFixture> {
  const connection = await network.create();
  const tour = await runRegistriesTour(connection, {
    aliceDataset: adCopyDataset("alice", ["linen shirt", "wool coat", "denim jacket", "silk scarf", "canvas tote"]),
    bobDataset: adCopyDataset("bob", ["oak table", "floor lamp", "wool rug", "glass vase"]),
    log: () => undefined,
  });
  const { ethers, networkHelpers } = connection;
  const { token, paymentEscrow, settlement } = tour.protocol;
  const { actors } = tour;
  const payer = (await ethers.getSigners())[14];
  if (payer === undefined) throw new Error("the fixture needs a 15th account for the payer");
  const node = actors.node.address as Address;
  const { deployment } = tour.protocol;
  const domain = settlementDomain(BigInt(deployment.chainId), deployment.contracts.settlement);

  await (await token.connect(actors.treasury).transfer(payer.address, 100n * OPEN)).wait();
  await (await token.connect(payer).approve(deployment.contracts.paymentEscrow, 10n * OPEN)).wait();
  await (await paymentEscrow.connect(payer).deposit(node, 10n * OPEN)).wait();

  const dir = await mkdtemp(join(tmpdir(), "olnode-explorer-"));
  const store = await Store.open({ dir, domain });
  const entries = new Map<Hex, Entry>();
  const spans = new Map<Hex, readonly ExplorerSpan[]>();
  const cumulative = new Map<number, bigint>();
  const seqs = new Map<number, bigint>();
  let xssRecordId: Hex | undefined;
  let spanRecordId: Hex | undefined;

  /** Signs and stores `count` receipts of `lane` with their records; returns the last receipt and its signature. */
  const serve = async (lane: number, outputs: readonly string[]): Promise<{ receipt: Receipt; signature: Hex }> => {
    let last: { receipt: Receipt; signature: Hex } | undefined;
    const batch: Entry[] = [];
    for (const outputText of outputs) {
      const seq = (seqs.get(lane) ?? 0n) + 1n;
      const total = (cumulative.get(lane) ?? 0n) + VALUE;
      seqs.set(lane, seq);
      cumulative.set(lane, total);
      const receipt: Receipt = {
        payer: payer.address as Address,
        node,
        versionId: 1n,
        lane,
        seq,
        requestHash: keccak256(toHex(`request ${lane}/${seq}`)),
        value: VALUE,
        cumulative: total,
      };
      const signature = (await payer.signTypedData(
        domain as unknown as Record<string, unknown>,
        { Receipt: [...receiptTypes.Receipt] },
        receipt,
      )) as Hex;
      const record = {
        receiptDigest: getReceiptDigest(domain, receipt),
        outputHash: hashOutputText(outputText),
        promptTokens: 12,
        outputTokens: 20,
        datasetIds: [1n, 2n],
        weightsPpm: [700_000, 300_000],
      };
      const recordId = getInferenceRecordDigest(domain, record).toLowerCase() as Hex;
      const entry: Entry = { receipt, receiptSig: signature, record, recordSig: `0x${"11".repeat(65)}`, outputText };
      entries.set(recordId, entry);
      batch.push(entry);
      if (outputText === XSS_OUTPUT) xssRecordId = recordId;
      if (outputText === SPAN_OUTPUT) {
        spanRecordId = recordId;
        spans.set(recordId, SPANS);
      }
      last = { receipt, signature };
    }
    await store.acceptEntries(batch);
    if (last === undefined) throw new Error("serve needs at least one output");
    return last;
  };
  const redeem = async ({ receipt, signature }: { receipt: Receipt; signature: Hex }) =>
    (await settlement.connect(actors.operator).redeem(receipt, signature)).wait();

  await redeem(await serve(1, ["A plain answer.", SPAN_OUTPUT, XSS_OUTPUT]));
  await redeem(await serve(1, ["Another answer.", "A fifth answer."]));
  const firstEpoch = await settlement.currentEpoch();
  await networkHelpers.time.increaseTo((await settlement.epochEnd(firstEpoch)) + 1n);
  await redeem(await serve(2, ["Lane two, one.", "Lane two, two.", "Lane two, three.", "Lane two, four."]));

  // The first epoch is over: the node posts its pool's root (70 % alice, 30 % bob), then alice claims after the window.
  const pool = await settlement.getPool(node, 1n, firstEpoch);
  const leaves = divideLargestRemainder(
    pool.amount,
    new Map([
      [1n, 7n],
      [2n, 3n],
    ]),
  );
  const tree = buildAttributionTree(leaves);
  const { minRootBond, challengeWindow } = await settlement.getParams();
  await (await token.connect(actors.operator).approve(deployment.contracts.settlement, minRootBond)).wait();
  const firstLaneIds = [...entries.entries()].filter(([, e]) => e.receipt.lane === 1).map(([id]) => id);
  await (
    await settlement
      .connect(actors.operator)
      .postAttributionRoot(node, 1n, firstEpoch, tree.root, tree.total, getRecordsRoot(firstLaneIds), minRootBond)
  ).wait();
  await networkHelpers.time.increase(challengeWindow + 1n);
  const aliceLeaf = leaves.find((l) => l.datasetId === 1n);
  if (aliceLeaf === undefined) throw new Error("alice has no leaf");
  await (
    await settlement.connect(actors.alice).claim([
      {
        node,
        versionId: 1n,
        epoch: firstEpoch,
        datasetId: 1n,
        amount: aliceLeaf.amount,
        expectedRoot: tree.root,
        proof: getAttributionProof(leaves, 1n),
      },
    ])
  ).wait();

  const client = createPublicClient({ transport: custom(connection.provider) }) as PublicClient;
  const source = new ExplorerSource(
    { deployment },
    { client, records: storeRecordSource(store, async ({ recordId }) => spans.get(recordId)) },
  );
  if (xssRecordId === undefined || spanRecordId === undefined) throw new Error("the fixture lost its records");
  return {
    connection,
    tour,
    client,
    domain,
    store,
    source,
    payer,
    entries,
    xssRecordId,
    spanRecordId,
    collected: [3n * VALUE, 2n * VALUE, 4n * VALUE],
    epochs: [firstEpoch, firstEpoch + 1n],
    claimedByAlice: aliceLeaf.amount,
    async close() {
      await source.close();
      await store.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
