"""`verify`: re-runs one segment of a run from its start checkpoint and says match or mismatch (DESIGN §7).

The verifier trusts nothing of the prover's but the chain it committed to: it rebuilds the model, corpus,
seed and initial adapter from the job, recomputes every head of the chain (and the root, when given), checks
that checkpoints k−1 and k hash to what the chain states, recomputes segment k's batch from the seed, re-runs
its K steps from checkpoint k−1 and compares with checkpoint k: bitwise on CPU (weights, state, loss), and on
GPU by the τ rule ‖w′_k − w_k‖ ≤ τ · ‖w_k − w_{k−1}‖ over all trainable tensors together.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from . import proof
from .checkpoint import CHAIN_FILE, Chain, load_checkpoint
from .errors import SEGMENT_OUT_OF_RANGE, TrainerError
from .hexbytes import hex32
from .job import Job, prepare
from .messages import Emit, silent

# τ per device class: a protocol parameter, never the prover's choice. CPU runs in deterministic mode are
# bitwise (τ = 0); on GPUs, kernels may round differently across cards and drivers, so a re-run may differ by
# a small part of the segment's own update. 5% is a proposal until measured across the device classes.
TAU = {"cpu": 0.0, "cuda": 0.05}


def tolerance_ratio(rerun: dict[str, torch.Tensor], claimed: dict[str, torch.Tensor], previous: dict[str, torch.Tensor]) -> float:
    """‖w′_k − w_k‖ / ‖w_k − w_{k−1}‖ over all tensors together (inf when the segment did not move the weights)."""
    num = sum(float((rerun[n].double() - claimed[n].double()).pow(2).sum()) for n in sorted(claimed))
    den = sum(float((claimed[n].double() - previous[n].double()).pow(2).sum()) for n in sorted(claimed))
    if den == 0:
        return 0.0 if num == 0 else math.inf
    return math.sqrt(num) / math.sqrt(den)


def verify(job: Job, run_dir: Path, k: int, chain: Chain | None = None, expected_root: bytes | None = None, emit: Emit = silent) -> dict:
    """Checks segment k; returns `{"match", "segment", "checks": [{check, ok, expected, found}], "mismatches"}`."""
    # The chain and the segment first: a broken chain (CHECKPOINT_INVALID) or a segment outside it (SEGMENT_OUT_OF_RANGE)
    # fails before the model is loaded, each with its own code.
    chain = chain if chain is not None else Chain.load(run_dir / CHAIN_FILE)
    if not 1 <= k <= len(chain.steps):
        raise TrainerError(SEGMENT_OUT_OF_RANGE, f"segment {k} is not in the chain (1..{len(chain.steps)})", k=k, checkpoints=len(chain.steps))
    prepared = prepare(job, emit)
    trainer, config = prepared.trainer, job.config
    checks: list[dict] = []

    def check(name: str, expected: object, found: object, ok: bool | None = None) -> bool:
        passed = expected == found if ok is None else ok
        checks.append({"check": name, "ok": passed, "expected": expected, "found": found})
        return passed

    # The chain must be about this job: model, config, seed and the seeded initial state are all recomputable.
    check("baseModelHash", hex32(prepared.base.base_model_hash), chain.baseModelHash)
    check("configHash", hex32(job.config_hash), chain.configHash)
    check("seed", hex32(prepared.seed), chain.seed)
    check("initialWeightsHash", hex32(proof.tensor_hash(trainer.weights())), chain.initialWeightsHash)
    check("initialStateHash", hex32(proof.tensor_hash(trainer.state_tensors())), chain.initialStateHash)
    heads = chain.heads()
    if expected_root is not None:
        check("checkpointRoot", hex32(expected_root), hex32(proof.checkpoint_root(heads)))
    step = chain.steps[k - 1]

    loaded = {}
    for index in (k - 1, k):
        try:
            weights, state = load_checkpoint(run_dir, index)
        except TrainerError as err:  # an unfetchable or unreadable checkpoint is a failed proof
            check(f"checkpoint {index} readable", True, False, ok=False)
            checks[-1]["found"] = err.message
            continue
        weights_hash, state_hash = chain.hashes_at(index)
        ok_w = check(f"checkpoint {index} weightsHash", weights_hash, hex32(proof.tensor_hash(weights)))
        ok_s = check(f"checkpoint {index} stateHash", state_hash, hex32(proof.tensor_hash(state)))
        if ok_w and ok_s:
            loaded[index] = (weights, state)

    b, kk = config.batchSize, config.checkpointInterval
    indices = proof.batch_order_slice(prepared.seed, len(prepared.corpus), (k - 1) * kk * b, k * kk * b)
    check("batchHash", hex32(proof.batch_hash(indices)), step.batchHash)

    if k - 1 in loaded:
        emit("progress", phase="verify", segment=k, rerun=True)
        try:
            trainer.load(*loaded[k - 1])
        except ValueError as err:
            check(f"checkpoint {k - 1} restores", True, str(err), ok=False)
        else:
            loss_bits = trainer.run_segment(indices)
            rerun = trainer.weights()
            if config.device == "cpu":
                check("weightsHash (re-run, bitwise)", step.weightsHash, hex32(proof.tensor_hash(rerun)))
                check("stateHash (re-run, bitwise)", step.stateHash, hex32(proof.tensor_hash(trainer.state_tensors())))
                check("lossBits (re-run)", step.lossBits, loss_bits)
            elif k in loaded:
                ratio = tolerance_ratio(rerun, loaded[k][0], loaded[k - 1][0])
                tau = TAU[config.device]
                check(f"weights within tau={tau} (re-run)", f"<= {tau}", ratio if math.isfinite(ratio) else "inf", ok=ratio <= tau)

    mismatches = [c["check"] for c in checks if not c["ok"]]
    return {"match": not mismatches, "segment": k, "checks": checks, "mismatches": mismatches}
