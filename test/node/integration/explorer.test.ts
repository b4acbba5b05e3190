import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { type Address, getAddress } from "viem";
import { datanetRegistryAbi, settlementAbi } from "../../../node/src/chain/abi/index.js";
import { createExplorerHandler, ExplorerServer } from "../../../node/src/explorer/index.js";
import { getPoolId } from "../../../node/src/protocol/index.js";
import { createExplorerFixture, type ExplorerFixture, SPANS, XSS_OUTPUT } from "./explorerFixture.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies, checked field by field against the chain
type Json = Record<string, any>;

/** A GET (or another method) against the server, with its status, headers and parsed body. */
async function fetchRaw(url: string, method = "GET"): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { method, redirect: "manual" });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function getJson(url: string): Promise<Json> {
  const { status, text } = await fetchRaw(url);
  expect(status, `${url}: ${text}`).to.equal(200);
  return JSON.parse(text) as Json;
}

describe("explorer: JSON endpoints against the chain", function () {
  this.timeout(60_000);
  let f: ExplorerFixture;
  let server: ExplorerServer;
  let api: string;

  before(async () => {
    f = await createExplorerFixture();
    server = await ExplorerServer.init({ port: 0 }, { source: f.source });
    api = `${server.url}api/`;
  });

  after(async () => {
    await server?.close();
    await f?.close();
  });

  it("lists datanets and datasets with the stakes the registry holds and the copycat's duplicate proof", async () => {
    const body = await getJson(`${api}datanets`);
    const { contracts } = f.tour.protocol.deployment;
    expect(body.datanets.map((n: Json) => n.metadataURI)).to.deep.equal([
      "olp://datanets/ad-copy-clothing",
      "olp://datanets/ad-copy-home",
    ]);
    expect(body.datasets).to.have.length(3);
    for (const d of body.datasets) {
      const onChain = await f.client.readContract({
        address: contracts.datanetRegistry,
        abi: datanetRegistryAbi,
        functionName: "getDataset",
        args: [BigInt(d.id)],
      });
      // Amounts are decimal strings, equal to the chain's.
      expect(d.stake).to.be.a("string").and.equal(onChain.stake.toString());
      expect(d.uri).to.equal(onChain.uri);
      expect(d.duplicateCount).to.equal(onChain.duplicateCount);
    }
    const mallory = f.tour.datasets.find((d) => d.owner === "mallory");
    expect(body.datasets.find((d: Json) => d.id === String(mallory?.id)).eligible).to.equal(false);
    expect(body.duplicates).to.have.length(1);
    const [proof] = body.duplicates;
    expect(proof.sampleHash).to.equal(f.tour.duplicate.sampleHash);
    expect(proof.laterDatasetId).to.equal(String(mallory?.id));
    expect(proof.slashed).to.equal(f.tour.duplicate.slashed.toString());
    expect(proof.reward).to.equal(f.tour.duplicate.reward.toString());
    expect(BigInt(proof.reward) + BigInt(proof.burned)).to.equal(f.tour.duplicate.slashed);
    expect(getAddress(proof.prover)).to.equal(getAddress(f.tour.actors.watcher.address));
  });

  it("shows adapters with their proofs, eval scores, statuses and challenge windows", async () => {
    const body = await getJson(`${api}adapters`);
    expect(body.adapters.map((a: Json) => a.name)).to.deep.equal(["ad-copy"]);
    expect(body.versions.map((v: Json) => [v.id, v.status])).to.deep.equal([
      ["1", "Active"],
      ["2", "Rejected"],
    ]);
    const { adapterRegistry } = f.tour.protocol;
    for (const v of body.versions) {
      const onChain = await adapterRegistry.getVersion(BigInt(v.id));
      expect(v.proof.checkpointRoot).to.equal(onChain.proof.checkpointRoot);
      expect(v.proof.weightsHash).to.equal(onChain.proof.weightsHash);
      expect(v.proof.evalScore).to.equal(3_150);
      expect(v.challengeEnd).to.equal(onChain.challengeEnd.toString());
    }
    expect(body.challengeWindow).to.equal((await adapterRegistry.challengeWindow()).toString());
    expect(body.versions[0].prices).to.deep.equal([
      { node: getAddress(f.tour.actors.node.address), price: (10n ** 16n).toString() },
    ]);
  });

  it("splits every redemption into burn, node, owner and datasets that sum to what it collected, per epoch too", async () => {
    const body = await getJson(`${api}settlements`);
    expect(body.redemptions.map((r: Json) => BigInt(r.collected))).to.deep.equal(f.collected);
    const { split } = body;
    for (const r of body.redemptions) {
      const c = BigInt(r.collected);
      const { burn, node, owner, datasets } = r.parts;
      expect(BigInt(burn) + BigInt(node) + BigInt(owner) + BigInt(datasets)).to.equal(c);
      expect(BigInt(node)).to.equal((c * BigInt(split.nodeBps)) / 10_000n);
      expect(BigInt(datasets)).to.equal((c * BigInt(split.datasetsBps)) / 10_000n);
      // The dust of the odd values goes to the burn (DESIGN §6).
      expect(Number(BigInt(burn) - (c * BigInt(split.protocolBps)) / 10_000n)).to.be.within(1, 3);
    }
    // The Redeemed events as the chain has them.
    const logs = await f.client.getContractEvents({
      address: f.tour.protocol.deployment.contracts.settlement,
      abi: settlementAbi,
      eventName: "Redeemed",
      fromBlock: f.tour.protocol.deployment.deployBlock,
      strict: true,
    });
    expect(body.redemptions.map((r: Json) => [r.fromSeq, r.toSeq, r.epoch])).to.deep.equal(
      logs.map((l) => [String(l.args.fromSeq), String(l.args.toSeq), String(l.args.epoch)]),
    );
    expect(body.epochs.map((e: Json) => [e.epoch, e.inferences, e.revenue])).to.deep.equal([
      [String(f.epochs[0]), "5", String((f.collected[0] ?? 0n) + (f.collected[1] ?? 0n))],
      [String(f.epochs[1]), "4", String(f.collected[2])],
    ]);
    // Each pool's dataset part is what the Settlement's pool holds.
    const node = getAddress(f.tour.actors.node.address) as Address;
    for (const p of body.pools) {
      const pool = await f.tour.protocol.settlement.getPool(node, 1n, BigInt(p.epoch));
      expect(p.amount).to.equal(pool.amount.toString());
      expect(p.parts.datasets).to.equal(pool.amount.toString());
      expect(p.poolId).to.equal(getPoolId(node, 1n, BigInt(p.epoch)).toString());
    }
    expect(body.pools.map((p: Json) => p.status)).to.deep.equal(["Claimable", "Posting"]);
    expect(body.roots).to.have.length(1);
    expect(body.claims).to.deep.equal([
      {
        poolId: getPoolId(node, 1n, f.epochs[0] ?? 0n).toString(),
        datasetId: "1",
        owner: getAddress(f.tour.actors.alice.address),
        amount: f.claimedByAlice.toString(),
        fallback: false,
      },
    ]);
  });

  it("gives inference volume and revenue totals and the challenges with their outcome", async () => {
    const overview = await getJson(`${api}overview`);
    expect(overview.totals.inferences).to.equal("9");
    expect(overview.totals.revenue).to.equal(f.collected.reduce((a, b) => a + b, 0n).toString());
    expect(overview.totals.duplicateProofs).to.equal(1);
    const { challenges } = await getJson(`${api}challenges`);
    expect(challenges.map((c: Json) => [c.id, c.subjectKind, c.subjectId, c.ruling])).to.deep.equal([
      ["1", "adapterVersion", "1", "Dismissed"],
      ["2", "adapterVersion", "2", "Upheld"],
    ]);
    expect(BigInt(challenges[1].pot)).to.be.greaterThan(0n);
  });

  it("attributes to datasets from the chain's claims and the node's records, and serves one inference with its spans", async () => {
    const attribution = await getJson(`${api}attribution`);
    expect(attribution.recordsScanned).to.equal(f.entries.size);
    const alice = attribution.datasets.find((d: Json) => d.datasetId === "1");
    expect(alice.claimed).to.equal(f.claimedByAlice.toString());
    expect(alice.records).to.equal(f.entries.size);
    const value = [...f.entries.values()][0]?.receipt.value ?? 0n;
    expect(alice.attributedValue).to.equal((((value * 700_000n) / 1_000_000n) * BigInt(f.entries.size)).toString());
    expect(alice.spans).to.equal(5);

    const page = await getJson(`${api}records?limit=4`);
    expect(page.records).to.have.length(4);
    const rest = await getJson(`${api}records?limit=50&after=${page.next}`);
    const ids = [...page.records, ...rest.records].map((r: Json) => r.recordId);
    expect(new Set(ids)).to.deep.equal(new Set(f.entries.keys()));

    const one = await getJson(`${api}records/${f.spanRecordId}`);
    expect(one.spans).to.deep.equal(
      SPANS.map((s) => ({
        text: s.text,
        datasets: s.datasets.map((d) => ({ datasetId: String(d.datasetId), count: d.count })),
      })),
    );
    expect(one.record.weights).to.deep.equal([
      { datasetId: "1", weightPpm: 700_000 },
      { datasetId: "2", weightPpm: 300_000 },
    ]);
    const xss = await getJson(`${api}records/${f.xssRecordId}`);
    expect(xss.outputText).to.equal(XSS_OUTPUT);
    expect(xss.spans).to.equal(undefined);
  });

  it("refuses bad record ids and queries with a message naming the problem, and unknown records with 404", async () => {
    const bad = await fetchRaw(`${api}records/0x1234`);
    expect(bad.status).to.equal(400);
    expect(JSON.parse(bad.text).error).to.match(/record id is 0x and 64 hex digits/);
    const limit = await fetchRaw(`${api}records?limit=-3`);
    expect(limit.status).to.equal(400);
    expect(JSON.parse(limit.text).error).to.match(/limit must be a positive integer/);
    const missing = await fetchRaw(`${api}records/0x${"ab".repeat(32)}`);
    expect(missing.status).to.equal(404);
    expect((await fetchRaw(`${api}nothing`)).status).to.equal(404);
  });

  it("serves only the app's own files, with a content security policy, and nothing else from disk", async () => {
    const index = await fetchRaw(server.url);
    expect(index.status).to.equal(200);
    expect(index.headers.get("content-type")).to.match(/^text\/html/);
    expect(index.headers.get("content-security-policy")).to.match(/script-src 'self'/);
    expect(index.text).to.match(/<script type="module" src="app.js">/);
    expect((await fetchRaw(`${server.url}app.js`)).headers.get("content-type")).to.match(/^text\/javascript/);
    // Path tricks never reach the file system: only the listed names are served.
    for (const path of ["../handler.ts", "..%2Fhandler.ts", "%2e%2e/source.ts", "static/app.js", ".env", "app.js/"]) {
      const raw = await rawGet(server.url, path);
      expect(raw.status, path).to.equal(404);
      expect(raw.body, path).to.not.match(/import|export/);
    }
    expect((await fetchRaw(server.url.replace(/\/$/, ""))).status).to.equal(308);
    const post = await fetchRaw(`${api}overview`, "POST");
    expect(post.status).to.equal(405);
    expect(post.headers.get("allow")).to.equal("GET, HEAD");
  });

  it("leaves requests outside its base path to the server that mounts it", async () => {
    const handler = createExplorerHandler({ source: f.source, basePath: "/x" });
    const mounted = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end("the api's own route");
      });
    });
    await new Promise<void>((resolve) => mounted.listen(0, "127.0.0.1", resolve));
    const { port } = mounted.address() as AddressInfo;
    try {
      const statuses: Record<string, number> = {};
      for (const path of ["/explorer/", "/v1/chat/completions", "/xy", "/x/", "/x/api/challenges"]) {
        statuses[path] = (await fetchRaw(`http://127.0.0.1:${port}${path}`)).status;
      }
      expect(statuses).to.deep.equal({
        "/explorer/": 418,
        "/v1/chat/completions": 418,
        "/xy": 418,
        "/x/": 200,
        "/x/api/challenges": 200,
      });
    } finally {
      mounted.closeAllConnections();
      await new Promise((resolve) => mounted.close(resolve));
    }
  });

  it("builds the chain view once per block and again when a block is mined", async () => {
    let calls = 0;
    const counting = new Proxy(f.client, {
      get(target, key, receiver) {
        if (key === "getContractEvents") calls++;
        return Reflect.get(target, key, receiver);
      },
    });
    const { ExplorerSource } = await import("../../../node/src/explorer/index.js");
    const source = new ExplorerSource({ deployment: f.tour.protocol.deployment }, { client: counting });
    const [a, b] = await Promise.all([source.getSnapshot(), source.getSnapshot()]);
    expect(a).to.equal(b);
    const first = calls;
    expect(first).to.be.greaterThan(0);
    expect(await source.getSnapshot()).to.equal(a);
    expect(calls).to.equal(first);
    await f.connection.networkHelpers.mine(1);
    const c = await source.getSnapshot();
    expect(c.blockNumber).to.equal(a.blockNumber + 1n);
    expect(calls).to.be.greaterThan(first);
    expect(c.redemptions).to.deep.equal(a.redemptions);
    await source.close();
  });

  it("answers 503 with a clear error when the chain cannot be read, without leaking the cause", async () => {
    const { ExplorerSource } = await import("../../../node/src/explorer/index.js");
    const failing = new Proxy(f.client, {
      get(target, key, receiver) {
        if (key === "getBlockNumber") return async () => Promise.reject(new Error("ECONNREFUSED 10.0.0.7:8545"));
        return Reflect.get(target, key, receiver);
      },
    });
    const source = new ExplorerSource({ deployment: f.tour.protocol.deployment }, { client: failing });
    const errors: unknown[] = [];
    const broken = await ExplorerServer.init(
      { port: 0 },
      { source, logger: { warn: () => undefined, error: (_m: string, _c?: object, e?: unknown) => errors.push(e) } },
    );
    try {
      const res = await fetchRaw(`${broken.url}api/datanets`);
      expect(res.status).to.equal(503);
      expect(JSON.parse(res.text).error).to.equal("the explorer cannot read the chain or the store right now");
      expect(res.text).to.not.contain("10.0.0.7");
      expect(errors).to.have.length(1);
    } finally {
      await broken.close();
      await source.close();
    }
  });

  it("reads the events again when the chain changed under them (a reorg, here a devnet snapshot restored)", async () => {
    const { networkHelpers } = f.connection;
    const { nodeRegistry } = f.tour.protocol;
    const price = async () => (await f.source.getSnapshot()).versions.find((v) => v.id === 1n)?.prices[0]?.price;
    expect(await price()).to.equal(10n ** 16n);
    const before = await networkHelpers.takeSnapshot();
    await (await nodeRegistry.connect(f.tour.actors.operator).setPrice(1n, 5n * 10n ** 16n)).wait();
    expect(await price()).to.equal(5n * 10n ** 16n);
    await before.restore();
    // The same height and more, on other blocks: the price change is gone from the chain and from the explorer.
    await networkHelpers.mine(3);
    expect(await price()).to.equal(10n ** 16n);
    expect((await f.source.getSnapshot()).redemptions.map((r) => r.collected)).to.deep.equal(f.collected);
  });

  it("keeps at most maxEvents per list, dropping the oldest and saying so", async () => {
    const { ExplorerSource } = await import("../../../node/src/explorer/index.js");
    const source = new ExplorerSource(
      { deployment: f.tour.protocol.deployment, maxEvents: 2, maxBlockRange: 7n },
      { client: f.client },
    );
    const s = await source.getSnapshot();
    expect(s.redemptions.map((r) => r.collected)).to.deep.equal(f.collected.slice(1));
    expect(s.truncated).to.include("redemptions");
    expect(
      () => new ExplorerSource({ deployment: f.tour.protocol.deployment, maxEvents: 0 }, { client: f.client }),
    ).to.throw(/maxEvents must be a positive integer/);
    await source.close();
  });
});

/** A GET whose path is sent as written (fetch would normalise `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${path}`, method: "GET" },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
