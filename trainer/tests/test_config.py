"""Config and job: every field validated by name, configHash checked, nothing outside the config shapes a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import EVAL_FILE
from olp_trainer import proof
from olp_trainer.config import TrainConfig
from olp_trainer.errors import CONFIG_HASH_MISMATCH, CONFIG_INVALID, EVAL_SPLIT_MISMATCH, JOB_INVALID, LIBRARY_MISMATCH, TrainerError
from olp_trainer.job import Job, load_eval


def test_defaults_are_valid_and_within_what_vllm_serves_without_flags():
    config = TrainConfig()
    config.validate()
    assert config.method == "qlora" and config.rank <= 16 and config.steps % config.checkpointInterval == 0


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("method", "dora", "one of qlora, lora, ptuning, full"),
        ("rank", 0, "in 1..256"),
        ("steps", 25, "multiple of checkpointInterval"),
        ("learningRate", "0.1", "must be a number"),
        ("batchSize", 2.5, "must be int"),
        ("targetModules", ["q_proj", "wq"], "'wq' is not a projection"),
        ("evalSplit", "0xABC", "64 lowercase hex"),
        ("libraryVersions", {"numpy": "1"}, "keys among python, torch"),
        ("dropout", True, "must be float"),
        ("colour", 1, "unknown key 'colour'"),
    ],
)
def test_a_bad_field_is_an_error_naming_it(field, value, fragment):
    with pytest.raises(TrainerError) as err:
        TrainConfig.from_json({**TrainConfig().to_json(), field: value})
    assert err.value.code == CONFIG_INVALID
    assert err.value.context["field"] == field
    assert fragment in err.value.message


def job_obj(**extra):
    return {"config": TrainConfig().to_json(), "model": "m", "data": ["a.jsonl"], "out": "o", **extra}


def test_the_job_config_hash_must_be_the_hash_of_its_canonical_config():
    config = TrainConfig().to_json()
    good = "0x" + proof.config_hash(config).hex()
    job = Job.from_json(job_obj(configHash=good), Path("/tmp"))
    assert "0x" + job.config_hash.hex() == good
    changed = {**config, "learningRate": 0.001}  # a change the prover might try without a new commitment
    with pytest.raises(TrainerError) as err:
        Job.from_json(job_obj(config=changed, configHash=good), Path("/tmp"))
    assert err.value.code == CONFIG_HASH_MISMATCH
    assert err.value.context == {"expected": good, "found": "0x" + proof.config_hash(changed).hex()}


def test_a_job_config_must_state_every_field_so_no_default_shapes_the_run_unhashed():
    config = TrainConfig().to_json()
    del config["gradClip"]
    with pytest.raises(TrainerError) as err:
        Job.from_json(job_obj(config=config), Path("/tmp"))
    assert err.value.code == CONFIG_INVALID and err.value.context["field"] == "gradClip"


def without(obj: dict, key: str) -> dict:
    return {k: v for k, v in obj.items() if k != key}


@pytest.mark.parametrize(
    "obj,field",
    [
        (without(job_obj(), "data"), "corpus"),  # neither corpus nor data
        (job_obj(corpus="c.jsonl"), "corpus"),  # both
        (without(job_obj(corpus="c.jsonl"), "data"), "datasets"),  # a corpus needs datasets and commitBlockhash
        (without(job_obj(), "model"), "model"),
        (job_obj(extra=1), "extra"),
        (job_obj(configHash="0x12"), "configHash"),
    ],
)
def test_a_malformed_job_names_the_field(obj, field):
    with pytest.raises(TrainerError) as err:
        Job.from_json(obj, Path("/tmp"))
    assert err.value.code == JOB_INVALID and err.value.context["field"] == field


def test_pinned_library_versions_must_match_the_runtime():
    config = TrainConfig(libraryVersions={"torch": "0.0.1"})
    with pytest.raises(TrainerError) as err:
        config.check_runtime()
    assert err.value.code == LIBRARY_MISMATCH and err.value.context["expected"] == "0.0.1"


def test_the_eval_file_must_hash_to_the_configs_eval_split():
    right = "0x" + proof.keccak256(EVAL_FILE.read_bytes()).hex()
    job = Job.from_json(job_obj(config=TrainConfig(evalSplit=right).to_json(), eval=str(EVAL_FILE)), Path("/"))
    assert len(load_eval(job)) == 100
    wrong = "0x" + "00" * 32
    job = Job.from_json(job_obj(config=TrainConfig(evalSplit=wrong).to_json(), eval=str(EVAL_FILE)), Path("/"))
    with pytest.raises(TrainerError) as err:
        load_eval(job)
    assert err.value.code == EVAL_SPLIT_MISMATCH and err.value.context["found"] == right
