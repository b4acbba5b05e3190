"""The JSON-lines protocol on stdout: one JSON object per line, nothing else ever written there.

Message types: "progress", "metric", "checkpoint", "artifact", "result", "error" (see docs/trainer.md).
Logs go to stderr through `log`.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, TextIO

MESSAGE_TYPES = ("progress", "metric", "checkpoint", "artifact", "result", "error")

Emit = Callable[..., None]
"""`emit(type, **fields)`: how library code reports; the CLI writes lines, tests collect dicts."""


def silent(_type: str, **_fields: Any) -> None:
    """An `Emit` that drops everything (library use without a listener)."""


class JsonLines:
    """Writes protocol messages to a stream, one line each, flushed so the node sees them at once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout

    def __call__(self, type_: str, **fields: Any) -> None:
        if type_ not in MESSAGE_TYPES:
            raise ValueError(f"unknown message type {type_!r}")
        line = json.dumps({"type": type_, **fields}, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        self._stream.write(line + "\n")
        self._stream.flush()


def log(msg: str) -> None:
    """A log line for humans: stderr only, never stdout."""
    print(f"[trainer] {msg}", file=sys.stderr, flush=True)
