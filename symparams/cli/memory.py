"""Memory of a model: weights, gradients, optimizer state and KV cache, in exact bytes.

Training by default (weights + gradients + optimizer state); --inference keeps the
weights only. --master-weights adds an fp32 copy and fp32 optimizer state (mixed
precision). --seq/--batch add the KV cache. With --budget, the longest context
(given --batch, default 1) or the largest batch (given --seq) that fits.
"""

from __future__ import annotations

import argparse

from .common import add_model_arguments, emit_json, load_spec, positive_int


def _budget(text: str) -> int:
    from ..errors import SymparamsError
    from ..memory import parse_bytes

    try:
        return parse_bytes(text)
    except SymparamsError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..memory import DTYPES, OPTIMIZERS

    add_model_arguments(p)
    p.add_argument("--dtype", choices=list(DTYPES), default="bf16", help="weight and gradient dtype (default bf16)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adamw", help="optimizer state: adamw 2, sgd-momentum 1, none 0")
    p.add_argument("--master-weights", action="store_true", help="mixed precision: fp32 master weights and fp32 optimizer state")
    p.add_argument("--state-dtype", choices=list(DTYPES), help="optimizer state dtype (default fp32 with --master-weights, else --dtype)")
    p.add_argument("--kv-dtype", choices=list(DTYPES), help="KV cache dtype (default --dtype)")
    p.add_argument("--inference", action="store_true", help="weights (and KV cache) only: no gradients or optimizer state")
    p.add_argument("--seq", type=positive_int, metavar="T", help="context length for the KV cache")
    p.add_argument("--batch", type=positive_int, metavar="B", help="sequences in the KV cache (default 1)")
    p.add_argument("--budget", type=_budget, metavar="SIZE", help="memory budget (80GB, 24GiB, 1e9): solve for the longest context or largest batch")


def run(args: argparse.Namespace) -> int:
    from .. import memory as mem

    spec = load_spec(args)
    options = dict(dtype=args.dtype, optimizer=args.optimizer, master_weights=args.master_weights,
                   training=not args.inference, state_dtype=args.state_dtype, kv_dtype=args.kv_dtype)
    solved = {}
    seq, batch = args.seq, args.batch
    if args.budget is not None and not (seq and batch):
        if seq is None:
            seq = mem.max_context(spec, args.budget, batch or 1, **options)
            solved["max_context"] = seq
        else:
            batch = mem.max_batch(spec, args.budget, seq, **options)
            solved["max_batch"] = batch
    result = mem.memory(spec, seq=seq, batch=batch or 1, **options)
    if args.json:
        out = result.to_json()
        if args.budget is not None:
            out.update(budget_bytes=args.budget, fits=result.total_bytes <= args.budget, **solved)
        emit_json(out)
        return 0
    mode = "inference" if args.inference else f"training with {result.optimizer}"
    print(f"{spec.name}: {result.params:,} parameters, {args.dtype}, {mode}")
    rows = [("weights", result.weights_bytes)]
    if result.training:
        rows += [("gradients", result.gradients_bytes), (f"optimizer state ({result.state_dtype})", result.optimizer_bytes)]
    if result.master_weights:
        rows.append(("fp32 master weights", result.master_bytes))
    if result.seq is not None:
        rows.append((f"KV cache (T={result.seq:,}, B={result.batch:,}, {result.kv_dtype})", result.kv_cache_bytes))
    rows.append(("total", result.total_bytes))
    width = max(len(r[0]) for r in rows)
    digits = max(len(f"{r[1]:,}") for r in rows)
    for name, n in rows:
        print(f"  {name.ljust(width)}  {f'{n:,}'.rjust(digits)} bytes  {mem.gib(n).rjust(12)}")
    print(f"formula (bytes): {result.formula}")
    if result.seq is not None or args.budget is not None:
        print(f"KV cache per token and sequence: {mem.kv_bytes_per_token(spec, result.kv_dtype):,} bytes")
    if args.budget is not None:
        verdict = "fits" if result.total_bytes <= args.budget else "does not fit"
        print(f"budget {args.budget:,} bytes ({mem.gib(args.budget)}): {verdict}")
        if "max_context" in solved:
            print(f"longest context at batch {batch or 1:,}: {solved['max_context']:,} tokens")
        if "max_batch" in solved:
            print(f"largest batch at context {seq:,}: {solved['max_batch']:,} sequences")
    return 0
