// `tsx bench/settlement.ts`: the gas of paying for inference on Hardhat's EVM. Deploys the protocol with its Ignition
// module (real escrow, registries and Arbiter), registers datasets, an adapter version and a node, then measures:
// one redemption covering 1, 1,000 and 1,000,000 inferences, the cost per inference, redeemMany per extra lane, claims
// against trees of 2 to 2^20 datasets, and a TAP-style baseline that verifies every receipt on-chain
// (contracts/mocks/TapStyleBaselineMock.sol). Writes bench/results/settlement.json and prints a table.
import { mkdirSync, writeFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Wallet } from "ethers";
import { network } from "hardhat";
import { type Address, concat, encodeAbiParameters, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import ProtocolModule from "../ignition/modules/Protocol.js";
import {
  type ContributorShare,
  contributorsProof,
  contributorsRoot,
  type Receipt,
  receiptTypes,
  type SettlementDomain,
  settlementDomain,
} from "../node/src/protocol/index.js";

const OPEN = 10n ** 18n;
const DAY = 86_400n;
/** 0.01 OPEN per inference. */
const PRICE = OPEN / 100n;
const OUT = new URL("./results/", import.meta.url);

type Connection = Awaited<ReturnType<typeof network.create>>;
type TxPromise = Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>;

async function gasOf(tx: TxPromise): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

function key(label: string): Hex {
  return keccak256(toHex(`bench settlement: ${label}`));
}

/** The standard tree's leaf of `(uint256, uint256)`, and OZ's sorted-pair hash. */
function leafHash(a: bigint, b: bigint): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [a, b])));
}
function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** A proof of the right depth for one leaf, and the root it proves: what a tree of 2^depth leaves gives a claim. */
function syntheticProof(leaf: Hex, depth: number): { proof: Hex[]; root: Hex } {
  const proof = Array.from({ length: depth }, (_, i) => keccak256(toHex(`sibling ${depth} ${i}`)));
  return { proof, root: proof.reduce(hashPair, leaf) };
}

async function deploy(connection: Connection) {
  const { ethers, networkHelpers } = connection;
  const deployed = await connection.ignition.deploy(ProtocolModule);
  const token = await ethers.getContractAt("OpenToken", await deployed.token.getAddress());
  const settlement = await ethers.getContractAt("Settlement", await deployed.settlement.getAddress());
  const escrow = await ethers.getContractAt("PaymentEscrow", await deployed.paymentEscrow.getAddress());
  const nodes = await ethers.getContractAt("NodeRegistry", await deployed.nodeRegistry.getAddress());
  const adapters = await ethers.getContractAt("AdapterRegistry", await deployed.adapterRegistry.getAddress());
  const datanets = await ethers.getContractAt("DatanetRegistry", await deployed.datanetRegistry.getAddress());
  const [deployer, node, operator, adapterOwner, curator, ...owners] = await ethers.getSigners();
  if (!deployer || !node || !operator || !adapterOwner || !curator || owners.length < 4) throw new Error("signers");
  for (const who of [node, operator, adapterOwner, curator, ...owners.slice(0, 4)]) {
    await token.transfer(who, 100_000n * OPEN);
  }

  // Four datasets (real commit–reveal registrations), one datanet.
  await datanets.connect(curator).createDatanet("olp://datanets/bench", 10n * OPEN, 0n);
  const datasetIds: bigint[] = [];
  for (const [i, owner] of owners.slice(0, 4).entries()) {
    const root = keccak256(toHex(`bench dataset ${i}`));
    const salt = keccak256(toHex(`salt ${i}`));
    const commitment = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }],
        [root, owner.address as Address, salt],
      ),
    );
    await datanets.connect(owner).commitDataset(commitment);
    await token.connect(owner).approve(datanets, 10n * OPEN);
    await datanets.connect(owner).revealDataset({
      datanetId: 1n,
      root,
      sampleCount: 100n,
      tokenCount: 10_000n,
      uri: `olp://datasets/bench-${i}`,
      salt,
      stake: 10n * OPEN,
    });
    datasetIds.push(await datanets.datasetIdOfRoot(root));
  }
  const shares: ContributorShare[] = datasetIds.map((datasetId) => ({ datasetId, weightPpm: 250_000 }));

  // An active adapter version trained on them.
  await token.connect(adapterOwner).approve(adapters, ethers.MaxUint256);
  await adapters.connect(adapterOwner).createAdapter("bench-adapter");
  await adapters.connect(adapterOwner).commitTraining(1n, keccak256("0x01"), keccak256("0x02"), datasetIds);
  await adapters.sealCommitment(1n);
  await adapters.connect(adapterOwner).submitVersion(
    1n,
    {
      contributorsRoot: contributorsRoot(shares),
      weightsHash: keccak256("0x03"),
      checkpointRoot: keccak256("0x04"),
      finalHead: keccak256("0x05"),
      initialWeightsHash: keccak256("0x06"),
      initialStateHash: keccak256("0x07"),
      checkpointCount: 4n,
      evalScore: 4_000n,
    },
    await adapters.minBond(),
  );
  await networkHelpers.time.increase(await adapters.challengeWindow());
  await adapters.activate(1n);

  // A node with its operator key.
  await token.connect(node).approve(nodes, ethers.MaxUint256);
  await nodes
    .connect(node)
    .register(operator.address, await nodes.minStake(), "12D3KooWBench", "http://127.0.0.1:8545");
  await token.connect(operator).approve(settlement, ethers.MaxUint256);

  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = settlementDomain(chainId, (await settlement.getAddress()) as Address);
  return { ethers, networkHelpers, deployer, node, operator, token, settlement, escrow, datasetIds, shares, domain };
}

type World = Awaited<ReturnType<typeof deploy>>;

async function fundedPayer(w: World, label: string, deposit: bigint): Promise<{ wallet: Wallet; key: Hex }> {
  const k = key(label);
  const wallet = new w.ethers.Wallet(k, w.ethers.provider);
  await w.networkHelpers.setBalance(wallet.address, 10n * OPEN);
  await w.token.transfer(wallet.address, deposit);
  await w.token.connect(wallet).approve(w.escrow, w.ethers.MaxUint256);
  await w.escrow.connect(wallet).deposit(w.node, deposit);
  return { wallet, key: k };
}

function receipt(w: World, payer: string, lane: number, requests: bigint): Receipt {
  return {
    payer: payer as Address,
    node: w.node.address as Address,
    versionId: 1n,
    lane,
    seq: requests,
    requestHash: keccak256(toHex(`request ${payer} ${lane} ${requests}`)),
    value: PRICE,
    cumulative: requests * PRICE,
  };
}

function sign(
  k: Hex,
  domain: SettlementDomain | { name: string; version: string; chainId: bigint; verifyingContract: Address },
  r: Receipt,
) {
  return privateKeyToAccount(k).signTypedData({ domain, types: receiptTypes, primaryType: "Receipt", message: r });
}

async function redeem(w: World, k: Hex, r: Receipt, by = w.operator): Promise<bigint> {
  return gasOf(w.settlement.connect(by).redeem(r, await sign(k, w.domain, r)));
}

async function redeemMany(w: World, keys: Hex[], rs: Receipt[]): Promise<bigint> {
  const signatures = await Promise.all(rs.map((r, i) => sign(keys[i] ?? "0x", w.domain, r)));
  return gasOf(w.settlement.connect(w.operator).redeemMany(rs, signatures, { gasLimit: 2n ** 24n }));
}

async function nextEpoch(w: World): Promise<bigint> {
  const epoch = await w.settlement.currentEpoch();
  await w.networkHelpers.time.increaseTo(await w.settlement.epochEnd(epoch));
  return epoch + 1n;
}

async function measureRedemptions(w: World) {
  const { wallet: payer, key: payerKey } = await fundedPayer(w, "payer", 20_000n * OPEN);
  const signerKey = key("authorized signer");
  const signer = new w.ethers.Wallet(signerKey);
  const deadline = BigInt(await w.networkHelpers.time.latest()) + DAY;
  const authorization = await signer.signTypedData(
    {
      name: "OLP PaymentEscrow",
      version: "1",
      chainId: w.domain.chainId,
      verifyingContract: await w.escrow.getAddress(),
    },
    {
      SignerAuthorization: [
        { name: "payer", type: "address" },
        { name: "signer", type: "address" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    { payer: payer.address, signer: signer.address, nonce: 1n, deadline },
  );
  await w.escrow.connect(payer).authorizeSigner(signer.address, deadline, 1n, authorization);

  const firstEver = await redeem(w, payerKey, receipt(w, payer.address, 0, 1n));
  const firstOfLane = await redeem(w, payerKey, receipt(w, payer.address, 1, 1n));
  const steady1 = await redeem(w, payerKey, receipt(w, payer.address, 0, 2n));
  const steady1000 = await redeem(w, payerKey, receipt(w, payer.address, 0, 1_002n));
  const steadyMillion = await redeem(w, payerKey, receipt(w, payer.address, 0, 1_001_002n));
  const bySigner = await redeem(w, signerKey, receipt(w, payer.address, 1, 2n));
  const byNode = await redeem(w, payerKey, receipt(w, payer.address, 0, 1_001_003n), w.node);
  await nextEpoch(w);
  const firstOfPool = await redeem(w, payerKey, receipt(w, payer.address, 0, 1_001_004n));
  return {
    firstEver,
    firstOfLane,
    firstOfPool,
    steady: { 1: steady1, 1000: steady1000, 1000000: steadyMillion },
    steadyAuthorizedSigner: bySigner,
    steadyRedeemedByNode: byNode,
    payer,
    payerKey,
  };
}

async function measureRedeemMany(w: World, payer: Wallet, payerKey: Hex) {
  // Lanes of one payer, each redeemed once before (steady state).
  const lanes = (n: number, seq: bigint) =>
    Array.from({ length: n }, (_, i) => receipt(w, payer.address, 100 + i, seq));
  await redeemMany(w, Array(101).fill(payerKey), lanes(101, 1n));
  const sameOne = await redeemMany(w, [payerKey], lanes(1, 2n));
  const sameEleven = await redeemMany(w, Array(11).fill(payerKey), lanes(11, 3n));
  const sameHundredOne = await redeemMany(w, Array(101).fill(payerKey), lanes(101, 4n));

  // Lanes of 50 payers, one each.
  const payers: Awaited<ReturnType<typeof fundedPayer>>[] = [];
  for (let i = 0; i < 50; i++) payers.push(await fundedPayer(w, `payer ${i}`, 10n * OPEN));
  const of = (seq: bigint) => payers.map((p) => receipt(w, p.wallet.address, 0, seq));
  await redeemMany(
    w,
    payers.map((p) => p.key),
    of(1n),
  );
  const distinctOne = await redeemMany(w, [payers[0]?.key ?? "0x"], of(2n).slice(0, 1));
  const distinctFifty = await redeemMany(
    w,
    payers.map((p) => p.key),
    of(3n),
  );
  return {
    samePayer: {
      lanes: { 1: sameOne, 11: sameEleven, 101: sameHundredOne },
      perExtraLane: (sameHundredOne - sameOne) / 100n,
    },
    distinctPayers: { lanes: { 1: distinctOne, 50: distinctFifty }, perExtraLane: (distinctFifty - distinctOne) / 49n },
  };
}

async function measureTapBaseline(w: World) {
  const baseline = await w.ethers.deployContract("TapStyleBaselineMock", [w.token]);
  const k = key("tap payer");
  const wallet = new w.ethers.Wallet(k, w.ethers.provider);
  await w.networkHelpers.setBalance(wallet.address, 10n * OPEN);
  await w.token.transfer(wallet.address, 1_000n * OPEN);
  await w.token.connect(wallet).approve(baseline, w.ethers.MaxUint256);
  await baseline.connect(wallet).deposit(1_000n * OPEN);
  const domain = {
    name: "TAP-style baseline",
    version: "1",
    chainId: w.domain.chainId,
    verifyingContract: (await baseline.getAddress()) as Address,
  };
  let seq = 0n;
  const batch = async (n: number) => {
    const rs = Array.from({ length: n }, () => {
      seq += 1n;
      return receipt(w, wallet.address, 0, seq);
    });
    const signatures = await Promise.all(rs.map((r) => sign(k, domain, r)));
    return gasOf(baseline.connect(w.operator).redeemEach(rs, signatures, { gasLimit: 2n ** 24n }));
  };
  await batch(1);
  const one = await batch(1);
  const ten = await batch(10);
  const hundred = await batch(100);
  const perReceipt = (hundred - one) / 99n;
  const fixed = one - perReceipt;
  return { measured: { 1: one, 10: ten, 100: hundred }, perReceipt, fixed };
}

async function measureClaims(w: World) {
  const { wallet: payer, key: payerKey } = await fundedPayer(w, "claims payer", 1_000n * OPEN);
  const [d1, d2, d3, d4] = w.datasetIds as [bigint, bigint, bigint, bigint];
  type Case = { label: string; leaves: number; depth: number; proof: "real" | "synthetic"; epoch: bigint };
  type Claim = {
    node: string;
    versionId: bigint;
    epoch: bigint;
    datasetId: bigint;
    amount: bigint;
    expectedRoot: Hex;
    proof: Hex[];
  };
  const cases: (Case & { claims: Claim[]; postGas: bigint })[] = [];
  let seq = 0n;

  /** Opens a pool in a fresh epoch, then posts `root` for it; returns the pool's amount. */
  const pool = async (
    build: (amount: bigint, epoch: bigint) => { root: Hex; claims: Claim[] },
    c: Omit<Case, "epoch">,
  ) => {
    const epoch = await w.settlement.currentEpoch();
    seq += 1_000n;
    await redeem(w, payerKey, receipt(w, payer.address, 7, seq));
    const amount = (await w.settlement.getPool(w.node, 1n, epoch)).amount;
    await nextEpoch(w);
    const { root, claims } = build(amount, epoch);
    const postGas = await gasOf(
      w.settlement.connect(w.operator).postAttributionRoot(w.node, 1n, epoch, root, amount, root, 100n * OPEN),
    );
    cases.push({ ...c, epoch, claims, postGas });
  };

  const claimOf = (epoch: bigint, datasetId: bigint, amount: bigint, root: Hex, proof: Hex[]): Claim => ({
    node: w.node.address,
    versionId: 1n,
    epoch,
    datasetId,
    amount,
    expectedRoot: root,
    proof,
  });

  // Real standard trees: the four registered datasets and fillers up to the size (fillers are never claimed).
  for (const size of [4, 16, 256, 4096]) {
    await pool(
      (amount, epoch) => {
        const quarter = amount / 8n;
        const values: [bigint, bigint][] = [
          [d1, quarter],
          [d2, quarter],
          [d3, quarter],
          [d4, quarter],
        ];
        let left = amount - 4n * quarter;
        for (let i = 4; i < size; i++) {
          const take = i === size - 1 ? left : left / BigInt(size - i);
          values.push([1_000_000n + BigInt(i), take]);
          left -= take;
        }
        const tree = StandardMerkleTree.of(values, ["uint256", "uint256"]);
        const root = tree.root as Hex;
        return {
          root,
          claims: [0, 1, 2, 3].map((i) => {
            const [datasetId, value] = values[i] as [bigint, bigint];
            return claimOf(epoch, datasetId, value, root, tree.getProof(i) as Hex[]);
          }),
        };
      },
      { label: `${size} datasets`, leaves: size, depth: Math.ceil(Math.log2(size)), proof: "real" },
    );
  }
  // Synthetic proofs of the depth a tree of 2^depth leaves gives (building 2^20 leaves in JS is not needed to
  // measure it: gas depends on the proof's length, not on the other leaves).
  for (const depth of [12, 16, 20]) {
    await pool(
      (amount, epoch) => {
        const { proof, root } = syntheticProof(leafHash(d1, amount / 2n), depth);
        return { root, claims: [claimOf(epoch, d1, amount / 2n, root, proof)] };
      },
      { label: `2^${depth} datasets`, leaves: 2 ** depth, depth, proof: "synthetic" },
    );
  }

  // A pool left without a root: it falls back to the contributors root.
  const fallbackEpoch = await w.settlement.currentEpoch();
  seq += 1_000n;
  await redeem(w, payerKey, receipt(w, payer.address, 7, seq));
  await nextEpoch(w);

  // The windows close.
  await w.networkHelpers.time.increase(4n * DAY);
  const claimRows = [];
  for (const c of cases) {
    const single = await gasOf(w.settlement.claim([c.claims[0] as Claim]));
    const rest = c.claims.slice(1);
    const many = rest.length > 0 ? await gasOf(w.settlement.claim(rest)) : undefined;
    claimRows.push({
      label: c.label,
      leaves: c.leaves,
      depth: c.depth,
      proof: c.proof,
      postAttributionRoot: Number(c.postGas),
      claimOneLeaf: Number(single),
      ...(many !== undefined ? { claimThreeLeaves: Number(many) } : {}),
    });
  }
  const fallback = await gasOf(
    w.settlement.claimFallback([
      {
        node: w.node.address,
        versionId: 1n,
        epoch: fallbackEpoch,
        datasetId: d1,
        weightPpm: 250_000,
        proof: contributorsProof(w.shares, d1),
      },
    ]),
  );
  const first = cases[0] as Case;
  const releaseRootBond = await gasOf(w.settlement.releaseRootBond(w.node, 1n, first.epoch));
  const withdraw = await gasOf(w.settlement.connect(w.operator).withdraw());
  const flushBurn = await gasOf(w.settlement.flushBurn(w.node, 1n, first.epoch));
  await w.networkHelpers.time.increase(366n * DAY);
  const burnExpired = await gasOf(w.settlement.burnExpired(w.node, 1n, (cases[4] as Case).epoch));
  return { claims: claimRows, fallbackClaim: fallback, releaseRootBond, withdraw, flushBurn, burnExpired };
}

function pad(s: string | number | bigint, n: number): string {
  return String(s).padStart(n);
}

async function main(): Promise<void> {
  const connection = await network.create();
  const w = await deploy(connection);
  const r = await measureRedemptions(w);
  const many = await measureRedeemMany(w, r.payer, r.payerKey);
  const tap = await measureTapBaseline(w);
  const claims = await measureClaims(w);

  const inferences = [1n, 1_000n, 1_000_000n] as const;
  const steady = [r.steady[1], r.steady[1000], r.steady[1000000]];
  const perInference = inferences.map((n, i) => Number(steady[i] ?? 0n) / Number(n));
  const tapTotal = inferences.map((n) => tap.fixed + tap.perReceipt * n);
  const ratio = inferences.map((_, i) => Number(tapTotal[i] ?? 0n) / Number(steady[i] ?? 1n));

  const result = {
    what: "gas of paying for inference on Hardhat's EVM (solc 0.8.30, optimizer 10k runs, cancun; EDR's EIP-7825 cap of 2^24 gas per transaction); the protocol as the Ignition Protocol module deploys it",
    redeem: {
      firstEver: Number(r.firstEver),
      firstOfLane: Number(r.firstOfLane),
      firstOfPool: Number(r.firstOfPool),
      steadyState: { "1": Number(r.steady[1]), "1000": Number(r.steady[1000]), "1000000": Number(r.steady[1000000]) },
      steadyAuthorizedSigner: Number(r.steadyAuthorizedSigner),
      steadyRedeemedByNode: Number(r.steadyRedeemedByNode),
      perInference: { "1": perInference[0], "1000": perInference[1], "1000000": perInference[2] },
    },
    redeemMany: {
      samePayer: {
        lanes: Object.fromEntries(Object.entries(many.samePayer.lanes).map(([k, v]) => [k, Number(v)])),
        perExtraLane: Number(many.samePayer.perExtraLane),
      },
      distinctPayers: {
        lanes: Object.fromEntries(Object.entries(many.distinctPayers.lanes).map(([k, v]) => [k, Number(v)])),
        perExtraLane: Number(many.distinctPayers.perExtraLane),
      },
    },
    tapStyleBaseline: {
      how: "every receipt verified on-chain: EIP-712 hash, ECDSA recovery, signer check, replay mark, debit (TapStyleBaselineMock.redeemEach); totals beyond 100 receipts are fixed + n × perReceipt",
      measured: Object.fromEntries(Object.entries(tap.measured).map(([k, v]) => [k, Number(v)])),
      fixed: Number(tap.fixed),
      perReceipt: Number(tap.perReceipt),
      total: { "1": Number(tapTotal[0]), "1000": Number(tapTotal[1]), "1000000": Number(tapTotal[2]) },
      ratioToOneRedemption: { "1": ratio[0], "1000": ratio[1], "1000000": ratio[2] },
    },
    claims: claims.claims,
    fallbackClaim: Number(claims.fallbackClaim),
    other: {
      releaseRootBond: Number(claims.releaseRootBond),
      withdraw: Number(claims.withdraw),
      flushBurn: Number(claims.flushBurn),
      burnExpired: Number(claims.burnExpired),
    },
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(new URL("settlement.json", OUT), `${JSON.stringify(result, null, 2)}\n`);

  console.log("redeem (one lane)                      gas");
  console.log(`  first ever (new lane, pool, credits) ${pad(r.firstEver, 9)}`);
  console.log(`  first of a lane                      ${pad(r.firstOfLane, 9)}`);
  console.log(`  first of an epoch's pool             ${pad(r.firstOfPool, 9)}`);
  for (const [i, n] of inferences.entries()) {
    console.log(
      `  steady, ${pad(n.toLocaleString("en"), 9)} inferences       ${pad(steady[i] ?? 0n, 9)}   ${pad((perInference[i] ?? 0).toFixed(3), 12)} per inference`,
    );
  }
  console.log(`  steady, authorized signer            ${pad(r.steadyAuthorizedSigner, 9)}`);
  console.log(`  steady, redeemed by the node itself  ${pad(r.steadyRedeemedByNode, 9)}`);
  console.log("redeemMany (steady lanes)");
  console.log(`  per extra lane, one payer            ${pad(many.samePayer.perExtraLane, 9)}`);
  console.log(`  per extra lane, distinct payers      ${pad(many.distinctPayers.perExtraLane, 9)}`);
  console.log("TAP-style baseline (every receipt verified on-chain)");
  console.log(`  fixed + per receipt                  ${pad(tap.fixed, 9)} + ${tap.perReceipt} × n`);
  for (const [i, n] of inferences.entries()) {
    console.log(
      `  ${pad(n.toLocaleString("en"), 9)} inferences: baseline ${pad(tapTotal[i] ?? 0n, 14)}  vs ${pad(steady[i] ?? 0n, 7)}  = ${pad((ratio[i] ?? 0).toFixed(2), 10)}×`,
    );
  }
  console.log("claims                  depth  proof       post root  claim 1 leaf  claim 3 more");
  for (const c of claims.claims) {
    console.log(
      `  ${c.label.padEnd(21)} ${pad(c.depth, 5)}  ${c.proof.padEnd(9)} ${pad(c.postAttributionRoot, 10)} ${pad(c.claimOneLeaf, 13)} ${pad(c.claimThreeLeaves ?? "", 13)}`,
    );
  }
  console.log(`  fallback claim (contributors root)   ${pad(claims.fallbackClaim, 9)}`);
  console.log(
    `other: releaseRootBond ${claims.releaseRootBond}, withdraw ${claims.withdraw}, flushBurn ${claims.flushBurn}, burnExpired ${claims.burnExpired}`,
  );
  console.log(`\nwrote ${new URL("settlement.json", OUT).pathname}`);
}

main().catch((err: unknown) => {
  console.error(`settlement benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
