"""LoRA and QLoRA layers: a frozen base projection (16-bit or NF4) plus a trainable low-rank update.

`y = base(x) + B(A(dropout(x))) · alpha/r`, with A [r, in] seeded uniform(±1/√in) (PEFT's kaiming-uniform
bound with a = √5) and B [out, r] zero, so the adapter starts as the identity and `initialWeightsHash`
follows from the seed alone (DESIGN §7).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .quant import NF4Tensor, quantize_nf4

STORAGES = ("nf4", "bf16")


class FrozenLinear(nn.Module):
    """A projection whose weight is frozen and stored as NF4 (QLoRA) or bfloat16 (16-bit LoRA) and restored
    to the compute dtype at each call (nothing is cached, so memory stays at the stored size). A bias, when
    the model has one, stays in the compute dtype."""

    def __init__(self, weight: torch.Tensor, storage: str, compute_dtype: torch.dtype, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {STORAGES}")
        self.storage = storage
        self.compute_dtype = compute_dtype
        self.out_features, self.in_features = weight.shape
        if storage == "nf4":
            q = quantize_nf4(weight)
            self.register_buffer("packed", q.packed)
            self.register_buffer("scale_codes", q.scale_codes)
            self.register_buffer("scale_scales", q.scale_scales)
            self.register_buffer("scale_mean", q.scale_mean)
        else:
            self.register_buffer("weight", weight.detach().to(torch.bfloat16))
        self.register_buffer("bias", None if bias is None else bias.detach().to(compute_dtype))

    def nf4(self) -> NF4Tensor:
        return NF4Tensor(self.packed, self.scale_codes, self.scale_scales, self.scale_mean, torch.Size((self.out_features, self.in_features)))

    def dequantized(self) -> torch.Tensor:
        if self.storage == "nf4":
            return self.nf4().dequantize(self.compute_dtype)
        return self.weight.to(self.compute_dtype)

    def storage_bytes(self) -> int:
        return sum(b.numel() * b.element_size() for b in self.buffers())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.storage == "nf4":
            return _RestoredLinear.apply(x, self)
        return F.linear(x, self.dequantized(), self.bias)


class _RestoredLinear(torch.autograd.Function):
    """`F.linear` over an NF4 weight that is restored again in the backward pass instead of being kept.

    Plain autograd would save each layer's restored 16-bit weight from the forward until its backward, so a
    training step would hold a 16-bit copy of the whole model and QLoRA would save no GPU memory (measured on an
    H200: 1.15x LoRA's peak before this). Restoring twice costs one more dequantization per layer and step, the
    trade bitsandbytes' `Linear4bit` makes too. The base weight is frozen: only the input gets a gradient."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, layer: FrozenLinear) -> torch.Tensor:  # type: ignore[override]
        ctx.layer = layer
        ctx.input_dtype = x.dtype
        return F.linear(x, layer.dequantized(), layer.bias)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        weight = ctx.layer.dequantized()  # [out, in]
        # grad [..., out] @ weight [out, in] → [..., in], in the dtype the forward computed in, then the input's
        return grad.to(weight.dtype).matmul(weight).to(ctx.input_dtype), None


class LoraLinear(nn.Module):
    """A frozen base projection plus `lora_B(lora_A(x)) · scaling`; parameter names match PEFT's keys."""

    def __init__(self, base: nn.Module, in_features: int, out_features: int, rank: int, alpha: int, dropout: float) -> None:
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, out_features, bias=False)
        self.scaling = alpha / rank
        self.dropout = dropout

    def reset(self, gen: torch.Generator) -> None:
        """A from the seeded generator, B zero."""
        bound = 1.0 / math.sqrt(self.lora_A.in_features)
        with torch.no_grad():
            self.lora_A.weight.copy_((torch.rand(self.lora_A.weight.shape, generator=gen) * 2 - 1) * bound)
            self.lora_B.weight.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.dropout(x, self.dropout, self.training) if self.dropout > 0 else x
        return self.base_layer(x) + self.lora_B(self.lora_A(h)) * self.scaling
