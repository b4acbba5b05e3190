"""Turns a base model into a trainable one for a method, and saves what was trained.

- qlora: every base projection frozen in NF4 (lm_head in bfloat16, embeddings and norms
  in the compute dtype), LoRA on
  `targetModules`.
- lora: the same with the base in bfloat16 (16-bit LoRA).
- ptuning: base frozen in bfloat16, a trainable prefix (P-Tuning v2).
- full: every weight trainable in float32.

Trainable tensors are named as saved: PEFT's keys for LoRA (`base_model.model.<module>.lora_A.weight`),
`prompt_embeddings` for the prefix, the model's own names for full fine-tuning. `weightsHash` covers
exactly these tensors (DESIGN §7).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import safetensors_io
from .config import TrainConfig
from .lora import FrozenLinear, LoraLinear
from .model import KV
from .prefix import PrefixEncoder

PEFT_PREFIX = "base_model.model."
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass
class Adapter:
    """The trainable part of a run: parameters by saved name (sorted), plus the prefix for P-Tuning."""

    method: str
    params: dict[str, nn.Parameter]
    prefix: PrefixEncoder | None = None
    base_storage_bytes: int = 0  # bytes of the base weights as held in memory (full fine-tuning: all, float32)
    base_numel: int = 0  # parameters of the base model
    quantized_numel: int = 0  # of which stored in NF4
    quantized_bytes: int = 0  # bytes of the NF4 weights, scales included
    peft_config: dict = field(default_factory=dict)  # adapter_config.json without base_model_name_or_path

    def past(self, batch: int) -> list[KV] | None:
        return None if self.prefix is None else self.prefix.past(batch)

    def trainable_numel(self) -> int:
        return sum(p.numel() for p in self.params.values())

    def weights(self) -> dict[str, torch.Tensor]:
        """The trainable tensors as saved (float32, CPU): what `weightsHash` covers."""
        return {name: p.detach().to("cpu", torch.float32).clone() for name, p in self.params.items()}

    def load_weights(self, tensors: Mapping[str, torch.Tensor]) -> None:
        if set(tensors) != set(self.params):
            missing, extra = sorted(set(self.params) - set(tensors)), sorted(set(tensors) - set(self.params))
            raise ValueError(f"adapter tensors differ: missing {missing[:3]}, unexpected {extra[:3]}")
        with torch.no_grad():
            for name, param in self.params.items():
                if tensors[name].shape != param.shape:
                    raise ValueError(f"{name}: shape {tuple(tensors[name].shape)}, expected {tuple(param.shape)}")
                param.copy_(tensors[name])

    def save(self, folder: Path, base_model: str) -> list[Path]:
        """Writes the adapter in PEFT's format (full fine-tuning: a model folder); returns the files."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.method == "full":
            weights = {name: t.to(torch.float32) for name, t in self.weights().items()}
            path = folder / "model.safetensors"
            safetensors_io.save(path, weights, {"format": "pt"})
            return [path]
        config_path, weights_path = folder / ADAPTER_CONFIG, folder / ADAPTER_WEIGHTS
        config = {**self.peft_config, "base_model_name_or_path": base_model}
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        safetensors_io.save(weights_path, self.weights(), {"format": "pt"})
        return [config_path, weights_path]


def init_generator(seed: bytes) -> torch.Generator:
    """The generator of the adapter's initial weights: seeded by the run seed's first 8 bytes (big-endian)."""
    return torch.Generator().manual_seed(int.from_bytes(seed[:8], "big"))


def _compute_dtype(config: TrainConfig) -> torch.dtype:
    return torch.bfloat16 if config.precision == "bf16" else torch.float32


def _replace(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, module)


def build_adapter(model: nn.Module, config: TrainConfig, seed: bytes, num_layers: int, num_heads: int, head_dim: int) -> Adapter:
    """Converts `model` in place for `config.method` and returns its trainable part, initialized from `seed`."""
    gen = init_generator(seed)
    compute = _compute_dtype(config)
    if config.method == "full":
        for param in model.parameters():
            param.requires_grad_(True)
        params = dict(sorted(model.named_parameters()))
        numel = sum(p.numel() for p in params.values())
        return Adapter("full", params, base_numel=numel, base_storage_bytes=sum(p.numel() * p.element_size() for p in params.values()))

    storage = "nf4" if config.method == "qlora" else "bf16"
    linears = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    adapter = Adapter(config.method, {})
    for name, linear in linears:
        weight = linear.weight.detach()
        is_projection = name.rpartition(".")[2] != "lm_head"
        frozen = FrozenLinear(weight, storage if is_projection else "bf16", compute, linear.bias)
        adapter.base_numel += weight.numel()
        adapter.base_storage_bytes += frozen.storage_bytes()
        if frozen.storage == "nf4":
            adapter.quantized_numel += weight.numel()
            adapter.quantized_bytes += frozen.storage_bytes()
        wrap = config.method in ("qlora", "lora") and name.rpartition(".")[2] in config.targetModules
        layer = LoraLinear(frozen, frozen.in_features, frozen.out_features, config.rank, config.alpha, config.dropout) if wrap else frozen
        _replace(model, name, layer)
    for name, param in model.named_parameters():
        if ".lora_" not in name:  # embeddings and norms: frozen, in the compute dtype
            param.requires_grad_(False)
            param.data = param.data.to(compute)
            adapter.base_numel += param.numel()
            adapter.base_storage_bytes += param.numel() * param.element_size()

    if config.method == "ptuning":
        adapter.prefix = PrefixEncoder(config.numVirtualTokens, num_layers, num_heads, head_dim)
        adapter.prefix.reset(gen)
        adapter.params = {"prompt_embeddings": adapter.prefix.embedding}
        adapter.peft_config = {
            "peft_type": "PREFIX_TUNING",
            "task_type": "CAUSAL_LM",
            "inference_mode": True,
            "num_virtual_tokens": config.numVirtualTokens,
            "num_layers": num_layers,
            "num_attention_heads": num_heads,
            "token_dim": num_heads * head_dim,
            "encoder_hidden_size": num_heads * head_dim,
            "num_transformer_submodules": 1,
            "prefix_projection": False,
        }
        return adapter

    for _, layer in sorted(((n, m) for n, m in model.named_modules() if isinstance(m, LoraLinear)), key=lambda item: item[0]):
        layer.reset(gen)  # in name order, so the init does not depend on module registration order
    adapter.params = dict(sorted((PEFT_PREFIX + n, p) for n, p in model.named_parameters() if ".lora_" in n))
    adapter.peft_config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "inference_mode": True,
        "r": config.rank,
        "lora_alpha": config.alpha,
        "lora_dropout": config.dropout,
        "target_modules": sorted(config.targetModules),
        "bias": "none",
        "fan_in_fan_out": False,
        "init_lora_weights": True,
        "modules_to_save": None,
        "use_dora": False,
        "use_rslora": False,
        "layers_to_transform": None,
        "layers_pattern": None,
        "rank_pattern": {},
        "alpha_pattern": {},
        "revision": None,
    }
    return adapter
