"""Tokenizers: the built-in byte-level BPE, and a Hugging Face tokenizer when `transformers` is importable.

The built-in tokenizer starts from the 256 UTF-8 bytes (so every text encodes), adds `<s>`, `</s>`, `<pad>`,
and merges frequent pairs learned deterministically from the base model's pre-training text, so the words of
the ads are single tokens (a tiny model copies a word far more easily than its letters). It is written to
`tokenizer.json` in the `tokenizers` format (GPT-2-style split, byte-level BPE) and `tokenizer_config.json`,
so `baseModelHash` (DESIGN §7) covers it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Protocol

from .errors import MODEL_NOT_FOUND, MODEL_UNSUPPORTED, TrainerError

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


BYTE_CHARS = _bytes_to_unicode()
CHAR_BYTES = {char: byte for byte, char in BYTE_CHARS.items()}
# GPT-2's split, restricted to ASCII classes so that Python's `re` and the Oniguruma regex of `tokenizers`
# read it the same way: contractions, letter runs, digit runs, other runs, each with one leading space.
SPLIT = r"'(?:[sdmt]|ll|ve|re)| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"
_SPLIT = re.compile(SPLIT)
SPECIALS = (BOS, EOS, PAD)  # ids 256, 257, 258; merged tokens follow from 259


class ByteLevelBPE:
    """Byte-level BPE: every text encodes (bytes are the base vocabulary), merges learned from a corpus make
    frequent words single tokens. Ids: bytes 0–255, `<s>` 256, `</s>` 257, `<pad>` 258, merges from 259 in order.
    With no merges it is a plain byte tokenizer."""

    bos_id = BYTE_VOCAB
    eos_id = BYTE_VOCAB + 1
    pad_id = BYTE_VOCAB + 2

    def __init__(self, merges: list[tuple[str, str]]) -> None:
        self.merges = list(merges)
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.vocab = {BYTE_CHARS[b]: b for b in range(256)}
        for rank, (a, b) in enumerate(self.merges):
            self.vocab[a + b] = len(SPECIALS) + BYTE_VOCAB + rank
        self.tokens = {i: t for t, i in self.vocab.items()}
        self.vocab_size = BYTE_VOCAB + len(SPECIALS) + len(self.merges)
        self._cache: dict[str, list[int]] = {}

    def _word(self, word: str) -> list[int]:
        if word in self._cache:
            return self._cache[word]
        parts = [BYTE_CHARS[b] for b in word.encode("utf-8")]
        while len(parts) > 1:
            best = min(range(len(parts) - 1), key=lambda i: self.ranks.get((parts[i], parts[i + 1]), len(self.ranks)))
            pair = (parts[best], parts[best + 1])
            if pair not in self.ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        if len(self._cache) < 1 << 16:  # bounded: a cache, not a second copy of the corpus
            self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        return [i for word in _SPLIT.findall(text) for i in self._word(word)]

    def decode(self, ids: list[int]) -> str:
        chars = "".join(self.tokens[i] for i in ids if i in self.tokens)
        return bytes(CHAR_BYTES[c] for c in chars).decode("utf-8", errors="replace")

    def files(self, model_max_length: int) -> dict[str, bytes]:
        """The tokenizer files, byte for byte (they enter `baseModelHash`, so they never vary)."""
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
        split = {"type": "Split", "pattern": {"Regex": SPLIT}, "behavior": "Isolated", "invert": False}
        tokenizer = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": BYTE_VOCAB + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
                for i, s in enumerate(SPECIALS)
            ],
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split, byte_level]},
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
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
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

    @classmethod
    def from_files(cls, folder: Path, model_max_length: int) -> ByteLevelBPE | None:
        """Ours when the folder's files are exactly what we would write for their merges, else None."""
        try:
            merges = [tuple(m.split(" ")) for m in json.loads((folder / "tokenizer.json").read_text())["model"]["merges"]]
            tokenizer = cls([(a, b) for a, b in merges])
            written = tokenizer.files(model_max_length)
            if all((folder / name).read_bytes() == data for name, data in written.items()):
                return tokenizer
        except (OSError, KeyError, TypeError, ValueError):
            pass
        return None


def train_bpe(texts: list[str], max_merges: int) -> list[tuple[str, str]]:
    """Merges learned from `texts`: the most frequent adjacent pair each round (ties to the smaller pair), until
    `max_merges` or no pair occurs twice. Deterministic: the same texts give the same merges everywhere."""
    counts: dict[tuple[str, ...], int] = {}
    for text in texts:
        for word in _SPLIT.findall(text):
            key = tuple(BYTE_CHARS[b] for b in word.encode("utf-8"))
            counts[key] = counts.get(key, 0) + 1
    merges: list[tuple[str, str]] = []
    words = dict(counts)
    while len(merges) < max_merges:
        pairs: dict[tuple[str, str], int] = {}
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged_words: dict[tuple[str, ...], int] = {}
        for word, n in words.items():
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged_words[tuple(out)] = merged_words.get(tuple(out), 0) + n
        words = merged_words
    return merges


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


HF_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")  # any one lets transformers load a tokenizer


def load_tokenizer(folder: Path, model_max_length: int) -> Tokenizer:
    """The built-in tokenizer when the folder's files are exactly ours, else the Hugging Face one."""
    ours = ByteLevelBPE.from_files(folder, model_max_length)
    if ours is not None:
        return ours
    if not any((folder / name).exists() for name in HF_TOKENIZER_FILES):
        missing = folder / HF_TOKENIZER_FILES[0]
        raise TrainerError(MODEL_NOT_FOUND, f"model folder {folder}: {missing.name} not found", path=str(missing))
    return HfTokenizer(folder)
