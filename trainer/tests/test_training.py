"""Training end to end on the shipped data: loss falls, runs repeat bit for bit, the chain and the PEFT files."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import EVAL_FILE, TINY, TRAIN_FILES, data_job, read_safetensors_plainly, tiny_config
from olp_trainer import proof
from olp_trainer.checkpoint import Chain, load_checkpoint
from olp_trainer.data import read_samples
from olp_trainer.train import train


@pytest.fixture(scope="module")
def qlora_run(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("qlora")
    messages = []
    result = train(data_job(tiny_model, out, tiny_config()), lambda type_, **f: messages.append({"type": type_, **f}))
    return out, result, messages


def as_float(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def test_the_built_in_models_loss_falls_on_the_shipped_data(tiny_model, tmp_path):
    # From its seeded init (pre-training takes minutes, so tests start from scratch), every weight trainable.
    config = tiny_config(method="full", steps=48, batchSize=8, learningRate=0.01)
    train(data_job(tiny_model, tmp_path, config, eval_file=None))
    losses = [as_float(s.lossBits) for s in Chain.load(tmp_path / "chain.json").steps]
    assert losses[0] > 0.8 * math.log(TINY.vocab_size)  # a random model starts near uniform
    assert losses[-1] < 0.6 * losses[0]
    assert max(losses[len(losses) // 2 :]) < min(losses[: len(losses) // 2])  # the second half all below the first


def test_two_runs_give_the_same_checkpoint_hashes(qlora_run, tiny_model, tmp_path):
    out, result, _ = qlora_run
    again = train(data_job(tiny_model, tmp_path, tiny_config()))
    assert json.loads((tmp_path / "chain.json").read_text()) == json.loads((out / "chain.json").read_text())
    assert again["checkpointRoot"] == result["checkpointRoot"] and again["finalHead"] == result["finalHead"]


def test_another_process_with_another_hash_seed_gives_the_same_chain(qlora_run, tiny_model, tmp_path):
    out, _, _ = qlora_run
    (tmp_path / "config.json").write_text(json.dumps(tiny_config().to_json()))
    args = ["--model", str(tiny_model), *(a for f in TRAIN_FILES for a in ("--data", str(f))), "--eval", str(EVAL_FILE)]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-m", "olp_trainer", "train", *args, "--config", str(tmp_path / "config.json"), "--out", str(tmp_path / "run")],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((tmp_path / "run" / "chain.json").read_text()) == json.loads((out / "chain.json").read_text())


def test_the_chain_and_its_root_follow_design_section_7(qlora_run):
    out, result, messages = qlora_run
    chain = Chain.load(out / "chain.json")
    heads = chain.heads()
    assert len(heads) == 1 + 12 // 4
    assert "0x" + proof.checkpoint_root(heads).hex() == result["checkpointRoot"]
    assert "0x" + heads[-1].hex() == result["finalHead"]
    seed = proof.training_seed(proof.config_hash(tiny_config().to_json()), [1, 2, 3], bytes(32))
    assert chain.seed == "0x" + seed.hex()
    n = sum(len(read_samples(f)) for f in TRAIN_FILES)
    first = proof.batch_order_slice(seed, n, 0, 4 * 4)
    assert chain.steps[0].batchHash == "0x" + proof.batch_hash(first).hex()
    for k, step in enumerate(chain.steps, start=1):
        weights, state = load_checkpoint(out, k)
        assert step.weightsHash == "0x" + proof.tensor_hash(weights).hex()
        assert step.stateHash == "0x" + proof.tensor_hash(state).hex()
        assert int(state["scheduler.step"]) == 4 * k
    checkpoints = [m for m in messages if m["type"] == "checkpoint"]
    assert [m["k"] for m in checkpoints] == [0, 1, 2, 3]
    assert checkpoints[-1]["head"] == result["finalHead"]


def test_state_tensors_cover_optimizer_moments_scheduler_step_and_rng(qlora_run):
    out, _, _ = qlora_run
    weights, state = load_checkpoint(out, 1)
    for name in weights:
        assert state[f"optimizer.{name}.exp_avg"].shape == weights[name].shape
        assert state[f"optimizer.{name}.exp_avg_sq"].dtype == torch.float32
    assert state["scheduler.step"].dtype == torch.int64 and state["scheduler.step"].dim() == 0
    assert state["rng.torch"].dtype == torch.uint8
    assert len(state) == 2 * len(weights) + 2


def test_the_adapter_is_in_peft_format_and_parses_with_a_plain_safetensors_reader(qlora_run):
    out, result, _ = qlora_run
    config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 8 and config["lora_alpha"] == 16
    assert config["task_type"] == "CAUSAL_LM" and config["modules_to_save"] is None and config["use_dora"] is False
    assert set(config["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    header, tensors = read_safetensors_plainly(out / "adapter" / "adapter_model.safetensors")
    h, inter = TINY.hidden_size, TINY.intermediate_size
    assert tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].shape == (8, h)
    assert tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].shape == (h, 8)
    assert tensors["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"].shape == (8, inter)
    assert len(tensors) == 2 * 7 * TINY.num_hidden_layers
    assert all(info["dtype"] == "F32" for name, info in header.items() if name != "__metadata__")
    # weightsHash covers exactly the tensors saved in the adapter file
    assert "0x" + proof.tensor_hash(tensors).hex() == result["weightsHash"]
    try:
        from safetensors.torch import load_file
    except ImportError:
        return
    assert set(load_file(str(out / "adapter" / "adapter_model.safetensors"))) == set(tensors)


def test_lora_b_starts_at_zero_and_a_from_the_seed(tiny_model, tmp_path):
    result = train(data_job(tiny_model, tmp_path, tiny_config(steps=4, checkpointInterval=4), eval_file=None))
    weights, _ = load_checkpoint(tmp_path, 0)
    assert all(float(t.abs().max()) == 0 for n, t in weights.items() if ".lora_B." in n)
    a = weights["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]
    assert 0 < float(a.abs().max()) <= 1 / TINY.hidden_size**0.5
    assert result["initialWeightsHash"] == "0x" + proof.tensor_hash(weights).hex()


def test_the_run_reports_eval_shares_and_contributors_root(qlora_run):
    out, result, messages = qlora_run
    report = json.loads((out / "eval_report.json").read_text())
    assert report["generated"] == 4 and report["samples"] == 100
    assert 0 <= report["rougeL"] <= 1 and result["evalScore"] == round(report["rougeL"] * 10000)
    shares = {int(d): w for d, w in result["shares"].items()}
    assert sum(shares.values()) == 1_000_000 and set(shares) == {1, 2, 3}
    assert result["contributorsRoot"] == "0x" + proof.contributors_root(shares).hex()
    kinds = [m["kind"] for m in messages if m["type"] == "artifact"]
    assert kinds == ["chain", "adapter", "eval_report"]
    assert {m["name"] for m in messages if m["type"] == "metric"} >= {"train_loss", "eval_loss", "eval_rougeL", "tokens_per_second"}
