"""Memory of a model in exact bytes: weights, gradients, optimizer state, activations and KV cache.

Training by default, with mixed-precision AdamW (mixed-adamw): bf16 weights and gradients,
an fp32 master copy and two fp32 moments, 16 bytes per parameter. --seq T and --batch B
add the activations a training step keeps for the backward pass (--attention,
--ssm-kernel, --recompute, --dropout) or, with --inference, the KV cache. Training keeps no KV cache.
The KV cache is what the layers attend over; where transformers' own cache keeps more
(Falcon's new decoder architecture, GPT-Neo's local layers), a warning gives its bytes
(transformers_kv_cache_bytes in the JSON).
--tp/--pp/--dp/--ep/--cp/--sp/--zero/--microbatch lay the model out over GPUs and give
the most loaded GPU's bytes. With --budget, the longest context (given --batch, default
1) or the largest batch (given --seq) that fits one GPU. ``--format`` writes text, Markdown,
CSV, JSON or LaTeX tabulars (symparams.format.render).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..config import short
from .common import add_format_argument, add_model_arguments, emit_json, load_spec, positive_int

if TYPE_CHECKING:
    from ..format import Cell


def _budget(text: str) -> int:
    from ..errors import SymparamsError
    from ..memory import parse_bytes

    try:
        return parse_bytes(text)
    except SymparamsError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _sites(text: str) -> frozenset[str]:
    from ..components.saving import DROPOUT_SITES

    sites = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(sites - set(DROPOUT_SITES))
    if unknown or not sites:
        raise argparse.ArgumentTypeError(f"{short(text)}: dropout sites are {', '.join(DROPOUT_SITES)} (comma-separated)")
    return sites


def _zero(text: str) -> int:
    if text not in ("0", "1", "2", "3"):
        raise argparse.ArgumentTypeError(f"{short(text)}: ZeRO stages are 0, 1, 2 and 3")
    return int(text)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..components.saving import ATTENTION_KINDS, RECOMPUTE, SSM_KERNELS
    from ..memory import DTYPES, OPTIMIZERS

    add_model_arguments(p, json_flag=False)
    add_format_argument(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--training", action="store_true", help="weights, gradients, optimizer state, activations (default)")
    mode.add_argument("--inference", action="store_true", help="weights and the KV cache only")
    p.add_argument("--dtype", choices=list(DTYPES), default="bf16", help="weight and gradient dtype (default bf16)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS),
                   help="optimizer state (default mixed-adamw: fp32 master copy and two fp32 moments beside bf16 "
                        "weights and gradients, 16 bytes per parameter); " +
                        "; ".join(f"{o.name}: {o.summary}" for o in OPTIMIZERS.values() if o.name != "mixed-adamw"))
    master = p.add_mutually_exclusive_group()
    master.add_argument("--master-weights", dest="master", action="store_const", const=True,
                        help="keep an fp32 master copy (mixed-adamw always does)")
    master.add_argument("--no-master-weights", dest="master", action="store_const", const=False,
                        help="keep no fp32 master copy")
    p.add_argument("--state-dtype", choices=list(DTYPES), help="optimizer state dtype (default fp32)")
    p.add_argument("--kv-dtype", choices=list(DTYPES), help="KV cache dtype, fp8 and int8 for quantised caches "
                   "(default --dtype; bf16 for weights below 16 bits)")
    p.add_argument("--activation-dtype", choices=list(DTYPES), help="activation dtype (default --dtype)")
    p.add_argument("--seq", type=positive_int, metavar="T", help="context length: activations (training) or KV cache")
    p.add_argument("--batch", type=positive_int, metavar="B", help="sequences per GPU and step (default 1)")
    p.add_argument("--attention", choices=ATTENTION_KINDS, default="sdpa",
                   help="attention kernel (default sdpa): eager keeps the B*H*T^2 probabilities, sdpa and flash do not")
    p.add_argument("--ssm-kernel", choices=SSM_KERNELS, default="cuda",
                   help="what runs state-space and linear-attention scans (default cuda: mamba_ssm, causal-conv1d, "
                        "flash-linear-attention, not measured, so those layers refuse); torch: transformers' own code, "
                        "as on CPU, read to the byte")
    p.add_argument("--recompute", choices=RECOMPUTE, default="none",
                   help="activation recomputation: none (default), selective (Korthikanti et al. 2022), full")
    p.add_argument("--dropout", type=_sites, default=frozenset(), metavar="SITES",
                   help="sites with dropout > 0: embedding,attention,residual (default none)")
    p.add_argument("--mask-bytes", type=positive_int, metavar="N",
                   help="bytes per dropout-mask element (default 1, PyTorch's fused CUDA kernel)")
    par = p.add_argument_group("parallelism (the most loaded GPU)")
    for name, what in (("tp", "tensor-parallel GPUs"), ("pp", "pipeline stages"), ("dp", "data-parallel replicas"),
                       ("ep", "expert-parallel GPUs (within dp)"), ("cp", "context-parallel GPUs")):
        par.add_argument(f"--{name}", type=positive_int, default=1, metavar="N", help=f"{what} (default 1)")
    par.add_argument("--sp", action="store_true", help="sequence parallelism (with --tp)")
    par.add_argument("--zero", type=_zero, default=0, metavar="STAGE",
                     help="ZeRO stage over dp: 1 optimizer state, 2 and gradients, 3 and weights (FSDP) (default 0)")
    par.add_argument("--microbatch", type=positive_int, metavar="b",
                     help="sequences per micro-batch (default --batch); pipeline stages hold several in flight")
    p.add_argument("--budget", type=_budget, metavar="SIZE",
                   help="memory of one GPU (80GB, 24GiB, 1e9): solve for the longest context or largest batch")


def _describe(m) -> str:
    if not m.training:
        return f"inference, {m.dtype} weights"
    parts = [f"{m.dtype} weights and gradients"]
    if m.master_weights:
        parts.append("an fp32 master copy")
    state = {"mixed-adamw": "two {} moments", "adamw": "two {} moments", "adamw-8bit": "two 8-bit moments",
             "adafactor": "factored {} second moments", "sgd-momentum": "one {} momentum buffer",
             "muon": "Muon momentum and AdamW moments in {}"}.get(m.optimizer)
    if state:
        parts.append(state.format(m.state_dtype))
    per = m.total_bytes - (m.activation_bytes or 0)
    note = f": {per // m.params} bytes per parameter" if m.params and per % m.params == 0 else ""
    return f"training with {m.optimizer} ({', '.join(parts)}{note})"


def run(args: argparse.Namespace) -> int:
    from .. import memory as mem
    from ..format import Block, Facts, Grid, render
    from ..parallel import Parallel

    spec = load_spec(args)
    parallel = Parallel(tp=args.tp, pp=args.pp, dp=args.dp, ep=args.ep, cp=args.cp, sp=args.sp, zero=args.zero,
                        microbatch=args.microbatch)
    options = dict(dtype=args.dtype, optimizer=args.optimizer, master_weights=args.master,
                   training=not args.inference, state_dtype=args.state_dtype, kv_dtype=args.kv_dtype,
                   activation_dtype=args.activation_dtype, attention=args.attention, ssm_kernel=args.ssm_kernel,
                   recompute=args.recompute,
                   dropout=args.dropout, mask_width=args.mask_bytes, parallel=parallel)
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
    mem.warn(result)
    if args.format == "json":
        out = result.to_json()
        if args.budget is not None:
            out.update(budget_bytes=args.budget, fits=result.per_gpu_bytes <= args.budget, **solved)
        emit_json(out)
        return 0
    # The whole output is made before any of it is printed: a failure midway leaves no partial output.
    from .table import formula

    blocks: list[Block] = [f"{spec.name}: {result.params:,} parameters, {_describe(result)}"]
    rows = [("weights", result.weights_bytes)]
    if result.training:
        rows.append(("gradients", result.gradients_bytes))
        state = "optimizer state" + (" (fp32 master copy included)" if result.master_weights else "")
        rows.append((state, result.optimizer_bytes))
        if result.activation_bytes is not None:
            s = result.saving
            how = f"{s.attention}, recompute {s.recompute}" + (", torch scans" if s.ssm_kernel == "torch" else "")
            how += f", dropout {','.join(sorted(s.dropout))}" if s.dropout else ""
            rows.append((f"activations (T={result.seq:,}, B={result.batch:,}, {how})", result.activation_bytes))
    elif result.seq is not None:
        kind = "KV cache and recurrent state" if result.kv_state_bytes else "KV cache"
        rows.append((f"{kind} (T={result.seq:,}, B={result.batch:,}, {result.kv_dtype})", result.kv_cache_bytes))
    rows.append(("total", result.total_bytes))
    if parallel.gpus > 1:
        rows.append((f"per GPU (most loaded of {parallel.gpus:,}, pipeline stage {_stage(result)})",
                     result.per_gpu_bytes))
    blocks.append(Grid(("memory", "bytes", "GiB"), tuple((name, n, mem.gib(n)) for name, n in rows), "lrr",
                       indent="  "))
    facts: list[tuple[str, Cell]] = [("formula (bytes)", formula(result.formula))]
    if not result.training and (result.seq is not None or args.budget is not None):
        facts.append(("KV cache per token and sequence (bytes)", mem.kv_bytes_per_token(spec, result.kv_dtype)))
        if result.kv_state_bytes:
            facts.append(("recurrent state per sequence, whatever T (bytes)", result.kv_state_bytes // result.batch))
    if args.budget is not None:
        facts += [(f"budget (bytes, {mem.gib(args.budget)})", args.budget),
                  ("fits the budget", "yes" if result.per_gpu_bytes <= args.budget else "no")]
        if "max_context" in solved:
            facts.append((f"longest context at batch {batch or 1:,} (tokens)", solved["max_context"]))
        if "max_batch" in solved:
            facts.append((f"largest batch at context {seq:,} (sequences)", solved["max_batch"]))
    blocks.append(Facts(tuple(facts)))
    if result.training and result.activation_bytes is None:
        blocks.append("activations: give --seq (and --batch) to count them")
    print(render(blocks, args.format), end="")
    return 0


def _stage(result) -> str:
    return f"{result.per_gpu_stage + 1} of {result.parallel.parallel.pp}"
