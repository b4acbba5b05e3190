"""Eval on the held-out split: loss, and ROUGE-1/2/L of greedy generations against the references.

`evalScore` (DESIGN §7) is ROUGE-L F1 in basis points (a uint32).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .adapters import Adapter
from .config import TrainConfig
from .data import IGNORE, Sample, collate, encode, prompt_ids
from .generate import generate
from .messages import Emit, silent
from .modelio import BaseModel
from .rouge import rouge

EVAL_BATCH = 16  # samples per forward in eval: memory stays small, the cache amortizes over the batch
EXAMPLES = 5  # generations kept in the report for people to read


@torch.no_grad()
def eval_loss(base: BaseModel, adapter: Adapter | None, config: TrainConfig, samples: Sequence[Sample]) -> float:
    """Mean cross-entropy per response token over `samples`."""
    base.model.eval()
    device = next(base.model.parameters()).device
    total, count = 0.0, 0
    for start in range(0, len(samples), EVAL_BATCH):
        items = [encode(base.tokenizer, config.template, s, config.maxSeqLen) for s in samples[start : start + EVAL_BATCH]]
        ids, labels = collate(items, base.tokenizer.pad_id)
        ids, labels = ids.to(device), labels.to(device)
        past = adapter.past(ids.shape[0]) if adapter is not None else None
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16"):
            logits, _ = base.forward(ids, ids != base.tokenizer.pad_id, past)
        flat = labels.reshape(-1)
        total += float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), flat, ignore_index=IGNORE, reduction="sum"))
        count += int((flat != IGNORE).sum())
    base.model.train()
    return total / max(count, 1)


def evaluate(base: BaseModel, adapter: Adapter | None, config: TrainConfig, samples: Sequence[Sample], emit: Emit = silent) -> dict:
    """The eval report: loss over every sample, ROUGE over the first `evalSamples` (0 = all)."""
    loss = eval_loss(base, adapter, config, samples)
    chosen = list(samples if config.evalSamples == 0 else samples[: config.evalSamples])
    generated: list[str] = []
    past_fn = adapter.past if adapter is not None else (lambda _b: None)
    for start in range(0, len(chosen), EVAL_BATCH):
        batch = chosen[start : start + EVAL_BATCH]
        prompts = [prompt_ids(base.tokenizer, config.template, s.prompt) for s in batch]
        outs = generate(base, prompts, config.evalMaxNewTokens, past_fn, autocast_bf16=config.precision == "bf16")
        generated += [base.tokenizer.decode(o.ids) for o in outs]
        emit("progress", phase="eval", done=len(generated), total=len(chosen))
    base.model.train()
    scores = rouge(generated, [s.response for s in chosen])
    return {
        "samples": len(samples),
        "generated": len(chosen),
        "loss": loss,
        **scores,
        "evalScore": eval_score(scores["rougeL"]),
        "examples": [{"prompt": s.prompt, "reference": s.response, "generated": g} for s, g in zip(chosen[:EXAMPLES], generated)],
    }


def eval_score(rouge_l: float) -> int:
    """ROUGE-L F1 in basis points, rounded to nearest (DESIGN §7 `evalScore`, uint32)."""
    return int(round(rouge_l * 10_000))
