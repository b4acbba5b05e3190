"""The job file the node hands the trainer, and what every command builds from it (`prepare`).

```json
{
  "config": {…every TrainConfig field…},
  "configHash": "0x…",                      // keccak256 of the RFC 8785 canonical config, from the node
  "model": "models/builtin",                // a model folder
  "corpus": "corpus.jsonl",                 // the node's corpus file (DESIGN §7 index order) …
  "datasets": [{"datasetId": 1, "root": "0x…", "excludedSampleHashes": ["0x…"]}],
  "commitBlockhash": "0x…",
  "data": ["a.jsonl"],                      // … or, standalone, Alpaca/ShareGPT files (dataset ids 1, 2, …)
  "eval": "eval.jsonl",                     // the held-out split; keccak256 of its bytes = config.evalSplit
  "out": "runs/1"                           // where checkpoints, chain, adapter and report go
}
```
Relative paths are relative to the job file's folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import proof
from .adapters import Adapter, build_adapter
from .config import TrainConfig
from .data import DatasetRef, Encoded, Sample, check_roots, encode, read_corpus, read_samples
from .engine import Trainer, setup_determinism
from .errors import CONFIG_HASH_MISMATCH, CONFIG_INVALID, EVAL_SPLIT_MISMATCH, JOB_INVALID, MODEL_UNSUPPORTED, TrainerError
from .hexbytes import parse_hex32
from .messages import Emit, silent
from .modelio import BaseModel, load_base_model

ZERO32 = bytes(32)


@dataclass
class Job:
    config: TrainConfig
    config_hash: bytes
    model: Path
    out: Path
    corpus: Path | None = None
    data: list[Path] = field(default_factory=list)
    datasets: list[DatasetRef] = field(default_factory=list)
    commit_blockhash: bytes = ZERO32
    eval: Path | None = None

    @classmethod
    def from_json(cls, obj: object, base_dir: Path, require_full_config: bool = True) -> Job:
        """A job from its JSON; the config must list every field (a default left implicit would shape the run
        without entering configHash) unless `require_full_config` is off for standalone use."""
        if not isinstance(obj, dict):
            raise TrainerError(JOB_INVALID, "job must be a JSON object", field="")
        known = {"config", "configHash", "model", "corpus", "datasets", "commitBlockhash", "data", "eval", "out"}
        for key in obj:
            if key not in known:
                raise TrainerError(JOB_INVALID, f"job: unknown key {key!r}", field=key)
        for key in ("config", "model", "out"):
            if key not in obj:
                raise TrainerError(JOB_INVALID, f"job: missing {key!r}", field=key)
        raw = obj["config"]
        config = TrainConfig.from_json(raw)
        if require_full_config:
            missing = sorted(set(config.to_json()) - set(raw))
            if missing:
                raise TrainerError(CONFIG_INVALID, f"config: missing {missing[0]!r} (every field enters configHash)", field=missing[0])
        computed = proof.config_hash(config.to_json())
        if "configHash" in obj:
            given = parse_hex32(obj["configHash"], "configHash", JOB_INVALID)
            if given != computed:
                raise TrainerError(
                    CONFIG_HASH_MISMATCH, f"configHash 0x{given.hex()} does not match the config (0x{computed.hex()})", expected="0x" + given.hex(), found="0x" + computed.hex()
                )

        def path(key: str) -> Path:
            if not isinstance(obj[key], str) or not obj[key]:
                raise TrainerError(JOB_INVALID, f"job.{key} must be a path", field=key)
            return Path(os.path.abspath(base_dir / obj[key]))  # `..` folded, symlinks kept

        job = cls(config, computed, path("model"), path("out"))
        if "eval" in obj:
            job.eval = path("eval")
        if ("corpus" in obj) == ("data" in obj):
            raise TrainerError(JOB_INVALID, "job needs exactly one of corpus (from the node) and data (standalone)", field="corpus")
        if "corpus" in obj:
            job.corpus = path("corpus")
            for key in ("datasets", "commitBlockhash"):
                if key not in obj:
                    raise TrainerError(JOB_INVALID, f"job: {key!r} is required with a corpus", field=key)
            job.commit_blockhash = parse_hex32(obj["commitBlockhash"], "commitBlockhash", JOB_INVALID)
            if not isinstance(obj["datasets"], list) or not obj["datasets"]:
                raise TrainerError(JOB_INVALID, "job.datasets must be a non-empty list", field="datasets")
            for i, ref in enumerate(obj["datasets"]):
                where = f"datasets[{i}]"
                if not isinstance(ref, dict) or set(ref) - {"datasetId", "root", "excludedSampleHashes"} or "datasetId" not in ref or "root" not in ref:
                    raise TrainerError(JOB_INVALID, f"job.{where} must be {{datasetId, root, excludedSampleHashes?}}", field=where)
                dataset_id = ref["datasetId"]
                if isinstance(dataset_id, bool) or not isinstance(dataset_id, int) or dataset_id < 1:
                    raise TrainerError(JOB_INVALID, f"job.{where}.datasetId must be an integer ≥ 1", field=where)
                excluded = ref.get("excludedSampleHashes", [])
                if not isinstance(excluded, list):
                    raise TrainerError(JOB_INVALID, f"job.{where}.excludedSampleHashes must be a list", field=where)
                job.datasets.append(
                    DatasetRef(
                        dataset_id,
                        parse_hex32(ref["root"], f"{where}.root", JOB_INVALID),
                        tuple(parse_hex32(h, f"{where}.excludedSampleHashes", JOB_INVALID) for h in excluded),
                    )
                )
        else:
            if not isinstance(obj["data"], list) or not obj["data"] or not all(isinstance(p, str) for p in obj["data"]):
                raise TrainerError(JOB_INVALID, "job.data must be a non-empty list of paths", field="data")
            job.data = [Path(os.path.abspath(base_dir / p)) for p in obj["data"]]
        return job

    @classmethod
    def load(cls, path: str | Path) -> Job:
        path = Path(path)
        try:
            obj = json.loads(path.read_text())
        except FileNotFoundError:
            raise TrainerError(JOB_INVALID, f"job file {path} not found", field="", path=str(path)) from None
        except json.JSONDecodeError as err:
            raise TrainerError(JOB_INVALID, f"job file {path} is not JSON ({err})", field="", path=str(path)) from None
        return cls.from_json(obj, path.parent)


@dataclass
class Prepared:
    """A run set up from a job: model, corpus, seed, adapter and trainer, before the first step."""

    job: Job
    base: BaseModel
    corpus: list[Sample]
    encoded: list[Encoded]
    dataset_ids: list[int]
    seed: bytes
    adapter: Adapter
    trainer: Trainer
    eval_samples: list[Sample]


def load_corpus(job: Job) -> tuple[list[Sample], list[int]]:
    """The corpus in index order and the training dataset ids; the node's corpus is checked against the roots."""
    if job.corpus is not None:
        corpus = read_corpus(job.corpus)
        check_roots(corpus, job.datasets)
        return corpus, [d.dataset_id for d in job.datasets]
    corpus = []
    for i, path in enumerate(job.data, start=1):
        corpus += [Sample(s.prompt, s.response, s.text, i) for s in read_samples(path)]
    return corpus, list(range(1, len(job.data) + 1))


def load_eval(job: Job) -> list[Sample]:
    """The held-out split, checked against `config.evalSplit` (keccak256 of the file's bytes)."""
    split = job.config.evalSplit
    if job.eval is None:
        if split:
            raise TrainerError(JOB_INVALID, "config.evalSplit names an eval split but the job has no eval file", field="eval")
        return []
    samples = read_samples(job.eval)
    found = "0x" + proof.keccak256(job.eval.read_bytes()).hex()
    if split and found != split:
        raise TrainerError(EVAL_SPLIT_MISMATCH, f"eval file {job.eval} hashes to {found}, config.evalSplit is {split}", expected=split, found=found, path=str(job.eval))
    return samples


def prepare(job: Job, emit: Emit = silent) -> Prepared:
    config = job.config
    config.check_runtime()
    setup_determinism(config)
    emit("progress", phase="load", what="model", path=str(job.model))
    base = load_base_model(job.model)
    if config.method == "ptuning" and not base.builtin:
        raise TrainerError(MODEL_UNSUPPORTED, "ptuning (a benchmark baseline) runs on the built-in Llama only", path=str(job.model))
    emit("progress", phase="load", what="corpus")
    corpus, dataset_ids = load_corpus(job)
    eval_samples = load_eval(job)
    seed = proof.training_seed(job.config_hash, dataset_ids, job.commit_blockhash)
    adapter = build_adapter(base.model, config, seed, base.num_layers, base.num_heads, base.head_dim)
    device = torch.device(config.device)
    base.model.to(device)
    if adapter.prefix is not None:
        adapter.prefix.to(device)
    encoded = [encode(base.tokenizer, config.template, s, config.maxSeqLen) for s in corpus]
    trainer = Trainer(base, adapter, config, encoded, seed)
    return Prepared(job, base, corpus, encoded, dataset_ids, seed, adapter, trainer, eval_samples)
