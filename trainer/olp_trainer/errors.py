"""Errors the trainer reports: a stable code, a message naming the problem, and its context."""

from __future__ import annotations

from typing import Any


class TrainerError(Exception):
    """A failure the caller can act on; the CLI turns it into one `{"type": "error", **fields()}` message.

    `code` is stable (the node matches on it); `context` carries the values that explain the failure
    (a path, a line number, the expected and found hashes), so the message never has to be parsed.
    """

    def __init__(self, code: str, message: str, **context: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.context = context

    def fields(self) -> dict[str, Any]:
        """The fields of its `error` message."""
        return {"code": self.code, "message": self.message, **self.context}


# Codes, one per problem the caller can fix. Append only: the node matches on them.
MALFORMED_JSONL = "MALFORMED_JSONL"  # a data or corpus line that is not what the format says (with `line`)
ROOT_MISMATCH = "ROOT_MISMATCH"  # the corpus' sample hashes do not build the expected dataset root
CORPUS_INVALID = "CORPUS_INVALID"  # corpus order, ownership or dataset list breaks DESIGN §7
MODEL_NOT_FOUND = "MODEL_NOT_FOUND"  # the model folder or one of its files is missing
MODEL_UNSUPPORTED = "MODEL_UNSUPPORTED"  # a model we cannot load here (e.g. HF model without transformers)
CONFIG_INVALID = "CONFIG_INVALID"  # a config field with a bad value or an unknown key (with `field`)
CONFIG_HASH_MISMATCH = "CONFIG_HASH_MISMATCH"  # keccak256(canonical config) differs from the job's configHash
JOB_INVALID = "JOB_INVALID"  # the job file is malformed (with `field`)
LIBRARY_MISMATCH = "LIBRARY_MISMATCH"  # the runtime's library versions differ from those the config pins
SAFETENSORS_INVALID = "SAFETENSORS_INVALID"  # a safetensors file that does not parse
CHECKPOINT_INVALID = "CHECKPOINT_INVALID"  # a checkpoint that is missing, or whose files break the chain
EVAL_SPLIT_MISMATCH = "EVAL_SPLIT_MISMATCH"  # keccak256 of the eval file differs from config.evalSplit
BAD_REQUEST = "BAD_REQUEST"  # a `generate` request that is not what serve.py documents
LOSS_NOT_FINITE = "LOSS_NOT_FINITE"  # a step's loss is NaN or infinite: the run stops (with `step`, `loss`)
SEGMENT_OUT_OF_RANGE = "SEGMENT_OUT_OF_RANGE"  # `verify` asked for a segment k outside 1..n of the chain
