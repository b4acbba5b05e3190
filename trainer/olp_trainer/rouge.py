"""ROUGE-1, ROUGE-2 and ROUGE-L F1 (Lin, 2004), sentence level, on lowercase alphanumeric word tokens."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lowercased runs of ASCII letters and digits (the `rouge-score` package's default tokenizer)."""
    return _WORD.findall(text.lower())


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if overlap == 0:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> float:
    cand = Counter(tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1))
    ref = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
    return _f1(sum((cand & ref).values()), sum(cand.values()), sum(ref.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> float:
    return _f1(lcs_length(candidate, reference), len(candidate), len(reference))


def rouge(candidates: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean F1 over the pairs: {"rouge1", "rouge2", "rougeL"}, each in [0, 1]."""
    if len(candidates) != len(references) or not candidates:
        raise ValueError("need as many candidates as references, at least one")
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for cand_text, ref_text in zip(candidates, references):
        cand, ref = words(cand_text), words(ref_text)
        totals["rouge1"] += rouge_n(cand, ref, 1)
        totals["rouge2"] += rouge_n(cand, ref, 2)
        totals["rougeL"] += rouge_l(cand, ref)
    return {name: total / len(candidates) for name, total in totals.items()}
