"""`train`: a run from a job to checkpoints, the chain and its root, the PEFT adapter and the eval report."""

from __future__ import annotations

import json
import struct
import time
from dataclasses import asdict

from . import proof
from .checkpoint import Chain, Step, save_checkpoint
from .data import token_counts
from .evaluate import evaluate
from .hexbytes import hex32
from .job import Job, prepare
from .messages import Emit, silent

TRAINING_FILE = "olp_training.json"  # beside the adapter: what produced it (config, hashes), for `generate`


def train(job: Job, emit: Emit = silent) -> dict:
    """Trains, emitting progress, a checkpoint message per segment, artifacts and metrics; returns the result."""
    run = prepare(job, emit)
    config, trainer, out = job.config, run.trainer, job.out
    out.mkdir(parents=True, exist_ok=True)
    w0, s0 = save_checkpoint(out, 0, trainer.weights(), trainer.state_tensors())
    chain = Chain(hex32(run.base.base_model_hash), hex32(job.config_hash), hex32(run.seed), hex32(w0), hex32(s0))
    heads = [chain.initial_head()]
    emit("checkpoint", k=0, head=hex32(heads[0]), weightsHash=hex32(w0), stateHash=hex32(s0))

    order = proof.batch_order(run.seed, len(run.corpus))
    per_segment = config.checkpointInterval * config.batchSize
    started = time.perf_counter()

    def on_step(step: int, loss: float) -> None:
        elapsed = time.perf_counter() - started
        emit("progress", phase="train", step=step, steps=config.steps, loss=loss, tokensPerSecond=trainer.tokens_seen / max(elapsed, 1e-9))

    for k in range(1, config.steps // config.checkpointInterval + 1):
        indices = [next(order) for _ in range(per_segment)]
        loss_bits = trainer.run_segment(indices, on_step)
        weights_hash, state_hash = save_checkpoint(out, k, trainer.weights(), trainer.state_tensors())
        step = Step(k, hex32(heads[-1]), hex32(weights_hash), hex32(state_hash), hex32(proof.batch_hash(indices)), loss_bits)
        heads.append(step.head())
        chain.steps.append(step)
        loss = loss_value(loss_bits)
        emit("checkpoint", **asdict(step), head=hex32(heads[-1]), loss=loss)
        emit("metric", name="train_loss", value=loss, step=trainer.step)
    elapsed = time.perf_counter() - started
    chain_path = chain.save(out)
    emit("artifact", kind="chain", path=str(chain_path))

    adapter_dir = out / "adapter"
    files = run.adapter.save(adapter_dir, str(job.model))
    root = proof.checkpoint_root(heads)
    result = {
        "baseModelHash": chain.baseModelHash,
        "configHash": chain.configHash,
        "seed": chain.seed,
        "datasetIds": run.dataset_ids,
        "initialWeightsHash": chain.initialWeightsHash,
        "initialStateHash": chain.initialStateHash,
        "weightsHash": chain.steps[-1].weightsHash,
        "finalHead": hex32(heads[-1]),
        "checkpointRoot": hex32(root),
        "checkpoints": len(heads) - 1,
        "steps": trainer.step,
        "trainableParameters": run.adapter.trainable_numel(),
        "trainSeconds": elapsed,
        "tokensPerSecond": trainer.tokens_seen / max(elapsed, 1e-9),
    }
    shares = proof.shares_ppm(token_counts(run.corpus, run.base.tokenizer))
    result["shares"] = {str(d): w for d, w in shares.items()}
    result["contributorsRoot"] = hex32(proof.contributors_root(shares))
    (adapter_dir / TRAINING_FILE).write_text(json.dumps({"config": config.to_json(), **result}, indent=2) + "\n")
    emit("artifact", kind="adapter", path=str(adapter_dir), files=[str(f) for f in files])
    emit("metric", name="tokens_per_second", value=result["tokensPerSecond"])

    if run.eval_samples:
        report = evaluate(run.base, run.adapter, config, run.eval_samples, emit)
        report["evalSplit"] = config.evalSplit
        report_path = out / "eval_report.json"
        report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        emit("artifact", kind="eval_report", path=str(report_path))
        for name in ("loss", "rouge1", "rouge2", "rougeL"):
            emit("metric", name=f"eval_{name}", value=report[name])
        result["evalScore"] = report["evalScore"]
    else:
        result["evalScore"] = 0
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def loss_value(loss_bits: int) -> float:
    """The float32 value of lossBits, for people reading the progress."""
    return struct.unpack("<f", struct.pack("<I", loss_bits))[0]
