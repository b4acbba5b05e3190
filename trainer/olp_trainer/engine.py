"""The deterministic training step, shared by `train`, `verify`, the benchmark and `make-model`.

Everything a step depends on is in the weights, in `state_tensors()` or in the batch indices, so a run
restored from a checkpoint continues bit for bit (DESIGN §7). State tensor names (covered by `stateHash`):

- `optimizer.<weight name>.exp_avg`, `optimizer.<weight name>.exp_avg_sq`: float32 AdamW moments, one
  pair per trainable tensor, under the tensor's saved name;
- `scheduler.step`: int64 scalar, the optimizer steps taken (AdamW's bias correction and the learning rate
  both read it);
- `rng.torch`: uint8, `torch.get_rng_state()` (LoRA dropout draws from it); `rng.cuda` on CUDA.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

from .adapters import Adapter
from .config import TrainConfig
from .data import IGNORE, Encoded, collate
from .errors import LOSS_NOT_FINITE, TrainerError
from .modelio import BaseModel
from .proof import float32_bits


def setup_determinism(config: TrainConfig) -> None:
    """Pinned threads and deterministic kernels; CUDA needs its cuBLAS workspace fixed before first use."""
    torch.set_num_threads(config.threads)
    if config.device == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = False
    torch.use_deterministic_algorithms(True)


def rng_seed(seed: bytes) -> int:
    """The global torch RNG's seed: bytes 8–15 of the run seed, big-endian (bytes 0–7 seed the adapter init)."""
    return int.from_bytes(seed[8:16], "big")


def learning_rate(config: TrainConfig, step: int) -> float:
    """Learning rate of optimizer step `step` (from 1): linear warm-up, then the schedule down to 10% at the end."""
    peak = config.learningRate
    if step <= config.warmupSteps:
        return peak * step / config.warmupSteps
    if config.lrSchedule == "constant":
        return peak
    progress = (step - config.warmupSteps) / max(1, config.steps - config.warmupSteps)
    floor = 0.1 * peak
    if config.lrSchedule == "linear":
        return peak - (peak - floor) * progress
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))


class AdamW:
    """AdamW with decoupled weight decay, written out so that its arithmetic (and so its bits) does not
    change with the torch version's choice of fused or foreach kernels."""

    def __init__(self, params: dict[str, torch.nn.Parameter], config: TrainConfig) -> None:
        self.params = params
        self.config = config
        self.exp_avg = {name: torch.zeros_like(p, dtype=torch.float32) for name, p in params.items()}
        self.exp_avg_sq = {name: torch.zeros_like(p, dtype=torch.float32) for name, p in params.items()}

    @torch.no_grad()
    def step(self, lr: float, t: int) -> None:
        cfg = self.config
        b1, b2 = cfg.adamBeta1, cfg.adamBeta2
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        for name, p in self.params.items():
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            m, v = self.exp_avg[name], self.exp_avg_sq[name]
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / math.sqrt(bc2)).add_(cfg.adamEpsilon)
            if cfg.weightDecay:
                p.mul_(1 - lr * cfg.weightDecay)
            p.addcdiv_(m, denom, value=-lr / bc1)


class Trainer:
    """One run's mutable state (adapter weights, optimizer, step, RNG) and its step function."""

    def __init__(self, base: BaseModel, adapter: Adapter, config: TrainConfig, encoded: Sequence[Encoded], seed: bytes) -> None:
        self.base, self.adapter, self.config, self.encoded = base, adapter, config, encoded
        self.device = torch.device(config.device)
        self.optimizer = AdamW(adapter.params, config)
        self.step = 0
        torch.manual_seed(rng_seed(seed))
        self.base.model.train()
        self.tokens_seen = 0  # input tokens (prompt and response, no padding) of the steps taken by this process

    def loss(self, ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over the labelled tokens (float32)."""
        ids, labels = ids.to(self.device), labels.to(self.device)
        token_mask = ids != self.base.tokenizer.pad_id
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.precision == "bf16")
        with autocast:
            logits, _ = self.base.forward(ids, token_mask, self.adapter.past(ids.shape[0]))
        flat = labels.reshape(-1)
        total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), flat, ignore_index=IGNORE, reduction="sum")
        return total / (flat != IGNORE).sum().clamp(min=1)

    def train_step(self, indices: Sequence[int]) -> torch.Tensor:
        """One optimizer step on the corpus samples `indices`; returns the step's float32 loss."""
        ids, labels = collate([self.encoded[i] for i in indices], self.base.tokenizer.pad_id)
        self.tokens_seen += int((ids != self.base.tokenizer.pad_id).sum())
        for p in self.adapter.params.values():
            p.grad = None
        loss = self.loss(ids, labels)
        if not bool(torch.isfinite(loss)):
            # A NaN or infinite loss would poison the weights and cannot travel as JSON (nor as a meaningful lossBits):
            # stop here, before the optimizer step, and say which step diverged.
            value = float(loss)
            raise TrainerError(
                LOSS_NOT_FINITE,
                f"the loss of step {self.step + 1} is {value}: training diverged; lower learningRate or use fp32 precision",
                step=self.step + 1,
                loss=str(value),
            )
        loss.backward()
        if self.config.gradClip > 0:
            grads = [p.grad for p in self.adapter.params.values() if p.grad is not None]
            norm = torch.sqrt(sum((g.float().pow(2).sum() for g in grads), torch.zeros((), device=self.device)))
            scale = torch.clamp(self.config.gradClip / (norm + 1e-6), max=1.0)
            for g in grads:
                g.mul_(scale)
        self.step += 1
        self.optimizer.step(learning_rate(self.config, self.step), self.step)
        return loss.detach().float()

    def run_segment(self, indices: Sequence[int], on_step: Callable[[int, float], None] | None = None) -> int:
        """K steps over `indices` (K · batchSize of them); returns lossBits, the float32 bits of the mean loss."""
        b = self.config.batchSize
        losses = []
        for s in range(len(indices) // b):
            losses.append(self.train_step(indices[s * b : (s + 1) * b]))
            if on_step is not None:
                on_step(self.step, float(losses[-1]))
        mean = torch.stack(losses).to(torch.float32).mean()
        return float32_bits(float(mean))

    def weights(self) -> dict[str, torch.Tensor]:
        return self.adapter.weights()

    def state_tensors(self) -> dict[str, torch.Tensor]:
        state: dict[str, torch.Tensor] = {}
        for name in self.adapter.params:
            state[f"optimizer.{name}.exp_avg"] = self.optimizer.exp_avg[name].detach().to("cpu").clone()
            state[f"optimizer.{name}.exp_avg_sq"] = self.optimizer.exp_avg_sq[name].detach().to("cpu").clone()
        state["scheduler.step"] = torch.tensor(self.step, dtype=torch.int64)
        state["rng.torch"] = torch.get_rng_state()
        if self.device.type == "cuda":
            state["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def load(self, weights: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> None:
        """Restores a checkpoint: adapter weights, optimizer moments, step and RNG states."""
        expected = set(self.state_tensors())
        if set(state) != expected:
            raise ValueError(f"state tensors differ: missing {sorted(expected - set(state))[:3]}, unexpected {sorted(set(state) - expected)[:3]}")
        self.adapter.load_weights(weights)
        with torch.no_grad():
            for name in self.adapter.params:
                self.optimizer.exp_avg[name].copy_(state[f"optimizer.{name}.exp_avg"])
                self.optimizer.exp_avg_sq[name].copy_(state[f"optimizer.{name}.exp_avg_sq"])
        self.step = int(state["scheduler.step"])
        torch.set_rng_state(state["rng.torch"])
        if "rng.cuda" in state:
            torch.cuda.set_rng_state(state["rng.cuda"], self.device)
