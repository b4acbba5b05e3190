"""Data: Alpaca/ShareGPT parsing and its errors, the corpus file, the root check, templates and labels."""

from __future__ import annotations

import json

import pytest

from helpers import corpus_rows, write_corpus
from olp_trainer import merkle
from olp_trainer.data import IGNORE, DatasetRef, Sample, check_roots, collate, encode, read_corpus, read_samples, token_counts
from olp_trainer.errors import CORPUS_INVALID, MALFORMED_JSONL, ROOT_MISMATCH, TrainerError
from olp_trainer.tokenizer import ByteLevelBPE


def write(tmp_path, content: bytes, name="data.jsonl"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_reads_alpaca_and_sharegpt_lines_into_prompt_response_and_canonical_text(tmp_path):
    lines = [
        {"instruction": "Write ad copy.", "input": "type: dress", "output": "A dress.", "extra": 5},
        {"system": "Be brief.", "instruction": "Say hi", "output": "hi"},
        {"conversations": [{"from": "human", "value": "Hello"}, {"from": "gpt", "value": "Hi there"}]},
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}, {"from": "human", "value": "c"}, {"from": "gpt", "value": "d"}]},
    ]
    path = write(tmp_path, "\r\n".join(json.dumps(x) for x in lines).encode())  # CRLF, no final newline
    samples = read_samples(path)
    assert samples[0] == Sample("Write ad copy.\ntype: dress", "A dress.", "Write ad copy.\ntype: dress\nA dress.")
    assert samples[1] == Sample("Be brief.\nSay hi", "hi", "Be brief.\nSay hi\n\nhi")  # DESIGN §4: a missing input is ""
    assert samples[2] == Sample("Hello", "Hi there", "human: Hello\ngpt: Hi there")
    assert samples[3].prompt == "human: a\ngpt: b\nhuman: c" and samples[3].response == "d"


@pytest.mark.parametrize(
    "content,line,fragment",
    [
        (b'{"instruction": "a", "output": "b"}\n{"instruction": "a", "output": \n', 2, "not JSON"),
        (b'{"instruction": "a", "output": "b"}\n[1, 2]\n', 2, "not a JSON object"),
        (b'{"instruction": "a", "output": 3}\n', 1, "'output' must be a string"),
        (b'{"instruction": "a"}\n', 1, "missing 'output'"),
        (b'{"instruction": "a", "output": "b"}\n\n{"instruction": "a", "output": "b"}\n', 2, "blank line"),
        (b'\xef\xbb\xbf{"instruction": "a", "output": "b"}\n', 1, "byte order mark"),
        (b'{"instruction": "a", "output": "b\xff"}\n', 1, "invalid UTF-8"),
        (b'{"conversations": [{"from": "human", "value": "x"}]}\n', 1, "no turn from gpt or assistant"),
        (b'{"conversations": [{"from": "human", "value": 1}]}\n', 1, "conversations[0]"),
        (b'{"instruction": "a", "output": NaN}\n', 1, "not JSON"),
        (b"", 0, "empty file"),
    ],
)
def test_malformed_jsonl_is_an_error_naming_the_line(tmp_path, content, line, fragment):
    path = write(tmp_path, content)
    with pytest.raises(TrainerError) as err:
        read_samples(path)
    assert err.value.code == MALFORMED_JSONL
    assert err.value.context["line"] == line
    assert fragment in err.value.message
    assert str(path) in err.value.message


def test_reads_the_node_corpus_in_index_order(tmp_path):
    rows = corpus_rows({1: [("p1", "r1"), ("p2", "r2")], 3: [("p3", "r3")]})
    samples = read_corpus(write_corpus(tmp_path / "c.jsonl", rows))
    assert [s.dataset_id for s in samples] == [1, 1, 3]
    assert samples[0].sample_hash == bytes.fromhex(rows[0]["sampleHash"][2:])


@pytest.mark.parametrize(
    "mutate,code,fragment",
    [
        (lambda rows: rows[::-1], CORPUS_INVALID, "ascending by (datasetId, sampleHash)"),
        (lambda rows: rows + [rows[0]], CORPUS_INVALID, "already at line 1"),
        (lambda rows: [{**rows[0], "extra": 1}] + rows[1:], MALFORMED_JSONL, "exactly the keys"),
        (lambda rows: [{**rows[0], "sampleHash": rows[0]["sampleHash"].upper()}] + rows[1:], MALFORMED_JSONL, "lowercase hex"),
        (lambda rows: [{**rows[0], "datasetId": "1"}] + rows[1:], MALFORMED_JSONL, "datasetId must be an integer"),
    ],
)
def test_a_corpus_out_of_order_or_malformed_is_refused(tmp_path, mutate, code, fragment):
    rows = corpus_rows({1: [("p1", "r1"), ("p2", "r2"), ("p3", "r3")]})
    with pytest.raises(TrainerError) as err:
        read_corpus(write_corpus(tmp_path / "c.jsonl", mutate(rows)))
    assert err.value.code == code and fragment in err.value.message


def _root(hashes):
    return merkle.StandardTree(["bytes32"], [(h,) for h in hashes]).root


def test_the_root_check_accepts_the_registered_roots_with_excluded_duplicates(tmp_path):
    rows = corpus_rows({1: [("a", "1"), ("b", "2")], 2: [("c", "3")]})
    corpus = read_corpus(write_corpus(tmp_path / "c.jsonl", rows))
    one = [s.sample_hash for s in corpus if s.dataset_id == 1]
    two = [s.sample_hash for s in corpus if s.dataset_id == 2]
    # dataset 2's root also holds a sample owned by dataset 1: the corpus carries it once, under dataset 1
    check_roots(corpus, [DatasetRef(1, _root(one)), DatasetRef(2, _root(two + [one[0]]), (one[0],))])


def test_a_corpus_that_does_not_build_the_expected_root_is_refused_with_both_roots(tmp_path):
    rows = corpus_rows({1: [("a", "1"), ("b", "2")]})
    corpus = read_corpus(write_corpus(tmp_path / "c.jsonl", rows))
    registered = _root([s.sample_hash for s in corpus] + [b"\x11" * 32])  # the node left a sample out
    with pytest.raises(TrainerError) as err:
        check_roots(corpus, [DatasetRef(1, registered)])
    assert err.value.code == ROOT_MISMATCH
    assert err.value.context == {"datasetId": 1, "expected": "0x" + registered.hex(), "found": "0x" + _root([s.sample_hash for s in corpus]).hex()}


def test_a_corpus_naming_a_dataset_outside_the_job_or_excluding_its_own_sample_is_refused(tmp_path):
    rows = corpus_rows({1: [("a", "1")], 2: [("b", "2")]})
    corpus = read_corpus(write_corpus(tmp_path / "c.jsonl", rows))
    with pytest.raises(TrainerError) as err:
        check_roots(corpus, [DatasetRef(1, _root([corpus[0].sample_hash]))])
    assert err.value.code == CORPUS_INVALID and err.value.context == {"datasetId": 2}
    own = corpus[0].sample_hash
    with pytest.raises(TrainerError) as err:
        check_roots(corpus[:1], [DatasetRef(1, _root([own]), (own,))])
    assert err.value.code == CORPUS_INVALID and "both in the corpus and excluded" in err.value.message


def test_labels_cover_the_response_and_end_of_sequence_only():
    tok = ByteLevelBPE([])  # bytes only, so ids are easy to read
    item = encode(tok, "plain", Sample("ab", "cd", "ab\ncd"), 64)
    assert item.ids.tolist() == [tok.bos_id, *b"ab\n\n", *b"cd", tok.eos_id]
    # position i predicts token i + 1: prompt positions carry no loss
    assert item.labels.tolist() == [IGNORE] * 4 + [ord("c"), ord("d"), tok.eos_id, IGNORE]
    cut = encode(tok, "plain", Sample("ab", "cdefgh", ""), 7)
    assert cut.ids.numel() == 7 and cut.labels.tolist()[-1] == IGNORE
    ids, labels = collate([item, cut], tok.pad_id)
    assert ids.shape == (2, 8) and ids[1, 7] == tok.pad_id and labels[1, 7] == IGNORE


def test_token_counts_are_per_dataset_over_the_canonical_text_without_special_tokens():
    corpus = [Sample("p", "r", "héllo", 1), Sample("p", "r", "ab", 2), Sample("p", "r", "c", 2)]
    assert token_counts(corpus, ByteLevelBPE([])) == {1: 6, 2: 3}
