"""FLOPs per token under each convention (exact, kaplan, chinchilla, palm, 6n), from the module tree.

Without --convention, all of them side by side; with one, its closed form and,
for exact, the FLOPs of each component. exact counts what eager attention
executes: every query scores all T keys and a mask zeroes the later ones.
--causal counts what a kernel that skips masked blocks executes: query i meets
i + 1 keys ((T + 1)/2 on average), or at most a layer's window. Training is
3 x forward per token (each matmul's backward is two of its size); --tokens
gives the training compute of a token budget.
"""

from __future__ import annotations

import argparse

from .common import add_model_arguments, add_seq_argument, context_length, emit_json, load_spec, positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..flops import CONVENTIONS

    add_model_arguments(p)
    add_seq_argument(p)
    p.add_argument("--convention", choices=list(CONVENTIONS), help="one convention (default: a table of all)")
    p.add_argument("--causal", action="store_true",
                   help="count score/value FLOPs for the keys a causal mask keeps, (T+1)/2 per query on average, "
                        "as a kernel that skips masked blocks runs (exact convention)")
    p.add_argument("--tokens", type=positive_int, metavar="N", help="training tokens: also print the training compute C")
    p.add_argument("--sensitivity", action="store_true", help="elasticities of training FLOPs, dominance and crossovers")


def _table(cells: list, right: set[int]) -> str:
    from ..format import table

    align = "".join("r" if i in right else "l" for i in range(len(cells[0])))
    return table(cells[1:], cells[0], align)


def run(args: argparse.Namespace) -> int:
    from .. import flops as fl
    from ..format import human

    spec = load_spec(args)
    seq, seq_source = context_length(spec, args.seq)
    if args.convention:
        results = [fl.flops(spec, seq, args.convention, args.causal)]
    else:
        results = fl.flops_table(spec, seq, args.causal)
    extra: dict = {}
    if args.sensitivity:
        conv = args.convention or "exact"
        extra["sensitivity"] = [r.to_json() for r in fl.flops_sensitivity(spec, seq, conv, args.causal and conv == "exact")]
        extra["dominance"] = fl.dominance(spec, seq, args.causal).to_json()
    comps = fl.components(spec, seq, args.causal) if args.convention == "exact" else None
    if args.json:
        if args.convention:
            out = results[0].to_json(args.tokens)
            if comps is not None:
                out["components"] = [{"group": g, "formula": str(f), "forward_per_token": v} for g, f, v in comps]
        else:
            out = {"model": spec.name, "seq": seq, "causal": args.causal,
                   "conventions": [r.to_json(args.tokens) for r in results]}
        emit_json({**out, **extra})
        return 0
    shown = f" ({seq_source})" if args.seq is None else ""
    print(f"{spec.name} at T = {seq:,}{shown}{' (causal)' if args.causal else ''}: FLOPs per token")
    head = ("convention", "source", "forward", "train (3x)", "train formula")
    cells = [head]
    for r in results:
        name = r.convention.name + (" (causal)" if r.causal else "")
        cells.append((name, r.convention.source, f"{r.forward:,}", f"{r.train:,}", str(r.train_form)))
    print(_table(cells, {2, 3}))
    if args.tokens:
        print(f"\ntraining compute for {args.tokens:,} tokens:")
        for r in results:
            c = r.compute(args.tokens)
            print(f"  {r.convention.name}: {c:,} FLOPs ({float(c):.3e})")
    if comps is not None:
        print("\nexact forward FLOPs per token by component:")
        print(_table([("component", "formula", "FLOPs", "rounded")] +
                     [(g, str(f), f"{v:,}", human(v)) for g, f, v in comps], {2, 3}))
    if args.sensitivity:
        _print_sensitivity(extra)
    return 0


def _print_sensitivity(extra: dict) -> None:
    print("\nelasticity of training FLOPs per token, (x/C) dC/dx:")
    rows = [("x", "elasticity", "at this size")] + [
        (s["symbol"], s["elasticity"], f"{s['elasticity_value']:.4f}") if s.get("elasticity_value") is not None
        else (s["symbol"], "none: the count steps through a rounding", "-") for s in extra["sensitivity"]
    ]
    print(_table(rows, {2}))
    d = extra["dominance"]
    emb, lay = d["embedding_params"], d["layer_params"]
    att, mlp = d["attention_flops"], d["mlp_flops"]
    print(f"\nparameters: embeddings and head {emb:,} vs layers {lay:,} ({'layers' if lay >= emb else 'embeddings'} dominate)")
    print(f"forward FLOPs: attention {att:,} vs MLP {mlp:,} ({'MLP' if mlp >= att else 'attention'} dominates)")
    if d["width_crossover"]:
        print(f"embeddings = layers at D = {d['width_crossover']} = {d['width_crossover_value']:,.6g}")
    if d["context_crossover"]:
        print(f"attention scores = weight matmuls at T = {d['context_crossover']} = {d['context_crossover_value']:,.6g}")
