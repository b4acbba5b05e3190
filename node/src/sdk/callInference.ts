import type { Address, Hex } from "viem";
import {
  decodeRecordHeader,
  getInferenceRecordDigest,
  getReceiptDigest,
  hashOutputText,
  type InferenceRecord,
  PRIVATE_HEADER,
  RECORD_HEADER,
  recoverInferenceRecordSigner,
} from "../protocol/index.js";
import { RECEIPT_HEADER } from "./encodeReceiptHeader.js";
import { InferenceCallError, InferenceCallErrorCode } from "./errors.js";
import type { LaneStore } from "./laneStore.js";
import { nextReceipt } from "./nextReceipt.js";
import type { AccountClient, Lane, SignedReceipt } from "./types.js";

/** Inputs of {@link callInference}. */
export type CallInferenceParameters = {
  /** The node's API, e.g. `http://127.0.0.1:8080`. */
  endpoint: string;
  store: LaneStore;
  lane: Lane;
  /** The node's on-chain price for `lane.versionId` (wei): the receipt's value. */
  price: bigint;
  /** An OpenAI chat request (`{ model, messages, … }`) or completion request (`{ model, prompt, … }`). */
  request: { model: string } & ({ messages: unknown[] } | { prompt: string }) & Record<string, unknown>;
  /** The operator address the record must be signed by (`NodeRegistry.operatorOf(node)`); unchecked when absent. */
  operator?: Address;
  /** Private mode: the output text is not gossiped with the record. */
  private?: boolean;
  fetch?: typeof fetch;
};

/** What {@link callInference} returns: the OpenAI answer, its text, the receipt paid and the signed record. */
export type CallInferenceReturnType = {
  response: Record<string, unknown>;
  /** The first choice's text (what the record's outputHash covers). */
  text: string;
  receipt: SignedReceipt;
  record: InferenceRecord;
  recordSig: Hex;
  /** The record's id: its EIP-712 digest. */
  recordId: Hex;
};

/**
 * Pays for one inference and checks what came back (DESIGN §4): signs the lane's next receipt over the exact body
 * bytes (persisted before sending: pay before), POSTs it to `/v1/chat/completions` or `/v1/completions`, then checks
 * the `OLP-Record` the node signed: it answers this receipt, its outputHash is the text received, and (when
 * `operator` is given) the node's operator signed it. A refused request still spent its seq.
 *
 * @throws {InferenceCallError} `HTTP_STATUS` (the body says why: a 402 names the receipt rule), `NO_RECORD`,
 * `RECORD_MISMATCH`, `WRONG_SIGNER`
 */
export async function callInference(
  client: AccountClient,
  parameters: CallInferenceParameters,
): Promise<CallInferenceReturnType> {
  const { endpoint, store, lane, price, request } = parameters;
  const body = new TextEncoder().encode(JSON.stringify(request));
  const receipt = await nextReceipt(client, { store, lane, requestBody: body, value: price });
  const chat = "messages" in request;
  const headers: Record<string, string> = { "content-type": "application/json", [RECEIPT_HEADER]: receipt.header };
  if (parameters.private === true) headers[PRIVATE_HEADER] = "1";
  const answer = await (parameters.fetch ?? fetch)(
    new URL(chat ? "/v1/chat/completions" : "/v1/completions", endpoint),
    {
      method: "POST",
      body,
      headers,
    },
  );
  const text = await answer.text();
  if (!answer.ok) {
    throw new InferenceCallError({ code: InferenceCallErrorCode.HTTP_STATUS, status: answer.status, body: text });
  }
  const header = answer.headers.get(RECORD_HEADER);
  if (header === null) throw new InferenceCallError({ code: InferenceCallErrorCode.NO_RECORD });
  let signed: { record: InferenceRecord; recordSig: Hex };
  try {
    signed = decodeRecordHeader(header);
  } catch (cause) {
    throw new InferenceCallError({ code: InferenceCallErrorCode.NO_RECORD }, { cause });
  }
  const response = JSON.parse(text) as Record<string, unknown>;
  const choice = (response.choices as { text?: string; message?: { content?: string } }[] | undefined)?.[0];
  const output = (chat ? choice?.message?.content : choice?.text) ?? "";
  const domain = store.domain;
  if (signed.record.receiptDigest !== getReceiptDigest(domain, receipt.receipt)) {
    throw new InferenceCallError({ code: InferenceCallErrorCode.RECORD_MISMATCH, field: "receiptDigest" });
  }
  if (signed.record.outputHash !== hashOutputText(output)) {
    throw new InferenceCallError({ code: InferenceCallErrorCode.RECORD_MISMATCH, field: "outputHash" });
  }
  if (parameters.operator !== undefined) {
    const recovered = await recoverInferenceRecordSigner(domain, signed.record, signed.recordSig);
    if (recovered.toLowerCase() !== parameters.operator.toLowerCase()) {
      throw new InferenceCallError({
        code: InferenceCallErrorCode.WRONG_SIGNER,
        expected: parameters.operator,
        recovered,
      });
    }
  }
  return {
    response,
    text: output,
    receipt: { receipt: receipt.receipt, signature: receipt.signature },
    record: signed.record,
    recordSig: signed.recordSig,
    recordId: getInferenceRecordDigest(domain, signed.record),
  };
}
