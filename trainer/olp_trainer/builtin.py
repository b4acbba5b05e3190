"""`make-model`: the built-in base model, created from a seed and pre-trained on generated ad copy.

From the seed: the pre-training text (`make_data.pretraining_texts`), the tokenizer's merges learned from it,
the seeded init, then full training on that text, deterministic like any run, so one seed gives one model
folder on every machine with the same library versions. The folder is a cache: `make-model.json` records
what built it, and a folder built with the same recipe is reused.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import make_data
from .adapters import build_adapter
from .config import TrainConfig
from .data import Encoded
from .engine import Trainer, setup_determinism
from .messages import Emit, silent
from .model import LlamaConfig, LlamaForCausalLM, init_weights
from .modelio import BaseModel, load_base_model, save_builtin
from .tokenizer import ByteLevelBPE, train_bpe

RECIPE_FILE = "make-model.json"


@dataclass(frozen=True)
class Recipe:
    """What a built-in model is made of; equal recipes give equal folders."""

    seed: int = 1  # init and pre-training data seed
    pretrainSteps: int = 1200  # fluent ads that reuse the tags they are given (loss ≈ 0.75 nats/token), ~2 min on 2 cores
    pretrainTexts: int = 4000  # distinct unconditioned texts
    batchSize: int = 16
    learningRate: float = 0.003  # a small model with AdamW takes a high rate
    maxMerges: int = 2000  # BPE merges at most; learning stops earlier, when no pair occurs twice
    threads: int = 1  # as TrainConfig.threads
    hiddenSize: int = LlamaConfig.hidden_size  # 128 beat 256 at this budget (loss 0.75 vs 0.82 after 1,200 steps)
    layers: int = LlamaConfig.num_hidden_layers


def make_builtin_model(folder: str | Path, recipe: Recipe = Recipe(), emit: Emit = silent) -> BaseModel:
    folder = Path(folder)
    recipe_path = folder / RECIPE_FILE
    if recipe_path.exists() and json.loads(recipe_path.read_text()) == asdict(recipe):
        emit("progress", phase="make-model", cached=True, path=str(folder))
        return load_base_model(folder)
    texts = make_data.pretraining_texts(recipe.seed, recipe.pretrainTexts)
    tokenizer = ByteLevelBPE(train_bpe(texts, recipe.maxMerges))
    heads = recipe.hiddenSize // 32
    cfg = LlamaConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=recipe.hiddenSize, num_hidden_layers=recipe.layers,
        intermediate_size=_intermediate(recipe.hiddenSize), num_attention_heads=heads, num_key_value_heads=heads,
    )
    model = LlamaForCausalLM(cfg)
    init_weights(model, recipe.seed)
    if recipe.pretrainSteps:
        _pretrain(model, tokenizer, texts, recipe, emit)
    save_builtin(folder, model, tokenizer)
    recipe_path.write_text(json.dumps(asdict(recipe), indent=2) + "\n")
    return load_base_model(folder)


def _intermediate(hidden: int) -> int:
    """≈ 8/3 · hidden rounded up to a multiple of 32 (SwiGLU at the FLOPs of a 4x MLP)."""
    return -(-hidden * 8 // 3 // 32) * 32


def _pretrain(model: LlamaForCausalLM, tok: ByteLevelBPE, texts: list[str], recipe: Recipe, emit: Emit) -> None:
    config = TrainConfig(
        method="full", learningRate=recipe.learningRate, steps=recipe.pretrainSteps, checkpointInterval=recipe.pretrainSteps,
        warmupSteps=min(20, recipe.pretrainSteps), batchSize=recipe.batchSize, threads=recipe.threads,
    )
    setup_determinism(config)
    encoded = []
    for text in texts:
        ids = [tok.bos_id, *tok.encode(text), tok.eos_id]
        encoded.append(Encoded(torch.tensor(ids), torch.tensor(ids[1:] + [-100])))
    seed = recipe.seed.to_bytes(32, "big")
    base = BaseModel(Path("."), model, tok, b"", model.config.num_hidden_layers, model.config.num_key_value_heads, model.config.head_dim, True)
    adapter = build_adapter(model, config, seed, base.num_layers, base.num_heads, base.head_dim)
    trainer = Trainer(base, adapter, config, encoded, seed)
    rng = random.Random(recipe.seed)
    order: list[int] = []
    for step in range(recipe.pretrainSteps):
        if len(order) < recipe.batchSize:
            order += rng.sample(range(len(encoded)), len(encoded))
        batch, order = order[: recipe.batchSize], order[recipe.batchSize :]
        loss = float(trainer.train_step(batch))
        if (step + 1) % 10 == 0 or step + 1 == recipe.pretrainSteps:
            emit("progress", phase="make-model", step=step + 1, steps=recipe.pretrainSteps, loss=loss)
    for param in model.parameters():
        param.grad = None
        param.requires_grad_(False)

