"""`generate`: the node's inference backend for small models.

Requests (one JSON object per stdin line): `{"id", "prompt" | "messages": [{role, content}], "maxTokens",
"temperature", "seed"}`. Each gets one `result` `{"id", "text", "promptTokens", "outputTokens",
"finishReason"}` or one `error` with its id; the process serves until stdin closes.

Chat messages become a prompt as ShareGPT turns do in training (data.parse_sample): the messages before the
last assistant turn, or all of them; a single user message (after an optional system message) is its content
(system first, joined by a newline), longer conversations are `human: …` / `gpt: …` / `system: …` lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

import torch

from .data import prompt_ids
from .errors import BAD_REQUEST, TrainerError
from .generate import generate
from .messages import Emit
from .trained import load_trained

ROLES = {"user": "human", "assistant": "gpt", "system": "system"}
MAX_NEW_TOKENS = 2048  # a bound on any one request's work


def messages_prompt(messages: Any) -> str:
    if not isinstance(messages, list) or not messages:
        raise TrainerError(BAD_REQUEST, "messages must be a non-empty list")
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise TrainerError(BAD_REQUEST, "each message needs role (system, user, assistant) and string content")
    roles = [m["role"] for m in messages]
    if roles in (["user"], ["system", "user"]):
        return "\n".join(m["content"] for m in messages if m["content"])
    return "\n".join(f"{ROLES[m['role']]}: {m['content']}" for m in messages)


class Server:
    def __init__(self, model: str | Path, adapter: str | Path | None) -> None:
        self.base, self.adapter, self.config = load_trained(model, adapter)
        torch.set_num_threads(self.config.threads)
        self.past_fn = self.adapter.past if self.adapter is not None else (lambda _b: None)

    def complete(self, request: Any) -> dict:
        if not isinstance(request, dict):
            raise TrainerError(BAD_REQUEST, "request must be a JSON object")
        if "prompt" in request:
            prompt = request["prompt"]
            if not isinstance(prompt, str):
                raise TrainerError(BAD_REQUEST, "prompt must be a string")
        else:
            prompt = messages_prompt(request.get("messages"))
        max_tokens = request.get("maxTokens", 128)
        temperature = request.get("temperature", 0.0)
        seed = request.get("seed", 0)
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_NEW_TOKENS:
            raise TrainerError(BAD_REQUEST, f"maxTokens must be an integer in 1..{MAX_NEW_TOKENS}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 10:
            raise TrainerError(BAD_REQUEST, "temperature must be a number in [0, 10]")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise TrainerError(BAD_REQUEST, "seed must be a non-negative integer")
        ids = prompt_ids(self.base.tokenizer, self.config.template, prompt)
        (out,) = generate(self.base, [ids], max_tokens, self.past_fn, float(temperature), seed, self.config.precision == "bf16")
        return {"text": self.base.tokenizer.decode(out.ids), "promptTokens": len(ids), "outputTokens": len(out.ids) + (out.finish_reason == "stop"), "finishReason": out.finish_reason}

    def serve(self, lines: TextIO, emit: Emit) -> None:
        for line in lines:
            if not line.strip():
                continue
            request_id = None
            try:
                request = json.loads(line)
                request_id = request.get("id") if isinstance(request, dict) else None
                emit("result", id=request_id, **self.complete(request))
            except json.JSONDecodeError as err:
                emit("error", id=None, code=BAD_REQUEST, message=f"request is not JSON ({err})")
            except TrainerError as err:
                emit("error", id=request_id, **err.fields())
