"""The per-component reading of a model: one row per node of its tree, and its text table.

Rows come from one walk of the tree (:meth:`Spec.breakdown`), so they always sum to the
total: a row's ``total`` is its per-copy ``count`` times the copies its ancestors make
(L for everything inside a block), and the top-level rows partition the model.
"""

from __future__ import annotations

from .format import share
from .format import table as format_table
from .spec import Breakdown, Row, Spec

__all__ = ["Row", "Breakdown", "breakdown", "cells", "table"]


def breakdown(spec: Spec) -> Breakdown:
    """The rows of ``spec``'s tree (the same as ``spec.breakdown()``)."""
    return spec.breakdown()


def cells(bd: Breakdown) -> list[tuple[str, str, str, str, str]]:
    """Text cells per row (component, module, formula, count, share), then the total."""
    out = []
    for r in bd.rows:
        label = "  " * (r.depth - 1) + r.name
        each = f"{r.count:,}"
        if r.copies != 1:
            each += f" x {r.copies:,} = {r.total:,}"
        out.append((label, r.node.describe(), str(r.formula), each, f"{share(r.share)}"))
    spec = bd.spec
    out.append(("total", spec.tree.describe(), str(spec.closed_form), f"{spec.total:,}", "100.0%"))
    return out


def table(bd: Breakdown) -> str:
    """A plain-text table: component, module, formula, count, share of the total."""
    rows = cells(bd)
    return format_table(rows, ("component", "module", "formula (per copy)", "count", "share"), "lllrr",
                        rules=[len(rows) - 1])
