"""Tokenizers: the built-in byte-level one, and a Hugging Face tokenizer when `transformers` is importable.

The built-in tokenizer maps each UTF-8 byte to its own id (0–255) and adds `<s>`, `</s>`, `<pad>`. It is
written to `tokenizer.json` in the Hugging Face `tokenizers` format (a byte-level BPE with no merges, so
`tokenizers` gives the same ids) and `tokenizer_config.json`, so `baseModelHash` (DESIGN §7) covers it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from .errors import MODEL_UNSUPPORTED, TrainerError

BOS, EOS, PAD = "<s>", "</s>", "<pad>"
BYTE_VOCAB = 256


class Tokenizer(Protocol):
    """What training, eval and generation need from a tokenizer."""

    vocab_size: int
    bos_id: int | None
    eos_id: int
    pad_id: int

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`, no special tokens."""

    def decode(self, ids: list[int]) -> str:
        """Text of `ids`, special tokens dropped."""


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte, as the `ByteLevel` pre-tokenizer of `tokenizers` uses."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars)}


class ByteTokenizer:
    """Byte-level tokenizer: id = byte value; 256 = `<s>`, 257 = `</s>`, 258 = `<pad>`."""

    vocab_size = BYTE_VOCAB + 3
    bos_id = BYTE_VOCAB
    eos_id = BYTE_VOCAB + 1
    pad_id = BYTE_VOCAB + 2

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(i for i in ids if 0 <= i < BYTE_VOCAB).decode("utf-8", errors="replace")

    @staticmethod
    def files(model_max_length: int) -> dict[str, bytes]:
        """The tokenizer files, byte for byte (they enter `baseModelHash`, so they never vary)."""
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
        specials = [(ByteTokenizer.bos_id, BOS), (ByteTokenizer.eos_id, EOS), (ByteTokenizer.pad_id, PAD)]
        tokenizer = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
                for i, s in specials
            ],
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": None,
            "decoder": byte_level,
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "vocab": {char: byte for byte, char in sorted(_bytes_to_unicode().items())},
                "merges": [],
            },
        }
        config = {
            "bos_token": BOS,
            "eos_token": EOS,
            "pad_token": PAD,
            "add_bos_token": False,
            "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
            "model_max_length": model_max_length,
            "tokenizer_class": "PreTrainedTokenizerFast",
        }
        dump = lambda obj: (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")  # noqa: E731
        return {"tokenizer.json": dump(tokenizer), "tokenizer_config.json": dump(config)}


class HfTokenizer:
    """A `transformers` tokenizer behind the `Tokenizer` protocol (only when transformers is importable)."""

    def __init__(self, folder: Path) -> None:
        try:
            from transformers import AutoTokenizer
        except ImportError:
            raise TrainerError(
                MODEL_UNSUPPORTED, f"{folder}: this tokenizer needs the transformers package, which is not installed", path=str(folder)
            ) from None
        self._tok = AutoTokenizer.from_pretrained(str(folder))
        self.vocab_size = len(self._tok)
        self.bos_id = self._tok.bos_token_id
        if self._tok.eos_token_id is None:
            raise TrainerError(MODEL_UNSUPPORTED, f"{folder}: tokenizer has no eos token", path=str(folder))
        self.eos_id = self._tok.eos_token_id
        self.pad_id = self._tok.pad_token_id if self._tok.pad_token_id is not None else self.eos_id

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids, skip_special_tokens=True)


def load_tokenizer(folder: Path, model_max_length: int) -> Tokenizer:
    """The built-in tokenizer when the folder's files are exactly ours, else the Hugging Face one."""
    ours = ByteTokenizer.files(model_max_length)
    found = {name: (folder / name).read_bytes() if (folder / name).exists() else None for name in ours}
    if found == ours:
        return ByteTokenizer()
    return HfTokenizer(folder)
