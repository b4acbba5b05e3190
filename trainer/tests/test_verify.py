"""`verify` re-runs a segment and catches a tampered checkpoint, a skipped step and a swapped batch."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
import torch

from helpers import data_job, tiny_config
from olp_trainer import proof, safetensors_io
from olp_trainer.checkpoint import Chain, Step, checkpoint_dir, load_checkpoint, save_checkpoint
from olp_trainer.hexbytes import hex32
from olp_trainer.job import prepare
from olp_trainer.train import train
from olp_trainer.verify import TAU, tolerance_ratio, verify

CONFIG = tiny_config(steps=8, checkpointInterval=4)  # two segments of 4 steps, batch 4


@pytest.fixture(scope="module")
def honest(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("honest")
    result = train(data_job(tiny_model, out, CONFIG, eval_file=None))
    return out, bytes.fromhex(result["checkpointRoot"][2:])


@pytest.fixture
def run(honest, tiny_model, tmp_path):
    """A copy of the honest run that a test may forge, and the job to verify it with."""
    out, root = honest
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    return copy, root, data_job(tiny_model, tmp_path / "verifier", CONFIG, eval_file=None)


def forge_last_segment(run_dir, job, indices, claimed_batch_hash=None):
    """The prover's side of a forgery: re-trains segment 2 from checkpoint 1 on `indices` (K · B of them, or
    fewer to skip steps), saves it as checkpoint 2 and rewrites the chain so it is consistent with the file."""
    prepared = prepare(job)
    prepared.trainer.load(*load_checkpoint(run_dir, 1))
    loss_bits = prepared.trainer.run_segment(indices)
    weights_hash, state_hash = save_checkpoint(run_dir, 2, prepared.trainer.weights(), prepared.trainer.state_tensors())
    chain = Chain.load(run_dir / "chain.json")
    batch_hash = claimed_batch_hash or proof.batch_hash(indices)
    chain.steps[1] = Step(2, chain.steps[1].prevHead, hex32(weights_hash), hex32(state_hash), hex32(batch_hash), loss_bits)
    chain.save(run_dir)
    return chain


def segment_indices(seed_hex: str, k: int) -> list[int]:
    per = CONFIG.checkpointInterval * CONFIG.batchSize
    return proof.batch_order_slice(bytes.fromhex(seed_hex[2:]), 1200, (k - 1) * per, k * per)


def test_an_honest_segment_matches_bit_for_bit(run):
    run_dir, root, job = run
    for k in (1, 2):
        result = verify(job, run_dir, k, expected_root=root)
        assert result["match"], result["mismatches"]
    names = [c["check"] for c in result["checks"]]
    assert "weightsHash (re-run, bitwise)" in names and "lossBits (re-run)" in names and "checkpointRoot" in names


def test_a_tampered_checkpoint_is_caught(run):
    run_dir, root, job = run
    path = checkpoint_dir(run_dir, 2) / "weights.safetensors"
    weights, _ = safetensors_io.load(path)
    name = sorted(weights)[0]
    weights[name] = weights[name].clone()
    weights[name].view(-1)[0] += 1e-3
    safetensors_io.save(path, weights)
    result = verify(job, run_dir, 2, expected_root=root)
    assert not result["match"]
    assert result["mismatches"] == ["checkpoint 2 weightsHash"]


def test_a_tampered_checkpoint_with_a_rewritten_chain_breaks_the_registered_root(run):
    run_dir, root, job = run
    weights, state = load_checkpoint(run_dir, 2)
    name = sorted(weights)[-1]
    weights[name] = weights[name] * 0.5
    weights_hash, state_hash = save_checkpoint(run_dir, 2, weights, state)
    chain = Chain.load(run_dir / "chain.json")
    chain.steps[1] = dataclasses.replace(chain.steps[1], weightsHash=hex32(weights_hash))
    chain.save(run_dir)
    result = verify(job, run_dir, 2, expected_root=root)
    assert set(result["mismatches"]) == {"checkpointRoot", "weightsHash (re-run, bitwise)"}


def test_a_tampered_start_checkpoint_is_caught_without_a_rerun(run):
    run_dir, root, job = run
    weights, state = load_checkpoint(run_dir, 1)
    state["scheduler.step"] = torch.tensor(3, dtype=torch.int64)  # claims fewer steps were taken
    save_checkpoint(run_dir, 1, weights, state)
    result = verify(job, run_dir, 2, expected_root=root)
    assert result["mismatches"] == ["checkpoint 1 stateHash"]
    assert not any(c["check"].endswith("(re-run, bitwise)") for c in result["checks"])


def test_a_skipped_step_is_caught(run):
    run_dir, _, job = run
    chain = Chain.load(run_dir / "chain.json")
    indices = segment_indices(chain.seed, 2)
    forged = forge_last_segment(run_dir, job, indices[: -CONFIG.batchSize], claimed_batch_hash=proof.batch_hash(indices))
    result = verify(job, run_dir, 2, chain=forged)
    assert not result["match"]
    assert set(result["mismatches"]) == {"weightsHash (re-run, bitwise)", "stateHash (re-run, bitwise)", "lossBits (re-run)"}


def test_a_swapped_batch_is_caught_whether_or_not_the_prover_admits_it(run):
    run_dir, _, job = run
    chain = Chain.load(run_dir / "chain.json")
    indices = segment_indices(chain.seed, 2)
    swapped = list(indices)
    outside = next(i for i in range(1200) if i not in indices)
    swapped[5] = outside  # one sample of the segment replaced by another
    forged = forge_last_segment(run_dir, job, swapped, claimed_batch_hash=proof.batch_hash(indices))
    result = verify(job, run_dir, 2, chain=forged)
    assert "weightsHash (re-run, bitwise)" in result["mismatches"] and "batchHash" not in result["mismatches"]
    forged = forge_last_segment(run_dir, job, swapped)
    result = verify(job, run_dir, 2, chain=forged)
    assert result["mismatches"][0] == "batchHash" and "weightsHash (re-run, bitwise)" in result["mismatches"]


def test_a_missing_checkpoint_is_a_failed_proof(run):
    run_dir, root, job = run
    shutil.rmtree(checkpoint_dir(run_dir, 1))
    result = verify(job, run_dir, 2, expected_root=root)
    assert result["mismatches"] == ["checkpoint 1 readable"]


def test_the_gpu_tau_rule_accepts_rounding_noise_and_rejects_a_skipped_segment():
    previous = {"a": torch.zeros(10), "b": torch.zeros(4)}
    claimed = {"a": torch.ones(10), "b": torch.ones(4)}
    noisy = {n: t + 1e-4 for n, t in claimed.items()}
    assert tolerance_ratio(noisy, claimed, previous) <= TAU["cuda"]
    skipped = {n: t * 0.75 for n, t in claimed.items()}  # a quarter of the segment's update missing
    assert tolerance_ratio(skipped, claimed, previous) > TAU["cuda"]
    assert tolerance_ratio(claimed, claimed, claimed) == 0.0
    assert tolerance_ratio(noisy, claimed, claimed) == float("inf")  # a segment that claims no update


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_an_honest_segment_on_gpu_is_within_tau(tiny_model, tmp_path):
    config = dataclasses.replace(CONFIG, device="cuda")
    out = tmp_path / "gpu"
    train(data_job(tiny_model, out, config, eval_file=None))
    result = verify(data_job(tiny_model, tmp_path / "v", config, eval_file=None), out, 2)
    assert result["match"], result["checks"]
