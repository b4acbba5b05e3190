"""The CLI as the node drives it: JSON lines only on stdout, one result or one error, clear error codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DATA, corpus_rows, tiny_config, write_corpus
from olp_trainer import merkle, proof
from olp_trainer.cli import main
from olp_trainer.data import read_samples

TRAINER = Path(__file__).resolve().parents[1]


def messages(stdout: str) -> list[dict]:
    lines = [json.loads(line) for line in stdout.splitlines()]  # every stdout line must be JSON
    assert all(m["type"] in ("progress", "metric", "checkpoint", "artifact", "result", "error") for m in lines)
    return lines


@pytest.fixture
def cli(capsys, monkeypatch):
    """`python3 -m olp_trainer …` in this process (a subprocess per call would cost a torch import each)."""

    def run(*args: str, stdin: str | None = None) -> tuple[int, list[dict]]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        return code, messages(capsys.readouterr().out)

    return run


def test_the_module_runs_as_a_program_and_keeps_stdout_to_json_lines(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "olp_trainer", "train", "--model", str(tmp_path / "missing"), "--data", str(DATA / "ads-1.jsonl"), "--out", str(tmp_path / "o")],
        cwd=TRAINER, capture_output=True, text=True, timeout=120,
    )
    lines = messages(proc.stdout)
    assert proc.returncode == 1 and len(lines) == 2  # a progress line, then the error
    assert lines[-1]["code"] == "MODEL_NOT_FOUND" and lines[-1]["path"] == str(tmp_path / "missing")
    assert "MODEL_NOT_FOUND" in proc.stderr  # the log line goes to stderr


@pytest.mark.parametrize("command", ["train", "verify", "eval", "generate", "make-data", "make-model"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0 and "usage:" in capsys.readouterr().out


def test_make_data_writes_the_shipped_files_byte_for_byte(tmp_path, cli):
    code, lines = cli("make-data", "--out", str(tmp_path))
    assert code == 0 and lines[-1]["type"] == "result"
    assert [m["kind"] for m in lines if m["type"] == "artifact"] == ["dataset"] * 4
    for name in ("ads-1.jsonl", "ads-2.jsonl", "ads-3.sharegpt.jsonl", "ads-eval.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()
    train_inputs = {s.prompt for f in ("ads-1.jsonl", "ads-2.jsonl", "ads-3.sharegpt.jsonl") for s in read_samples(DATA / f)}
    assert not train_inputs & {s.prompt for s in read_samples(DATA / "ads-eval.jsonl")}  # held out means held out


def test_malformed_jsonl_gives_one_error_with_the_line_number(tmp_path, tiny_model, cli):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "a", "output": "b"}\n{"instruction": "a", "output": "b"\n')
    code, lines = cli("train", "--model", str(tiny_model), "--data", str(bad), "--out", str(tmp_path / "o"))
    assert code == 1
    assert lines[-1]["type"] == "error" and lines[-1]["code"] == "MALFORMED_JSONL" and lines[-1]["line"] == 2
    assert str(bad) in lines[-1]["message"]


def node_job(tmp_path: Path, model: Path, root_of_dataset_2: bytes | None = None) -> Path:
    """A job as the node writes it: full config and its hash, a corpus in index order, roots, the block hash."""
    samples = read_samples(DATA / "ads-1.jsonl")[:24]
    rows = corpus_rows({1: [(s.prompt, s.response) for s in samples[:12]], 2: [(s.prompt, s.response) for s in samples[12:]]})
    write_corpus(tmp_path / "corpus.jsonl", rows)

    def root(dataset_id: int) -> str:
        hashes = [bytes.fromhex(r["sampleHash"][2:]) for r in rows if r["datasetId"] == dataset_id]
        return "0x" + merkle.StandardTree(["bytes32"], [(h,) for h in hashes]).root.hex()

    config = tiny_config(steps=8, checkpointInterval=4, evalSamples=2, evalMaxNewTokens=8, evalSplit="0x" + proof.keccak256((DATA / "ads-eval.jsonl").read_bytes()).hex())
    job = {
        "config": config.to_json(),
        "configHash": "0x" + proof.config_hash(config.to_json()).hex(),
        "model": str(model),
        "corpus": "corpus.jsonl",
        "datasets": [{"datasetId": 1, "root": root(1)}, {"datasetId": 2, "root": "0x" + root_of_dataset_2.hex() if root_of_dataset_2 else root(2), "excludedSampleHashes": []}],
        "commitBlockhash": "0x" + "ab" * 32,
        "eval": str(DATA / "ads-eval.jsonl"),
        "out": "run",
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    return tmp_path / "job.json"


def test_a_corpus_that_does_not_match_its_root_is_refused_with_expected_and_found(tmp_path, tiny_model, cli):
    job = node_job(tmp_path, tiny_model, root_of_dataset_2=b"\x42" * 32)
    code, lines = cli("train", "--job", str(job))
    assert code == 1
    error = lines[-1]
    assert error["code"] == "ROOT_MISMATCH" and error["datasetId"] == 2
    assert error["expected"] == "0x" + "42" * 32 and error["found"].startswith("0x") and error["found"] != error["expected"]


def test_train_verify_eval_and_generate_from_the_command_line(tmp_path, tiny_model, cli):
    job = node_job(tmp_path, tiny_model)
    code, lines = cli("train", "--job", str(job))
    assert code == 0, lines[-1]
    result = lines[-1]
    assert result["type"] == "result" and result["command"] == "train" and result["datasetIds"] == [1, 2]
    assert [m["k"] for m in lines if m["type"] == "checkpoint"] == [0, 1, 2]
    assert {m["kind"] for m in lines if m["type"] == "artifact"} == {"chain", "adapter", "eval_report"}
    assert set(result["shares"]) == {"1", "2"} and result["evalScore"] >= 0
    run = tmp_path / "run"

    code, lines = cli("verify", "--job", str(job), "--run", str(run), "--segment", "2", "--root", result["checkpointRoot"])
    assert code == 0 and lines[-1]["match"] is True and lines[-1]["segment"] == 2

    code, lines = cli("eval", "--model", str(tiny_model), "--adapter", str(run / "adapter"), "--eval", str(DATA / "ads-eval.jsonl"))
    assert code == 0 and lines[-1]["command"] == "eval" and 0 <= lines[-1]["rougeL"] <= 1

    code, lines = cli("generate", "--model", str(tiny_model), "--adapter", str(run / "adapter"), "--prompt", "Write ad copy.\ntype: dress", "--max-tokens", "5")
    assert code == 0 and lines[-1]["outputTokens"] <= 5 and lines[-1]["finishReason"] in ("stop", "length")

    requests = "\n".join(
        [
            json.dumps({"id": 1, "messages": [{"role": "user", "content": "Write ad copy.\ntype: coat"}], "maxTokens": 4}),
            json.dumps({"id": 2, "prompt": "x", "maxTokens": 0}),
            "not json",
            json.dumps({"id": 3, "prompt": "x", "maxTokens": 3, "temperature": 0.8, "seed": 5}),
        ]
    )
    code, lines = cli("generate", "--model", str(tiny_model), "--adapter", str(run / "adapter"), stdin=requests + "\n")
    answers = [m for m in lines if m["type"] in ("result", "error")]
    assert code == 0
    assert [(m["type"], m["id"]) for m in answers] == [("result", 1), ("error", 2), ("error", None), ("result", 3)]
    assert answers[1]["code"] == "BAD_REQUEST" and "maxTokens" in answers[1]["message"]
