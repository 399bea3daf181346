"""Derivatives and elasticities of the parameter count at a model's size.

The elasticity (x/N) dN/dx says how many percent the total grows per percent of
x: the knob with the largest one dominates the model's size. Derivatives follow
the model's relations, as its count does (with d_h = D/H, growing D grows the
head size); --hold SYMBOL holds a symbol fixed instead, for the partial
derivative at fixed sizes. The output names what is followed and what is held.
``--format`` writes text, Markdown, CSV, JSON or a LaTeX tabular (symparams.format.render).
"""

from __future__ import annotations

import argparse

from .common import add_format_argument, add_model_arguments, emit_json, load_spec


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, json_flag=False)
    add_format_argument(p)
    p.add_argument("--hold", action="append", default=[], metavar="SYMBOL",
                   help="hold SYMBOL fixed (d_h: the partial derivative at a fixed head size); repeat for more")


def run(args: argparse.Namespace) -> int:
    from ..analysis import followed, held_symbols, sensitivity
    from ..format import Block, Cell, Fixed, Grid, render
    from .table import formula

    spec = load_spec(args)
    held = held_symbols(spec, args.hold)
    rows = sensitivity(spec, hold=held)
    relations = followed(spec, held)
    if args.format == "json":
        emit_json({"model": spec.name, "total": spec.total, "formula": str(spec.closed_form),
                   "follows": {s.name: str(r) for s, r in relations},
                   "held": {s.name: _number(spec.env[s]) for s in held},
                   "symbols": [r.to_json() for r in rows]})
        return 0
    blocks: list[Block] = [(f"{spec.name}: N = ", formula(spec.closed_form), f" = {spec.total:,}")]
    if relations:
        blocks.append(f"derivatives follow {', '.join(f'{s} = {r}' for s, r in relations)}")
    if held:
        blocks.append(f"held fixed: {', '.join(f'{s} = {spec.env[s]}' for s in held)}")
    cells: list[tuple[Cell, ...]] = []
    stepped = []
    for r in rows:
        if not r.differentiable:
            stepped.append(r)
            down, up = r.steps or (None, None)
            cells.append((r.symbol.name, f"none: steps through {', '.join(map(str, r.roundings))}",
                          f"{_step(down, '-')} / {_step(up, '+')}", "-"))
            continue
        v = r.derivative_value
        cells.append((r.symbol.name, formula(r.derivative), int(v) if v.is_Integer else formula(v),
                      Fixed(float(r.elasticity_value))))
    blocks.append(Grid(("x", "dN/dx", "at this size", "elasticity (x/N) dN/dx"), tuple(cells), "llrr"))
    if stepped:
        names = ", ".join(r.symbol.name for r in stepped)
        blocks.append(f"{names} enter{'s' if len(stepped) == 1 else ''} through a rounding, which moves the count by "
                      "jumps, so no derivative exists; the row gives the exact steps N(x) - N(x-1) / N(x+1) - N(x) instead")
    print(render(blocks, args.format), end="")
    return 0


def _step(value, sign: str) -> str:
    """One exact step of the count, signed as the move of x that makes it (- for x-1, + for x+1)."""
    if value is None:
        return "undefined"
    return f"{sign}1: {int(value):,}" if value.is_Integer else f"{sign}1: {value}"


def _number(value) -> int | str:
    return int(value) if value.is_Integer else str(value)
