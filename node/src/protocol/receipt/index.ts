export {
  type AttributionTree,
  attributePool,
  attributionLeafEncoding,
  BPS,
  buildAttributionTree,
  type CoveredRecord,
  divideLargestRemainder,
  getAttributionProof,
  getAttributionProofs,
  getFallbackAmount,
  getRecordsRoot,
  type PoolRedemption,
  recordLeafEncoding,
  redemptionWeights,
  type SplitBps,
  type SplitParts,
  splitCollected,
} from "./attribution.js";
export {
  INFERENCE_RECORD_TYPE,
  inferenceRecordTypes,
  RECEIPT_TYPE,
  receiptTypes,
  SETTLEMENT_DOMAIN_NAME,
  SETTLEMENT_DOMAIN_VERSION,
  settlementDomain,
} from "./eip712.js";
export {
  ATTRIBUTION_TOPIC,
  attributionMessageParameters,
  decodeAttributionMessage,
  decodeRecordsMessage,
  encodeAttributionMessage,
  encodeRecordsMessage,
  getMessageId,
  inferenceRecordAbiComponents,
  MAX_ENTRIES,
  MAX_RECORDS_MESSAGE_BYTES,
  RECORDS_TOPIC,
  receiptAbiComponents,
  recordsMessageParameters,
} from "./entry.js";
export { ReceiptError, ReceiptErrorCode, type ReceiptErrorType } from "./errors.js";
export {
  getInferenceRecordDigest,
  getLaneId,
  getPoolId,
  getReceiptDigest,
  getReceiptKey,
  hashInferenceRecord,
  hashOutputText,
  hashReceipt,
  hashRequestBody,
} from "./hash.js";
export {
  decodeRecordHeader,
  encodeRecordHeader,
  PRIVATE_HEADER,
  RECORD_HEADER,
  RECORD_ID_HEADER,
} from "./recordHeader.js";
export {
  parseStrictSignature,
  recoverInferenceRecordSigner,
  recoverReceiptSigner,
  recoverStrictSigner,
  SECP256K1_HALF_N,
  SECP256K1_N,
  type StrictSignature,
} from "./signature.js";
export type {
  AttributionLeaf,
  AttributionMessage,
  Entry,
  InferenceRecord,
  Receipt,
  SettlementDomain,
} from "./types.js";
export { checkInferenceRecord, checkReceipt, RECORD_WEIGHT_TOTAL } from "./validate.js";
