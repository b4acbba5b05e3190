"""RFC 8785 (JSON Canonicalization Scheme) serialization of plain JSON values.

The node computes ``configHash = keccak256(utf8(canonical JSON of the config))`` with the
``canonicalize`` npm package (the reference); this mirror lets the trainer and a verifier check
the hash of the config they were handed. The rules, as RFC 8785 states them:

- object members sorted by their keys' UTF-16 code units (not by code points: they differ above
  U+FFFF), no whitespace anywhere;
- strings as ECMAScript's ``JSON.stringify`` writes them: ``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``,
  other controls below U+0020 as ``\\u00xx`` (lowercase), everything else as the character itself;
- numbers as ECMAScript's ``Number.prototype.toString`` writes the IEEE-754 double: the shortest
  digits that round-trip, plain notation for exponents from −6 to 20, else ``d.ddde±x``; ``-0``
  is ``0``. A Python ``int`` is a double in JSON, so it goes through ``float`` as JavaScript would.

Anything that is not plain JSON (NaN, ±Infinity, lone surrogates, non-string keys, other types)
raises ``ValueError`` or ``TypeError`` rather than being dropped or reshaped.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal


def _number(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a JSON number")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _number(-x)
    sign, digit_tuple, exponent = Decimal(repr(x)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = k + exponent  # value = 0.digits × 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _string(s: str) -> str:
    s.encode("utf-8")  # a lone surrogate has no UTF-8 form: UnicodeEncodeError (a ValueError)
    return json.dumps(s, ensure_ascii=False)


def canonicalize(value: object) -> str:
    """The RFC 8785 canonical text of a plain JSON value (dict, list, str, int, float, bool, None)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _number(float(value))
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonicalize(v) for v in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"object key {key!r} is not a string")
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_string(k) + ":" + canonicalize(value[k]) for k in keys) + "}"
    raise TypeError(f"{type(value).__name__} is not JSON")
