"""NF4 quantization as QLoRA defines it (Dettmers et al., 2023), in plain PyTorch.

- 4-bit NormalFloat: 16 code values, quantiles of N(0, 1) normalized to [-1, 1] with an exact zero
  (`NF4_CODE`, the constants of the paper's appendix and of bitsandbytes).
- Blockwise absmax: each block of 64 weights is scaled by its largest magnitude; a weight is stored as
  the index of the nearest code value, two indices per byte (low nibble first).
- Double quantization: the float32 absmax scales, minus their mean, are quantized to 8 bits in blocks of
  256 with bitsandbytes' signed dynamic 8-bit map (`DYNAMIC_MAP`), each block keeping a float32 scale.

Bits per weight: 4 + 8/64 + 32/(64·256) + 32/numel ≈ 4.127.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

BLOCK = 64  # QLoRA's block size for the weights
SCALE_BLOCK = 256  # QLoRA's block size for the second quantization (of the absmax scales)

# bitsandbytes' NF4 table (`functional.py`); `tests/test_quant.py` rebuilds it from the paper's definition.
NF4_CODE = torch.tensor(
    [
        -1.0,
        -0.6961928009986877,
        -0.5250730514526367,
        -0.39491748809814453,
        -0.28444138169288635,
        -0.18477343022823334,
        -0.09105003625154495,
        0.0,
        0.07958029955625534,
        0.16093020141124725,
        0.24611230194568634,
        0.33791524171829224,
        0.44070982933044434,
        0.5626170039176941,
        0.7229568362236023,
        1.0,
    ],
    dtype=torch.float32,
)


def _dynamic_map() -> torch.Tensor:
    """bitsandbytes' signed dynamic 8-bit map (`create_dynamic_map(signed=True)`): 256 sorted values in
    [-1, 1], exponent from the leading zero bits, the rest a linear fraction (float32 arithmetic, as there)."""
    parts = []
    for i in range(7):
        boundaries = torch.linspace(0.1, 1, 2**i + 1, dtype=torch.float32)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        scale = 10 ** (-6 + i)
        parts += [scale * means, -scale * means]
    parts.append(torch.tensor([0.0, 1.0]))
    return torch.cat(parts).sort().values


DYNAMIC_MAP = _dynamic_map()


@functools.lru_cache(maxsize=8)
def _table(name: str, device: torch.device) -> torch.Tensor:
    """A code table on `device`, copied there once (dequantization runs at every forward)."""
    return {"nf4": NF4_CODE, "dynamic": DYNAMIC_MAP}[name].to(device)


def _nearest(values: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """Index of the nearest code value for each of `values` (ties to the lower index), as uint8."""
    mids = (code[1:] + code[:-1]) / 2
    return torch.bucketize(values, mids.to(values.device), right=False).to(torch.uint8)


def _blocks(flat: torch.Tensor, size: int) -> torch.Tensor:
    """`flat` zero-padded to a multiple of `size`, as rows of `size`."""
    return torch.nn.functional.pad(flat, (0, -flat.numel() % size)).view(-1, size)


def encode_blocks(weight: torch.Tensor, absmax: torch.Tensor) -> torch.Tensor:
    """NF4 indices of `weight` against per-64-block scales `absmax`, packed two per byte (low nibble first)."""
    flat = weight.detach().float().reshape(-1)
    safe = torch.where(absmax > 0, absmax, torch.ones_like(absmax))
    normalized = (_blocks(flat, BLOCK) / safe[:, None]).clamp(-1, 1).reshape(-1)[: flat.numel()]
    codes = _nearest(normalized, NF4_CODE)
    if codes.numel() % 2:
        codes = torch.cat((codes, torch.zeros(1, dtype=torch.uint8, device=codes.device)))
    pairs = codes.view(-1, 2)
    return pairs[:, 0] | (pairs[:, 1] << 4)


def decode_blocks(packed: torch.Tensor, absmax: torch.Tensor, shape: torch.Size, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The weight of `shape` back from packed NF4 indices and per-64-block scales."""
    numel = 1
    for d in shape:
        numel *= d
    codes = torch.stack((packed & 0x0F, packed >> 4), dim=-1).reshape(-1)[:numel]
    values = _table("nf4", packed.device)[codes.long()]
    return (_blocks(values, BLOCK) * absmax[:, None]).reshape(-1)[:numel].view(shape).to(dtype)


def block_absmax(weight: torch.Tensor) -> torch.Tensor:
    """The largest magnitude in each 64-block of `weight` (float32)."""
    return _blocks(weight.detach().float().reshape(-1), BLOCK).abs().amax(dim=1)


@dataclass
class NF4Tensor:
    """A weight in NF4 with double-quantized scales; `dequantize()` gives it back in any float dtype."""

    packed: torch.Tensor  # uint8 [ceil(numel/2)]: code indices, two per byte, low nibble first
    scale_codes: torch.Tensor  # uint8 [blocks]: each 64-block's absmax minus `scale_mean`, as a DYNAMIC_MAP index
    scale_scales: torch.Tensor  # float32 [ceil(blocks/256)]: absmax of each 256-block of centred scales
    scale_mean: torch.Tensor  # float32 []: mean of the absmax scales
    shape: torch.Size

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def storage_bytes(self) -> int:
        """Bytes of everything stored for this weight."""
        tensors = (self.packed, self.scale_codes, self.scale_scales, self.scale_mean)
        return sum(t.numel() * t.element_size() for t in tensors)

    def bits_per_parameter(self) -> float:
        return 8 * self.storage_bytes() / self.numel

    def absmax(self) -> torch.Tensor:
        """The dequantized absmax of each 64-block (float32)."""
        centred = _table("dynamic", self.scale_codes.device)[self.scale_codes.long()]
        per_block = self.scale_scales.repeat_interleave(SCALE_BLOCK)[: centred.numel()]
        return centred * per_block + self.scale_mean

    def dequantize(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return decode_blocks(self.packed, self.absmax(), self.shape, dtype)


def quantize_nf4(weight: torch.Tensor) -> NF4Tensor:
    """NF4 of `weight` (any float dtype, any shape) with double-quantized scales; the weights are coded
    against the scales the dequantizer will see, so the second quantization costs no extra clipping."""
    absmax = block_absmax(weight)
    mean = absmax.mean()
    centred = _blocks(absmax - mean, SCALE_BLOCK)
    scale_scales = centred.abs().amax(dim=1)
    safe = torch.where(scale_scales > 0, scale_scales, torch.ones_like(scale_scales))
    scale_codes = _nearest((centred / safe[:, None]).reshape(-1)[: absmax.numel()], DYNAMIC_MAP)
    tensor = NF4Tensor(torch.empty(0, dtype=torch.uint8), scale_codes, scale_scales, mean, weight.shape)
    tensor.packed = encode_blocks(weight, tensor.absmax())
    return tensor
