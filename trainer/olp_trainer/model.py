"""The built-in model: a small Llama (RMSNorm, rotary embeddings, SwiGLU), module names as in Hugging Face's
`LlamaForCausalLM`, so its safetensors load there and PEFT adapter keys match
(`model.layers.0.self_attn.q_proj`, …, `lm_head`).

Beyond HF's forward it takes `past` key/values with a key mask, which serves both generation (the KV cache)
and P-Tuning v2 (trainable prefix key/values in every layer).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

KV = tuple[torch.Tensor, torch.Tensor]  # (keys, values), each [B, kv_heads, S, head_dim]


@dataclass(frozen=True)
class LlamaConfig:
    """Hyper-parameters, with Hugging Face's `LlamaConfig` names (they are written to config.json as they are)."""

    vocab_size: int = 259  # 256 bytes + <s>, </s>, <pad>; make-model adds the learned merges
    hidden_size: int = 128  # small enough that a devnet QLoRA run on 2 CPU cores takes about a minute
    intermediate_size: int = 352  # ≈ 8/3 · hidden, rounded to a multiple of 32 (SwiGLU keeps the FLOPs of a 4x MLP)
    num_hidden_layers: int = 4
    num_attention_heads: int = 4  # head_dim 32
    num_key_value_heads: int = 4  # no grouped-query attention at this size
    max_position_embeddings: int = 512  # longest prompt + response of the shipped data, with room
    rms_norm_eps: float = 1e-6  # Llama's value
    rope_theta: float = 10000.0  # Llama's value
    initializer_range: float = 0.02  # std of the seeded normal init, as in HF

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_hf(self, torch_dtype: str) -> dict:
        """config.json contents (HF `LlamaForCausalLM`)."""
        return {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            **asdict(self),
            "hidden_act": "silu",
            "attention_bias": False,
            "tie_word_embeddings": False,
            "bos_token_id": 256,
            "eos_token_id": 257,
            "pad_token_id": 258,
            "torch_dtype": torch_dtype,
        }

    @classmethod
    def from_hf(cls, config: dict) -> LlamaConfig:
        fields = {name: config[name] for name in cls.__dataclass_fields__ if name in config}
        return cls(**fields)


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary(positions: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin [B, 1, T, head_dim] for integer positions [B, T] (HF's non-interleaved layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim))
    freqs = positions.float()[..., None] * inv_freq  # [B, T, head_dim/2]
    emb = torch.cat((freqs, freqs), dim=-1)[:, None]
    return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h, d = cfg.hidden_size, cfg.head_dim
        self.q_proj = nn.Linear(h, cfg.num_attention_heads * d, bias=False)
        self.k_proj = nn.Linear(h, cfg.num_key_value_heads * d, bias=False)
        self.v_proj = nn.Linear(h, cfg.num_key_value_heads * d, bias=False)
        self.o_proj = nn.Linear(cfg.num_attention_heads * d, h, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, bias: torch.Tensor, past: KV | None) -> tuple[torch.Tensor, KV]:
        b, t, _ = x.shape
        cfg, d = self.cfg, self.cfg.head_dim
        q = self.q_proj(x).view(b, t, cfg.num_attention_heads, d).transpose(1, 2)  # [B, H, T, d]
        k = self.k_proj(x).view(b, t, cfg.num_key_value_heads, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, cfg.num_key_value_heads, d).transpose(1, 2)
        q = q * cos.to(q.dtype) + rotate_half(q) * sin.to(q.dtype)
        k = k * cos.to(k.dtype) + rotate_half(k) * sin.to(k.dtype)
        if past is not None:
            k = torch.cat((past[0].to(k.dtype), k), dim=2)
            v = torch.cat((past[1].to(v.dtype), v), dim=2)
        present = (k, v)
        groups = cfg.num_attention_heads // cfg.num_key_value_heads
        if groups > 1:
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias  # [B, H, T, S]
        probs = torch.softmax(scores.float(), dim=-1).to(v.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out), present


class MLP(nn.Module):
    def __init__(self, cfg: LlamaConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: LlamaConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, bias: torch.Tensor, past: KV | None) -> tuple[torch.Tensor, KV]:
        attn, present = self.self_attn(self.input_layernorm(x), cos, sin, bias, past)
        x = x + attn
        return x + self.mlp(self.post_attention_layernorm(x)), present


class LlamaModel(nn.Module):
    def __init__(self, cfg: LlamaConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: LlamaConfig) -> None:
        super().__init__()
        self.config = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)

    def forward(
        self,
        input_ids: torch.Tensor,  # [B, T]
        token_mask: torch.Tensor | None = None,  # [B, T] bool, False at padding (left padding in generation)
        past: list[KV] | None = None,  # per layer, keys/values of earlier positions or of a trained prefix
        past_mask: torch.Tensor | None = None,  # [B, S_past] bool, which past keys may be attended to
    ) -> tuple[torch.Tensor, list[KV]]:
        """Logits [B, T, vocab] (float32) and the keys/values of every layer, past ones included."""
        b, t = input_ids.shape
        device = input_ids.device
        if token_mask is None:
            token_mask = torch.ones(b, t, dtype=torch.bool, device=device)
        past_len = 0 if past is None else past[0][0].shape[2]
        if past_mask is None:
            past_mask = torch.ones(b, past_len, dtype=torch.bool, device=device)
        # Rotary positions count the real tokens only; a trained prefix has no position.
        earlier = past_mask.sum(-1, keepdim=True) if past is not None and past_mask.shape[1] else 0
        positions = (torch.cumsum(token_mask.long(), dim=-1) - 1).clamp(min=0) + earlier
        cos, sin = rotary(positions, self.config.head_dim, self.config.rope_theta)
        key_mask = torch.cat((past_mask, token_mask), dim=1)  # [B, S]
        causal = torch.ones(t, past_len + t, dtype=torch.bool, device=device).tril(past_len)
        allowed = causal[None] & key_mask[:, None, :]
        bias = torch.zeros(allowed.shape, dtype=torch.float32, device=device).masked_fill(~allowed, torch.finfo(torch.float32).min)
        bias = bias[:, None]  # [B, 1, T, S]
        x = self.model.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(self.model.layers):
            x, present = layer(x, cos, sin, bias, None if past is None else past[i])
            presents.append(present)
        logits = self.lm_head(self.model.norm(x)).float()
        return logits, presents


def init_weights(model: LlamaForCausalLM, seed: int) -> None:
    """Seeded init, in a fixed order of parameter names, so one seed gives one model on every machine."""
    gen = torch.Generator().manual_seed(seed)
    std = model.config.initializer_range
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                param.fill_(1.0)
            else:
                param.copy_(torch.randn(param.shape, generator=gen) * std)
