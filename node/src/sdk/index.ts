export {
  type AuthorizeSignerParameters,
  type AuthorizeSignerReturnType,
  authorizeSigner,
} from "./authorizeSigner.js";
export { type CallInferenceParameters, type CallInferenceReturnType, callInference } from "./callInference.js";
export { checkLane } from "./checkLane.js";
export { type DecodeReceiptHeaderReturnType, decodeReceiptHeader } from "./decodeReceiptHeader.js";
export { type DepositParameters, type DepositReturnType, deposit } from "./deposit.js";
export {
  type DepositWithPermitParameters,
  type DepositWithPermitReturnType,
  depositWithPermit,
} from "./depositWithPermit.js";
export {
  type EncodeReceiptHeaderParameters,
  type EncodeReceiptHeaderReturnType,
  encodeReceiptHeader,
  RECEIPT_HEADER,
  RECEIPT_HEADER_BYTES,
  RECEIPT_HEADER_LENGTH,
  receiptHeaderParameters,
} from "./encodeReceiptHeader.js";
export {
  EscrowError,
  EscrowErrorCode,
  type EscrowErrorType,
  formatLane,
  InferenceCallError,
  InferenceCallErrorCode,
  type InferenceCallErrorType,
  LaneError,
  LaneErrorCode,
  type LaneErrorType,
  type LanePosition,
  LaneStoreError,
  LaneStoreErrorCode,
  type LaneStoreErrorType,
  ReceiptHeaderError,
  ReceiptHeaderErrorCode,
  type ReceiptHeaderErrorType,
  SdkError,
} from "./errors.js";
export { DOMAIN_KEY, domainId, LANE_STORE_SCHEMA, LaneStore, type LaneStoreBackend, SCHEMA_KEY } from "./laneStore.js";
export { type OpenLevelLaneStoreParameters, openLevelLaneStore } from "./levelLaneStore.js";
export { type CreateMemoryLaneStoreParameters, createMemoryLaneStore } from "./memoryLaneStore.js";
export { type NextReceiptParameters, type NextReceiptReturnType, nextReceipt } from "./nextReceipt.js";
export { type ResumeLaneParameters, type ResumeLaneReturnType, resumeLane } from "./resumeLane.js";
export {
  type SignerAuthorization,
  type SignSignerAuthorizationParameters,
  type SignSignerAuthorizationReturnType,
  signSignerAuthorization,
} from "./signSignerAuthorization.js";
export type { AccountClient, Lane, LaneState, NodeLaneView, SignedReceipt } from "./types.js";
