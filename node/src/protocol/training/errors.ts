/** What went wrong, one code per broken rule of DESIGN §7, so callers and tests match on codes, not messages. */
export type TrainingProofErrorCode =
  | "BAD_DATASET_IDS"
  | "BAD_CORPUS_SIZE"
  | "BAD_BYTES32"
  | "BAD_RANGE"
  | "BAD_INDEX"
  | "BAD_CHECKPOINT"
  | "BAD_FLOAT32"
  | "BAD_TENSOR_NAME"
  | "EMPTY_CHAIN"
  | "BAD_TOKEN_COUNTS"
  | "BAD_SHARES"
  | "NOT_JSON";

/**
 * Thrown by the training-proof helpers when an input breaks a rule of DESIGN §7 (an id list the
 * registry would refuse, an empty corpus, shares that do not sum to a million, a config that is
 * not plain JSON). Nothing here is ever truncated or coerced silently: a wrong input is an error.
 */
export class TrainingProofError extends Error {
  /** Stable code for the rule broken. */
  readonly code: TrainingProofErrorCode;

  /** @param code the rule broken; @param message a short human description. */
  constructor(code: TrainingProofErrorCode, message: string) {
    super(message);
    this.name = "TrainingProofError";
    this.code = code;
  }
}
