"""NF4 as QLoRA defines it: the code values, the error bound the format implies, the storage cost."""

from __future__ import annotations

import torch

from olp_trainer.quant import BLOCK, DYNAMIC_MAP, NF4_CODE, SCALE_BLOCK, block_absmax, decode_blocks, encode_blocks, quantize_nf4


def test_the_16_code_values_are_the_normal_quantiles_of_the_qlora_definition():
    # QLoRA appendix / bitsandbytes create_normal_map(offset=0.9677083): 8 positive and 7 negative quantiles
    # of N(0, 1) on [offset, 0.5) (the probabilities in float32, as bitsandbytes' torch.linspace gives them),
    # an exact zero, normalized by the largest magnitude.
    offset = 0.9677083
    pos = torch.special.ndtri(torch.linspace(offset, 0.5, 9)[:-1].double())
    neg = -torch.special.ndtri(torch.linspace(offset, 0.5, 8)[:-1].double())
    values = torch.cat((pos, torch.zeros(1, dtype=torch.float64), neg)).sort().values
    expected = values / values.abs().max()
    assert NF4_CODE.numel() == 16
    assert torch.allclose(NF4_CODE.double(), expected, atol=1e-7, rtol=0)
    assert NF4_CODE[7] == 0 and NF4_CODE[0] == -1 and NF4_CODE[15] == 1


def test_each_weight_is_stored_as_its_nearest_code_and_the_error_stays_within_half_the_widest_gap():
    torch.manual_seed(0)
    weight = torch.randn(96, 160) * 0.05
    weight[3, :64] = 0  # an all-zero block must come back as zeros
    absmax = block_absmax(weight)
    restored = decode_blocks(encode_blocks(weight, absmax), absmax, weight.shape)
    half_gap = float((NF4_CODE[1:] - NF4_CODE[:-1]).max()) / 2  # 0.1385: between 0.7230 and 1.0
    per_element_scale = absmax.repeat_interleave(BLOCK)[: weight.numel()].view(weight.shape)
    error = (weight - restored).abs()
    assert torch.all(error <= per_element_scale * half_gap + 1e-7)
    # nearest code: no other code value would have been closer
    normalized = (weight / per_element_scale.clamp(min=1e-12)).reshape(-1, 1)
    best = (normalized - NF4_CODE).abs().min(dim=1).values.view(weight.shape) * per_element_scale
    assert torch.allclose(error, best, atol=1e-7)
    assert torch.all(restored[3, :64] == 0)
    # the bound is tight enough to mean something: the mean error is far below it
    assert float(error.mean()) < 0.3 * float((per_element_scale * half_gap).mean())


def test_double_quantized_scales_are_within_the_8_bit_map_bound_and_weights_still_within_bound():
    torch.manual_seed(1)
    weight = torch.randn(300, 128) * torch.linspace(0.01, 0.2, 128)  # scales that vary across blocks
    q = quantize_nf4(weight)
    exact = block_absmax(weight)
    approx = q.absmax()
    centred_scale = q.scale_scales.repeat_interleave(SCALE_BLOCK)[: exact.numel()]
    map_half_gap = float((DYNAMIC_MAP[1:] - DYNAMIC_MAP[:-1]).max()) / 2
    assert torch.all((exact - approx).abs() <= centred_scale * map_half_gap + 1e-6)
    restored = q.dequantize()
    half_gap = float((NF4_CODE[1:] - NF4_CODE[:-1]).max()) / 2
    per_element = approx.repeat_interleave(BLOCK)[: weight.numel()].view(weight.shape)
    clip = (exact - approx).clamp(min=0).repeat_interleave(BLOCK)[: weight.numel()].view(weight.shape)
    assert torch.all((weight - restored).abs() <= per_element * half_gap + clip + 1e-6)


def test_storage_is_under_4_2_bits_per_parameter_with_scales():
    q = quantize_nf4(torch.randn(512, 512))
    assert q.packed.dtype == torch.uint8 and q.packed.numel() == 512 * 512 // 2
    assert q.scale_codes.dtype == torch.uint8 and q.scale_codes.numel() == 512 * 512 // BLOCK
    bits = q.bits_per_parameter()
    assert 4.12 < bits <= 4.2
    assert abs(bits - (4 + 8 / 64 + 32 / (64 * 256) + 32 / (512 * 512))) < 1e-9


def test_dequantize_restores_shape_and_dtype_for_odd_sizes():
    weight = torch.randn(7, 13)
    q = quantize_nf4(weight)
    out = q.dequantize(torch.bfloat16)
    assert out.shape == weight.shape and out.dtype == torch.bfloat16
    assert float((out.float() - weight).abs().max()) <= float(weight.abs().max()) * 0.2


def test_the_dynamic_map_is_bitsandbytes_signed_8_bit_map():
    assert DYNAMIC_MAP.numel() == 256
    assert torch.all(DYNAMIC_MAP[1:] >= DYNAMIC_MAP[:-1])
    assert float(DYNAMIC_MAP[-1]) == 1.0 and float(DYNAMIC_MAP.abs().min()) == 0.0
    assert abs(float(DYNAMIC_MAP[0]) + 0.99296875) < 1e-6  # -(mean of the last two of linspace(0.1, 1, 65))
