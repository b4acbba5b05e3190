"""Checkpoints on disk and the chain that commits to them (DESIGN §7).

A run folder holds:
- `checkpoints/<k>/weights.safetensors`: the trainable tensors as saved in the adapter (`weightsHash`);
- `checkpoints/<k>/state.safetensors`: optimizer moments, scheduler step, RNG states (`stateHash`);
- `chain.json`: everything a verifier needs to check a checkpoint against the chain, the gossip payload of
  `/olp/training/1` in JSON: `{baseModelHash, configHash, seed, initialWeightsHash, initialStateHash,
  steps: [{k, prevHead, weightsHash, stateHash, batchHash, lossBits}], heads, checkpointRoot}`.
Checkpoint 0 is the initial state; `k` counts segments of K steps.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from . import proof, safetensors_io
from .errors import CHECKPOINT_INVALID, TrainerError
from .hexbytes import hex32, parse_hex32

WEIGHTS_FILE = "weights.safetensors"
STATE_FILE = "state.safetensors"
CHAIN_FILE = "chain.json"


def unhex32(value: object, field: str) -> bytes:
    return parse_hex32(value, field, CHECKPOINT_INVALID)


@dataclass(frozen=True)
class Step:
    """One link of the chain, as gossiped: `h_k = keccak256(abi.encode(prevHead, k, …, lossBits))`."""

    k: int
    prevHead: str
    weightsHash: str
    stateHash: str
    batchHash: str
    lossBits: int

    def head(self) -> bytes:
        return proof.next_head(
            unhex32(self.prevHead, "prevHead"), self.k, unhex32(self.weightsHash, "weightsHash"), unhex32(self.stateHash, "stateHash"),
            unhex32(self.batchHash, "batchHash"), self.lossBits,
        )


@dataclass
class Chain:
    baseModelHash: str
    configHash: str
    seed: str
    initialWeightsHash: str
    initialStateHash: str
    steps: list[Step] = field(default_factory=list)

    def initial_head(self) -> bytes:
        return proof.initial_head(*(unhex32(getattr(self, f), f) for f in ("baseModelHash", "configHash", "seed", "initialWeightsHash", "initialStateHash")))

    def heads(self) -> list[bytes]:
        """h_0 … h_n recomputed; a step whose prevHead is not the head before it breaks the chain."""
        heads = [self.initial_head()]
        for i, step in enumerate(self.steps):
            if step.k != i + 1:
                raise TrainerError(CHECKPOINT_INVALID, f"chain step {i} has k = {step.k}, expected {i + 1}", k=step.k)
            if unhex32(step.prevHead, "prevHead") != heads[-1]:
                raise TrainerError(CHECKPOINT_INVALID, f"chain step {step.k}: prevHead is not h_{step.k - 1}", k=step.k)
            heads.append(step.head())
        return heads

    def hashes_at(self, k: int) -> tuple[str, str]:
        """(weightsHash, stateHash) the chain states for checkpoint k."""
        if k == 0:
            return self.initialWeightsHash, self.initialStateHash
        step = self.steps[k - 1]
        return step.weightsHash, step.stateHash

    def to_json(self) -> dict:
        heads = self.heads()
        return {**asdict(self), "heads": [hex32(h) for h in heads], "checkpointRoot": hex32(proof.checkpoint_root(heads))}

    @classmethod
    def from_json(cls, obj: dict) -> Chain:
        try:
            steps = [Step(**s) for s in obj["steps"]]
            return cls(obj["baseModelHash"], obj["configHash"], obj["seed"], obj["initialWeightsHash"], obj["initialStateHash"], steps)
        except (KeyError, TypeError) as err:
            raise TrainerError(CHECKPOINT_INVALID, f"chain file is malformed ({err})") from None

    def save(self, folder: Path) -> Path:
        path = folder / CHAIN_FILE
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> Chain:
        try:
            return cls.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            raise TrainerError(CHECKPOINT_INVALID, f"chain file {path} not found", path=str(path)) from None


def checkpoint_dir(run: Path, k: int) -> Path:
    return run / "checkpoints" / str(k)


def save_checkpoint(run: Path, k: int, weights: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> tuple[bytes, bytes]:
    """Writes checkpoint k and returns (weightsHash, stateHash) of what was written."""
    folder = checkpoint_dir(run, k)
    folder.mkdir(parents=True, exist_ok=True)
    safetensors_io.save(folder / WEIGHTS_FILE, weights)
    safetensors_io.save(folder / STATE_FILE, state)
    return proof.tensor_hash(weights), proof.tensor_hash(state)


def load_checkpoint(run: Path, k: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(weights, state) of checkpoint k; a missing checkpoint counts as a failed proof (DESIGN §7)."""
    folder = checkpoint_dir(run, k)
    if not (folder / WEIGHTS_FILE).exists() or not (folder / STATE_FILE).exists():
        raise TrainerError(CHECKPOINT_INVALID, f"checkpoint {k} not found in {folder}", k=k, path=str(folder))
    weights, _ = safetensors_io.load(folder / WEIGHTS_FILE)
    state, _ = safetensors_io.load(folder / STATE_FILE)
    return weights, state
