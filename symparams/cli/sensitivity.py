"""Derivatives and elasticities of the parameter count at a model's size.

The elasticity (x/N) dN/dx says how many percent the total grows per percent of
x: the knob with the largest one dominates the model's size.
"""

from __future__ import annotations

import argparse

from .common import add_model_arguments, emit_json, load_spec


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..analysis import sensitivity

    spec = load_spec(args)
    rows = sensitivity(spec)
    if args.json:
        emit_json({"model": spec.name, "total": spec.total, "formula": str(spec.closed_form),
                   "symbols": [r.to_json() for r in rows]})
        return 0
    print(f"{spec.name}: N = {spec.closed_form} = {spec.total:,}")
    cells = [("x", "dN/dx", "at this size", "elasticity (x/N) dN/dx")]
    for r in rows:
        v = r.derivative_value
        cells.append((r.symbol.name, str(r.derivative), f"{int(v):,}" if v.is_Integer else str(v),
                      f"{float(r.elasticity_value):.4f}"))
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    for n, c in enumerate(cells):
        print("  ".join(x.ljust(w) if i < 2 else x.rjust(w) for i, (x, w) in enumerate(zip(c, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0
