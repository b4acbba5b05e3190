"""Model folders: loading a base model (the built-in Llama, any HF Llama, or any HF causal LM through
`transformers`), its `baseModelHash`, and writing the built-in model.

A model folder holds `config.json`, `model.safetensors` (or shards listed in `model.safetensors.index.json`),
`tokenizer.json` and `tokenizer_config.json`, as Hugging Face writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from . import proof, safetensors_io
from .errors import MODEL_NOT_FOUND, MODEL_UNSUPPORTED, TrainerError
from .model import KV, LlamaConfig, LlamaForCausalLM
from .tokenizer import ByteLevelBPE, Tokenizer, load_tokenizer

WEIGHTS = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


@dataclass
class BaseModel:
    """A loaded base model: the module (HF parameter names), its tokenizer and its hash."""

    folder: Path
    model: nn.Module
    tokenizer: Tokenizer
    base_model_hash: bytes
    num_layers: int
    num_heads: int  # key/value heads (what a prefix provides per layer)
    head_dim: int
    builtin: bool  # our Llama implementation (any HF Llama without extras), else transformers

    def forward(
        self, input_ids: torch.Tensor, token_mask: torch.Tensor | None = None, past: list[KV] | None = None, past_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, list[KV]]:
        """Logits [B, T, V] (float32) and every layer's keys/values, past included."""
        if self.builtin:
            return self.model(input_ids, token_mask, past, past_mask)
        return _hf_forward(self.model, input_ids, token_mask, past, past_mask)


def _hf_forward(model: nn.Module, input_ids, token_mask, past, past_mask) -> tuple[torch.Tensor, list[KV]]:
    b, t = input_ids.shape
    if token_mask is None:
        token_mask = torch.ones(b, t, dtype=torch.bool, device=input_ids.device)
    full = token_mask if past is None else torch.cat((past_mask, token_mask), dim=1)
    positions = (torch.cumsum(full.long(), dim=-1) - 1).clamp(min=0)[:, -t:]
    cache = past
    if past is not None:
        try:
            from transformers.cache_utils import DynamicCache

            cache = DynamicCache.from_legacy_cache(tuple(past))
        except ImportError:
            cache = tuple(past)
    out = model(input_ids=input_ids, attention_mask=full.long(), position_ids=positions, past_key_values=cache, use_cache=True)
    presents = out.past_key_values
    if hasattr(presents, "to_legacy_cache"):
        presents = presents.to_legacy_cache()
    return out.logits.float(), [tuple(kv) for kv in presents]


def _require(path: Path) -> None:
    if not path.exists():
        raise TrainerError(MODEL_NOT_FOUND, f"model folder {path.parent}: {path.name} not found", path=str(path))


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    """The tensors of the model's safetensors files, as saved (DESIGN §7: the index's files when it exists)."""
    index = folder / WEIGHTS_INDEX
    if index.exists():
        weight_map = json.loads(index.read_text())["weight_map"]
        files = sorted(set(weight_map.values()))
    elif (folder / WEIGHTS).exists():
        files = [WEIGHTS]
    elif any(folder.glob("*.bin")) or any(folder.glob("*.pt")):
        raise TrainerError(MODEL_UNSUPPORTED, f"model folder {folder}: only safetensors weights are read; convert the model first", path=str(folder))
    else:
        raise TrainerError(MODEL_NOT_FOUND, f"model folder {folder}: {WEIGHTS} not found", path=str(folder / WEIGHTS))
    tensors: dict[str, torch.Tensor] = {}
    for name in files:
        _require(folder / name)
        part, _ = safetensors_io.load(folder / name)
        for key in part:
            if key in tensors:
                raise TrainerError(MODEL_UNSUPPORTED, f"model folder {folder}: tensor {key} is in two shards", path=str(folder))
        tensors.update(part)
    return tensors


def model_hash(folder: Path, tensors: dict[str, torch.Tensor]) -> bytes:
    """`baseModelHash`: tensor hash of the saved tensors and keccak256 of each tokenizer file ("" if missing)."""
    files = [(folder / name).read_bytes() if (folder / name).exists() else b"" for name in TOKENIZER_FILES]
    return proof.base_model_hash(proof.tensor_hash(tensors), *files)


def _builtin_supports(config: dict) -> bool:
    """Whether our Llama reproduces this HF config exactly (no rope scaling, biases or other activations)."""
    return (
        config.get("model_type") == "llama"
        and config.get("hidden_act", "silu") == "silu"
        and not config.get("rope_scaling")
        and not config.get("attention_bias", False)
        and not config.get("mlp_bias", False)
        and config.get("head_dim", config["hidden_size"] // config["num_attention_heads"]) == config["hidden_size"] // config["num_attention_heads"]
    )


def load_base_model(folder: str | Path) -> BaseModel:
    """Loads a model folder in float32 on the CPU; errors name the missing folder or file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TrainerError(MODEL_NOT_FOUND, f"model folder {folder} not found", path=str(folder))
    _require(folder / "config.json")
    config = json.loads((folder / "config.json").read_text())
    tensors = read_weights(folder)
    base_hash = model_hash(folder, tensors)
    if _builtin_supports(config):
        cfg = LlamaConfig.from_hf(config)
        model = LlamaForCausalLM(cfg)
        weights = {k: v.float() for k, v in tensors.items() if not k.endswith("rotary_emb.inv_freq")}
        if "lm_head.weight" not in weights and config.get("tie_word_embeddings"):
            weights["lm_head.weight"] = weights["model.embed_tokens.weight"]
        missing, unexpected = model.load_state_dict(weights, strict=False)
        if missing or unexpected:
            raise TrainerError(MODEL_UNSUPPORTED, f"model folder {folder}: weights do not match a Llama (missing {missing[:3]}, unexpected {unexpected[:3]})", path=str(folder))
        tokenizer = load_tokenizer(folder, cfg.max_position_embeddings)
        return BaseModel(folder, model, tokenizer, base_hash, cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim, True)
    try:
        from transformers import AutoModelForCausalLM
    except ImportError:
        raise TrainerError(
            MODEL_UNSUPPORTED, f"model folder {folder}: {config.get('model_type')!r} models need the transformers package, which is not installed", path=str(folder)
        ) from None
    model = AutoModelForCausalLM.from_pretrained(str(folder), torch_dtype=torch.float32)
    hf = model.config
    heads = getattr(hf, "num_key_value_heads", hf.num_attention_heads)
    tokenizer = load_tokenizer(folder, getattr(hf, "max_position_embeddings", 2048))
    return BaseModel(folder, model, tokenizer, base_hash, hf.num_hidden_layers, heads, hf.hidden_size // hf.num_attention_heads, False)


def save_builtin(folder: Path, model: LlamaForCausalLM, tokenizer: ByteLevelBPE) -> None:
    """Writes a built-in model folder: config.json, model.safetensors (float32) and the tokenizer files."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = model.config
    (folder / "config.json").write_text(json.dumps(cfg.to_hf("float32"), indent=2, sort_keys=True) + "\n")
    weights = {name: t.detach().float().contiguous() for name, t in model.state_dict().items()}
    safetensors_io.save(folder / WEIGHTS, weights, {"format": "pt"})
    if tokenizer.vocab_size != cfg.vocab_size:
        raise ValueError(f"tokenizer has {tokenizer.vocab_size} ids, the model {cfg.vocab_size}")
    for name, data in tokenizer.files(cfg.max_position_embeddings).items():
        (folder / name).write_bytes(data)
