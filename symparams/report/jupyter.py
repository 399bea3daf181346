"""How models and breakdowns show themselves in Jupyter: formulas typeset, counts exact.

Cheap by design (one breakdown, no document): a notebook calls these on every display.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..format import grouped, human, share
from .context import short_paths
from .markdown import MD_SPECIALS
from .math import form_latex

if TYPE_CHECKING:
    from ..breakdown import Breakdown
    from ..spec import Spec

__all__ = ["breakdown_markdown", "spec_markdown"]


def breakdown_markdown(bd: "Breakdown") -> str:
    """A pipe table: component, module, formula per copy (typeset), copies, count, share."""
    short = short_paths(bd.rows)
    lines = ["| component | module | formula | copies | parameters | share |", "|---|---|---|---:|---:|---:|"]
    for r in bd.rows:
        name = ("&nbsp;" * 2 * (r.depth - 1)) + short[r.path].translate(MD_SPECIALS)
        copies = f"${form_latex(r.copies_formula)}$" if r.copies != 1 else ""
        lines.append(f"| {name} | `{r.node.describe()}` | ${form_latex(r.formula)}$ | {copies} | {grouped(r.total)} | "
                     f"{share(r.share)} |")
    spec = bd.spec
    lines.append(f"| **total** | | ${form_latex(spec.closed_form)}$ | | **{grouped(spec.total)}** | 100.0% |")
    return "\n".join(lines)


def spec_markdown(spec: "Spec") -> str:
    """The model's name, exact total, closed form and breakdown table."""
    head = f"**{spec.name.translate(MD_SPECIALS)}**: {grouped(spec.total)} parameters ({human(spec.total)})"
    if spec.active_total != spec.total:
        head += f"; {grouped(spec.active_total)} active per token ({human(spec.active_total)})"
    return f"{head}\n\n$$N = {form_latex(spec.closed_form)}$$\n\n{breakdown_markdown(spec.breakdown())}\n"
