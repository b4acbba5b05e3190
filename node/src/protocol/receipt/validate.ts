import { ReceiptError, ReceiptErrorCode } from "./errors.js";
import type { InferenceRecord, Receipt } from "./types.js";

/** Weights of a record are parts per million and sum to exactly this (DESIGN §4, §8). */
export const RECORD_WEIGHT_TOTAL = 1_000_000;

function checkUint(field: string, value: bigint, bits: number): void {
  if (value < 0n || value >= 1n << BigInt(bits)) {
    throw new ReceiptError({ code: ReceiptErrorCode.OUT_OF_RANGE, field, value, bits });
  }
}

function checkSmallUint(field: string, value: number, bits: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new ReceiptError({ code: ReceiptErrorCode.OUT_OF_RANGE, field, value: -1n, bits });
  }
  checkUint(field, BigInt(value), bits);
}

/**
 * Checks the rules of one receipt that hold without context (DESIGN §4): every integer fits its Solidity type,
 * `seq ≥ 1`, `value > 0`, `cumulative ≥ value`. Lane continuity (seq + 1, cumulative + value) needs the lane's
 * previous receipt and is checked where lanes are kept. Throws a {@link ReceiptError}.
 */
export function checkReceipt(receipt: Receipt): void {
  checkUint("versionId", receipt.versionId, 256);
  checkSmallUint("lane", receipt.lane, 32);
  checkUint("seq", receipt.seq, 64);
  checkUint("value", receipt.value, 128);
  checkUint("cumulative", receipt.cumulative, 128);
  // [REJECT] DESIGN §4: in a lane seq starts at 1.
  if (receipt.seq === 0n) throw new ReceiptError({ code: ReceiptErrorCode.ZERO_SEQ });
  // [REJECT] DESIGN §4: prices are > 0.
  if (receipt.value === 0n) throw new ReceiptError({ code: ReceiptErrorCode.ZERO_VALUE });
  // [REJECT] DESIGN §4: cumulative starts at the first value and rises by each value.
  if (receipt.cumulative < receipt.value) {
    throw new ReceiptError({
      code: ReceiptErrorCode.CUMULATIVE_BELOW_VALUE,
      value: receipt.value,
      cumulative: receipt.cumulative,
    });
  }
}

/**
 * Checks the shape of an inference record (DESIGN §4): token counts fit uint32, at least one dataset, as many weights
 * as ids, ids strictly ascending, each weight > 0 and the weights summing to exactly 1,000,000. Throws a
 * {@link ReceiptError}.
 */
export function checkInferenceRecord(record: InferenceRecord): void {
  checkSmallUint("promptTokens", record.promptTokens, 32);
  checkSmallUint("outputTokens", record.outputTokens, 32);
  const { datasetIds, weightsPpm } = record;
  if (datasetIds.length === 0 || datasetIds.length !== weightsPpm.length) {
    throw new ReceiptError({
      code: ReceiptErrorCode.RECORD_SHAPE,
      datasetIds: datasetIds.length,
      weights: weightsPpm.length,
    });
  }
  let sum = 0;
  let previous = 0n;
  datasetIds.forEach((datasetId, index) => {
    checkUint("datasetId", datasetId, 256);
    // [REJECT] DESIGN §4: datasetIds strictly ascending (ids start at 1, so the first is above 0).
    if (datasetId <= previous) {
      throw new ReceiptError({ code: ReceiptErrorCode.RECORD_NOT_ASCENDING, index, datasetId });
    }
    previous = datasetId;
    const weight = weightsPpm[index] ?? 0;
    checkSmallUint("weightPpm", weight, 32);
    // [REJECT] DESIGN §4: each weight > 0.
    if (weight === 0) throw new ReceiptError({ code: ReceiptErrorCode.RECORD_ZERO_WEIGHT, datasetId });
    sum += weight;
  });
  // [REJECT] DESIGN §4: weights summing to exactly 1,000,000.
  if (sum !== RECORD_WEIGHT_TOTAL) throw new ReceiptError({ code: ReceiptErrorCode.RECORD_WEIGHT_SUM, sum });
}
