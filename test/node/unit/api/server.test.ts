import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Registry } from "prom-client";
import { type Address, createWalletClient, custom, type Hex, keccak256, toHex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { ApiServer, RecordBatcher, StoreLaneView, TrainingSharesAttributor } from "../../../../node/src/api/index.js";
import { OpenAIUpstreamBackend, TrainerBackend } from "../../../../node/src/inference/index.js";
import {
  decodeRecordHeader,
  type Entry,
  getLaneId,
  hashOutputText,
  hashRequestBody,
  PRIVATE_HEADER,
  RECORD_HEADER,
  RECORD_ID_HEADER,
  receiptTypes,
  recoverInferenceRecordSigner,
  SECP256K1_N,
  settlementDomain,
} from "../../../../node/src/protocol/index.js";
import {
  createMemoryLaneStore,
  encodeReceiptHeader,
  type LaneStore,
  nextReceipt,
  RECEIPT_HEADER,
} from "../../../../node/src/sdk/index.js";
import { EquivocationKind, Store } from "../../../../node/src/store/index.js";
import { ValidationErrorCode, VersionStatus } from "../../../../node/src/validation/index.js";
import { builtinModelDir } from "../inference/builtinModel.js";
import { ChainViewFake } from "../validation/fakes.js";
import { ACTORS, CHAIN_ID, SETTLEMENT } from "../validation/world.js";

const DOMAIN = settlementDomain(CHAIN_ID, SETTLEMENT);
const VERSION = 7n;
const PRICE = 100n;
const NODE = ACTORS.node.address;
const SHARES = { datasetIds: [1n, 2n, 3n], weightsPpm: [500_000, 300_000, 200_000] };

const clientOf = (account: PrivateKeyAccount) =>
  createWalletClient({
    account,
    transport: custom({
      request: async () => {
        throw new Error("no RPC");
      },
    }),
  });

describe("ApiServer: paid inference over HTTP", function () {
  this.timeout(60_000);
  let dir: string;
  let store: Store;
  let chain: ChainViewFake;
  let backend: TrainerBackend;
  let api: ApiServer;
  let url: string;
  let published: Entry[];
  let registry: Registry;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "olnode-api-"));
    store = await Store.open({ dir, domain: DOMAIN });
    chain = new ChainViewFake(CHAIN_ID, SETTLEMENT)
      .register(NODE, ACTORS.operator.address)
      .setPrice(NODE, VERSION, PRICE)
      .setVersion(VERSION, VersionStatus.ACTIVE, SHARES.datasetIds)
      .setVersion(8n, VersionStatus.PENDING, SHARES.datasetIds)
      .setCoverage(ACTORS.payer.address, NODE, 1_000_000n)
      .setCoverage(ACTORS.otherPayer.address, NODE, 250n)
      .authorize(ACTORS.payer.address, ACTORS.signer.address);
    backend = new TrainerBackend({ models: [{ name: "builtin", modelDir: await builtinModelDir() }] });
    published = [];
    registry = new Registry();
    api = new ApiServer(
      {
        node: NODE,
        models: [
          { name: "ads", versionId: VERSION, backendModel: "builtin" },
          { name: "pending", versionId: 8n, backendModel: "builtin" },
        ],
        maxBodyBytes: 4096,
      },
      {
        chain,
        lanes: new StoreLaneView(store, DOMAIN),
        store,
        backend,
        attributor: new TrainingSharesAttributor((v) => (v === VERSION || v === 8n ? SHARES : undefined)),
        operator: ACTORS.operator,
        publisher: { publish: (entry) => published.push(entry) },
        registry,
        status: { peers: () => 3 },
      },
    );
    const { port } = await api.listen();
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await api?.close();
    await backend?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const laneOf = (payer: Address, lane: number) => ({ payer, node: NODE, versionId: VERSION, lane });
  const bodyOf = (content: string, model = "ads") =>
    new TextEncoder().encode(JSON.stringify({ model, messages: [{ role: "user", content }], max_tokens: 4 }));

  async function paid(
    sdk: LaneStore,
    lane: ReturnType<typeof laneOf>,
    body: Uint8Array,
    options: { value?: bigint; account?: PrivateKeyAccount; send?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<{ res: Response; json: Record<string, unknown>; header: string }> {
    const { header } = await nextReceipt(clientOf(options.account ?? ACTORS.signer), {
      store: sdk,
      lane,
      requestBody: body,
      value: options.value ?? PRICE,
    });
    return send(options.send ?? body, { [RECEIPT_HEADER]: header, ...options.headers }, header);
  }

  async function send(body: Uint8Array, headers: Record<string, string>, header = "", path = "/v1/chat/completions") {
    const res = await fetch(`${url}${path}`, { method: "POST", body, headers });
    return { res, json: (await res.json()) as Record<string, unknown>, header };
  }

  const codeOf = (json: Record<string, unknown>) => (json.error as { code: string }).code;

  it("serves a paid chat request: 200, a record signed by the operator in the header, stored and published", async () => {
    const sdk = await createMemoryLaneStore({ domain: DOMAIN });
    const lane = laneOf(ACTORS.payer.address, 1);
    const { res, json } = await paid(sdk, lane, bodyOf("Write ad copy."));
    expect(res.status).to.equal(200);
    expect(json.object).to.equal("chat.completion");
    const choice = (json.choices as { message: { content: string }; finish_reason: string }[])[0];
    const text = choice?.message.content as string;
    const { record, recordSig } = decodeRecordHeader(res.headers.get(RECORD_HEADER) as string);
    expect(await recoverInferenceRecordSigner(DOMAIN, record, recordSig)).to.equal(ACTORS.operator.address);
    expect(record.outputHash).to.equal(hashOutputText(text));
    expect(record.outputTokens).to.equal((json.usage as { completion_tokens: number }).completion_tokens);
    expect(record.datasetIds).to.deep.equal(SHARES.datasetIds);
    const recordId = res.headers.get(RECORD_ID_HEADER) as Hex;
    const stored = await store.getRecord(recordId);
    expect(stored?.entry.outputText).to.equal(text);
    expect(stored?.entry.receipt.seq).to.equal(1n);
    expect(published.at(-1)?.record).to.deep.equal(stored?.entry.record);
    const laneId = getLaneId(lane.payer, NODE, VERSION, 1);
    expect((await store.getLatestReceipt(laneId))?.recordId).to.equal(recordId);
  });

  it("serves /v1/completions in OpenAI's text_completion shape", async () => {
    const sdk = await createMemoryLaneStore({ domain: DOMAIN });
    const body = new TextEncoder().encode(JSON.stringify({ model: "7", prompt: "type: coat", max_tokens: 3 }));
    const { header } = await nextReceipt(clientOf(ACTORS.signer), {
      store: sdk,
      lane: laneOf(ACTORS.payer.address, 2),
      requestBody: body,
      value: PRICE,
    });
    const { res, json } = await send(body, { [RECEIPT_HEADER]: header }, header, "/v1/completions");
    expect(res.status).to.equal(200);
    expect(json.object).to.equal("text_completion");
    expect((json.choices as { text: unknown }[])[0]?.text).to.be.a("string");
  });

  describe("refusals: the right status and code, nothing accepted lost", () => {
    const lane = laneOf(ACTORS.payer.address, 3);
    const laneId = getLaneId(lane.payer, NODE, VERSION, 3);
    let sdk: LaneStore;
    let firstHeader: string;
    let firstBody: Uint8Array;

    before(async () => {
      sdk = await createMemoryLaneStore({ domain: DOMAIN });
      firstBody = bodyOf("first");
      const first = await paid(sdk, lane, firstBody);
      expect(first.res.status).to.equal(200);
      firstHeader = first.header;
    });

    afterEach(async () => {
      // Whatever was refused, seq 1 of the lane is still there, answered.
      const state = await store.getLane(laneId);
      expect(state?.lastSeq).to.be.greaterThanOrEqual(1n);
      const [record] = await store.getRecordsBySeqRange(laneId, 1n, 1n, 1);
      expect(record?.entry.receipt.seq).to.equal(1n);
    });

    it("402 RECEIPT_MISSING without the header", async () => {
      const { res, json } = await send(bodyOf("x"), {});
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.RECEIPT_MISSING);
    });

    it("402 RECEIPT_MALFORMED for a header that does not decode", async () => {
      const { res, json } = await send(bodyOf("x"), { [RECEIPT_HEADER]: `${firstHeader.slice(0, -1)}=` });
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.RECEIPT_MALFORMED);
    });

    it("402 SIGNER_NOT_AUTHORIZED for a receipt signed by a stranger (THREATS #5, #6)", async () => {
      const { res, json } = await paid(
        await createMemoryLaneStore({ domain: DOMAIN }),
        laneOf(ACTORS.payer.address, 4),
        bodyOf("x"),
        {
          account: ACTORS.stranger,
        },
      );
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.SIGNER_NOT_AUTHORIZED);
    });

    it("402 WRONG_PRICE for a value other than the node's price", async () => {
      const { res, json } = await paid(
        await createMemoryLaneStore({ domain: DOMAIN }),
        laneOf(ACTORS.payer.address, 5),
        bodyOf("x"),
        {
          value: PRICE - 1n,
        },
      );
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.WRONG_PRICE);
      expect(json.error).to.deep.include({ expected: "100", found: "99" });
    });

    it("402 OVER_ESCROW past the payer's cover, after the cover is spent (THREATS #23)", async () => {
      const sdk2 = await createMemoryLaneStore({ domain: DOMAIN });
      const other = laneOf(ACTORS.otherPayer.address, 0);
      expect((await paid(sdk2, other, bodyOf("a"), { account: ACTORS.otherPayer })).res.status).to.equal(200);
      expect((await paid(sdk2, other, bodyOf("b"), { account: ACTORS.otherPayer })).res.status).to.equal(200);
      const { res, json } = await paid(sdk2, other, bodyOf("c"), { account: ACTORS.otherPayer });
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.OVER_ESCROW);
      expect(json.error).to.deep.include({ expected: "50", found: "100" });
    });

    it("serializes one payer's lanes on its escrow: of two concurrent requests with room for one, one is 402 (THREATS #23)", async () => {
      const payer = privateKeyToAccount(keccak256(toHex("api test: concurrent payer")));
      chain.setCoverage(payer.address, NODE, 150n);
      const [a, b] = await Promise.all([
        paid(await createMemoryLaneStore({ domain: DOMAIN }), laneOf(payer.address, 0), bodyOf("a"), {
          account: payer,
        }),
        paid(await createMemoryLaneStore({ domain: DOMAIN }), laneOf(payer.address, 1), bodyOf("b"), {
          account: payer,
        }),
      ]);
      expect([a.res.status, b.res.status].sort()).to.deep.equal([200, 402]);
      expect(codeOf(a.res.status === 402 ? a.json : b.json)).to.equal(ValidationErrorCode.OVER_ESCROW);
    });

    it("402 REQUEST_HASH_MISMATCH when the body was altered after signing", async () => {
      const body = bodyOf("signed");
      const { res, json } = await paid(sdk, lane, body, { send: bodyOf("altered") });
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.REQUEST_HASH_MISMATCH);
      // The refused receipt consumed nothing: the lane is still at seq 1.
      expect((await store.getLane(laneId))?.lastSeq).to.equal(1n);
    });

    it("409 DUPLICATE for a replayed receipt (THREATS #3)", async () => {
      const { res, json } = await send(firstBody, { [RECEIPT_HEADER]: firstHeader });
      expect(res.status).to.equal(409);
      expect(codeOf(json)).to.equal(ValidationErrorCode.DUPLICATE);
    });

    it("409 EQUIVOCATION for a second, different receipt at a seq already seen, both kept as evidence", async () => {
      const fresh = await createMemoryLaneStore({ domain: DOMAIN });
      const { res, json } = await paid(fresh, lane, bodyOf("another seq 1"));
      expect(res.status).to.equal(409);
      expect(codeOf(json)).to.equal(ValidationErrorCode.EQUIVOCATION);
      const [evidence] = await store.listEquivocations(10, laneId);
      expect(evidence?.kind).to.equal(EquivocationKind.RECEIPT);
      expect(evidence?.first.receipt.requestHash).to.equal(hashRequestBody(firstBody));
      expect(evidence?.second.receipt.requestHash).to.equal(hashRequestBody(bodyOf("another seq 1")));
      expect(evidence?.second.receiptSig).to.equal((await fresh.getLane(lane))?.last?.signature);
    });

    it("409 CUMULATIVE_MISMATCH for the next seq with a cumulative that does not rise by its value (THREATS #4)", async () => {
      const body = bodyOf("low cumulative");
      const receipt = {
        payer: lane.payer,
        node: NODE,
        versionId: VERSION,
        lane: lane.lane,
        seq: ((await store.getLane(laneId))?.lastSeq ?? 0n) + 1n,
        requestHash: hashRequestBody(body),
        value: PRICE,
        cumulative: PRICE,
      };
      const signature = await ACTORS.signer.signTypedData({
        domain: DOMAIN,
        types: receiptTypes,
        primaryType: "Receipt",
        message: receipt,
      });
      const { res, json } = await send(body, { [RECEIPT_HEADER]: encodeReceiptHeader({ receipt, signature }) });
      expect(res.status).to.equal(409);
      expect(codeOf(json)).to.equal(ValidationErrorCode.CUMULATIVE_MISMATCH);
    });

    it("402 RECEIPT_MALFORMED for the same receipt with a high-s signature (THREATS #22)", async () => {
      const bytes = Buffer.from(firstHeader, "base64url");
      const s = BigInt(`0x${bytes.subarray(288, 320).toString("hex")}`);
      bytes.set(Buffer.from((SECP256K1_N - s).toString(16).padStart(64, "0"), "hex"), 288);
      bytes[320] = (bytes[320] ?? 27) === 27 ? 28 : 27;
      const { res, json } = await send(firstBody, { [RECEIPT_HEADER]: bytes.toString("base64url") });
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.RECEIPT_MALFORMED);
    });

    it("402 SIGNER_NOT_AUTHORIZED for a receipt signed under another chain id (THREATS #8)", async () => {
      const otherChain = await createMemoryLaneStore({ domain: settlementDomain(CHAIN_ID + 1n, SETTLEMENT) });
      const { res, json } = await paid(otherChain, laneOf(ACTORS.payer.address, 10), bodyOf("x"));
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.SIGNER_NOT_AUTHORIZED);
    });

    it("402 WRONG_NODE for a receipt naming another node (THREATS #1, #2)", async () => {
      const sdk4 = await createMemoryLaneStore({ domain: DOMAIN });
      const { res, json } = await paid(
        sdk4,
        { ...laneOf(ACTORS.payer.address, 0), node: ACTORS.otherNode.address },
        bodyOf("x"),
      );
      expect(res.status).to.equal(402);
      expect(codeOf(json)).to.equal(ValidationErrorCode.WRONG_NODE);
    });

    it("409 SEQ_GAP for a receipt past the next seq, then both served in order", async () => {
      const ahead = await createMemoryLaneStore({ domain: DOMAIN });
      const l = laneOf(ACTORS.payer.address, 6);
      const b1 = bodyOf("one");
      const r1 = await nextReceipt(clientOf(ACTORS.signer), { store: ahead, lane: l, requestBody: b1, value: PRICE });
      const b2 = bodyOf("two");
      const r2 = await nextReceipt(clientOf(ACTORS.signer), { store: ahead, lane: l, requestBody: b2, value: PRICE });
      const gap = await send(b2, { [RECEIPT_HEADER]: r2.header });
      expect(gap.res.status).to.equal(409);
      expect(codeOf(gap.json)).to.equal(ValidationErrorCode.SEQ_GAP);
      expect(gap.json.error).to.deep.include({ expected: "1", found: "2" });
      expect((await send(b1, { [RECEIPT_HEADER]: r1.header })).res.status).to.equal(200);
      expect((await send(b2, { [RECEIPT_HEADER]: r2.header })).res.status).to.equal(200);
      // An older seq replayed (its receipt read back from its stored record) is a duplicate (THREATS #3, #4).
      const old = await send(b1, { [RECEIPT_HEADER]: r1.header });
      expect(old.res.status).to.equal(409);
      expect(codeOf(old.json)).to.equal(ValidationErrorCode.DUPLICATE);
    });

    it("503 VERSION_PENDING for a version not yet active", async () => {
      const sdk3 = await createMemoryLaneStore({ domain: DOMAIN });
      const { res, json } = await paid(
        sdk3,
        { ...laneOf(ACTORS.payer.address, 0), versionId: 8n },
        bodyOf("x", "pending"),
      );
      expect(res.status).to.equal(503);
      expect(codeOf(json)).to.equal(ValidationErrorCode.VERSION_PENDING);
    });
  });

  it("refuses bad requests before payment in OpenAI's error shape: bad JSON 400, unknown model 404, too large 413", async () => {
    const bad = await send(new TextEncoder().encode("{not json"), {});
    expect(bad.res.status).to.equal(400);
    expect(bad.json.error).to.deep.include({ type: "invalid_request_error" });
    const unknown = await send(bodyOf("x", "nope"), {});
    expect(unknown.res.status).to.equal(404);
    expect(codeOf(unknown.json)).to.equal("model_not_found");
    const large = await send(new Uint8Array(5000).fill(32), {});
    expect(large.res.status).to.equal(413);
    const get = await fetch(`${url}/v1/chat/completions`);
    expect(get.status).to.equal(405);
  });

  it("keeps private outputs off the gossiped entry: empty text, training shares", async () => {
    const sdk = await createMemoryLaneStore({ domain: DOMAIN });
    const { res } = await paid(sdk, laneOf(ACTORS.payer.address, 7), bodyOf("secret"), {
      headers: { [PRIVATE_HEADER]: "1" },
    });
    expect(res.status).to.equal(200);
    const stored = await store.getRecord(res.headers.get(RECORD_ID_HEADER) as Hex);
    expect(stored?.entry.outputText).to.equal("");
    expect(stored?.entry.record.weightsPpm).to.deep.equal(SHARES.weightsPpm);
    expect(stored?.entry.record.outputHash).to.not.equal(hashOutputText(""));
  });

  it("a backend failure after acceptance still consumes the seq: 502, a record of the failure, the lane goes on", async () => {
    const failing = new ApiServer(
      { node: NODE, models: [{ name: "ads", versionId: VERSION, backendModel: "ads" }] },
      {
        chain,
        lanes: new StoreLaneView(store, DOMAIN),
        store,
        backend: new OpenAIUpstreamBackend({ baseUrl: "http://127.0.0.1:1", models: ["ads"] }),
        attributor: new TrainingSharesAttributor(() => SHARES),
        operator: ACTORS.operator,
        publisher: { publish: () => {} },
      },
    );
    const { port } = await failing.listen();
    try {
      const sdk = await createMemoryLaneStore({ domain: DOMAIN });
      const lane = laneOf(ACTORS.payer.address, 8);
      const body = bodyOf("fails");
      const { header } = await nextReceipt(clientOf(ACTORS.signer), {
        store: sdk,
        lane,
        requestBody: body,
        value: PRICE,
      });
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        body,
        headers: { [RECEIPT_HEADER]: header },
      });
      expect(res.status).to.equal(502);
      const json = (await res.json()) as { error: { receipt: { consumed: boolean } } };
      expect(json.error.receipt.consumed).to.equal(true);
      const laneId = getLaneId(lane.payer, NODE, VERSION, 8);
      expect((await store.getLane(laneId))?.lastSeq).to.equal(1n);
      const [record] = await store.getRecordsBySeqRange(laneId, 1n, 1n, 1);
      expect(record?.entry.record.outputTokens).to.equal(0);
      // Retrying the same receipt is a replay, not a second service.
      const replay = await send(body, { [RECEIPT_HEADER]: header });
      expect(replay.res.status).to.equal(409);
      // The next seq is served by the healthy server.
      expect((await paid(sdk, lane, bodyOf("next"))).res.status).to.equal(200);
    } finally {
      await failing.close();
    }
  });

  it("times an inference out with 504 after its receipt was accepted; the seq stays consumed", async () => {
    const silent = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const upstream = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const slow = new ApiServer(
      { node: NODE, models: [{ name: "ads", versionId: VERSION, backendModel: "ads" }], inferenceTimeoutMs: 300 },
      {
        chain,
        lanes: new StoreLaneView(store, DOMAIN),
        store,
        backend: new OpenAIUpstreamBackend({ baseUrl: upstream, models: ["ads"] }),
        attributor: new TrainingSharesAttributor(() => SHARES),
        operator: ACTORS.operator,
        publisher: { publish: () => {} },
      },
    );
    const { port } = await slow.listen();
    try {
      const sdk = await createMemoryLaneStore({ domain: DOMAIN });
      const lane = laneOf(ACTORS.payer.address, 11);
      const body = bodyOf("slow");
      const { header } = await nextReceipt(clientOf(ACTORS.signer), {
        store: sdk,
        lane,
        requestBody: body,
        value: PRICE,
      });
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        body,
        headers: { [RECEIPT_HEADER]: header },
      });
      expect(res.status).to.equal(504);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal("INFERENCE_ERROR_TIMEOUT");
      expect(res.headers.get(RECORD_HEADER)).to.be.a("string");
      expect((await store.getLane(getLaneId(lane.payer, NODE, VERSION, 11)))?.lastSeq).to.equal(1n);
    } finally {
      await slow.close();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("a record that cannot be made leaves the receipt pending (500 record_failed) until it is answered", async () => {
    const broken = new ApiServer(
      { node: NODE, models: [{ name: "ads", versionId: VERSION, backendModel: "builtin" }] },
      {
        chain,
        lanes: new StoreLaneView(store, DOMAIN),
        store,
        backend,
        attributor: new TrainingSharesAttributor(() => undefined),
        operator: ACTORS.operator,
        publisher: { publish: () => {} },
      },
    );
    const { port } = await broken.listen();
    try {
      const sdk = await createMemoryLaneStore({ domain: DOMAIN });
      const lane = laneOf(ACTORS.payer.address, 12);
      const body = bodyOf("no shares");
      const { header } = await nextReceipt(clientOf(ACTORS.signer), {
        store: sdk,
        lane,
        requestBody: body,
        value: PRICE,
      });
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        body,
        headers: { [RECEIPT_HEADER]: header },
      });
      expect(res.status).to.equal(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal("record_failed");
      const next = await paid(sdk, lane, bodyOf("after"));
      expect(next.res.status).to.equal(503);
      expect(codeOf(next.json)).to.equal("store_unavailable");
      expect(await api.answerPendingReceipts()).to.equal(1);
      const laneId = getLaneId(lane.payer, NODE, VERSION, 12);
      expect((await store.getRecordsBySeqRange(laneId, 1n, 1n, 1))[0]?.entry.record.outputTokens).to.equal(0);
    } finally {
      await broken.close();
    }
  });

  it("answers receipts a crash left pending with a failure record", async () => {
    const sdk = await createMemoryLaneStore({ domain: DOMAIN });
    const lane = laneOf(ACTORS.payer.address, 9);
    const { receipt, signature } = await nextReceipt(clientOf(ACTORS.signer), {
      store: sdk,
      lane,
      requestBody: bodyOf("crash"),
      value: PRICE,
    });
    await store.acceptServedReceipt({ receipt, receiptSig: signature });
    expect(await api.answerPendingReceipts()).to.equal(1);
    const [record] = await store.getRecordsBySeqRange(getLaneId(lane.payer, NODE, VERSION, 9), 1n, 1n, 1);
    expect(record?.entry.receipt.seq).to.equal(1n);
    expect(await store.listPendingReceipts(NODE)).to.have.length(0);
  });

  it("GET /v1/models lists priced, active versions; /status, /health and /metrics answer", async () => {
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string; price: string }[] };
    expect(models.data).to.deep.equal([
      { id: "ads", object: "model", created: 0, owned_by: NODE, version_id: "7", price: "100" },
    ]);
    const status = (await (await fetch(`${url}/status`)).json()) as Record<string, unknown>;
    expect(status).to.deep.include({ node: NODE, operator: ACTORS.operator.address, peers: 3 });
    expect(status.chain).to.deep.include({ chainId: CHAIN_ID.toString(), synced: true });
    expect(await (await fetch(`${url}/health`)).json()).to.deep.equal({ status: "ok" });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).to.match(/olnode_api_requests_total\{route="chat",status="200"\} \d+/);
    expect(metrics).to.match(/olnode_api_receipts_refused_total\{code="VALIDATION_ERROR_DUPLICATE"\} 1/);
  });

  it("RecordBatcher wires as the publisher (coordinator shape)", async () => {
    const messages: Entry[][] = [];
    const batcher = new RecordBatcher({ flushIntervalMs: 10 }, { publish: (entries) => void messages.push(entries) });
    expect(published.length).to.be.greaterThan(0);
    batcher.add(published[0] as Entry);
    await batcher.close();
    expect(messages).to.have.length(1);
  });
});
