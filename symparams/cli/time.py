"""Time on real hardware: training time from the FLOPs reading, and inference on a roofline.

Training: tokens x training FLOPs per token (--convention, palm by default, at --seq or the
model's own context), on --gpus accelerators at --mfu of their peak (default 0.4).
Inference: prefill of --prompt tokens is bound by compute, decode at --context by the
bandwidth it takes to read the weights and the KV cache once per step, for --batch
sequences. --gpu names one of a small table of accelerators (dense bf16 FLOP/s, memory
bandwidth and memory, with their sources); --peak-flops and --bandwidth override it.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction

from ..config import short
from ..format import figure, significant
from .common import add_model_arguments, context_length, emit_json, load_spec, positive_int


def _exact(text: str):
    from ..errors import SymparamsError
    from ..parse import parse_number

    try:
        value = parse_number(text)
    except SymparamsError as err:
        raise argparse.ArgumentTypeError(f"{short(text)} is not a number ({err})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{short(text)} must be positive")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..flops import CONVENTIONS
    from ..gpus import GPUS
    from ..memory import DTYPES

    add_model_arguments(p)
    p.add_argument("--tokens", type=positive_int, metavar="N", help="training tokens (1e12 accepted)")
    p.add_argument("--gpu", metavar="NAME", help=f"accelerator: {', '.join(GPUS)}")
    p.add_argument("--gpus", type=positive_int, default=1, metavar="K", help="number of accelerators (default 1)")
    p.add_argument("--mfu", type=_exact, metavar="U", help="model FLOPs utilisation for training (default 0.4)")
    p.add_argument("--peak-flops", type=_exact, metavar="F", help="dense FLOP/s of one accelerator (overrides --gpu)")
    p.add_argument("--bandwidth", type=_exact, metavar="BYTES/S", help="memory bandwidth of one accelerator (overrides --gpu)")
    p.add_argument("--seq", type=positive_int, metavar="T", help="training context (default: the model's own)")
    p.add_argument("--convention", choices=list(CONVENTIONS), default="palm",
                   help="training FLOPs per token (default palm, as MFU is reported)")
    p.add_argument("--prompt", type=positive_int, metavar="P", help="prefill length (default: the context)")
    p.add_argument("--context", type=positive_int, metavar="C", help="decode context (default: the context)")
    p.add_argument("--batch", type=positive_int, default=1, metavar="B", help="sequences decoded together (default 1)")
    p.add_argument("--dtype", choices=list(DTYPES), default="bf16", help="weight dtype for inference (default bf16)")
    p.add_argument("--kv-dtype", choices=list(DTYPES), help="KV cache dtype (default --dtype)")


def _seconds(s: Fraction) -> str:
    if s >= 2 * 86400:
        return f"{figure(s, 0)} s = {figure(s / 86400, 1)} days"
    if s >= 2 * 3600:
        return f"{figure(s, 0)} s = {figure(s / 3600, 2)} h"
    return f"{significant(s, 4)} s"


def run(args: argparse.Namespace) -> int:
    from ..errors import SymparamsError
    from ..gpus import gpu
    from ..memory import context_warning
    from ..timing import hardware, inference_time, training_time

    if args.gpu is None and (args.peak_flops is None or args.bandwidth is None):
        raise SymparamsError("give --gpu NAME, or both --peak-flops and --bandwidth")
    spec = load_spec(args)
    hw = hardware(gpu(args.gpu) if args.gpu is not None else None, args.peak_flops, args.bandwidth)
    seq, where = context_length(spec, args.seq)
    train = None
    if args.tokens is not None:
        train = training_time(spec, args.tokens, hw, seq=seq, gpus=args.gpus,
                              mfu=args.mfu if args.mfu is not None else "0.4", convention=args.convention)
    elif args.mfu is not None:
        raise SymparamsError("--mfu applies to training: give --tokens")
    infer = inference_time(spec, hw, gpus=args.gpus, batch=args.batch, prompt=args.prompt or seq,
                           context=args.context or seq, dtype=args.dtype, kv_dtype=args.kv_dtype)
    longest = max(seq, infer.prompt, infer.context)
    warning = context_warning(spec, longest)
    if warning:
        print(f"symparams: warning: {warning}", file=sys.stderr)
    if args.json:
        out = {"model": spec.name, "seq": seq, **infer.to_json(), "model_context": spec.context,
               "context_exceeded": warning is not None}
        if train is not None:
            out.update(train.to_json())
        emit_json(out)
        return 0
    peak, bandwidth = hw.peak_flops / 10**12, hw.bandwidth / 10**12
    lines = [f"{spec.name} on {args.gpus:,} x {hw.name}: {figure(peak, 1)} TFLOP/s dense, "
             f"{figure(bandwidth, 2)} TB/s each ({hw.source})"]
    if train is not None:
        lines.append(f"training: {train.tokens:,} tokens x {train.flops_per_token:,} FLOPs per token "
                     f"({train.convention}, T={seq:,} from {where}) = {train.training_flops:,} FLOPs")
        lines.append(f"  at MFU {significant(train.mfu, 6)}: {_seconds(train.seconds)}; "
                     f"{figure(train.gpu_hours, 1)} GPU-hours")
    lines.append(f"prefill of {infer.prompt:,} tokens x {infer.batch:,} sequences: {_seconds(infer.prefill_seconds)} "
                 f"({infer.prefill_bound}-bound)")
    read = infer.weights_read_bytes + infer.kv_read_bytes
    lines.append(f"decode at context {infer.context:,}, batch {infer.batch:,}: "
                 f"{figure(infer.decode_tokens_per_second, 1)} tokens/s ({infer.decode_bound}-bound: {read:,} bytes "
                 "read per step)")
    print("\n".join(lines))
    return 0
