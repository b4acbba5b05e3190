"""`python3 -m olp_trainer <command>`: train, verify, eval, generate, make-data, make-model.

stdout carries only JSON-lines messages (messages.py); logs and tracebacks go to stderr. Every command
ends with one `result` or one `error` message; the exit status is 0 after a result, 1 after an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from .errors import JOB_INVALID, TrainerError
from .hexbytes import parse_hex32
from .messages import Emit, JsonLines, log


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise TrainerError(JOB_INVALID, f"{what} file {path} not found", field=what, path=path) from None
    except json.JSONDecodeError as err:
        raise TrainerError(JOB_INVALID, f"{what} file {path} is not JSON ({err})", field=what, path=path) from None


def _job(args: argparse.Namespace):
    from .config import TrainConfig
    from .job import Job

    if args.job:
        if args.model or args.data or args.out or args.eval or args.config:
            raise TrainerError(JOB_INVALID, "--job carries everything: drop --model/--data/--eval/--out/--config", field="job")
        return Job.load(args.job)
    if not (args.model and args.data and args.out):
        raise TrainerError(JOB_INVALID, "give --job, or --model, --data (one or more) and --out", field="job")
    config = _read_json(args.config, "config") if args.config else TrainConfig().to_json()
    obj = {"config": config, "model": args.model, "data": args.data, "out": args.out}
    if args.eval:
        obj["eval"] = args.eval
    return Job.from_json(obj, Path.cwd(), require_full_config=False)


def cmd_train(args: argparse.Namespace, emit: Emit) -> dict:
    from .train import train

    return train(_job(args), emit)


def cmd_verify(args: argparse.Namespace, emit: Emit) -> dict:
    from .checkpoint import Chain
    from .verify import verify

    chain = Chain.load(Path(args.chain)) if args.chain else None
    root = parse_hex32(args.root, "--root", JOB_INVALID) if args.root else None
    if args.out is None and args.job is None:
        args.out = args.run  # verify writes nothing; standalone jobs just need a folder
    return verify(_job(args), Path(args.run), args.segment, chain, root, emit)


def cmd_eval(args: argparse.Namespace, emit: Emit) -> dict:
    from .data import read_samples
    from .evaluate import evaluate
    from .trained import load_trained

    base, adapter, config = load_trained(args.model, args.adapter)
    report = evaluate(base, adapter, config, read_samples(args.eval), emit)
    for name in ("loss", "rouge1", "rouge2", "rougeL"):
        emit("metric", name=f"eval_{name}", value=report[name])
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        emit("artifact", kind="eval_report", path=args.report)
    return report


def cmd_generate(args: argparse.Namespace, emit: Emit) -> dict | None:
    from .serve import Server

    server = Server(args.model, args.adapter)
    if args.prompt is not None:
        return server.complete({"prompt": args.prompt, "maxTokens": args.max_tokens, "temperature": args.temperature, "seed": args.seed})
    emit("progress", phase="ready", model=args.model, adapter=args.adapter)
    server.serve(sys.stdin, emit)
    return None


def cmd_make_data(args: argparse.Namespace, emit: Emit) -> dict:
    from .make_data import write

    paths = write(Path(args.out), args.seed)
    for path in paths:
        emit("artifact", kind="dataset", path=str(path))
    return {"files": [str(p) for p in paths]}


def cmd_make_model(args: argparse.Namespace, emit: Emit) -> dict:
    from .builtin import Recipe, make_builtin_model
    from .hexbytes import hex32

    recipe = Recipe(seed=args.seed, pretrainSteps=args.pretrain_steps)
    base = make_builtin_model(args.out, recipe, emit)
    emit("artifact", kind="model", path=args.out)
    return {"path": args.out, "baseModelHash": hex32(base.base_model_hash)}


def parser() -> argparse.ArgumentParser:
    from .builtin import Recipe
    from .make_data import DEFAULT_SEED

    top = argparse.ArgumentParser(prog="python3 -m olp_trainer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)

    def job_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--job", help="job file from the node (config, configHash, model, corpus, datasets, commitBlockhash, eval, out)")
        p.add_argument("--model", help="standalone: model folder")
        p.add_argument("--data", action="append", help="standalone: Alpaca/ShareGPT JSONL, one per dataset (repeat)")
        p.add_argument("--eval", help="standalone: held-out Alpaca/ShareGPT JSONL")
        p.add_argument("--out", help="standalone: run folder")
        p.add_argument("--config", help="standalone: config JSON (missing fields take their defaults)")

    p = sub.add_parser("train", help="train from a job; emits checkpoint messages and the chain's root")
    job_args(p)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("verify", help="re-run segment k from checkpoint k-1 and compare with checkpoint k")
    job_args(p)
    p.add_argument("--run", required=True, help="run folder holding checkpoints/ (and chain.json)")
    p.add_argument("--segment", type=int, required=True, help="k, from 1")
    p.add_argument("--chain", help="chain JSON as gossiped (default: the run folder's chain.json)")
    p.add_argument("--root", help="checkpointRoot registered on-chain (0x…), checked against the chain")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("eval", help="loss and ROUGE-1/2/L on a held-out file")
    p.add_argument("--model", required=True)
    p.add_argument("--adapter", help="adapter folder written by train (or any PEFT LoRA folder)")
    p.add_argument("--eval", required=True, help="Alpaca/ShareGPT JSONL")
    p.add_argument("--report", help="also write the report to this JSON file")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("generate", help="complete one --prompt, or serve JSON-lines requests from stdin")
    p.add_argument("--model", required=True)
    p.add_argument("--adapter")
    p.add_argument("--prompt", help="one prompt (templated as the adapter was trained); without it, serve stdin")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (temperature > 0)")
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("make-data", help="write the shipped data set (attributes → ad copy)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.set_defaults(func=cmd_make_data)
    p = sub.add_parser("make-model", help="create the built-in model from a seed (pre-trained, cached in --out)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=Recipe.seed)
    p.add_argument("--pretrain-steps", type=int, default=Recipe.pretrainSteps)
    p.set_defaults(func=cmd_make_model)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    emit = JsonLines()
    try:
        result = args.func(args, emit)
    except TrainerError as err:
        emit("error", **err.fields())
        log(f"error {err.code}: {err.message}")
        return 1
    except Exception as err:  # a bug, not a user error: say so, with the traceback on stderr
        traceback.print_exc(file=sys.stderr)
        emit("error", code="INTERNAL", message=f"{type(err).__name__}: {err}")
        return 1
    if result is not None:
        emit("result", command=args.command, **result)
    return 0
