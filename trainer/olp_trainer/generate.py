"""Generation: batched decoding with a KV cache (greedy, or sampling with a seeded generator).

Serves the node's inference backend for small models (`olp_trainer generate`) and the eval's ROUGE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from .model import KV
from .modelio import BaseModel

PastFn = Callable[[int], "list[KV] | None"]  # batch size → a trained prefix (P-Tuning) or None


@dataclass(frozen=True)
class Generation:
    ids: list[int]  # generated token ids, without the stop token
    finish_reason: str  # "stop" (end of sequence) or "length" (max_new_tokens reached)


@torch.no_grad()
def generate(
    base: BaseModel,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    past_fn: PastFn = lambda _b: None,
    temperature: float = 0.0,
    seed: int = 0,
    autocast_bf16: bool = True,
) -> list[Generation]:
    """Continues each prompt (token ids) until `</s>` or `max_new_tokens`; prompts are left-padded together."""
    if not prompts:
        return []
    device = next(base.model.parameters()).device
    tok = base.tokenizer
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), tok.pad_id, dtype=torch.long, device=device)
    mask = torch.zeros((len(prompts), width), dtype=torch.bool, device=device)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(list(prompt), dtype=torch.long)
        mask[row, width - len(prompt) :] = True
    past = past_fn(len(prompts))
    past_mask = None if past is None else torch.ones((len(prompts), past[0][0].shape[2]), dtype=torch.bool, device=device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    out: list[list[int]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    finish = ["length"] * len(prompts)
    base.model.eval()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast_bf16)
    for _ in range(max_new_tokens):
        with autocast:
            logits, past = base.forward(ids, mask, past, past_mask)
        past_mask = mask if past_mask is None else torch.cat((past_mask, mask), dim=1)
        last = logits[:, -1].float()
        if temperature > 0:
            probs = torch.softmax(last / temperature, dim=-1).cpu()
            nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        else:
            nxt = last.argmax(dim=-1).cpu()
        for row, token in enumerate(nxt.tolist()):
            if done[row]:
                continue
            if token == tok.eos_id:
                done[row], finish[row] = True, "stop"
            else:
                out[row].append(token)
        if all(done):
            break
        ids = nxt.to(device)[:, None]
        mask = torch.ones((len(prompts), 1), dtype=torch.bool, device=device)
    return [Generation(o, f) for o, f in zip(out, finish)]
