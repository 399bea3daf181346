"""The per-component reading of a model: one row per node of its tree, and its text table.

Rows come from one walk of the tree (:meth:`Spec.breakdown`), so they always sum to the
total: a row's ``total`` is its per-copy ``count`` times the copies its ancestors make
(L for everything inside a block), and the top-level rows partition the model.
"""

from __future__ import annotations

from .format import tree_table
from .spec import Breakdown, Row, Spec

__all__ = ["Row", "Breakdown", "breakdown", "table"]


def breakdown(spec: Spec) -> Breakdown:
    """The rows of ``spec``'s tree (the same as ``spec.breakdown()``)."""
    return spec.breakdown()


def table(bd: Breakdown) -> str:
    """A plain-text table: component, module, formula, count, share of the total."""
    spec = bd.spec
    return tree_table(((r.depth, r.name, r.node.describe(), str(r.formula), r.count, r.copies, r.total) for r in bd.rows),
                      spec.tree.describe(), str(spec.closed_form), spec.total)
