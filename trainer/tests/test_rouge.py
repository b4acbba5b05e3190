"""ROUGE-1/2/L F1 on known cases."""

from __future__ import annotations

import pytest

from olp_trainer.evaluate import eval_score
from olp_trainer.rouge import lcs_length, rouge, words


def test_identical_texts_score_one_and_disjoint_texts_zero():
    assert rouge(["The red dress."], ["the RED dress"]) == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert rouge(["blue coat"], ["red dress"]) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert rouge([""], ["red dress"])["rougeL"] == 0.0


def test_a_worked_example():
    # candidate: the cat sat on mat (5), reference: the cat is on the mat (6)
    scores = rouge(["the cat sat on mat"], ["the cat is on the mat"])
    # unigram overlap 4 (the, cat, on, mat): P 4/5, R 4/6
    assert scores["rouge1"] == pytest.approx(2 * (4 / 5) * (4 / 6) / (4 / 5 + 4 / 6))
    # bigram overlap 1 (the cat): P 1/4, R 1/5
    assert scores["rouge2"] == pytest.approx(2 * (1 / 4) * (1 / 5) / (1 / 4 + 1 / 5))
    # LCS "the cat on mat" = 4
    assert scores["rougeL"] == pytest.approx(scores["rouge1"])
    assert lcs_length(words("a b c d"), words("b d a c")) == 2


def test_scores_average_over_pairs_and_eval_score_is_basis_points():
    scores = rouge(["a b", "c"], ["a b", "d"])
    assert scores["rougeL"] == 0.5
    assert eval_score(0.123456) == 1235 and eval_score(1.0) == 10_000
    with pytest.raises(ValueError):
        rouge(["a"], [])
