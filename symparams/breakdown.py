"""The per-component reading of a model: one row per node of its tree.

Rows come from one walk of the tree, so they always sum to the total: a row's
``total`` is its per-copy ``count`` times the copies its ancestors make (L for
everything inside a block), and the top-level rows partition the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Iterator

from sympy import Expr

from .components import Module
from .format import share

if TYPE_CHECKING:
    from .spec import Spec

__all__ = ["Row", "Breakdown", "breakdown"]


@dataclass(frozen=True)
class Row:
    """One node: its place in the tree, its formula and its exact counts."""

    path: str
    depth: int
    node: Module
    formula: Expr
    copies_formula: Expr
    copies: int
    count: int
    total: int
    share: Fraction

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def is_leaf(self) -> bool:
        return not self.node.children()


@dataclass(frozen=True)
class Breakdown:
    """All rows of a model, with renderers for a terminal, Markdown and JSON."""

    spec: "Spec"
    rows: tuple[Row, ...]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __getitem__(self, path: str) -> Row:
        for row in self.rows:
            if row.path == path:
                return row
        raise KeyError(path)

    def top(self) -> tuple[Row, ...]:
        """The top-level components, which partition the total."""
        return tuple(r for r in self.rows if r.depth == 1)

    def groups(self) -> dict[str, int]:
        """Parameters per group (embedding, attention, mlp, norm, head, other), from the leaves."""
        out: dict[str, int] = {}
        for r in self.rows:
            if r.is_leaf:
                out[r.node.group] = out.get(r.node.group, 0) + r.total
        return out

    def to_json(self) -> list[dict]:
        return [
            {
                "name": r.path,
                "module": r.node.describe(),
                "formula": str(r.formula),
                "count": r.count,
                "copies": r.copies,
                "total": r.total,
                "group": r.node.group,
            }
            for r in self.rows
        ]

    def _cells(self) -> list[tuple[str, str, str, str, str]]:
        out = []
        for r in self.rows:
            label = "  " * (r.depth - 1) + r.name
            each = f"{r.count:,}"
            if r.copies != 1:
                each += f" x {r.copies:,} = {r.total:,}"
            out.append((label, r.node.describe(), str(r.formula), each, f"{share(r.share)}"))
        spec = self.spec
        out.append(("total", spec.tree.describe(), str(spec.closed_form), f"{spec.total:,}", "100.0%"))
        return out

    def table(self) -> str:
        """A plain-text table: component, module, formula, count, share of the total."""
        head = ("component", "module", "formula (per copy)", "count", "share")
        cells = [head] + self._cells()
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        lines = []
        for n, c in enumerate(cells):
            lines.append("  ".join(x.ljust(w) if i < 3 else x.rjust(w) for i, (x, w) in enumerate(zip(c, widths))).rstrip())
            if n == 0 or n == len(cells) - 2:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = ["| component | module | formula | count | share |", "|---|---|---|---:|---:|"]
        for label, module, formula, count, sh in self._cells():
            lines.append(f"| {label.strip()} | `{module}` | `{formula}` | {count} | {sh} |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        from .report.jupyter import breakdown_markdown

        return breakdown_markdown(self)

    def __str__(self) -> str:
        return self.table()


def breakdown(spec: "Spec") -> Breakdown:
    total = spec.total
    rows = []
    paths: dict[int, str] = {}
    for depth, copies, node in spec.tree.walk():
        if depth == 0:
            continue
        paths[depth] = node.name
        path = ".".join(paths[d] for d in range(1, depth + 1))
        count = spec.count(node)
        times = int(spec.value(copies))
        rows.append(
            Row(path, depth, node, spec.formula(node), spec.substitute(copies), times, count,
                count * times, Fraction(count * times, total))
        )
    return Breakdown(spec, tuple(rows))
