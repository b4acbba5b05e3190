import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import { type Address, formatUnits, type Hex, hexToBytes, keccak256, toHex, zeroHash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { AttributionIndex, saveIndex } from "../../../node/src/attribution/index.js";
import { nodeRegistryAbi, openTokenAbi, paymentEscrowAbi, settlementAbi } from "../../../node/src/chain/abi/index.js";
import { writeDeployment } from "../../../node/src/chain/index.js";
import { attributionMessagePath, runCli } from "../../../node/src/cli/index.js";
import { generatePeerKey, writeOperatorKeyFile, writePeerKeyFile } from "../../../node/src/config/index.js";
import {
  buildAttributionTree,
  type Entry,
  encodeAttributionMessage,
  getInferenceRecordDigest,
} from "../../../node/src/protocol/index.js";
import { computePoolAttribution, gatherPool, PostedRoots, SettleService } from "../../../node/src/settle/index.js";
import { Store } from "../../../node/src/store/index.js";
import { HARDHAT_KEYS, RpcServer } from "./chainHelpers.js";
import {
  buildSettleWorld,
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
function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

type Run = { code: number; stdout: string; stderr: string };

/** One `olnode` run through the real entry, against the chain served over HTTP. */
async function olnode(env: Record<string, string>, ...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (c: string) => (stdout += c) },
    stderr: { write: (c: string) => (stderr += c) },
    env,
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

async function keyFile(privateKey: Hex): Promise<string> {
  const path = join(dir("olp-cli-key-"), "key.json");
  await writeOperatorKeyFile(path, { address: privateKeyToAccount(privateKey).address, privateKey });
  return path;
}

type Fixture = { w: SettleWorld; env: Record<string, string>; rpc: RpcServer };

async function fixture(): Promise<Fixture> {
  const w = await networkHelpers.loadFixture(async function cliWorld() {
    return buildSettleWorld(conn);
  });
  const rpc = new RpcServer(conn.provider as never);
  await rpc.open();
  servers.push(rpc);
  const home = dir("olp-cli-home-");
  await writeDeployment(join(home, "deployment.json"), w.deployment);
  const peerKeyFile = join(home, "peer.json");
  await writePeerKeyFile(peerKeyFile, await generatePeerKey());
  const env = {
    OLNODE_CHAIN_RPC_URL: rpc.url,
    OLNODE_CHAIN_DEPLOYMENT_FILE: join(home, "deployment.json"),
    OLNODE_KEYS_OPERATOR_KEY_FILE: await keyFile(keccak256(toHex("settle test: operator"))),
    OLNODE_P2P_PEER_KEY_FILE: peerKeyFile,
    OLNODE_STORE_DIR: join(home, "store"),
  };
  return { w: { ...w, operatorSender: new WalletTxSender(w.operatorWallet, w.reader) }, env, rpc };
}
const servers: RpcServer[] = [];

async function read<T>(w: SettleWorld, address: Address, abi: unknown, functionName: string, args: unknown[] = []) {
  return (await w.reader.readContract({ address, abi: abi as never, functionName, args } as never)) as T;
}

const ALICE_ONLY = (w: SettleWorld): RequestSpec => ({ datasetIds: [w.datasets.alice], weightsPpm: [1_000_000] });
const BOB_ONLY = (w: SettleWorld): RequestSpec => ({ datasetIds: [w.datasets.bob], weightsPpm: [1_000_000] });
const AS_SHARES = (w: SettleWorld): RequestSpec => ({
  datasetIds: w.shares.map((s) => s.datasetId),
  weightsPpm: w.shares.map((s) => s.weightPpm),
});
const MIXED = (w: SettleWorld): RequestSpec => ({
  datasetIds: [w.datasets.alice, w.datasets.bob],
  weightsPpm: [300_000, 700_000],
});

/**
 * An epoch of two lanes served by the node and gossiped to an auditor's store, redeemed, indexed, ended; returns the
 * stores (closed: the CLI opens the auditor's) and the node's settle service, which posts the root on its next tick.
 */
async function liveEpoch(w: SettleWorld) {
  await depositFor(w, 10n * OPEN);
  const storeDir = dir("olp-cli-node-store-");
  const auditorDir = dir("olp-cli-auditor-store-");
  const store = await Store.open({ dir: storeDir, domain: w.domain });
  const auditorStore = await Store.open({ dir: auditorDir, domain: w.domain });
  const epoch = await read<bigint>(w, w.deployment.contracts.settlement, settlementAbi, "currentEpoch");
  // Seq 2 is signed with the training shares: what attribution gives an output that matches no span.
  const specs = [ALICE_ONLY(w), AS_SHARES(w), BOB_ONLY(w), { ...MIXED(w), isPrivate: true }];
  const lane = new LaneSigner(w, 0);
  const entries = [];
  for (const spec of specs) entries.push(await lane.next(spec));
  for (const s of [store, auditorStore]) await s.acceptEntries(entries);
  const dataDir = dir("olp-cli-settle-");
  const service = new SettleService(
    {
      node: w.node,
      operator: w.operatorAccount.address,
      contracts: w.deployment.contracts,
      deployBlock: w.deployment.deployBlock,
      dataDir,
      redeemValueWei: PRICE,
      redeemAgeSeconds: 60,
      postEpochs: true,
      withdrawMinWei: 1n,
    },
    { store, reader: w.reader, txSender: w.operatorSender, trainingShares: w.trainingShares },
  );
  const redeemed = await service.tick();
  expect(redeemed.redeem.redeemed).to.have.length(1);
  await indexReceipts(w, [store, auditorStore], w.operatorSender.receipts);
  const end = await read<bigint>(w, w.deployment.contracts.settlement, settlementAbi, "epochEnd", [epoch]);
  await networkHelpers.time.increaseTo(end);
  return { store, auditorStore, auditorDir, service, dataDir, epoch, entries };
}

async function sharesFile(w: SettleWorld): Promise<string> {
  const path = join(dir("olp-cli-shares-"), "shares.json");
  await writeFile(
    path,
    JSON.stringify(w.shares.map((s) => ({ datasetId: s.datasetId.toString(), weightPpm: s.weightPpm }))),
  );
  return path;
}

describe("olnode node/deposit/audit/claim on Hardhat's EVM over HTTP", function () {
  this.timeout(90_000);

  after(async () => {
    for (const rpc of servers) await rpc.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("registers a node with its stake, peer id and endpoint, then sets its price; both visible in the NodeRegistry", async () => {
    const { w, env } = await fixture();
    const key = keccak256(toHex("cli test: new node"));
    const account = privateKeyToAccount(key);
    await networkHelpers.setBalance(account.address, 10n * OPEN);
    await w.protocol.token.transfer(account.address, 5_000n * OPEN);
    const minStake = await read<bigint>(w, w.deployment.contracts.nodeRegistry, nodeRegistryAbi, "minStake");
    const nodeEnv = { ...env, OLNODE_KEYS_OPERATOR_KEY_FILE: await keyFile(key) };
    const stake = (minStake / OPEN).toString();
    const registered = await olnode(
      nodeEnv,
      "node",
      "register",
      "--stake",
      stake,
      "--endpoint",
      "https://node.example.com",
      "--operator",
      w.auditorAccount.address,
      "--json",
    );
    expect(registered.stderr).to.equal("");
    expect(registered.code).to.equal(0);
    const out = JSON.parse(registered.stdout) as { node: string; peerId: string };
    expect(out.node).to.equal(account.address);
    const node = await read<{ registered: boolean; operator: string; stake: bigint; peerId: string; endpoint: string }>(
      w,
      w.deployment.contracts.nodeRegistry,
      nodeRegistryAbi,
      "getNode",
      [account.address],
    );
    expect([node.registered, node.operator, node.stake, node.peerId, node.endpoint]).to.deep.equal([
      true,
      w.auditorAccount.address,
      minStake,
      out.peerId,
      "https://node.example.com",
    ]);
    expect(out.peerId).to.match(/^12D3KooW/);

    const again = await olnode(nodeEnv, "node", "register", "--stake", stake, "--endpoint", "https://node.example.com");
    expect([again.code, again.stderr]).to.deep.equal([
      1,
      `olnode: ${account.address} is already registered (operator ${w.auditorAccount.address}, stake ${stake} OPEN)\n`,
    ]);

    const stranger = await olnode(
      { ...env, OLNODE_KEYS_OPERATOR_KEY_FILE: await keyFile(keccak256(toHex("cli test: stranger"))) },
      "node",
      "price",
      "1",
      "0.02",
    );
    expect(stranger.code).to.equal(1);
    expect(stranger.stderr).to.contain("is not a registered node: run 'olnode node register' first");

    const priced = await olnode(nodeEnv, "node", "price", "1", "0.02");
    expect([priced.code, priced.stderr]).to.deep.equal([0, ""]);
    expect(priced.stdout).to.contain("0.02 OPEN per request");
    expect(
      await read<bigint>(w, w.deployment.contracts.nodeRegistry, nodeRegistryAbi, "priceOf", [account.address, 1n]),
    ).to.equal(OPEN / 50n);
  });

  it("deposits for a node (approve + deposit, then by permit) and prints the escrow account; refuses an unknown node and a bad amount", async () => {
    const { w, env } = await fixture();
    const payerEnv = { ...env, OLNODE_KEYS_OPERATOR_KEY_FILE: await keyFile(keccak256(toHex("settle test: payer"))) };
    const escrow = w.deployment.contracts.paymentEscrow;
    const accountOf = () =>
      read<{ balance: bigint; thawing: bigint }>(w, escrow, paymentEscrowAbi, "accountOf", [
        w.payerAccount.address,
        w.node,
      ]);
    const before = (await accountOf()).balance;
    const first = await olnode(payerEnv, "deposit", "--node", w.node, "--amount", "2.5", "--json");
    expect([first.code, first.stderr]).to.deep.equal([0, ""]);
    const json = JSON.parse(first.stdout) as { account: { balance: string }; transactions: { approve: string | null } };
    expect((await accountOf()).balance - before).to.equal((5n * OPEN) / 2n);
    expect(json.account.balance).to.equal((before + (5n * OPEN) / 2n).toString());
    expect(json.transactions.approve).to.match(/^0x/);

    const permit = await olnode(payerEnv, "deposit", "--node", w.node, "--amount", "1", "--permit");
    expect([permit.code, permit.stderr]).to.deep.equal([0, ""]);
    expect(permit.stdout).to.contain("balance   3.5 OPEN");
    expect((await accountOf()).balance - before).to.equal((7n * OPEN) / 2n);

    const unknown = await olnode(payerEnv, "deposit", "--node", w.payerAccount.address, "--amount", "1");
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain("is not an active node in the NodeRegistry");
    const bad = await olnode(payerEnv, "deposit", "--node", w.node, "--amount", "1.5x");
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--amount "1.5x" is not an amount of OPEN');
    expect((await accountOf()).balance - before).to.equal((7n * OPEN) / 2n);

    // A hot key signs receipts for the payer once authorized.
    const hot = keccak256(toHex("cli test: hot signer"));
    const hotAddress = privateKeyToAccount(hot).address;
    const isAuthorized = () =>
      read<boolean>(w, escrow, paymentEscrowAbi, "isAuthorizedSigner", [w.payerAccount.address, hotAddress]);
    expect(await isAuthorized()).to.equal(false);
    const authorized = await olnode(payerEnv, "deposit", "--authorize", await keyFile(hot));
    expect([authorized.code, authorized.stderr]).to.deep.equal([0, ""]);
    expect(authorized.stdout).to.contain(`${hotAddress} may now sign receipts for ${w.payerAccount.address}`);
    expect(await isAuthorized()).to.equal(true);
  });

  it("audits an honest epoch (match, per-dataset table), then each owner claims exactly its leaf once", async () => {
    const { w, env } = await fixture();
    const live = await liveEpoch(w);
    const posting = await live.service.tick();
    expect(posting.post.posted).to.have.length(1);
    const [posted] = posting.post.posted;
    if (posted === undefined) throw new Error("expected a posted root");
    await indexReceipts(w, [live.auditorStore], w.operatorSender.receipts.slice(-1));
    await live.auditorStore.close();
    await live.store.close();
    await live.service.close();
    const shares = await sharesFile(w);

    const audit = await olnode(
      env,
      "audit",
      "--epoch",
      live.epoch.toString(),
      "--store",
      live.auditorDir,
      "--shares",
      shares,
      "--json",
    );
    expect([audit.code, audit.stderr]).to.deep.equal([0, ""]);
    const report = JSON.parse(audit.stdout) as {
      pools: {
        match: boolean;
        postedRoot: string;
        perDataset: { datasetId: string; inferences: number; amount: string }[];
        weights: { mode: string };
      }[];
    };
    expect(report.pools).to.have.length(1);
    const [pool] = report.pools;
    expect(pool?.match).to.equal(true);
    expect(pool?.postedRoot).to.equal(posted.message.root);
    expect(pool?.weights.mode).to.equal("trusted");
    expect(pool?.perDataset.map((d) => [d.datasetId, d.inferences, d.amount])).to.deep.equal(
      posted.message.leaves.map((l) => [
        l.datasetId.toString(),
        2, // alice: ALICE_ONLY + MIXED; bob: MIXED + BOB_ONLY (the private record names no dataset)
        l.amount.toString(),
      ]),
    );
    // With the version's attribution index each record's weights are recomputed from its output text: alice's
    // corpus holds "answer 0/1", bob's "answer 0/3". Seq 2 ("answer 0/2", no span) gets the training shares it was
    // signed with; seqs 1 and 3 were signed 100 % to one dataset, attribution mixes in the shares: they differ. The
    // private seq 4 has no text to check.
    const index = AttributionIndex.build({
      versionId: 1n,
      samples: [
        { datasetId: w.datasets.alice, sampleHash: keccak256(toHex("a")), text: "answer 0/1" },
        { datasetId: w.datasets.bob, sampleHash: keccak256(toHex("b")), text: "answer 0/3" },
      ],
      trainingShares: w.shares,
      minSpan: 4,
      checkSampleHashes: false,
    });
    const indexFile = join(dir("olp-cli-index-"), "v1.idx");
    await saveIndex(index, indexFile);
    const checked = await olnode(
      env,
      "audit",
      "--epoch",
      live.epoch.toString(),
      "--store",
      live.auditorDir,
      "--shares",
      shares,
      "--index",
      indexFile,
      "--json",
    );
    expect([checked.code, checked.stderr]).to.deep.equal([0, ""]);
    const idOf = (i: number) => getInferenceRecordDigest(w.domain, (live.entries[i] as Entry).record).toLowerCase();
    const weights = JSON.parse(checked.stdout).pools[0].weights;
    expect({ ...weights, differingIds: [...weights.differingIds].sort() }).to.deep.equal({
      mode: "recomputed",
      records: 3,
      differing: 2,
      differingIds: [idOf(0), idOf(2)].sort(),
    });

    const text = await olnode(
      env,
      "audit",
      "--epoch",
      live.epoch.toString(),
      "--store",
      live.auditorDir,
      "--shares",
      shares,
    );
    expect(text.stdout).to.contain("result         MATCH");
    expect(text.stdout).to.contain("trusted the records' signed weights");

    const onChain = await read<{ challengeEnd: bigint }>(
      w,
      w.deployment.contracts.settlement,
      settlementAbi,
      "getPool",
      [w.node, 1n, live.epoch],
    );
    // Still in the window: nothing is claimable yet.
    const alice = await keyFile(HARDHAT_KEYS[4] as Hex);
    expect(privateKeyToAccount(HARDHAT_KEYS[4] as Hex).address).to.equal(w.owners.alice.address);
    const early = await olnode(env, "claim", "--posted", live.dataDir, "--key-file", alice);
    expect([early.code, early.stdout]).to.deep.equal([0, `nothing to claim for dataset ${w.datasets.alice}\n`]);

    await networkHelpers.time.increaseTo(onChain.challengeEnd + 1n);
    const balanceOf = (owner: Address) =>
      read<bigint>(w, w.deployment.contracts.openToken, openTokenAbi, "balanceOf", [owner]);
    const leafOf = (datasetId: bigint) => posted.message.leaves.find((l) => l.datasetId === datasetId)?.amount;

    // Alice reads the leaves from the posting node's settle folder.
    const aliceBefore = await balanceOf(w.owners.alice.address as Address);
    const claimed = await olnode(env, "claim", "--posted", live.dataDir, "--key-file", alice, "--json");
    expect([claimed.code, claimed.stderr]).to.deep.equal([0, ""]);
    const out = JSON.parse(claimed.stdout) as { claimed: { datasetId: string; amount: string }[] };
    expect(out.claimed.map((l) => [l.datasetId, l.amount])).to.deep.equal([
      [w.datasets.alice.toString(), leafOf(w.datasets.alice)?.toString()],
    ]);
    expect((await balanceOf(w.owners.alice.address as Address)) - aliceBefore).to.equal(leafOf(w.datasets.alice));
    const second = await olnode(env, "claim", "--posted", live.dataDir, "--key-file", alice);
    expect([second.code, second.stdout]).to.deep.equal([0, `nothing to claim for dataset ${w.datasets.alice}\n`]);
    expect((await balanceOf(w.owners.alice.address as Address)) - aliceBefore).to.equal(leafOf(w.datasets.alice));

    // Bob fetches them from a node's API; a node serving leaves that do not give the on-chain root is refused.
    const forged = buildAttributionTree(
      posted.message.leaves.map((l) => ({ ...l, amount: l.datasetId === w.datasets.bob ? l.amount * 2n : l.amount })),
    );
    let serve = encodeAttributionMessage({ ...posted.message, root: forged.root, leaves: forged.leaves });
    const requested: string[] = [];
    const api = createServer((req, res) => {
      requested.push(req.url ?? "");
      if (req.url !== attributionMessagePath(w.node, 1n, live.epoch)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(hexToBytes(serve)));
    });
    await new Promise<void>((done) => api.listen(0, "127.0.0.1", done));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    try {
      const bob = await keyFile(HARDHAT_KEYS[5] as Hex);
      const bobBefore = await balanceOf(w.owners.bob.address as Address);
      const refused = await olnode(env, "claim", "--from-node", apiUrl, "--key-file", bob);
      expect(refused.code).to.equal(0);
      expect(refused.stdout).to.equal(
        `nothing to claim for dataset ${w.datasets.bob}\n  skipped pool ${w.node} v1 epoch ${live.epoch}: its message's leaves do not give the on-chain root\n`,
      );
      expect(await balanceOf(w.owners.bob.address as Address)).to.equal(bobBefore);

      serve = posted.payload;
      const paid = await olnode(env, "claim", "--from-node", apiUrl, "--key-file", bob);
      expect([paid.code, paid.stderr]).to.deep.equal([0, ""]);
      expect(paid.stdout).to.contain(
        `dataset ${w.datasets.bob}  ${formatUnits(leafOf(w.datasets.bob) ?? 0n, 18)} OPEN`,
      );
      expect((await balanceOf(w.owners.bob.address as Address)) - bobBefore).to.equal(leafOf(w.datasets.bob));
      expect(requested).to.deep.equal([
        attributionMessagePath(w.node, 1n, live.epoch),
        attributionMessagePath(w.node, 1n, live.epoch),
      ]);
      const again = await olnode(env, "claim", "--from-node", apiUrl, "--key-file", bob);
      expect(again.stdout).to.equal(`nothing to claim for dataset ${w.datasets.bob}\n`);
    } finally {
      api.closeAllConnections();
      await new Promise((done) => api.close(done));
    }
  });

  it("reports a tampered root as a mismatch, and --challenge opens the challenge through the Arbiter", async () => {
    const { w, env } = await fixture();
    const live = await liveEpoch(w);
    await live.service.close();
    const key = { node: w.node, versionId: 1n, epoch: live.epoch };
    const readOpts = { settlement: w.deployment.contracts.settlement, deployBlock: w.deployment.deployBlock };
    const gathered = await gatherPool({ store: live.store, reader: w.reader }, readOpts, key);
    const honest = computePoolAttribution(gathered.redemptions, w.shares).tree;
    const shift = (honest.leaves.find((l) => l.datasetId === w.datasets.bob)?.amount ?? 0n) / 2n;
    const inflated = buildAttributionTree(
      honest.leaves.map((l) => ({
        ...l,
        amount: l.datasetId === w.datasets.alice ? l.amount + shift : l.amount - shift,
      })),
    );
    const { settlement, openToken } = w.deployment.contracts;
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
      args: [w.node, 1n, live.epoch, inflated.root, inflated.total, zeroHash, 100n * OPEN],
    });
    const postedDir = dir("olp-cli-posted-");
    await (await PostedRoots.open(postedDir)).put({
      ...key,
      root: inflated.root,
      leaves: inflated.leaves,
      recordsRoot: zeroHash,
      recordIds: [],
    });
    await indexReceipts(w, [live.auditorStore], w.operatorSender.receipts.slice(-1));
    await live.auditorStore.close();
    await live.store.close();
    const shares = await sharesFile(w);
    const base = ["audit", "--epoch", live.epoch.toString(), "--store", live.auditorDir, "--shares", shares];

    const report = await olnode(env, ...base, "--posted", postedDir);
    expect([report.code, report.stderr]).to.deep.equal([0, ""]);
    expect(report.stdout).to.contain("result         MISMATCH");
    expect(report.stdout).to.contain("posted leaves  differ");
    expect(report.stdout).to.contain(`recomputed     ${honest.root}`);
    const before = await read<{ openChallenges: number }>(w, settlement, settlementAbi, "getPool", [
      w.node,
      1n,
      live.epoch,
    ]);
    expect(Number(before.openChallenges)).to.equal(0);

    const auditorKey = await keyFile(keccak256(toHex("settle test: auditor")));
    const challenged = await olnode(env, ...base, "--challenge", "--key-file", auditorKey, "--json");
    expect([challenged.code, challenged.stderr]).to.deep.equal([0, ""]);
    const out = JSON.parse(challenged.stdout) as { pools: { match: boolean; challenge: { challengeId: string } }[] };
    expect(out.pools[0]?.match).to.equal(false);
    expect(out.pools[0]?.challenge.challengeId).to.match(/^\d+$/);
    const after = await read<{ openChallenges: number }>(w, settlement, settlementAbi, "getPool", [
      w.node,
      1n,
      live.epoch,
    ]);
    expect(Number(after.openChallenges)).to.equal(1);

    // The verifiers uphold it: the pool falls back, and its owners claim their training shares with --shares.
    const challengeId = BigInt(out.pools[0]?.challenge.challengeId ?? "0");
    const salt = (i: number) => `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
    for (const [i, verifier] of w.verifiers.entries()) {
      const commitment = conn.ethers.keccak256(
        conn.ethers.AbiCoder.defaultAbiCoder().encode(
          ["uint256", "address", "bool", "bytes32"],
          [challengeId, verifier.address, true, salt(i)],
        ),
      );
      await w.protocol.arbiter.connect(verifier).commitVote(challengeId, commitment);
    }
    const c = await w.protocol.arbiter.getChallenge(challengeId);
    await networkHelpers.time.increaseTo(c.commitDeadline + 1n);
    for (const [i, verifier] of w.verifiers.entries()) {
      await w.protocol.arbiter.connect(verifier).revealVote(challengeId, true, salt(i));
    }
    await networkHelpers.time.increaseTo(c.revealDeadline + 1n);
    await w.protocol.arbiter.resolve(challengeId);
    const fellBack = await read<{ fellBack: boolean; amount: bigint }>(w, settlement, settlementAbi, "getPool", [
      w.node,
      1n,
      live.epoch,
    ]);
    expect(fellBack.fellBack).to.equal(true);

    const alice = await keyFile(HARDHAT_KEYS[4] as Hex);
    const noShares = await olnode(env, "claim", "--posted", postedDir, "--key-file", alice);
    expect(noShares.code).to.equal(0);
    expect(noShares.stdout).to.contain(
      `skipped pool ${w.node} v1 epoch ${live.epoch}: the root was rejected: claiming it needs the version's training shares (--shares)`,
    );
    const balance = () => read<bigint>(w, openToken, openTokenAbi, "balanceOf", [w.owners.alice.address as Address]);
    const start = await balance();
    const claimed = await olnode(env, "claim", "--shares", shares, "--key-file", alice, "--json");
    expect([claimed.code, claimed.stderr]).to.deep.equal([0, ""]);
    const paid = JSON.parse(claimed.stdout) as { claimed: { kind: string; amount: string }[] };
    expect(paid.claimed.map((l) => l.kind)).to.deep.equal(["fallback"]);
    const aliceShare = w.shares.find((s) => s.datasetId === w.datasets.alice)?.weightPpm ?? 0;
    expect((await balance()) - start).to.equal(BigInt(paid.claimed[0]?.amount ?? "0"));
    expect((await balance()) - start).to.equal((fellBack.amount * BigInt(aliceShare)) / 1_000_000n);
    const twice = await olnode(env, "claim", "--shares", shares, "--key-file", alice);
    expect(twice.stdout).to.equal(`nothing to claim for dataset ${w.datasets.alice}\n`);
  });

  it("says the chain cannot be reached when the RPC is down", async () => {
    const { env, rpc } = await fixture();
    await rpc.close();
    const down = await olnode(env, "node", "price", "1", "0.02");
    expect(down.code).to.equal(1);
    expect(down.stderr).to.equal(`olnode: cannot reach the chain at ${rpc.url} (chain.rpcUrl): is the RPC running?\n`);
  });
});
