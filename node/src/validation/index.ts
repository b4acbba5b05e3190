export {
  type At,
  GossipAction,
  type LaneRef,
  ValidationError,
  ValidationErrorCode,
  type ValidationErrorType,
} from "./errors.js";
export { type HttpErrorBody, type HttpErrorLane, httpErrorBodyOf, httpStatusOf } from "./http.js";
export { type ValidateReceiptOptions, validateReceipt } from "./receipt.js";
export { validateRecordsMessage } from "./records.js";
export type {
  AcceptedEntry,
  AcceptedReceipt,
  AcceptedRecords,
  ChainView,
  LaneState,
  LaneUpdate,
  LaneView,
  MaybePromise,
  ReceiptEquivocation,
  RecordEquivocation,
  SignedReceipt,
  SignedRecord,
  StoredReceipt,
  ValidationContext,
} from "./types.js";
export { VersionStatus } from "./types.js";
