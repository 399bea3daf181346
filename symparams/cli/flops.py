"""FLOPs per token under each convention (exact, kaplan, chinchilla, palm, 6n), from the module tree.

Without --convention, all of them side by side; with one, its closed form and,
for exact, the FLOPs of each component. exact counts what eager attention
executes: every query scores all T keys and a mask zeroes the later ones.
--causal counts what a kernel that skips masked blocks executes: query i meets
i + 1 keys ((T + 1)/2 on average), or at most a layer's window. Training is
3 x forward per token (each matmul's backward is two of its size); --tokens
gives the training compute of a token budget. ``--format`` writes text, Markdown,
CSV, JSON or LaTeX tabulars (symparams.format.render).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import add_format_argument, add_model_arguments, add_seq_argument, context_length, emit_json, load_spec, positive_int

if TYPE_CHECKING:
    from ..format import Block, Cell


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..flops import CONVENTIONS

    add_model_arguments(p, json_flag=False)
    add_format_argument(p)
    add_seq_argument(p)
    p.add_argument("--convention", choices=list(CONVENTIONS), help="one convention (default: a table of all)")
    p.add_argument("--causal", action="store_true",
                   help="count score/value FLOPs for the keys a causal mask keeps, (T+1)/2 per query on average, "
                        "as a kernel that skips masked blocks runs (exact convention); with a window W < T, "
                        "min(i+1, W) keys, and a per-token average that is not whole is printed as an exact p/q")
    p.add_argument("--tokens", type=positive_int, metavar="N", help="training tokens: also print the training compute C")
    p.add_argument("--sensitivity", action="store_true", help="elasticities of training FLOPs, dominance and crossovers")


def run(args: argparse.Namespace) -> int:
    from .. import flops as fl
    from ..format import json_number, render

    spec = load_spec(args)
    from ..families.learned import learned_of

    if learned_of(spec) is not None:
        return _learned(args, spec)
    seq, seq_source = context_length(spec, args.seq)
    if args.convention:
        results = [fl.flops(spec, seq, args.convention, args.causal)]
    else:
        results = fl.flops_table(spec, seq, args.causal)
    comps = fl.components(spec, seq, args.causal) if args.convention == "exact" else None
    if args.sensitivity:
        conv = args.convention or "exact"
        elasticities = fl.flops_sensitivity(spec, seq, conv, args.causal and conv == "exact")
        dominance = fl.dominance(spec, seq, args.causal)
    if args.format == "json":
        extra: dict = {}
        if args.sensitivity:
            extra["sensitivity"] = [r.to_json() for r in elasticities]
            extra["dominance"] = dominance.to_json()
        if args.convention:
            out = results[0].to_json(args.tokens)
            if comps is not None:
                out["components"] = [{"group": g, "formula": str(f), "forward_per_token": json_number(v)}
                                     for g, f, v in comps]
        else:
            out = {"model": spec.name, "seq": seq, "causal": args.causal,
                   "conventions": [r.to_json(args.tokens) for r in results]}
        emit_json({**out, **extra})
        return 0
    blocks = _blocks(args, spec, seq, seq_source, results, comps)
    if args.sensitivity:
        blocks += _sensitivity_blocks(elasticities, dominance)
    print(render(blocks, args.format), end="")
    return 0


def _learned(args: argparse.Namespace, spec) -> int:
    """A learned family knows the weights a token multiplies, not its attention: the matmul FLOPs alone.

    Forward is 2 FLOPs per multiply-accumulate weight (a tied head's matrix included),
    training 3 x forward. Options that need the architecture's semantics are refused.
    """
    import sys

    from ..errors import SymparamsError
    from ..format import Facts, human, render
    from .table import formula

    asked = [flag for flag, on in (("--convention", args.convention), ("--causal", args.causal),
                                   ("--sensitivity", args.sensitivity), ("--seq", args.seq)) if on]
    if asked:
        raise SymparamsError(f"{spec.name}: {asked[0]} needs attention FLOPs, which a learned family does not give "
                             "(it knows the parameter shapes transformers builds, not the architecture's semantics)")
    weights, form = spec.count(reading="matmul"), spec.formula(reading="matmul")
    forward, train = 2 * weights, 6 * weights
    note = "attention score and value FLOPs are not given: a learned family knows the weights, not the attention"
    if args.format == "json":
        out: dict = {"model": spec.name, "family_source": "learned", "matmul_weights": weights,
                     "matmul_weights_formula": str(form), "forward_matmul": forward, "train_matmul": train,
                     "attention_flops": None, "note": note}
        if args.tokens:
            out["training_matmul_flops"] = train * args.tokens
        emit_json(out)
        return 0
    print(f"symparams: note: {note}", file=sys.stderr)
    facts: list[tuple[str, Cell]] = [("weights multiplied per token", weights), ("their formula", formula(form)),
                                     ("forward matmul FLOPs per token (2x)", forward),
                                     ("training matmul FLOPs per token (6x)", train)]
    if args.tokens:
        facts.append((f"training matmul FLOPs for {args.tokens:,} tokens", train * args.tokens))
        facts.append(("rounded", human(train * args.tokens)))
    blocks: list[Block] = [f"{spec.name}: matmul FLOPs per token (a learned family: no attention FLOPs)",
                           Facts(tuple(facts))]
    print(render(blocks, args.format), end="")
    return 0


def _blocks(args: argparse.Namespace, spec, seq: int, seq_source: str, results: list, comps) -> list[Block]:
    """The conventions side by side, the training compute of --tokens, and exact's FLOPs by component."""
    from ..format import Grid, exact_cell, human
    from .table import formula

    shown = f" ({seq_source})" if args.seq is None else ""
    blocks: list[Block] = [f"{spec.name} at T = {seq:,}{shown}{' (causal)' if args.causal else ''}: FLOPs per token"]
    rows = tuple((r.convention.name + (" (causal)" if r.causal else ""), r.convention.source, exact_cell(r.forward),
                  exact_cell(r.train), formula(r.train_form)) for r in results)
    blocks.append(Grid(("convention", "source", "forward", "train (3x)", "train formula"), rows, "llrrl"))
    if args.tokens:
        blocks += ["", Grid(("convention", "training FLOPs", "rounded"),
                            tuple((r.convention.name, exact_cell(r.compute(args.tokens)), human(r.compute(args.tokens)))
                                  for r in results), "lrr", f"training compute for {args.tokens:,} tokens")]
    if comps is not None:
        blocks += ["", Grid(("component", "formula", "FLOPs", "rounded"),
                            tuple((g, formula(f), exact_cell(v), human(v)) for g, f, v in comps), "llrr",
                            "exact forward FLOPs per token by component")]
    return blocks


def _sensitivity_blocks(rows, d) -> list[Block]:
    """Elasticities of training FLOPs per token, which term dominates, and where the balance tips."""
    from ..format import Facts, Fixed, Grid, exact_cell
    from .table import formula

    cells = tuple((r.symbol.name, formula(r.elasticity), Fixed(float(r.elasticity_value))) if r.differentiable
                  else (r.symbol.name, "none: the count steps through a rounding", "-") for r in rows)
    emb, lay, att, mlp = d.embedding_params, d.layer_params, d.attention_flops, d.mlp_flops
    facts: list[tuple[str, Cell]] = [("parameters in the embeddings and head", emb), ("parameters in the layers", lay),
                                     ("forward FLOPs in attention", exact_cell(att)),
                                     ("forward FLOPs in the MLP", exact_cell(mlp))]
    for what, form, value in (("D where embeddings = layers", d.width_crossover, d.width_crossover_value),
                              ("T where attention scores = weight matmuls", d.context_crossover,
                               d.context_crossover_value)):
        if form:
            facts += [(what, formula(form)), (f"{what}, here", _exact(value))]
    return ["", Grid(("x", "elasticity", "at this size"), cells, "llr", "elasticity of training FLOPs per token, (x/C) dC/dx"),
            "", f"{'layers' if lay >= emb else 'embeddings'} dominate the parameters; "
                f"{'the MLP' if mlp >= att else 'attention'} dominates the forward FLOPs",
            Facts(tuple(facts), "dominance and crossovers")]


def _exact(value) -> Cell:
    """A crossover's value as a cell: an int when whole, else rounded to two decimals (CSV: every digit)."""
    from ..format import Fixed

    return int(value) if value.is_Integer else Fixed(float(value), 2)
