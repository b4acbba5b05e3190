"""safetensors written and read without the package, strictly."""

from __future__ import annotations

import json
import struct

import pytest
import torch

from helpers import read_safetensors_plainly
from olp_trainer import safetensors_io
from olp_trainer.errors import SAFETENSORS_INVALID, TrainerError


def test_round_trips_every_dtype_and_metadata(tmp_path):
    tensors = {
        "w": torch.randn(3, 4),
        "h": torch.randn(5).to(torch.bfloat16),
        "step": torch.tensor(7, dtype=torch.int64),
        "rng": torch.arange(10, dtype=torch.uint8),
        "empty": torch.zeros(0, 2),
    }
    path = tmp_path / "t.safetensors"
    safetensors_io.save(path, tensors, {"format": "pt"})
    loaded, metadata = safetensors_io.load(path)
    assert metadata == {"format": "pt"}
    assert all(torch.equal(loaded[n], t) and loaded[n].dtype == t.dtype for n, t in tensors.items())
    header, plain = read_safetensors_plainly(path)
    assert header["__metadata__"] == {"format": "pt"} and torch.equal(plain["w"], tensors["w"])
    assert (8 + struct.unpack("<Q", path.read_bytes()[:8])[0]) % 8 == 0  # the header is padded to 8 bytes


def craft(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


@pytest.mark.parametrize(
    "data,fragment",
    [
        (b"\x01\x00", "shorter than"),
        (struct.pack("<Q", 1000) + b"{}", "exceeds the file"),
        (craft({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\x00" * 4), "do not fit shape"),
        (craft({"a": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}}, b"\x00"), "unknown dtype"),
        (craft({"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}, b"\x00\x00"), "not contiguous"),
        (craft({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}, b"\x00\x00"), "trailing bytes"),
        (craft({"a": {"dtype": "U8", "shape": [1]}}, b"\x00"), "exactly dtype, shape, data_offsets"),
    ],
)
def test_a_malformed_file_is_refused(data, fragment):
    with pytest.raises(TrainerError) as err:
        safetensors_io.decode(data, "x.safetensors")
    assert err.value.code == SAFETENSORS_INVALID and fragment in err.value.message
