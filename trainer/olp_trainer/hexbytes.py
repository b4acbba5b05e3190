"""32-byte values (hashes, roots, seeds) as JSON carries them: `0x` + 64 hex digits."""

from __future__ import annotations

from .errors import TrainerError


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def parse_hex32(value: object, field: str, code: str) -> bytes:
    """The 32 bytes of `value`, or a `code` error naming `field`."""
    if isinstance(value, str) and len(value) == 66 and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise TrainerError(code, f"{field} must be 0x + 64 hex digits, found {value!r}", field=field)
