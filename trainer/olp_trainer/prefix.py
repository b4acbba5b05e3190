"""P-Tuning v2 (prefix tuning): trainable key/value vectors prepended in every attention layer.

Laid out as PEFT's prefix tuning without projection: one table `prompt_embeddings`
[num_virtual_tokens, layers · 2 · hidden], split per layer into keys (2i) and values (2i+1).
A benchmark baseline (DESIGN §7): not served.
"""

from __future__ import annotations

import torch
from torch import nn

from .model import KV


class PrefixEncoder(nn.Module):
    def __init__(self, num_virtual_tokens: int, num_layers: int, num_heads: int, head_dim: int) -> None:
        super().__init__()
        self.num_virtual_tokens = num_virtual_tokens
        self.num_layers, self.num_heads, self.head_dim = num_layers, num_heads, head_dim
        self.embedding = nn.Parameter(torch.zeros(num_virtual_tokens, num_layers * 2 * num_heads * head_dim))

    def reset(self, gen: torch.Generator) -> None:
        """N(0, 1), PEFT's default for the prefix table (an `nn.Embedding`)."""
        with torch.no_grad():
            self.embedding.copy_(torch.randn(self.embedding.shape, generator=gen))

    def past(self, batch: int) -> list[KV]:
        """Per layer (keys, values), each [batch, heads, num_virtual_tokens, head_dim]."""
        p = self.num_virtual_tokens
        table = self.embedding.view(p, self.num_layers * 2, self.num_heads, self.head_dim)
        table = table.permute(1, 2, 0, 3)[:, None].expand(-1, batch, -1, -1, -1)  # [layers·2, B, H, P, d]
        return [(table[2 * i], table[2 * i + 1]) for i in range(self.num_layers)]
