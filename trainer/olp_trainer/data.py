"""Training data: Alpaca and ShareGPT JSONL, the node's corpus file, the root check, prompt templates and
batches.

The node is the reference for sample text, `normalize` and sample hashes (DESIGN §4); it hands the trainer a
corpus file in index order (DESIGN §7), one JSON object per line:
`{"datasetId": int, "sampleHash": "0x…", "text": canonical text, "prompt": str, "response": str}`.
The trainer checks that the sample hashes build the dataset roots of the job, and never re-implements
`normalize`. For standalone use it reads Alpaca/ShareGPT files itself (no sample hashes, no root check).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from . import merkle
from .errors import CORPUS_INVALID, MALFORMED_JSONL, ROOT_MISMATCH, TrainerError
from .tokenizer import Tokenizer

IGNORE = -100  # label of tokens that carry no loss (prompt, padding)
ASSISTANT_ROLES = ("gpt", "assistant")  # ShareGPT `from` values of the model's turns
TEMPLATES = {
    # The shortest separator: byte-level models pay for every character.
    "plain": "{prompt}\n\n",
    # Stanford Alpaca's prompt (the variant without a separate input: the input is part of {prompt}).
    "alpaca": (
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
        "### Instruction:\n{prompt}\n\n### Response:\n"
    ),
}
_HASH = re.compile(r"0x[0-9a-f]{64}")


@dataclass(frozen=True)
class Sample:
    """One training or eval example. `text` is the canonical text (DESIGN §4), used for token counts only."""

    prompt: str
    response: str
    text: str
    dataset_id: int = 0  # 0 for eval samples and standalone data
    sample_hash: bytes | None = None  # None when the data did not come from the node


@dataclass(frozen=True)
class DatasetRef:
    """A training dataset as the job names it: its id, its registered root, and the sample hashes of its root
    that the corpus does not carry because an earlier dataset owns them (DESIGN §7)."""

    dataset_id: int
    root: bytes
    excluded: tuple[bytes, ...] = ()


def _lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of each line, with DESIGN §4's rules on bytes, BOM, CRLF and blank lines."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TrainerError(MALFORMED_JSONL, f"{path}: file not found", path=str(path), line=0) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raise TrainerError(MALFORMED_JSONL, f"{path}:1: starts with a byte order mark", path=str(path), line=1)
    if not raw:
        raise TrainerError(MALFORMED_JSONL, f"{path}: empty file", path=str(path), line=0)
    chunks = raw.split(b"\n")
    if chunks[-1] == b"":
        chunks.pop()  # the last LF is optional
    out = []
    for number, chunk in enumerate(chunks, start=1):
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as err:
            raise TrainerError(MALFORMED_JSONL, f"{path}:{number}: invalid UTF-8 ({err.reason})", path=str(path), line=number) from None
        if not text.strip():
            raise TrainerError(MALFORMED_JSONL, f"{path}:{number}: blank line", path=str(path), line=number)
        out.append((number, text))
    return out


def _object(path: Path, number: int, text: str) -> dict:
    def reject_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        obj = json.loads(text, parse_constant=reject_constant)
    except (json.JSONDecodeError, ValueError) as err:
        raise TrainerError(MALFORMED_JSONL, f"{path}:{number}: not JSON ({err})", path=str(path), line=number) from None
    if not isinstance(obj, dict):
        raise TrainerError(MALFORMED_JSONL, f"{path}:{number}: not a JSON object", path=str(path), line=number)
    return obj


def parse_sample(obj: dict, where: str, line: int) -> Sample:
    """One Alpaca or ShareGPT object as a sample (a line with `conversations` is ShareGPT, DESIGN §4)."""

    def bad(why: str) -> TrainerError:
        return TrainerError(MALFORMED_JSONL, f"{where}:{line}: {why}", path=where, line=line)

    if "conversations" in obj:
        turns = obj["conversations"]
        if not isinstance(turns, list) or not turns:
            raise bad("conversations must be a non-empty list")
        for i, turn in enumerate(turns):
            if not isinstance(turn, dict) or not isinstance(turn.get("from"), str) or not isinstance(turn.get("value"), str):
                raise bad(f"conversations[{i}] must be an object with string fields from and value")
        text = "\n".join(f"{t['from']}: {t['value']}" for t in turns)
        last = max((i for i, t in enumerate(turns) if t["from"] in ASSISTANT_ROLES), default=None)
        if last is None:
            raise bad(f"no turn from {' or '.join(ASSISTANT_ROLES)} to learn")
        before = turns[:last]
        if len(before) == 1:
            prompt = before[0]["value"]
        else:
            prompt = "\n".join(f"{t['from']}: {t['value']}" for t in before)
        return Sample(prompt, turns[last]["value"], text)
    for key in ("instruction", "output"):
        if key not in obj:
            raise bad(f"missing {key!r} (an Alpaca line needs instruction and output; ShareGPT needs conversations)")
    for key in ("system", "instruction", "input", "output"):
        if key in obj and not isinstance(obj[key], str):
            raise bad(f"{key!r} must be a string")
    system, instruction, input_, output = (obj.get(k, "") for k in ("system", "instruction", "input", "output"))
    text = "\n".join(([system] if system else []) + [instruction, input_, output])
    prompt = "\n".join(part for part in (system, instruction, input_) if part)
    return Sample(prompt, output, text)


def read_samples(path: str | Path) -> list[Sample]:
    """Samples of an Alpaca/ShareGPT JSONL file; a malformed line is an error naming its number."""
    path = Path(path)
    return [parse_sample(_object(path, number, text), str(path), number) for number, text in _lines(path)]


def read_corpus(path: str | Path) -> list[Sample]:
    """The node's corpus file, checked: every field present and typed, and strictly ascending by
    (datasetId, sampleHash), which is DESIGN §7's index order and implies each sample hash once per dataset."""
    path = Path(path)
    fields = {"datasetId", "sampleHash", "text", "prompt", "response"}
    samples: list[Sample] = []
    seen: dict[bytes, int] = {}
    for number, text in _lines(path):
        obj = _object(path, number, text)

        def bad(why: str, code: str = MALFORMED_JSONL) -> TrainerError:
            return TrainerError(code, f"{path}:{number}: {why}", path=str(path), line=number)

        if set(obj) != fields:
            raise bad(f"corpus line must have exactly the keys {sorted(fields)}, found {sorted(obj)}")
        dataset_id = obj["datasetId"]
        if isinstance(dataset_id, bool) or not isinstance(dataset_id, int) or dataset_id < 1:
            raise bad(f"datasetId must be an integer ≥ 1, found {dataset_id!r}")
        if not isinstance(obj["sampleHash"], str) or not _HASH.fullmatch(obj["sampleHash"]):
            raise bad("sampleHash must be 0x followed by 64 lowercase hex digits")
        for key in ("text", "prompt", "response"):
            if not isinstance(obj[key], str):
                raise bad(f"{key} must be a string")
        sample_hash = bytes.fromhex(obj["sampleHash"][2:])
        if sample_hash in seen:
            raise bad(f"sample hash {obj['sampleHash']} already at line {seen[sample_hash]} (each sample once)", CORPUS_INVALID)
        seen[sample_hash] = number
        sample = Sample(obj["prompt"], obj["response"], obj["text"], dataset_id, sample_hash)
        if samples and (samples[-1].dataset_id, samples[-1].sample_hash) >= (dataset_id, sample_hash):
            raise bad("corpus must be ascending by (datasetId, sampleHash) (DESIGN §7 index order)", CORPUS_INVALID)
        samples.append(sample)
    return samples


def dataset_root(sample_hashes: Sequence[bytes]) -> bytes:
    """`datasetRoot`: the standard tree over `[sampleHash]` with leaf type `["bytes32"]` (DESIGN §4)."""
    return merkle.StandardTree(["bytes32"], [(h,) for h in sample_hashes]).root


def check_roots(corpus: Sequence[Sample], datasets: Sequence[DatasetRef]) -> None:
    """Refuses a corpus whose sample hashes, with each dataset's excluded ones, do not build the expected roots."""
    ids = [d.dataset_id for d in datasets]
    if not ids or any(b <= a for a, b in zip(ids, ids[1:])):
        raise TrainerError(CORPUS_INVALID, f"dataset ids must be non-empty and strictly ascending, found {ids}", datasetIds=ids)
    by_dataset: dict[int, list[bytes]] = {d: [] for d in ids}
    for sample in corpus:
        if sample.dataset_id not in by_dataset:
            raise TrainerError(CORPUS_INVALID, f"corpus holds dataset {sample.dataset_id}, which the job does not train on", datasetId=sample.dataset_id)
        assert sample.sample_hash is not None
        by_dataset[sample.dataset_id].append(sample.sample_hash)
    for ref in datasets:
        owned = by_dataset[ref.dataset_id]
        overlap = set(owned) & set(ref.excluded)
        if overlap:
            raise TrainerError(CORPUS_INVALID, f"dataset {ref.dataset_id}: sample 0x{min(overlap).hex()} is both in the corpus and excluded", datasetId=ref.dataset_id)
        leaves = owned + list(ref.excluded)
        if len(set(leaves)) != len(leaves):
            raise TrainerError(CORPUS_INVALID, f"dataset {ref.dataset_id}: an excluded sample hash is listed twice", datasetId=ref.dataset_id)
        if not leaves:
            raise TrainerError(CORPUS_INVALID, f"dataset {ref.dataset_id} has no samples", datasetId=ref.dataset_id)
        found = dataset_root(leaves)
        if found != ref.root:
            raise TrainerError(
                ROOT_MISMATCH,
                f"dataset {ref.dataset_id}: samples build root 0x{found.hex()}, expected 0x{ref.root.hex()}",
                datasetId=ref.dataset_id,
                expected="0x" + ref.root.hex(),
                found="0x" + found.hex(),
            )


def token_counts(corpus: Sequence[Sample], tokenizer: Tokenizer) -> dict[int, int]:
    """Tokens of each dataset's canonical texts, no special tokens (DESIGN §7 training shares)."""
    counts: dict[int, int] = {}
    for sample in corpus:
        counts[sample.dataset_id] = counts.get(sample.dataset_id, 0) + len(tokenizer.encode(sample.text))
    return counts


@dataclass(frozen=True)
class Encoded:
    ids: torch.Tensor  # int64 [T]: <s>? + template(prompt) + response + </s>, cut to maxSeqLen
    labels: torch.Tensor  # int64 [T]: the next token to predict at each position, IGNORE outside the response


def prompt_ids(tokenizer: Tokenizer, template: str, prompt: str) -> list[int]:
    """Ids a generation starts from: `<s>` (when the tokenizer has one) and the templated prompt."""
    bos = [tokenizer.bos_id] if tokenizer.bos_id is not None else []
    return bos + tokenizer.encode(TEMPLATES[template].format(prompt=prompt))


def encode(tokenizer: Tokenizer, template: str, sample: Sample, max_len: int) -> Encoded:
    """Token ids and shifted labels: the loss covers the response and `</s>`, never the prompt."""
    head = prompt_ids(tokenizer, template, sample.prompt)
    tail = tokenizer.encode(sample.response) + [tokenizer.eos_id]
    ids = (head + tail)[:max_len]
    targets = ([IGNORE] * (len(head) - 1) + tail)[: len(ids) - 1] + [IGNORE]
    return Encoded(torch.tensor(ids, dtype=torch.long), torch.tensor(targets, dtype=torch.long))


def collate(items: Sequence[Encoded], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded input ids and labels [B, T] (padding comes after every real token, so causal attention
    never sees it)."""
    width = max(item.ids.numel() for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    for row, item in enumerate(items):
        ids[row, : item.ids.numel()] = item.ids
        labels[row, : item.labels.numel()] = item.labels
    return ids, labels
