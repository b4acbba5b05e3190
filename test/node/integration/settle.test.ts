import { rmSync } from "node:fs";
import { expect } from "chai";
import { network } from "hardhat";
import { type Hex, keccak256, parseEventLogs, toHex, zeroHash } from "viem";
import { AttributionIndex, attribute } from "../../../node/src/attribution/index.js";
import { arbiterAbi, openTokenAbi, paymentEscrowAbi, settlementAbi } from "../../../node/src/chain/abi/index.js";
import {
  buildAttributionTree,
  contributorsProof,
  decodeAttributionMessage,
  getAttributionProof,
  getLaneId,
  getPoolId,
  getRecordsRoot,
  type SettlementDomain,
} from "../../../node/src/protocol/index.js";
import {
  Auditor,
  auditPool,
  CheckedShares,
  computePoolAttribution,
  EpochPoster,
  gatherPool,
  PostedRoots,
  PostedState,
  Redeemer,
  SettleService,
  type TxSender,
} from "../../../node/src/settle/index.js";
import { Store } from "../../../node/src/store/index.js";
import {
  buildSettleWorld,
  CrashAfterSendTxSender,
  depositFor,
  indexReceipts,
  LaneSigner,
  OPEN,
  PRICE,
  type RequestSpec,
  type SettleWorld,
  tempDir,
  WalletTxSender,
} from "./settleHelpers.js";

const conn = await network.create();
const { networkHelpers } = conn;

const dirs: string[] = [];
const stores: Store[] = [];
function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** The store's clock, moved by the tests (lane ages). */
let now = 1_700_000_000_000;

async function openStore(domain: SettlementDomain): Promise<Store> {
  const store = await Store.open({ dir: dir("olp-settle-store-"), domain }, { clock: () => now });
  stores.push(store);
  return store;
}

async function world(): Promise<SettleWorld> {
  const w = await networkHelpers.loadFixture(async function settleWorld() {
    return buildSettleWorld(conn);
  });
  // Each test's senders start empty (the fixture's is shared across snapshots).
  return { ...w, operatorSender: new WalletTxSender(w.operatorWallet, w.reader) };
}

async function readLane(w: SettleWorld, lane: number) {
  return w.reader.readContract({
    address: w.deployment.contracts.settlement,
    abi: settlementAbi,
    functionName: "getLane",
    args: [w.payerAccount.address, w.node, 1n, lane],
  });
}

async function balanceOf(w: SettleWorld, who: Hex): Promise<bigint> {
  return w.reader.readContract({
    address: w.deployment.contracts.openToken,
    abi: openTokenAbi,
    functionName: "balanceOf",
    args: [who],
  });
}

/** The custom error name a rejected viem call carries. */
async function revertName(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    let cause: unknown = err;
    while (cause !== undefined && cause !== null) {
      const data = (cause as { data?: { errorName?: string } }).data;
      if (data?.errorName !== undefined) return data.errorName;
      cause = (cause as { cause?: unknown }).cause;
    }
    return "unknown";
  }
  return undefined;
}

function redeemerOf(w: SettleWorld, store: Store, sender: TxSender = w.operatorSender, minValue = PRICE) {
  return new Redeemer(
    {
      node: w.node,
      settlement: w.deployment.contracts.settlement,
      paymentEscrow: w.deployment.contracts.paymentEscrow,
      minValue,
      maxAgeMs: 60_000,
    },
    { store, reader: w.reader, txSender: sender, clock: () => now },
  );
}

/** Signs and stores one request per spec on `lane`, in every store (the auditor's got them by gossip). */
async function serve(signer: LaneSigner, targets: readonly Store[], specs: readonly RequestSpec[]) {
  const entries = [];
  for (const spec of specs) entries.push(await signer.next(spec));
  for (const store of targets) await store.acceptEntries(entries);
  return entries;
}

/** Moves the chain past the end of `epoch`. */
async function endEpoch(w: SettleWorld, epoch: bigint): Promise<void> {
  const end = await w.reader.readContract({
    address: w.deployment.contracts.settlement,
    abi: settlementAbi,
    functionName: "epochEnd",
    args: [epoch],
  });
  await networkHelpers.time.increaseTo(end);
}

async function currentEpoch(w: SettleWorld): Promise<bigint> {
  return w.reader.readContract({
    address: w.deployment.contracts.settlement,
    abi: settlementAbi,
    functionName: "currentEpoch",
  });
}

function serviceOf(
  w: SettleWorld,
  store: Store,
  overrides: Partial<ConstructorParameters<typeof SettleService>[0]> = {},
) {
  return new SettleService(
    {
      node: w.node,
      operator: w.operatorAccount.address,
      contracts: w.deployment.contracts,
      deployBlock: w.deployment.deployBlock,
      dataDir: dir("olp-settle-data-"),
      redeemValueWei: PRICE,
      redeemAgeSeconds: 60,
      postEpochs: true,
      withdrawMinWei: 1n,
      ...overrides,
    },
    { store, reader: w.reader, txSender: w.operatorSender, trainingShares: w.trainingShares, clock: () => now },
  );
}

/**
 * An independent recomputation of DESIGN §6 for the test's pools: per redemption, weights Σ value × ppm over the
 * records it first covered (private ones by the training shares), largest remainder written out here again.
 */
function recompute(
  w: SettleWorld,
  redemptions: { datasetsPart: bigint; covered: { value: bigint; spec: RequestSpec }[] }[],
): Map<bigint, bigint> {
  const amounts = new Map<bigint, bigint>();
  for (const { datasetsPart, covered } of redemptions) {
    const weights = new Map<bigint, bigint>();
    for (const { value, spec } of covered) {
      const ids = spec.isPrivate ? w.shares.map((s) => s.datasetId) : spec.datasetIds;
      const ppm = spec.isPrivate ? w.shares.map((s) => s.weightPpm) : spec.weightsPpm;
      ids.forEach((id, i) => {
        weights.set(id, (weights.get(id) ?? 0n) + value * BigInt(ppm[i] ?? 0));
      });
    }
    const sum = [...weights.values()].reduce((a, b) => a + b, 0n);
    const rows = [...weights.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, weight]) => ({ id, amount: (datasetsPart * weight) / sum, rest: (datasetsPart * weight) % sum }));
    let left = datasetsPart - rows.reduce((a, r) => a + r.amount, 0n);
    for (const row of [...rows].sort((a, b) =>
      a.rest === b.rest ? (a.id < b.id ? -1 : 1) : a.rest > b.rest ? -1 : 1,
    )) {
      if (left === 0n) break;
      row.amount += 1n;
      left -= 1n;
    }
    for (const row of rows) amounts.set(row.id, (amounts.get(row.id) ?? 0n) + row.amount);
  }
  return amounts;
}

const ALICE_ONLY = (w: SettleWorld): RequestSpec => ({ datasetIds: [w.datasets.alice], weightsPpm: [1_000_000] });
const BOB_ONLY = (w: SettleWorld): RequestSpec => ({ datasetIds: [w.datasets.bob], weightsPpm: [1_000_000] });
const MIXED = (w: SettleWorld): RequestSpec => ({
  datasetIds: [w.datasets.alice, w.datasets.bob],
  weightsPpm: [300_000, 700_000],
});

describe("settle on Hardhat's EVM (redeem, epoch roots, claims, audit, challenge, withdraw)", function () {
  this.timeout(60_000);

  after(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("redeems the lanes past the value or age threshold once, in one redeemMany, and marks them", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    const old = new LaneSigner(w, 1);
    await serve(old, [store], [ALICE_ONLY(w)]); // below the value, but it will be old
    now += 61_000;
    const rich = new LaneSigner(w, 0);
    await serve(rich, [store], [ALICE_ONLY(w), ALICE_ONLY(w), ALICE_ONLY(w)]); // 3 × PRICE: at the value threshold
    const fresh = new LaneSigner(w, 2);
    await serve(fresh, [store], [ALICE_ONLY(w)]); // neither

    const redeemer = redeemerOf(w, store, w.operatorSender, 3n * PRICE);
    const first = await redeemer.tick();
    expect(first.redeemed.map((r) => r.laneId).sort()).to.deep.equal(
      [getLaneId(w.payerAccount.address, w.node, 1n, 0), getLaneId(w.payerAccount.address, w.node, 1n, 1)].sort(),
    );
    expect(w.operatorSender.sent).to.deep.equal(["redeemMany"]);
    expect((await readLane(w, 0)).collected).to.equal(3n * PRICE);
    expect((await readLane(w, 1)).collected).to.equal(PRICE);
    expect((await readLane(w, 2)).collected).to.equal(0n);
    const lane0 = await store.getLane(getLaneId(w.payerAccount.address, w.node, 1n, 0));
    expect(lane0?.collected).to.equal(3n * PRICE);
    expect(lane0?.lastRedeemedSeq).to.equal(3n);

    const second = await redeemer.tick();
    expect(second.redeemed).to.deep.equal([]);
    expect(w.operatorSender.sent).to.deep.equal(["redeemMany"]);
  });

  it("runs its ticks on its own once started, and stops when the signal aborts", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    await serve(new LaneSigner(w, 0), [store], [ALICE_ONLY(w)]);
    const service = serviceOf(w, store, { tickIntervalMs: 10 });
    const controller = new AbortController();
    service.start(controller.signal);
    const laneId = getLaneId(w.payerAccount.address, w.node, 1n, 0);
    for (let i = 0; i < 500 && (await store.getLane(laneId))?.collected !== PRICE; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await store.getLane(laneId))?.collected).to.equal(PRICE);
    controller.abort();
    await service.close();
    let code: string | undefined;
    await service.tick().catch((err: { type?: { code?: string } }) => {
      code = err.type?.code;
    });
    expect(code).to.equal("SETTLE_ERROR_CLOSED");
  });

  it("redeems lane by lane when a batch fails, so a receipt the chain refuses blocks no other lane, and waits before retrying it", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    await serve(new LaneSigner(w, 0), [store], [ALICE_ONLY(w)]);
    await serve(new LaneSigner(w, 1, w.auditorAccount), [store], [ALICE_ONLY(w)]); // not the payer's signer
    const redeemer = redeemerOf(w, store);
    const result = await redeemer.tick();
    expect(result.redeemed.map((r) => r.laneId)).to.deep.equal([getLaneId(w.payerAccount.address, w.node, 1n, 0)]);
    expect(result.failed).to.deep.equal([getLaneId(w.payerAccount.address, w.node, 1n, 1)]);
    expect((await readLane(w, 0)).collected).to.equal(PRICE);
    expect((await readLane(w, 1)).collected).to.equal(0n);
    const again = await redeemer.tick();
    expect([again.redeemed, again.failed, again.skipped]).to.deep.equal([
      [],
      [],
      [getLaneId(w.payerAccount.address, w.node, 1n, 1)],
    ]);
  });

  it("after a crash between the mined redemption and its mark, a fresh redeemer marks the lane and never pays twice (THREATS #3)", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    const signer = new LaneSigner(w, 0);
    await serve(signer, [store], [ALICE_ONLY(w), ALICE_ONLY(w)]);
    const escrowBefore = await w.reader.readContract({
      address: w.deployment.contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      functionName: "accountOf",
      args: [w.payerAccount.address, w.node],
    });

    const crashing = redeemerOf(w, store, new CrashAfterSendTxSender(w.operatorSender));
    const crashed = await crashing.tick();
    expect(crashed.redeemed).to.deep.equal([]);
    expect(crashed.failed).to.have.length(1);
    expect((await readLane(w, 0)).collected).to.equal(2n * PRICE); // mined
    const laneId = getLaneId(w.payerAccount.address, w.node, 1n, 0);
    expect((await store.getLane(laneId))?.collected).to.equal(0n); // not marked

    const restarted = redeemerOf(w, store);
    const after = await restarted.tick();
    expect(after.alreadyRedeemed).to.deep.equal([laneId]);
    expect(after.redeemed).to.deep.equal([]);
    expect(w.operatorSender.sent).to.deep.equal(["redeem"]); // only the crashed one
    expect((await store.getLane(laneId))?.collected).to.equal(2n * PRICE);

    // The lane is not lost: the next receipt is redeemed for its delta only.
    await serve(signer, [store], [ALICE_ONLY(w)]);
    const next = await restarted.tick();
    expect(next.redeemed.map((r) => [r.laneId, r.collected])).to.deep.equal([[laneId, PRICE]]);
    const last = w.operatorSender.receipts.at(-1);
    const [event] = parseEventLogs({ abi: settlementAbi, logs: last?.logs ?? [], eventName: "Redeemed" });
    expect([event?.args.fromSeq, event?.args.toSeq]).to.deep.equal([2n, 3n]);
    const escrowAfter = await w.reader.readContract({
      address: w.deployment.contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      functionName: "accountOf",
      args: [w.payerAccount.address, w.node],
    });
    expect(escrowBefore.balance - escrowAfter.balance).to.equal(3n * PRICE);
  });

  it("posts the epoch root an independent recomputation gives; owners claim against it; the bond comes back; credits are withdrawn", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    const auditorStore = await openStore(w.domain);
    // A third node that got the records by gossip but whose indexer has not written the redemptions yet.
    const unindexed = await openStore(w.domain);
    const both = [store, auditorStore, unindexed];
    const epoch = await currentEpoch(w);
    const lane0 = new LaneSigner(w, 0);
    const lane1 = new LaneSigner(w, 1);
    const specs0 = [ALICE_ONLY(w), MIXED(w), { ...MIXED(w), isPrivate: true }];
    await serve(lane0, both, specs0);
    await serve(lane1, both, [BOB_ONLY(w)]);
    const service = serviceOf(w, store);
    const operatorStart = await balanceOf(w, w.operatorAccount.address);
    let withdrawn = 0n;
    const first = await service.tick();
    withdrawn += first.post.withdrawn;
    expect(first.redeem.redeemed).to.have.length(2);
    await serve(lane0, both, [BOB_ONLY(w)]);
    const second = await service.tick();
    withdrawn += second.post.withdrawn;
    expect(second.redeem.redeemed).to.have.length(1);
    await indexReceipts(w, [store, auditorStore], w.operatorSender.receipts);
    expect(await currentEpoch(w)).to.equal(epoch);

    await endEpoch(w, epoch);
    const posting = await service.tick();
    withdrawn += posting.post.withdrawn;
    expect(posting.post.failed).to.deep.equal([]);
    expect(posting.post.posted).to.have.length(1);
    const [posted] = posting.post.posted;
    if (posted === undefined) throw new Error("expected a posted root");

    // The redemptions, in chain order: redeemMany (lane 0 seqs 1–3, lane 1 seq 1), then lane 0 seq 4.
    const part = (collected: bigint) => (collected * 3_500n) / 10_000n;
    const expected = recompute(w, [
      { datasetsPart: part(3n * PRICE), covered: specs0.map((spec) => ({ value: PRICE, spec })) },
      { datasetsPart: part(PRICE), covered: [{ value: PRICE, spec: BOB_ONLY(w) }] },
      { datasetsPart: part(PRICE), covered: [{ value: PRICE, spec: BOB_ONLY(w) }] },
    ]);
    const leaves = [...expected].map(([datasetId, amount]) => ({ datasetId, amount }));
    const tree = buildAttributionTree(leaves);
    const pool = await w.reader.readContract({
      address: w.deployment.contracts.settlement,
      abi: settlementAbi,
      functionName: "getPool",
      args: [w.node, 1n, epoch],
    });
    expect(pool.root).to.equal(tree.root);
    expect(tree.total).to.equal(pool.amount);
    expect(posted.message.leaves).to.deep.equal(tree.leaves);
    // Every record counted, the private one included; the payload is the gossip message, byte for byte.
    expect(posted.message.recordIds).to.have.length(5);
    expect(posted.message.recordsRoot).to.equal(getRecordsRoot([...posted.message.recordIds]));
    expect(decodeAttributionMessage(posted.payload)).to.deep.equal(posted.message);
    expect(posted.source).to.equal("store");
    const onDisk = await (await service.getPostedRoots()).get(w.node, 1n, epoch);
    expect(onDisk?.root).to.equal(tree.root);
    const postedEvents = parseEventLogs({
      abi: settlementAbi,
      logs: w.operatorSender.receipts.at(-1)?.logs ?? [],
      eventName: "AttributionRootPosted",
    });
    expect(postedEvents[0]?.args.recordsRoot).to.equal(posted.message.recordsRoot);

    // An honest root: the auditor recomputes the same tree and challenges nothing.
    await indexReceipts(w, [auditorStore], w.operatorSender.receipts.slice(-1));
    const shares = new CheckedShares(w.deployment.contracts.adapterRegistry, {
      reader: w.reader,
      trainingShares: w.trainingShares,
    });
    const report = await auditPool(
      { store: auditorStore, reader: w.reader, shares },
      { settlement: w.deployment.contracts.settlement, deployBlock: w.deployment.deployBlock, posted: posted.message },
      { node: w.node, versionId: 1n, epoch },
    );
    expect(report.match).to.equal(true);
    expect(report.expectedRoot).to.equal(tree.root);
    expect(report.leavesPosted).to.deep.equal(report.leavesExpected);
    expect(report.postedRecordsRoot).to.equal(report.expectedRecordsRoot);
    expect(report.perDataset.map((d) => d.amount)).to.deep.equal(tree.leaves.map((l) => l.amount));
    expect(report.perDataset.reduce((sum, d) => sum + d.share, 0)).to.be.within(999_998, 1_000_000);

    // Without the indexer's redemptions the auditor reads the epoch's Redeemed logs and gets the same root.
    const fromLogs = await auditPool(
      { store: unindexed, reader: w.reader, shares },
      { settlement: w.deployment.contracts.settlement, deployBlock: w.deployment.deployBlock },
      { node: w.node, versionId: 1n, epoch },
    );
    expect([fromLogs.source, fromLogs.match, fromLogs.expectedRoot]).to.deep.equal(["logs", true, tree.root]);

    // DESIGN §8: weights are recomputed, not trusted. Say the version's corpus holds every answer above word for word
    // in bob's dataset: the records that credit alice are then wrong, the auditor weighs them by the recomputed
    // attribution, and the same posted root no longer matches (a node inflating its own dataset gets challenged).
    const answers = [...new Set(posted.message.recordIds)].length;
    const index = AttributionIndex.build({
      versionId: 1n,
      samples: [
        ...Array.from({ length: 4 }, (_, seq) => ({
          datasetId: w.datasets.bob,
          sampleHash: keccak256(toHex(`bob ${seq}`)),
          text: `answer 0/${seq + 1}`,
        })),
        { datasetId: w.datasets.alice, sampleHash: keccak256(toHex("alice")), text: "something else entirely" },
        { datasetId: w.datasets.bob, sampleHash: keccak256(toHex("bob lane 1")), text: "answer 1/1" },
      ],
      trainingShares: w.shares,
      minSpan: 2,
      checkSampleHashes: false,
    });
    const recomputed = await auditPool(
      { store: auditorStore, reader: w.reader, shares, recompute: async (_v, text) => attribute(index, text) },
      { settlement: w.deployment.contracts.settlement, deployBlock: w.deployment.deployBlock },
      { node: w.node, versionId: 1n, epoch },
    );
    expect(answers).to.equal(5);
    // Every public record differs: bob holds all their text, and §8 gives 90% to spans, 10% to the training shares.
    expect(recomputed.reweighted).to.equal(4);
    expect(recomputed.match).to.equal(false);
    const bob = (r: typeof recomputed) => r.perDataset.find((d) => d.datasetId === w.datasets.bob)?.amount ?? 0n;
    expect(bob(recomputed) > bob(report)).to.equal(true);

    // After the window the owners claim their leaves; a second claim pays nothing (THREATS #34).
    await networkHelpers.time.increaseTo(pool.challengeEnd);
    for (const [name, datasetId] of [
      ["alice", w.datasets.alice],
      ["bob", w.datasets.bob],
    ] as const) {
      const owner = w.owners[name];
      const amount = expected.get(datasetId) ?? 0n;
      const claim = {
        node: w.node,
        versionId: 1n,
        epoch,
        datasetId,
        amount,
        expectedRoot: tree.root,
        proof: getAttributionProof(tree.leaves, datasetId),
      };
      const before = await balanceOf(w, owner.address as Hex);
      await w.protocol.settlement.connect(owner).claim([claim]);
      expect((await balanceOf(w, owner.address as Hex)) - before).to.equal(amount);
      expect(
        await revertName(
          w.reader.simulateContract({
            account: owner.address as Hex,
            address: w.deployment.contracts.settlement,
            abi: settlementAbi,
            functionName: "claim",
            args: [[claim]],
          }),
        ),
      ).to.equal("SettlementAlreadyClaimed");
    }

    // The root is final: the bond is released, and every credit (node parts + bond) is withdrawn to the operator.
    const final = await service.tick();
    withdrawn += final.post.withdrawn;
    expect(final.post.released).to.deep.equal([{ node: w.node, versionId: 1n, epoch }]);
    const nodeParts = (5n * PRICE * 4_000n) / 10_000n;
    expect(withdrawn).to.equal(nodeParts + pool.bond);
    expect(await balanceOf(w, w.operatorAccount.address)).to.equal(operatorStart + nodeParts);
    expect(
      await w.reader.readContract({
        address: w.deployment.contracts.settlement,
        abi: settlementAbi,
        functionName: "creditsOf",
        args: [w.operatorAccount.address],
      }),
    ).to.equal(0n);
    const again = await service.tick();
    expect([again.post.released, again.post.withdrawn, again.post.posted]).to.deep.equal([[], 0n, []]);
    await service.close();
  });

  it("detects a poster that inflated one dataset, challenges it, and the upheld ruling slashes the bond and falls back to the contributors root", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    const auditorStore = await openStore(w.domain);
    const both = [store, auditorStore];
    const epoch = await currentEpoch(w);
    const lane0 = new LaneSigner(w, 0);
    await serve(lane0, both, [BOB_ONLY(w), BOB_ONLY(w), MIXED(w)]);
    await redeemerOf(w, store).tick();
    await indexReceipts(w, both, w.operatorSender.receipts);
    await endEpoch(w, epoch);

    // The dishonest node posts a root that moves part of bob's amount to alice (same total: the contract accepts it).
    const key = { node: w.node, versionId: 1n, epoch };
    const readOpts = { settlement: w.deployment.contracts.settlement, deployBlock: w.deployment.deployBlock };
    const gathered = await gatherPool({ store, reader: w.reader }, readOpts, key);
    const honest = computePoolAttribution(gathered.redemptions, w.shares).tree;
    const shift = (honest.leaves.find((l) => l.datasetId === w.datasets.bob)?.amount ?? 0n) / 2n;
    const inflated = buildAttributionTree(
      honest.leaves.map((l) => ({
        ...l,
        amount: l.datasetId === w.datasets.alice ? l.amount + shift : l.amount - shift,
      })),
    );
    expect(inflated.total).to.equal(honest.total);
    const { settlement, openToken, arbiter } = w.deployment.contracts;
    const postedRoots = await PostedRoots.open(dir("olp-settle-posted-"));
    await postedRoots.put({
      node: w.node,
      versionId: 1n,
      epoch,
      root: inflated.root,
      leaves: inflated.leaves,
      recordsRoot: zeroHash,
      recordIds: [],
    });
    await w.operatorSender.send({
      label: "approve",
      address: openToken,
      abi: openTokenAbi,
      functionName: "approve",
      args: [settlement, 100n * OPEN],
    });
    await w.operatorSender.send({
      label: "postAttributionRoot",
      address: settlement,
      abi: settlementAbi,
      functionName: "postAttributionRoot",
      args: [w.node, 1n, epoch, inflated.root, inflated.total, zeroHash, 100n * OPEN],
    });
    await indexReceipts(w, [auditorStore], w.operatorSender.receipts.slice(-1));

    // The auditor (another node, its own store fed by gossip and its indexer) finds it and challenges.
    const auditorSender = new WalletTxSender(w.auditorWallet, w.reader);
    const auditor = new Auditor(
      { ...readOpts, challenger: w.auditorAccount.address, arbiter, openToken },
      {
        store: auditorStore,
        reader: w.reader,
        txSender: auditorSender,
        shares: new CheckedShares(w.deployment.contracts.adapterRegistry, {
          reader: w.reader,
          trainingShares: w.trainingShares,
        }),
      },
    );
    const outcomes = await auditor.tick();
    expect(outcomes).to.have.length(1);
    const [outcome] = outcomes;
    expect(outcome?.report.match).to.equal(false);
    expect(outcome?.report.postedRoot).to.equal(inflated.root);
    expect(outcome?.report.expectedRoot).to.equal(honest.root);
    expect(outcome?.report.complete).to.equal(true);
    const challenge = outcome?.challenge;
    if (challenge === undefined) throw new Error("expected a challenge");
    expect(challenge.poolId).to.equal(getPoolId(w.node, 1n, epoch));
    expect(auditorSender.sent).to.deep.equal(["approve", "openChallenge"]);
    const [opened] = parseEventLogs({
      abi: arbiterAbi,
      logs: auditorSender.receipts.at(-1)?.logs ?? [],
      eventName: "ChallengeOpened",
    });
    expect(opened?.args.subject).to.equal(settlement);
    expect(opened?.args.evidence).to.equal(honest.root);
    expect(await auditor.tick()).to.deep.equal([]); // audited once

    // Verifiers re-run the recomputation, vote upheld, and the ruling falls back.
    const salt = (i: number) => `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
    for (const [i, verifier] of w.verifiers.entries()) {
      const commitment = conn.ethers.keccak256(
        conn.ethers.AbiCoder.defaultAbiCoder().encode(
          ["uint256", "address", "bool", "bytes32"],
          [challenge.challengeId, verifier.address, true, salt(i)],
        ),
      );
      await w.protocol.arbiter.connect(verifier).commitVote(challenge.challengeId, commitment);
    }
    const c = await w.protocol.arbiter.getChallenge(challenge.challengeId);
    await networkHelpers.time.increaseTo(c.commitDeadline + 1n);
    for (const [i, verifier] of w.verifiers.entries()) {
      await w.protocol.arbiter.connect(verifier).revealVote(challenge.challengeId, true, salt(i));
    }
    await networkHelpers.time.increaseTo(c.revealDeadline + 1n);
    await w.protocol.arbiter.resolve(challenge.challengeId);
    const pool = await w.reader.readContract({
      address: settlement,
      abi: settlementAbi,
      functionName: "getPool",
      args: [w.node, 1n, epoch],
    });
    expect([pool.fellBack, pool.bond]).to.deep.equal([true, 0n]);
    expect(await w.protocol.arbiter.credits(w.auditorAccount.address)).to.be.greaterThan(challenge.bond);

    // The poster's service sees the rejection: nothing to release, the root is final, no transaction.
    const sentBefore = w.operatorSender.sent.length;
    const poster = new EpochPoster(
      { node: w.node, operator: w.operatorAccount.address, settlement, openToken, deployBlock: 0n, postEpochs: false },
      {
        store,
        reader: w.reader,
        txSender: w.operatorSender,
        postedRoots,
        shares: new CheckedShares(w.deployment.contracts.adapterRegistry, {
          reader: w.reader,
          trainingShares: w.trainingShares,
        }),
      },
    );
    const afterRuling = await poster.tick();
    expect([afterRuling.released, afterRuling.failed, afterRuling.withdrawn]).to.deep.equal([[], [], 0n]);
    expect((await postedRoots.list(PostedState.FINAL, 10)).map((p) => p.epoch)).to.deep.equal([epoch]);
    expect(w.operatorSender.sent.length).to.equal(sentBefore);

    // Claims against the rejected root are refused; alice is paid her training share of the pool instead.
    expect(
      await revertName(
        w.reader.simulateContract({
          account: w.owners.alice.address as Hex,
          address: settlement,
          abi: settlementAbi,
          functionName: "claim",
          args: [
            [
              {
                node: w.node,
                versionId: 1n,
                epoch,
                datasetId: w.datasets.alice,
                amount: inflated.leaves[0]?.amount ?? 0n,
                expectedRoot: inflated.root,
                proof: getAttributionProof(inflated.leaves, w.datasets.alice),
              },
            ],
          ],
        }),
      ),
    ).to.equal("SettlementInvalidPoolStatus");
    const before = await balanceOf(w, w.owners.alice.address as Hex);
    await w.protocol.settlement.connect(w.owners.alice).claimFallback([
      {
        node: w.node,
        versionId: 1n,
        epoch,
        datasetId: w.datasets.alice,
        weightPpm: 600_000,
        proof: contributorsProof(w.shares, w.datasets.alice),
      },
    ]);
    expect((await balanceOf(w, w.owners.alice.address as Hex)) - before).to.equal(
      (pool.amount * 600_000n) / 1_000_000n,
    );
  });

  it("audits in auditor mode through the service without challenging an honest root; refuses to post with shares that are not the version's; a closed service refuses to tick", async () => {
    const w = await world();
    await depositFor(w, 10n * OPEN);
    const store = await openStore(w.domain);
    const auditorStore = await openStore(w.domain);
    const epoch = await currentEpoch(w);
    await serve(new LaneSigner(w, 0), [store, auditorStore], [ALICE_ONLY(w), BOB_ONLY(w)]);
    const honestService = serviceOf(w, store);
    await honestService.tick();
    await indexReceipts(w, [store, auditorStore], w.operatorSender.receipts);
    await endEpoch(w, epoch);
    // A poster whose training shares are not its version's would post a root no claim matches: refused before sending.
    const liar = new SettleService(
      {
        node: w.node,
        operator: w.operatorAccount.address,
        contracts: w.deployment.contracts,
        deployBlock: w.deployment.deployBlock,
        dataDir: dir("olp-settle-liar-"),
        redeemValueWei: PRICE,
        redeemAgeSeconds: 60,
        postEpochs: true,
      },
      {
        store,
        reader: w.reader,
        txSender: w.operatorSender,
        trainingShares: { getTrainingShares: async () => [{ datasetId: w.datasets.alice, weightPpm: 1_000_000 }] },
      },
    );
    const refused = await liar.tick();
    expect(refused.post.posted).to.deep.equal([]);
    const failure = refused.post.failed[0]?.error as { type?: { code?: string } } | undefined;
    expect(failure?.type?.code).to.equal("SETTLE_ERROR_SHARES_MISMATCH");
    const sentBefore = w.operatorSender.sent.length;
    const posted = await honestService.tick();
    expect(posted.post.posted).to.have.length(1);
    expect(w.operatorSender.sent.slice(sentBefore)).to.deep.equal(["approve", "postAttributionRoot"]);
    await indexReceipts(w, [auditorStore], w.operatorSender.receipts.slice(-1));

    const auditorService = new SettleService(
      {
        node: w.auditorAccount.address,
        operator: w.auditorAccount.address,
        contracts: w.deployment.contracts,
        deployBlock: w.deployment.deployBlock,
        dataDir: dir("olp-settle-auditor-"),
        redeemValueWei: PRICE,
        redeemAgeSeconds: 60,
        postEpochs: true,
        auditor: { enabled: true },
      },
      {
        store: auditorStore,
        reader: w.reader,
        txSender: new WalletTxSender(w.auditorWallet, w.reader),
        trainingShares: w.trainingShares,
      },
    );
    const audited = await auditorService.tick();
    expect(audited.audit).to.have.length(1);
    expect(audited.audit[0]?.report.match).to.equal(true);
    expect(audited.audit[0]?.challenge).to.equal(undefined);
    await auditorService.close();
    await honestService.close();
    await liar.close();
    let closedCode: string | undefined;
    await honestService.tick().catch((err: { type?: { code?: string } }) => {
      closedCode = err.type?.code;
    });
    expect(closedCode).to.equal("SETTLE_ERROR_CLOSED");
  });
});
