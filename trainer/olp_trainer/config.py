"""The training config: every field that shapes a run, its default and why, and its canonical JSON.

The node is the reference for `configHash` (DESIGN §7: keccak256 of the config as RFC 8785 canonical
JSON); the trainer recomputes it (`proof.config_hash`) and refuses a job whose hash differs, so no flag,
file or environment variable can shape a run without changing the hash. JSON keys are camelCase.
"""

from __future__ import annotations

import platform
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch

from .errors import CONFIG_INVALID, LIBRARY_MISMATCH, TrainerError

METHODS = ("qlora", "lora", "ptuning", "full")
SCHEDULES = ("cosine", "linear", "constant")
PRECISIONS = ("bf16", "fp32")
DEVICES = ("cpu", "cuda")
TEMPLATES = ("plain", "alpaca")
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    method: str = "qlora"  # the product's method; "lora" (16-bit base), "ptuning" and "full" are benchmark baselines
    rank: int = 8  # LoRA r; vLLM serves up to 16 without flags (DESIGN §7)
    alpha: int = 16  # LoRA alpha: scale alpha/r = 2, the common QLoRA setting
    dropout: float = 0.0  # LoRA dropout; 0 keeps small runs stable (the RNG is in stateHash either way)
    targetModules: tuple[str, ...] = PROJECTIONS  # LoRA on every linear projection, as QLoRA does
    numVirtualTokens: int = 32  # P-Tuning v2 prefix length per layer
    learningRate: float = 0.003  # works for LoRA at rank 8 on the built-in model and the shipped data
    lrSchedule: str = "cosine"  # decays to 10% of the peak at the last step
    warmupSteps: int = 10  # linear warm-up from 0
    weightDecay: float = 0.0  # none on adapters (PEFT's usual choice)
    adamBeta1: float = 0.9  # AdamW's defaults
    adamBeta2: float = 0.999
    adamEpsilon: float = 1e-8
    gradClip: float = 1.0  # max global L2 norm of the trainable gradients; 0 turns clipping off
    precision: str = "bf16"  # compute dtype (autocast): bf16 is fast on CPUs with AVX-512 BF16 and on GPUs
    batchSize: int = 8  # samples per step (no accumulation)
    maxSeqLen: int = 384  # tokens per sample after the template; longer samples are cut (the response end first)
    steps: int = 400  # optimizer steps, a multiple of checkpointInterval (DESIGN §7); ≈ 2.7 epochs of the shipped data,
    # about 35 s on 2 CPU cores with the built-in model (ROUGE-L ≈ 0.6 on the held-out split, from 0.09 untrained)
    checkpointInterval: int = 20  # K: steps per proof segment; a verifier re-runs K steps (≈ 2 s here)
    minSpan: int = 8  # attribution's minimum span (DESIGN §8); unused by training, part of the commitment
    template: str = "plain"  # prompt template (data.TEMPLATES)
    evalSplit: str = ""  # keccak256 (0x hex) of the held-out eval file; "" when the job has none
    evalSamples: int = 64  # eval samples generated for ROUGE (the first ones of the file); 0 = all
    evalMaxNewTokens: int = 160  # greedy generation limit for ROUGE
    device: str = "cpu"  # device class; CPU verification is bitwise, GPU uses the τ rule (DESIGN §7)
    threads: int = 1  # torch CPU threads, pinned for determinism; 1 because OpenMP spin-waits collapse when the
    # node and the chain share the 2 cores (measured: 2 threads ran 4-7x slower than 1 under load)
    libraryVersions: dict[str, str] = field(default_factory=dict)  # {"python", "torch"} pinned; {} = not pinned

    @classmethod
    def from_json(cls, obj: Any) -> TrainConfig:
        """A config from its JSON object; unknown keys, wrong types and bad values name the field."""
        if not isinstance(obj, dict):
            raise TrainerError(CONFIG_INVALID, "config must be a JSON object", field="")
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in obj.items():
            if key not in known:
                raise TrainerError(CONFIG_INVALID, f"config: unknown key {key!r}", field=key)
            default = getattr(cls(), key)
            if key == "targetModules":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise _bad(key, "must be a list of strings", value)
                value = tuple(value)
            elif key == "libraryVersions":
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise _bad(key, "must map library names to version strings", value)
            elif isinstance(default, bool) or isinstance(value, bool):
                raise _bad(key, f"must be {type(default).__name__}", value)
            elif isinstance(default, float):
                if not isinstance(value, (int, float)):
                    raise _bad(key, "must be a number", value)
                value = float(value)
            elif not isinstance(value, type(default)):
                raise _bad(key, f"must be {type(default).__name__}", value)
            values[key] = value
        config = cls(**values)
        config.validate()
        return config

    def to_json(self) -> dict[str, Any]:
        obj = asdict(self)
        obj["targetModules"] = list(self.targetModules)
        return obj

    def validate(self) -> None:
        checks: list[tuple[str, bool, str]] = [
            ("method", self.method in METHODS, f"one of {', '.join(METHODS)}"),
            ("rank", 1 <= self.rank <= 256, "in 1..256"),
            ("alpha", self.alpha >= 1, "at least 1"),
            ("dropout", 0.0 <= self.dropout < 1.0, "in [0, 1)"),
            ("targetModules", len(self.targetModules) > 0 and len(set(self.targetModules)) == len(self.targetModules), "non-empty, no repeats"),
            ("numVirtualTokens", 1 <= self.numVirtualTokens <= 512, "in 1..512"),
            ("learningRate", 0.0 < self.learningRate < 1.0, "in (0, 1)"),
            ("lrSchedule", self.lrSchedule in SCHEDULES, f"one of {', '.join(SCHEDULES)}"),
            ("warmupSteps", 0 <= self.warmupSteps <= self.steps, "in 0..steps"),
            ("weightDecay", 0.0 <= self.weightDecay < 1.0, "in [0, 1)"),
            ("adamBeta1", 0.0 <= self.adamBeta1 < 1.0, "in [0, 1)"),
            ("adamBeta2", 0.0 <= self.adamBeta2 < 1.0, "in [0, 1)"),
            ("adamEpsilon", 0.0 < self.adamEpsilon < 1.0, "in (0, 1)"),
            ("gradClip", self.gradClip >= 0.0, "at least 0"),
            ("precision", self.precision in PRECISIONS, f"one of {', '.join(PRECISIONS)}"),
            ("batchSize", 1 <= self.batchSize <= 4096, "in 1..4096"),
            ("maxSeqLen", 8 <= self.maxSeqLen <= 1 << 16, "in 8..65536"),
            ("checkpointInterval", self.checkpointInterval >= 1, "at least 1"),
            ("steps", self.steps >= 1 and self.steps % self.checkpointInterval == 0, "a positive multiple of checkpointInterval"),
            ("minSpan", self.minSpan >= 1, "at least 1"),
            ("template", self.template in TEMPLATES, f"one of {', '.join(TEMPLATES)}"),
            ("evalSplit", self.evalSplit == "" or re.fullmatch(r"0x[0-9a-f]{64}", self.evalSplit) is not None, '"" or 0x + 64 lowercase hex'),
            ("evalSamples", self.evalSamples >= 0, "at least 0"),
            ("evalMaxNewTokens", self.evalMaxNewTokens >= 1, "at least 1"),
            ("device", self.device in DEVICES, f"one of {', '.join(DEVICES)}"),
            ("threads", 1 <= self.threads <= 256, "in 1..256"),
            ("libraryVersions", set(self.libraryVersions) <= {"python", "torch"}, "keys among python, torch"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise _bad(name, f"must be {expected}", getattr(self, name))
        for module in self.targetModules:
            if module not in PROJECTIONS and self.method in ("qlora", "lora"):
                raise _bad("targetModules", f"{module!r} is not a projection ({', '.join(PROJECTIONS)})", list(self.targetModules))

    def check_runtime(self) -> None:
        """Refuses to run when the pinned library versions differ from this runtime's (bitwise replay needs them)."""
        found = runtime_versions()
        for name, version in sorted(self.libraryVersions.items()):
            if found[name] != version:
                raise TrainerError(
                    LIBRARY_MISMATCH, f"config pins {name} {version} but this runtime has {found[name]}", library=name, expected=version, found=found[name]
                )


def runtime_versions() -> dict[str, str]:
    """The versions a config can pin, as this runtime reports them."""
    return {"python": platform.python_version(), "torch": torch.__version__}


def _bad(name: str, why: str, value: Any) -> TrainerError:
    return TrainerError(CONFIG_INVALID, f"config.{name} {why} (found {value!r})", field=name)
