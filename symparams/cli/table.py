"""A size table: one row per depth of a depth-sized family (nanochat, nanochat-2026).

Each row's count is the exact total of that model, computed from its tree.
``--format`` writes it as text, Markdown, CSV, JSON or a LaTeX tabular (symparams.format.render).
"""

from __future__ import annotations

import argparse

from .common import add_format_argument, emit_json, parse_sets, positive_int

# A table is for reading: each row builds and counts one model, so the rows are capped,
# as sweep caps its grid (sweep is the tool for many sizes).
MAX_DEPTHS = 1000


def _depths(text: str) -> list[int]:
    items = text.split(",", MAX_DEPTHS + 1)
    if len(items) > MAX_DEPTHS:
        raise argparse.ArgumentTypeError(f"--depths lists more than {MAX_DEPTHS:,} depths; "
                                         "a table shows at most that many (symparams sweep --grid depth=... counts more)")
    items = [t for t in items if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("--depths needs at least one depth")
    return [positive_int(t.strip()) for t in items]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a depth-sized family (nanochat)")
    p.add_argument("--depths", type=_depths, default=[4, 8, 12, 20, 26, 32],
                   help="comma-separated depths (default 4,8,12,20,26,32)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE", help="set a symbol for every row")
    add_format_argument(p)


def formula(expr):
    """A formula cell of the commands that print tables: its text, and LaTeX that may break inside a cell."""
    from ..format import Formula
    from ..report.latex import _breakable
    from ..report.math import form_latex

    return Formula(str(expr), _breakable(form_latex(expr)))


def run(args: argparse.Namespace) -> int:
    from ..catalog import depth_families, resolve
    from ..errors import SymparamsError
    from ..format import Grid, human, render

    if args.model not in depth_families():
        families = ", ".join(depth_families())
        raise SymparamsError(f"table needs a depth-sized family ({families}), not {args.model!r}")
    sets = parse_sets(args.sets)
    specs = [resolve(args.model, d, sets) for d in args.depths]
    rows: list[dict] = []
    for d, spec in zip(args.depths, specs):
        values = spec.int_values()
        rows.append({"depth": d, **{k: values[k] for k in ("L", "D", "H") if k in values}, "total": spec.total})
    if args.format == "json":
        emit_json({"model": args.model, "formula": str(specs[0].closed_form), "rows": rows})
        return 0
    head = [k for k in rows[0] if k != "total"]
    cells = tuple(tuple(r[k] for k in head) + (r["total"], human(r["total"])) for r in rows)
    grid = Grid((*head, "parameters", "rounded"), cells, "r" * (len(head) + 2))
    print(render([(f"{args.model}: N = ", formula(specs[0].closed_form)), grid], args.format), end="")
    return 0
