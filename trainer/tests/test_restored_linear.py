"""QLoRA's frozen NF4 projection restores its weight in the backward pass instead of keeping it (the memory saving)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from olp_trainer.lora import FrozenLinear


def _layer(dtype: torch.dtype = torch.float32) -> FrozenLinear:
    gen = torch.Generator().manual_seed(7)
    return FrozenLinear(torch.randn(96, 64, generator=gen), "nf4", dtype)


def test_gradient_equals_plain_autograd_over_the_restored_weight() -> None:
    layer = _layer()
    x = torch.randn(3, 5, 64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    layer(x).pow(2).sum().backward()
    ours = x.grad.clone()
    x.grad = None
    F.linear(x, layer.dequantized()).pow(2).sum().backward()
    assert torch.allclose(ours, x.grad, rtol=1e-5, atol=1e-6)


def test_keeps_no_restored_weight_between_forward_and_backward() -> None:
    layer = _layer()
    x = torch.randn(4, 64, requires_grad=True)
    saved: list[int] = []  # element counts of what autograd saves

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        layer(x).sum().backward()
    assert 96 * 64 not in saved
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        F.linear(x, layer.dequantized()).sum().backward()
    assert 96 * 64 in saved  # what plain autograd would have kept: the test can tell the two apart


def test_bf16_autocast_gives_the_input_a_gradient_in_its_own_dtype() -> None:
    layer = _layer(torch.bfloat16)
    x = torch.randn(2, 64, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = layer(x)
    assert y.dtype == torch.bfloat16
    y.float().sum().backward()
    assert x.grad is not None and x.grad.dtype == torch.float32
