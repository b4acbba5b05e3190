"""Solidity ``abi.encode`` and keccak256: the two primitives every protocol hash is built from.

Supported types: ``bytes32``, ``uint256``, ``uint32`` (static, one 32-byte word each) and the
dynamic arrays ``uint256[]`` and ``uint32[]``. ``encode(types, values)`` lays the values out
exactly as Solidity's ``abi.encode(v1, v2, ...)`` does (and viem's ``encodeAbiParameters``):
a head of one word per value (the value itself, or for an array the byte offset of its tail
from the start of the encoding), then the tails in order, each a length word followed by the
elements. A single array parameter is therefore ``0x20 ‖ length ‖ elements``.

Values are checked, never truncated: an out-of-range integer or a ``bytes32`` of the wrong
length raises ``ValueError``; a ``bool`` or any non-int where an integer is expected raises
``TypeError`` (``True`` is an ``int`` in Python, and silently encoding it as 1 hides bugs).
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    from Crypto.Hash import keccak as _keccak
except ImportError:  # Debian ships pycryptodome as pycryptodomex, under the Cryptodome name.
    from Cryptodome.Hash import keccak as _keccak

WORD = 32

_UINT_BITS = {"uint256": 256, "uint32": 32}


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak256 (the original Keccak padding, not NIST SHA3-256)."""
    return _keccak.new(digest_bits=256, data=bytes(data)).digest()


def _check_uint(value: object, bits: int, type_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{type_name}: expected int, got {type(value).__name__}")
    if value < 0 or value >= 1 << bits:
        raise ValueError(f"{type_name}: {value} out of range")
    return value


def encode_uint(value: int, bits: int = 256) -> bytes:
    """One big-endian 32-byte word holding ``value``, checked to fit ``bits`` bits."""
    return _check_uint(value, bits, f"uint{bits}").to_bytes(WORD, "big")


def encode_bytes32(value: bytes) -> bytes:
    """A ``bytes32`` word: exactly 32 bytes, as they are."""
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"bytes32: expected bytes, got {type(value).__name__}")
    if len(value) != WORD:
        raise ValueError(f"bytes32: expected 32 bytes, got {len(value)}")
    return bytes(value)


def _encode_static(type_name: str, value: object) -> bytes:
    if type_name == "bytes32":
        return encode_bytes32(value)  # type: ignore[arg-type]
    bits = _UINT_BITS.get(type_name)
    if bits is None:
        raise ValueError(f"unsupported ABI type {type_name!r}")
    return _check_uint(value, bits, type_name).to_bytes(WORD, "big")


def _is_dynamic(type_name: str) -> bool:
    return type_name.endswith("[]")


def _encode_array(type_name: str, values: object) -> bytes:
    element = type_name[:-2]
    if element not in _UINT_BITS:
        raise ValueError(f"unsupported ABI type {type_name!r}")
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Sequence):
        raise TypeError(f"{type_name}: expected a sequence, got {type(values).__name__}")
    out = bytearray(encode_uint(len(values)))
    for v in values:
        out += _encode_static(element, v)
    return bytes(out)


def encode(types: Sequence[str], values: Sequence[object]) -> bytes:
    """Solidity ``abi.encode(values...)`` with the given parameter ``types`` (head/tail layout)."""
    if len(types) != len(values):
        raise ValueError(f"{len(types)} types but {len(values)} values")
    head = bytearray()
    tail = bytearray()
    head_size = WORD * len(types)
    for type_name, value in zip(types, values):
        if _is_dynamic(type_name):
            head += encode_uint(head_size + len(tail))
            tail += _encode_array(type_name, value)
        else:
            head += _encode_static(type_name, value)
    return bytes(head + tail)
