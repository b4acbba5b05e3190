"""The safetensors file format, written and read without the `safetensors` package.

Layout: an 8-byte little-endian header length N, N bytes of JSON header
(`{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`, padded with
spaces to a multiple of 8), then the raw little-endian tensor bytes, offsets relative to their start.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from pathlib import Path

import torch

from .errors import SAFETENSORS_INVALID, TrainerError
from .proof import tensor_bytes

DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
DTYPE_NAMES = {dtype: name for name, dtype in DTYPES.items()}
MAX_HEADER_BYTES = 100_000_000  # the reference implementation's own cap: a larger header is an attack, not a model


def encode(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> bytes:
    """The safetensors bytes of `tensors` (names in sorted order, so equal inputs give equal bytes)."""
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name]
        if tensor.dtype not in DTYPE_NAMES:
            raise ValueError(f"tensor {name!r}: dtype {tensor.dtype} has no safetensors name")
        data = tensor_bytes(tensor)
        header[name] = {"dtype": DTYPE_NAMES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(chunks)


def save(path: str | Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> None:
    Path(path).write_bytes(encode(tensors, metadata))


def decode(data: bytes, source: str = "<bytes>") -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Parses safetensors bytes strictly: returns (tensors, metadata); any inconsistency is an error."""

    def bad(why: str) -> TrainerError:
        return TrainerError(SAFETENSORS_INVALID, f"{source}: {why}", path=source)

    if len(data) < 8:
        raise bad("shorter than the 8-byte header length")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER_BYTES or 8 + size > len(data):
        raise bad(f"header length {size} exceeds the file")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad(f"header is not JSON ({err})") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("__metadata__ must map strings to strings")
    body = memoryview(data)[8 + size :]
    tensors: dict[str, torch.Tensor] = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor {name!r}: entry must have exactly dtype, shape, data_offsets")
        dtype = DTYPES.get(info["dtype"])
        shape, offsets = info["shape"], info["data_offsets"]
        if dtype is None:
            raise bad(f"tensor {name!r}: unknown dtype {info['dtype']!r}")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise bad(f"tensor {name!r}: bad shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise bad(f"tensor {name!r}: bad data_offsets {offsets!r}")
        begin, end = offsets
        count = 1
        for dim in shape:
            count *= dim
        itemsize = torch.empty((), dtype=dtype).element_size()
        if not 0 <= begin <= end <= len(body) or end - begin != count * itemsize:
            raise bad(f"tensor {name!r}: data_offsets {offsets} do not fit shape {shape} of {info['dtype']}")
        spans.append((begin, end, name))
        raw = bytearray(body[begin:end])
        flat = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        stored = torch.uint8 if dtype == torch.bool else dtype
        tensor = flat.view(stored).reshape(shape) if count else torch.empty(shape, dtype=stored)
        tensors[name] = tensor.to(torch.bool) if dtype == torch.bool else tensor
    spans.sort()
    cursor = 0
    for begin, end, name in spans:
        if begin != cursor:
            raise bad(f"tensor {name!r}: data is not contiguous with the previous tensor (hole or overlap)")
        cursor = end
    if cursor != len(body):
        raise bad(f"{len(body) - cursor} trailing bytes after the last tensor")
    return tensors, metadata


def load(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TrainerError(SAFETENSORS_INVALID, f"{path}: file not found", path=str(path)) from None
    return decode(data, str(path))
