import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Address, Hex, LocalAccount } from "viem";
import { type Completion, type InferenceBackend, InferenceError, InferenceErrorCode } from "../inference/index.js";
import {
  type Entry,
  encodeRecordHeader,
  getInferenceRecordDigest,
  getReceiptDigest,
  hashOutputText,
  hashRequestBody,
  type InferenceRecord,
  inferenceRecordTypes,
  PRIVATE_HEADER,
  RECORD_HEADER,
  RECORD_ID_HEADER,
  type Receipt,
  settlementDomain,
} from "../protocol/index.js";
import { decodeReceiptHeader, RECEIPT_HEADER } from "../sdk/index.js";
import type { Store } from "../store/index.js";
import {
  type AcceptedReceipt,
  type ChainView,
  GossipAction,
  httpErrorBodyOf,
  httpStatusOf,
  type LaneView,
  type ReceiptEquivocation,
  ValidationError,
  ValidationErrorCode,
  VersionStatus,
  validateReceipt,
} from "../validation/index.js";
import { type Attributor, checkAttribution } from "./attributor.js";
import { type ApiMetrics, createApiMetrics } from "./metrics.js";
import { BoundedKeyedMutex, KeyBusyError } from "./mutex.js";
import { InvalidRequestError, type ParsedRequest, parseCompletionRequest } from "./request.js";
import type { ApiLogger } from "./types.js";

/** Default largest request body (a long chat fits many times over). */
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;
/** Default time a client has to send its headers and body. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Default time one inference may take before the request fails (the seq stays consumed). */
export const DEFAULT_INFERENCE_TIMEOUT_MS = 120_000;
/** Default most requests waiting behind the one being served, per lane. */
export const DEFAULT_MAX_WAITING_PER_LANE = 8;
/** Default most lanes with requests in flight at once. */
export const DEFAULT_MAX_LANES_IN_FLIGHT = 1_024;

/** One adapter version this node serves: the name requests use, and the backend's name of its model. */
export type ServedModel = {
  /** The OpenAI `model` name; the decimal version id is accepted too. */
  name: string;
  versionId: bigint;
  /** The backend's model name (TrainerBackend model name; the upstream's LoRA adapter name). */
  backendModel: string;
};

export type ApiServerOptions = {
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port (default 0: any free port). */
  port?: number;
  /** This node's address: receipts must name it. */
  node: Address;
  models: readonly ServedModel[];
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
  inferenceTimeoutMs?: number;
  maxWaitingPerLane?: number;
  maxLanesInFlight?: number;
};

/** Hands a signed entry on (the coordinator wires a {@link RecordBatcher} and p2p). */
export interface RecordPublisher {
  publish(entry: Entry): void;
}

/** What `/status` reports beyond the API's own state (injected getters). */
export type StatusGetters = {
  /** Peers connected (p2p). */
  peers?(): number;
  /** The chain indexer's position (head, indexed block…); JSON-safe values (bigints as strings). */
  chain?(): Record<string, unknown> | Promise<Record<string, unknown>>;
};

export type ApiServerModules = {
  chain: ChainView;
  lanes: LaneView;
  store: Store;
  backend: InferenceBackend;
  attributor: Attributor;
  /** The node operator's key: signs every InferenceRecord (DESIGN §4). */
  operator: LocalAccount;
  publisher: RecordPublisher;
  /** Where the API registers its metrics. */
  registry?: Registry;
  /** What `GET /metrics` serves: the node's registry and libp2p's. */
  metricsRegistries?: readonly Registry[];
  status?: StatusGetters;
  logger?: ApiLogger;
  /**
   * Handlers tried, in order, before a path outside the API's own routes gets a 404 (the explorer mounts here); each
   * resolves true when it answered the request.
   */
  mounts?: readonly ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>)[];
};

const ROUTES = new Set(["/v1/chat/completions", "/v1/completions", "/v1/models", "/status", "/health", "/metrics"]);

type Route = "chat" | "completions" | "models" | "status" | "health" | "metrics" | "other";

/** An answered request's status, so metrics can count it. */
class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * The node's HTTP API (DESIGN §5 `api/`, docs/api.md): OpenAI-shaped, paid inference (`POST /v1/chat/completions`,
 * `POST /v1/completions`) with a receipt per request judged by validation before anything is served (pay before), the
 * signed InferenceRecord in the response; `GET /v1/models`, `/status`, `/health`, `/metrics`.
 *
 * Per paid request: the raw body is hashed (requestHash) before parsing; the `OLP-Receipt` header is decoded and
 * judged by `validateReceipt`; the receipt is persisted (one atomic batch) before inference, so a failed request
 * still consumes its seq; then inference; then the record (signed by the operator) is stored with its receipt as one
 * gossip Entry, returned in `OLP-Record`, and handed to the publisher. Requests of one lane are served one at a time
 * (the SDK sends them so); validation and the receipt write are serialized per (payer, node) so two lanes of one payer
 * cannot both spend the same escrow cover.
 */
export class ApiServer {
  private readonly server: Server;
  private readonly metrics: ApiMetrics | undefined;
  private readonly byName = new Map<string, ServedModel>();
  private readonly laneMutex: BoundedKeyedMutex;
  private readonly payerMutex: BoundedKeyedMutex;
  private readonly controller = new AbortController();
  private readonly startedAt = Date.now();
  private inFlight = 0;

  constructor(
    private readonly opts: ApiServerOptions,
    private readonly modules: ApiServerModules,
  ) {
    for (const model of opts.models) {
      for (const name of [model.name, model.versionId.toString()]) {
        const known = this.byName.get(name);
        if (known !== undefined && known.versionId !== model.versionId) {
          throw new Error(`model name ${name} names versions ${known.versionId} and ${model.versionId}`);
        }
        this.byName.set(name, model);
      }
    }
    this.metrics = modules.registry === undefined ? undefined : createApiMetrics(modules.registry);
    const maxLanes = opts.maxLanesInFlight ?? DEFAULT_MAX_LANES_IN_FLIGHT;
    this.laneMutex = new BoundedKeyedMutex(opts.maxWaitingPerLane ?? DEFAULT_MAX_WAITING_PER_LANE, maxLanes);
    this.payerMutex = new BoundedKeyedMutex(maxLanes, maxLanes);
    const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
    this.server = createServer(
      { requestTimeout: bodyTimeoutMs, headersTimeout: Math.min(bodyTimeoutMs, 60_000) },
      (req, res) => {
        this.handle(req, res).catch((err) => {
          modules.logger?.error("Unhandled API error", { url: req.url }, err);
          if (!res.headersSent) res.writeHead(500).end();
        });
      },
    );
  }

  /** The metrics the API counts (undefined without a registry); the coordinator gives them to the batcher. */
  get apiMetrics(): ApiMetrics | undefined {
    return this.metrics;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.modules.logger?.info("API listening", { host: address.address, port: address.port });
    return address;
  }

  /** The bound address (after {@link listen}). */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /**
   * Answers, after a crash, every receipt of ours left pending (accepted, never answered by a record): each gets the
   * record of a failed request (empty output, training shares), stored and published, so the lane continues and
   * peers see every seq. Call once after the store opens, before {@link listen}.
   */
  async answerPendingReceipts(): Promise<number> {
    const pending = await this.modules.store.listPendingReceipts(this.opts.node);
    for (const p of pending) {
      await this.finishRecord(p.receipt, p.receiptSig, undefined, true);
      this.modules.logger?.warn("Answered a receipt left pending by a crash", { laneId: p.laneId, seq: p.receipt.seq });
    }
    return pending.length;
  }

  /** Stops accepting connections, aborts inferences in flight, and waits for the server to close. */
  async close(): Promise<void> {
    this.controller.abort();
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const path = (req.url ?? "/").split("?")[0];
    let route: Route = "other";
    let answer: HttpAnswer;
    try {
      if (req.method === "POST" && path === "/v1/chat/completions") {
        route = "chat";
        answer = await this.completion(req, true);
      } else if (req.method === "POST" && path === "/v1/completions") {
        route = "completions";
        answer = await this.completion(req, false);
      } else if (req.method === "GET" && path === "/v1/models") {
        route = "models";
        answer = await this.models();
      } else if (req.method === "GET" && path === "/status") {
        route = "status";
        answer = await this.status();
      } else if (req.method === "GET" && path === "/health") {
        route = "health";
        answer = new HttpAnswer(200, { status: "ok" });
      } else if (req.method === "GET" && path === "/metrics") {
        route = "metrics";
        await this.serveMetrics(res);
        this.count(route, 200, started);
        return;
      } else if (ROUTES.has(path ?? "")) {
        answer = openAIError(
          405,
          "invalid_request_error",
          `${req.method} is not allowed on ${path}`,
          null,
          "method_not_allowed",
        );
      } else {
        for (const mount of this.modules.mounts ?? []) {
          if (await mount(req, res)) return;
        }
        answer = openAIError(404, "invalid_request_error", `no route ${req.method} ${path}`, null, "not_found");
      }
    } catch (err) {
      this.modules.logger?.error("API request failed", { route }, err);
      answer = openAIError(500, "server_error", "internal error", null, "internal_error");
    }
    const body = JSON.stringify(answer.body, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    res.writeHead(answer.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...answer.headers,
    });
    res.end(body);
    this.count(route, answer.status, started);
  }

  private async completion(req: IncomingMessage, chat: boolean): Promise<HttpAnswer> {
    const body = await readBody(req, this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (body instanceof HttpAnswer) return body;
    // DESIGN §4: requestHash = keccak256 of the raw body bytes exactly as received, hashed before any parsing.
    const requestHash = hashRequestBody(body);
    let request: ParsedRequest;
    try {
      request = parseCompletionRequest(body, chat);
    } catch (err) {
      if (err instanceof InvalidRequestError) return openAIError(400, "invalid_request_error", err.message, err.param);
      throw err;
    }
    const model = this.byName.get(request.model);
    if (model === undefined) {
      return openAIError(
        404,
        "invalid_request_error",
        `expected a model this node serves (${[...new Set([...this.byName.values()].map((m) => m.name))].join(", ")}), found ${request.model}`,
        "model",
        "model_not_found",
      );
    }
    const header = req.headers[RECEIPT_HEADER.toLowerCase()];
    let signed: ReturnType<typeof decodeReceiptHeader>;
    try {
      if (header === undefined || header === "") {
        throw new ValidationError(GossipAction.REJECT, { code: ValidationErrorCode.RECEIPT_MISSING });
      }
      if (Array.isArray(header)) {
        throw new ValidationError(GossipAction.REJECT, {
          code: ValidationErrorCode.RECEIPT_MALFORMED,
          reason: `expected one ${RECEIPT_HEADER} header, found ${header.length}`,
        });
      }
      try {
        signed = decodeReceiptHeader(header);
      } catch (err) {
        throw new ValidationError(GossipAction.REJECT, {
          code: ValidationErrorCode.RECEIPT_MALFORMED,
          reason: (err as Error).message,
        });
      }
    } catch (err) {
      return this.refused(err);
    }
    const { receipt, signature } = signed;
    const privateMode = isPrivate(req.headers[PRIVATE_HEADER.toLowerCase()]);
    const laneKey = `${receipt.payer}/${receipt.node}/${receipt.versionId}/${receipt.lane}`.toLowerCase();
    try {
      return await this.laneMutex.run(laneKey, () =>
        this.serve(request, model, receipt, signature, requestHash, privateMode),
      );
    } catch (err) {
      if (err instanceof KeyBusyError) return openAIError(429, "rate_limit_error", err.message, null, "lane_busy");
      throw err;
    }
  }

  /** Judges, persists, serves and records one paid request; runs alone in its lane. */
  private async serve(
    request: ParsedRequest,
    model: ServedModel,
    receipt: AcceptedReceipt["receipt"],
    signature: Hex,
    requestHash: Hex,
    privateMode: boolean,
  ): Promise<HttpAnswer> {
    const payerKey = `${receipt.payer}/${receipt.node}`.toLowerCase();
    let accepted: AcceptedReceipt;
    try {
      accepted = await this.payerMutex.run(payerKey, async () => {
        const judged = await validateReceipt(
          receipt,
          signature,
          { chain: this.modules.chain, lanes: this.modules.lanes },
          { node: this.opts.node, versionId: model.versionId, requestHash },
        );
        // DESIGN §4, pay before: the receipt is durable before anything is served; a failure later still consumed it.
        await this.modules.store.acceptServedReceipt({
          receipt: judged.receipt,
          receiptSig: judged.signature,
          receiptDigest: judged.digest,
          signer: judged.signer,
        });
        return judged;
      });
    } catch (err) {
      if (err instanceof ValidationError) {
        if (err.type.code === ValidationErrorCode.EQUIVOCATION) await this.keepEvidence(err.type.evidence);
        return this.refused(err);
      }
      this.modules.logger?.error("Receipt could not be persisted", { seq: receipt.seq }, err);
      return openAIError(
        503,
        "server_error",
        "the node could not record the receipt: try again later",
        null,
        "store_unavailable",
      );
    }

    this.inFlight++;
    const timeoutMs = this.opts.inferenceTimeoutMs ?? DEFAULT_INFERENCE_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    let completion: Completion | undefined;
    let failure: InferenceError | undefined;
    try {
      completion = await this.modules.backend.complete({
        model: model.backendModel,
        ...(request.messages !== undefined ? { messages: request.messages } : { prompt: request.prompt ?? "" }),
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        seed: request.seed,
        signal: AbortSignal.any([this.controller.signal, timeout]),
      });
    } catch (err) {
      failure = timeout.aborted
        ? new InferenceError({ code: InferenceErrorCode.TIMEOUT, model: model.backendModel, timeoutMs }, { cause: err })
        : err instanceof InferenceError
          ? err
          : new InferenceError(
              { code: InferenceErrorCode.BACKEND_FAILED, model: model.backendModel, reason: "internal error" },
              { cause: err },
            );
      this.metrics?.inferenceFailed.inc({ code: failure.code });
      this.modules.logger?.warn("Inference failed after payment", { seq: receipt.seq, code: failure.code }, err);
    } finally {
      this.inFlight--;
    }

    let finished: Awaited<ReturnType<ApiServer["finishRecord"]>>;
    try {
      finished = await this.finishRecord(
        accepted.receipt,
        accepted.signature,
        completion,
        privateMode,
        accepted.digest,
      );
    } catch (err) {
      // The receipt stays pending; answerPendingReceipts answers it at the next start (docs/api.md, gaps).
      this.modules.logger?.error("Recording an accepted request failed", { seq: receipt.seq }, err);
      return new HttpAnswer(500, {
        error: {
          message: "internal error: the request was paid but its record could not be made",
          type: "server_error",
          param: null,
          code: "record_failed",
          receipt: { seq: receipt.seq.toString(), consumed: true },
        },
      });
    }
    const { recordId, record, recordSig } = finished;
    const headers = { [RECORD_HEADER]: encodeRecordHeader(record, recordSig), [RECORD_ID_HEADER]: recordId };
    if (completion === undefined || failure !== undefined) {
      const f = failure ?? new InferenceError({ code: InferenceErrorCode.CLOSED });
      const answer = inferenceErrorAnswer(f, receipt.seq);
      return new HttpAnswer(answer.status, answer.body, headers);
    }
    const usage = {
      prompt_tokens: completion.promptTokens,
      completion_tokens: completion.outputTokens,
      total_tokens: completion.promptTokens + completion.outputTokens,
    };
    const created = Math.floor(Date.now() / 1000);
    const choice =
      request.messages !== undefined
        ? { index: 0, message: { role: "assistant", content: completion.text }, finish_reason: completion.finishReason }
        : { index: 0, text: completion.text, logprobs: null, finish_reason: completion.finishReason };
    return new HttpAnswer(
      200,
      {
        id: `${request.messages !== undefined ? "chatcmpl" : "cmpl"}-${recordId.slice(2)}`,
        object: request.messages !== undefined ? "chat.completion" : "text_completion",
        created,
        model: request.model,
        choices: [choice],
        usage,
      },
      headers,
    );
  }

  /**
   * Builds, signs, stores and publishes the record answering an accepted receipt: the first choice's text hash and
   * the served model's token counts, or, for a failed request, an empty output with no tokens; credited by the
   * attributor (the training shares for private and failed requests).
   */
  private async finishRecord(
    receipt: AcceptedReceipt["receipt"],
    receiptSig: Hex,
    completion: Completion | undefined,
    privateMode: boolean,
    receiptDigest?: Hex,
  ): Promise<{ recordId: Hex; record: InferenceRecord; recordSig: Hex }> {
    const domain = settlementDomain(this.modules.chain.chainId, this.modules.chain.settlement);
    const text = completion?.text ?? "";
    const attribution = await this.modules.attributor.attribute(receipt.versionId, text, {
      private: privateMode || completion === undefined,
    });
    checkAttribution(attribution, receipt.versionId);
    const digest = receiptDigest ?? getReceiptDigest(domain, receipt);
    const record: InferenceRecord = {
      receiptDigest: digest,
      outputHash: hashOutputText(text),
      promptTokens: clampCount(completion?.promptTokens ?? 0),
      outputTokens: clampCount(completion?.outputTokens ?? 0),
      datasetIds: attribution.datasetIds,
      weightsPpm: attribution.weightsPpm,
    };
    const recordSig = await this.modules.operator.signTypedData({
      domain,
      types: inferenceRecordTypes,
      primaryType: "InferenceRecord",
      message: record,
    });
    const recordId = getInferenceRecordDigest(domain, record);
    // DESIGN §4: a private record's text does not travel (nor is it kept).
    const entry: Entry = { receipt, receiptSig, record, recordSig, outputText: privateMode ? "" : text };
    await this.modules.store.completeServedReceipt(entry, { recordId, receiptDigest: digest });
    try {
      this.modules.publisher.publish(entry);
    } catch (err) {
      // Stored already: peers can still fetch it with /olp/req/records/1.
      this.modules.logger?.warn("Publishing a record failed", { recordId }, err);
    }
    return { recordId, record, recordSig };
  }

  /**
   * DESIGN §4: a second, different receipt for a (lane, seq) is refused and both are kept as evidence. The store keeps
   * evidence as two entries; a receipt that no record answers (the second one always, the first while pending) goes
   * in with an empty record naming its digest (no datasets, no signature), so the evidence is the two signed receipts.
   */
  private async keepEvidence(evidence: ReceiptEquivocation): Promise<void> {
    try {
      const held =
        evidence.first.recordId === undefined ? undefined : await this.modules.store.getRecord(evidence.first.recordId);
      const first =
        held?.entry ?? receiptOnlyEntry(evidence.first.receipt, evidence.first.signature, evidence.first.digest);
      const second = receiptOnlyEntry(evidence.second.receipt, evidence.second.signature, evidence.second.digest);
      await this.modules.store.recordEquivocation(first, second);
      this.modules.logger?.warn("Receipt equivocation kept as evidence", {
        laneKey: evidence.laneKey,
        seq: evidence.seq,
      });
    } catch (err) {
      this.modules.logger?.error("Keeping equivocation evidence failed", { laneKey: evidence.laneKey }, err);
    }
  }

  private refused(err: unknown): HttpAnswer {
    if (err instanceof ValidationError) this.metrics?.receiptsRefused.inc({ code: err.type.code });
    else this.modules.logger?.error("Receipt judging failed", {}, err);
    return new HttpAnswer(httpStatusOf(err), httpErrorBodyOf(err));
  }

  private async models(): Promise<HttpAnswer> {
    const chain = this.modules.chain;
    const seen = new Set<bigint>();
    const data = [];
    for (const model of this.opts.models) {
      if (seen.has(model.versionId)) continue;
      seen.add(model.versionId);
      let status: VersionStatus;
      let price: bigint;
      try {
        [status, price] = await Promise.all([
          chain.versionStatus(model.versionId),
          chain.priceOf(this.opts.node, model.versionId),
        ]);
      } catch (err) {
        this.modules.logger?.warn("Chain view failed listing models", {}, err);
        return openAIError(
          503,
          "server_error",
          "the node's chain view is unavailable: try again later",
          null,
          "chain_unavailable",
        );
      }
      if (status !== VersionStatus.ACTIVE || price === 0n) continue;
      data.push({
        id: model.name,
        object: "model",
        created: 0,
        owned_by: this.opts.node,
        version_id: model.versionId.toString(),
        price: price.toString(),
      });
    }
    return new HttpAnswer(200, { object: "list", data });
  }

  private async status(): Promise<HttpAnswer> {
    const chain = this.modules.chain;
    let synced: boolean | null = null;
    try {
      synced = await chain.isSynced();
    } catch {
      synced = null;
    }
    return new HttpAnswer(200, {
      node: this.opts.node,
      operator: this.modules.operator.address,
      uptimeSeconds: Math.floor((Date.now() - this.startedAt) / 1000),
      chain: {
        chainId: chain.chainId.toString(),
        settlement: chain.settlement,
        synced,
        ...(await this.chainStatus()),
      },
      peers: this.modules.status?.peers?.() ?? null,
      lanes: { inFlight: this.laneMutex.size, inferencesInFlight: this.inFlight },
      models: this.opts.models.map((m) => ({ name: m.name, versionId: m.versionId.toString() })),
    });
  }

  private async chainStatus(): Promise<Record<string, unknown>> {
    try {
      return (await this.modules.status?.chain?.()) ?? {};
    } catch (err) {
      this.modules.logger?.warn("Chain status getter failed", {}, err);
      return { error: "unavailable" };
    }
  }

  private async serveMetrics(res: ServerResponse): Promise<void> {
    const registries = this.modules.metricsRegistries ?? (this.modules.registry ? [this.modules.registry] : []);
    const texts = await Promise.all(registries.map((r) => r.metrics()));
    const body = texts.join("\n");
    res.writeHead(200, {
      "content-type": registries[0]?.contentType ?? "text/plain; version=0.0.4; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  }

  private count(route: Route, status: number, started: bigint): void {
    if (this.metrics === undefined) return;
    this.metrics.requests.inc({ route, status: String(status) });
    this.metrics.duration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** OpenAI's error shape: `{ error: { message, type, param, code } }`. */
function openAIError(
  status: number,
  type: string,
  message: string,
  param: string | null,
  code: string | null = null,
): HttpAnswer {
  return new HttpAnswer(status, { error: { message, type, param, code } });
}

/** The answer to a paid request whose inference failed: the seq is consumed, and the record says so. */
function inferenceErrorAnswer(err: InferenceError, seq: bigint): HttpAnswer {
  const status =
    err.code === InferenceErrorCode.BAD_REQUEST
      ? 400
      : err.code === InferenceErrorCode.TIMEOUT
        ? 504
        : err.code === InferenceErrorCode.QUEUE_FULL || err.code === InferenceErrorCode.CLOSED
          ? 503
          : 502;
  const type = status === 400 ? "invalid_request_error" : "server_error";
  return new HttpAnswer(status, {
    error: {
      message: err.message,
      type,
      param: null,
      code: err.code,
      receipt: { seq: seq.toString(), consumed: true },
    },
  });
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | HttpAnswer> {
  const tooLarge = (): HttpAnswer =>
    openAIError(413, "invalid_request_error", `expected a body of at most ${maxBytes} bytes`, null, "body_too_large");
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) {
    req.resume();
    return tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      req.resume();
      return tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** An entry holding only a signed receipt: an empty record naming its digest, no signature, no text. */
function receiptOnlyEntry(receipt: Receipt, receiptSig: Hex, digest: Hex): Entry {
  const zero: Hex = `0x${"00".repeat(32)}`;
  return {
    receipt,
    receiptSig,
    record: {
      receiptDigest: digest,
      outputHash: zero,
      promptTokens: 0,
      outputTokens: 0,
      datasetIds: [],
      weightsPpm: [],
    },
    recordSig: "0x",
    outputText: "",
  };
}

function isPrivate(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const v = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  return v === "1" || v === "true";
}

function clampCount(n: number): number {
  return Math.max(0, Math.min(n, 2 ** 32 - 1));
}
