export { size } from "viem";
export { type Entry, encodeRecordsMessage, MAX_RECORDS_MESSAGE_BYTES } from "../../../../node/src/protocol/index.js";
