"""Loading what `train` wrote: a base model plus an adapter folder, for `eval` and `generate`.

An adapter folder written by `train` carries `olp_training.json` (its config), so the base is rebuilt as it
was trained (NF4 for QLoRA). A PEFT LoRA folder from elsewhere is read as 16-bit LoRA from its
`adapter_config.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import safetensors_io
from .adapters import ADAPTER_CONFIG, ADAPTER_WEIGHTS, Adapter, build_adapter
from .config import TrainConfig
from .errors import MODEL_NOT_FOUND, MODEL_UNSUPPORTED, TrainerError
from .modelio import BaseModel, load_base_model
from .train import TRAINING_FILE

NO_SEED = bytes(32)  # the init is overwritten by the saved weights


def adapter_config(folder: Path) -> TrainConfig:
    """The training config of an adapter folder (ours), or one read from PEFT's adapter_config.json."""
    ours = folder / TRAINING_FILE
    if ours.exists():
        return TrainConfig.from_json(json.loads(ours.read_text())["config"])
    path = folder / ADAPTER_CONFIG
    if not path.exists():
        raise TrainerError(MODEL_NOT_FOUND, f"adapter folder {folder}: {ADAPTER_CONFIG} not found", path=str(path))
    peft = json.loads(path.read_text())
    if peft.get("peft_type") != "LORA":
        raise TrainerError(MODEL_UNSUPPORTED, f"adapter folder {folder}: peft_type {peft.get('peft_type')!r} without {TRAINING_FILE}", path=str(folder))
    targets = peft["target_modules"]
    return TrainConfig(method="lora", rank=int(peft["r"]), alpha=int(peft["lora_alpha"]), targetModules=tuple(targets if isinstance(targets, list) else [targets]))


def load_trained(model: str | Path, adapter: str | Path | None) -> tuple[BaseModel, Adapter | None, TrainConfig]:
    """The base model with the adapter's trained weights in place (full fine-tuning: the whole model)."""
    base = load_base_model(model)
    if adapter is None:
        return base, None, TrainConfig()
    folder = Path(adapter)
    if not folder.is_dir():
        raise TrainerError(MODEL_NOT_FOUND, f"adapter folder {folder} not found", path=str(folder))
    config = adapter_config(folder)
    trained = build_adapter(base.model, config, NO_SEED, base.num_layers, base.num_heads, base.head_dim)
    weights_file = folder / ("model.safetensors" if config.method == "full" else ADAPTER_WEIGHTS)
    if not weights_file.exists():
        raise TrainerError(MODEL_NOT_FOUND, f"adapter folder {folder}: {weights_file.name} not found", path=str(weights_file))
    tensors, _ = safetensors_io.load(weights_file)
    try:
        trained.load_weights(tensors)
    except ValueError as err:
        raise TrainerError(MODEL_UNSUPPORTED, f"adapter {weights_file} does not fit the model: {err}", path=str(weights_file)) from None
    return base, trained, config
