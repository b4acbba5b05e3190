import { decodeAbiParameters, encodeAbiParameters, type Hex, toBytes, toHex } from "viem";
import { inferenceRecordAbiComponents } from "./entry.js";
import type { InferenceRecord } from "./types.js";

/** The response header carrying the signed InferenceRecord of a paid request (docs/api.md). */
export const RECORD_HEADER = "OLP-Record";
/** The response header carrying the record id (its EIP-712 digest), for logs and the explorer. */
export const RECORD_ID_HEADER = "OLP-Record-Id";
/** The request header asking for private mode: the output text does not travel with the gossiped record. */
export const PRIVATE_HEADER = "OLP-Private";

const recordHeaderParameters = [
  { name: "record", type: "tuple", components: inferenceRecordAbiComponents },
  { name: "recordSig", type: "bytes" },
] as const;

/** `base64url(abi.encode(InferenceRecord record, bytes recordSig))`, no padding: the `OLP-Record` header value. */
export function encodeRecordHeader(record: InferenceRecord, recordSig: Hex): string {
  return Buffer.from(toBytes(encodeAbiParameters(recordHeaderParameters, [record, recordSig]))).toString("base64url");
}

/** Decodes an `OLP-Record` header value (a dapp checks the signer with `recoverInferenceRecordSigner`). */
export function decodeRecordHeader(value: string): { record: InferenceRecord; recordSig: Hex } {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new Error("expected a base64url OLP-Record header without padding");
  const [record, recordSig] = decodeAbiParameters(recordHeaderParameters, toHex(Buffer.from(value, "base64url")));
  return { record: { ...record, datasetIds: [...record.datasetIds], weightsPpm: [...record.weightsPpm] }, recordSig };
}
