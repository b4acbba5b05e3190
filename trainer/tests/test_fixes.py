"""Failures that must come out as one clear `error` message with their own code: a diverging loss, a segment outside
the chain versus a chain that does not link, and a model folder missing one file."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from helpers import data_job, tiny_config
from olp_trainer import engine
from olp_trainer.cli import main
from olp_trainer.errors import CHECKPOINT_INVALID, LOSS_NOT_FINITE, MODEL_NOT_FOUND, SEGMENT_OUT_OF_RANGE, TrainerError
from olp_trainer.modelio import load_base_model
from olp_trainer.train import train
from olp_trainer.verify import verify

CONFIG = tiny_config(steps=4, checkpointInterval=4)  # one segment of 4 steps, batch 4


def messages(out: str) -> list[dict]:
    return [json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")) for line in out.splitlines()]


@pytest.fixture(scope="module")
def one_segment(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("one-segment")
    train(data_job(tiny_model, out, CONFIG, eval_file=None))
    return out


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_loss_stops_training_with_loss_not_finite_on_stdout(tiny_model, tmp_path, capsys, monkeypatch, bad):
    # No valid config diverges on the tiny model in 4 steps, so the loss of step 2 is made non-finite directly.
    real_loss = engine.Trainer.loss

    def diverging(self, ids, labels):
        loss = real_loss(self, ids, labels)
        return loss * bad if self.step == 1 else loss

    monkeypatch.setattr(engine.Trainer, "loss", diverging)
    job = data_job(tiny_model, tmp_path / "o", CONFIG, eval_file=None)
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps({"config": CONFIG.to_json(), "model": str(tiny_model), "data": [str(p) for p in job.data], "out": str(tmp_path / "o")}))
    capsys.readouterr()
    code = main(["train", "--job", str(job_path)])
    lines = messages(capsys.readouterr().out)  # every line parses as strict JSON: no NaN, no Infinity
    assert code == 1
    assert lines[-1] == {
        "type": "error",
        "code": LOSS_NOT_FINITE,
        "message": f"the loss of step 2 is {float(bad)}: training diverged; lower learningRate or use fp32 precision",
        "step": 2,
        "loss": str(float(bad)),
    }
    assert [m["step"] for m in lines if m["type"] == "progress" and m.get("phase") == "train"] == [1]
    assert not any(m["type"] == "result" for m in lines)


def test_a_segment_outside_the_chain_is_segment_out_of_range(one_segment, tiny_model, tmp_path):
    job = data_job(tiny_model, tmp_path / "verifier", CONFIG, eval_file=None)
    for k in (0, 2):
        with pytest.raises(TrainerError) as err:
            verify(job, one_segment, k)
        assert err.value.code == SEGMENT_OUT_OF_RANGE and err.value.context == {"k": k, "checkpoints": 1}


def test_a_chain_that_does_not_link_is_checkpoint_invalid_not_out_of_range(one_segment, tiny_model, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(one_segment, run_dir)
    chain = json.loads((run_dir / "chain.json").read_text())
    chain["steps"][0]["prevHead"] = "0x" + "11" * 32
    (run_dir / "chain.json").write_text(json.dumps(chain))
    job = data_job(tiny_model, tmp_path / "verifier", CONFIG, eval_file=None)
    with pytest.raises(TrainerError) as err:
        verify(job, run_dir, 1)
    assert err.value.code == CHECKPOINT_INVALID


@pytest.mark.parametrize("missing", ["config.json", "model.safetensors", "tokenizer.json"])
def test_model_not_found_names_the_missing_file(tiny_model, tmp_path, missing):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    (folder / missing).unlink()
    with pytest.raises(TrainerError) as err:
        load_base_model(folder)
    assert err.value.code == MODEL_NOT_FOUND
    assert err.value.context["path"] == str(folder / missing)
    assert missing in err.value.message
