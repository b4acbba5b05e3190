"""Shared test helpers: a tiny built-in model, configs and jobs small enough for CI on 2 CPU cores."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import torch

from olp_trainer import proof
from olp_trainer.config import TrainConfig
from olp_trainer.job import Job
from olp_trainer.model import LlamaConfig, LlamaForCausalLM, init_weights
from olp_trainer.make_data import pretraining_texts
from olp_trainer.modelio import save_builtin
from olp_trainer.tokenizer import ByteLevelBPE, train_bpe

DATA = Path(__file__).resolve().parents[1] / "data" / "advertise"
TRAIN_FILES = [DATA / "ads-1.jsonl", DATA / "ads-2.jsonl", DATA / "ads-3.sharegpt.jsonl"]
EVAL_FILE = DATA / "ads-eval.jsonl"
TOKENIZER = ByteLevelBPE(train_bpe(pretraining_texts(1, 500), 2000))
TINY = LlamaConfig(
    vocab_size=TOKENIZER.vocab_size, hidden_size=64, intermediate_size=192, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2
)


def make_tiny_model(folder: Path, seed: int = 7) -> Path:
    """The built-in architecture and tokenizer at test size, seeded, not pre-trained."""
    model = LlamaForCausalLM(TINY)
    init_weights(model, seed)
    save_builtin(folder, model, TOKENIZER)
    return folder


def tiny_config(**overrides) -> TrainConfig:
    base = dict(steps=12, checkpointInterval=4, batchSize=4, maxSeqLen=256, warmupSteps=2, learningRate=0.01, evalSamples=4, evalMaxNewTokens=24)
    return TrainConfig(**{**base, **overrides})


def write_corpus(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def fake_hash(text: str) -> str:
    """A stand-in sample hash: the node's sampleHash normalizes first; the trainer treats hashes as opaque."""
    return "0x" + proof.keccak256(text.encode()).hex()


def corpus_rows(samples_by_dataset: dict[int, list[tuple[str, str]]]) -> list[dict]:
    """Corpus lines in DESIGN §7 index order (datasetId, sampleHash)."""
    rows = []
    for dataset_id, pairs in samples_by_dataset.items():
        for prompt, response in pairs:
            text = f"{prompt}\n{response}"
            rows.append({"datasetId": dataset_id, "sampleHash": fake_hash(text), "text": text, "prompt": prompt, "response": response})
    return sorted(rows, key=lambda r: (r["datasetId"], bytes.fromhex(r["sampleHash"][2:])))


def data_job(model: Path, out: Path, config: TrainConfig, eval_file: Path | None = EVAL_FILE, files: list[Path] | None = None) -> Job:
    obj = {"config": config.to_json(), "model": str(model), "data": [str(f) for f in (files or TRAIN_FILES)], "out": str(out)}
    if eval_file is not None:
        obj["eval"] = str(eval_file)
    return Job.from_json(obj, Path("/"))


def read_safetensors_plainly(path: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """An independent reader (struct + json + torch.frombuffer), so the format is checked by other code."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    body = raw[8 + size :]
    dtypes = {"F32": torch.float32, "BF16": torch.bfloat16, "I64": torch.int64, "U8": torch.uint8}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = dtypes[info["dtype"]]
        chunk = bytearray(body[begin:end])
        tensors[name] = torch.frombuffer(chunk, dtype=dtype).reshape(info["shape"]) if chunk else torch.empty(info["shape"], dtype=dtype)
    return header, tensors
