"""LaTeX for closed forms, with the project's symbol names (H_{kv}, d_h).

SymPy already typesets ``H_kv`` as ``H_{kv}``; this module fixes the few names it
would not write the way papers do and keeps the ordering stable.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from .symbols import LATEX_NAMES

__all__ = ["latex", "SYMBOL_NAMES", "align", "standalone", "spec_latex"]

SYMBOL_NAMES = LATEX_NAMES


def latex(expr: Expr) -> str:
    """``expr`` as LaTeX math (no surrounding dollars).

    >>> from symparams.symbols import D, V, H_kv
    >>> latex(2*D*V + H_kv)
    '2 D V + H_{kv}'
    """
    return sympy.latex(expr, symbol_names=SYMBOL_NAMES)


def _label(path: str) -> str:
    from .report.math import escape_latex

    return r"N_{\mathrm{" + escape_latex(path) + "}}" if path else "N"


def align(spec, values: bool = False, environment: str = "align") -> str:
    """The closed form and every component's formula as one LaTeX ``align`` environment.

    Rows are the total, then each node of the tree (per copy, with ``\\times L``
    where the block repeats), then the derived sizes (d_h = D/H, ...). With
    ``values``, each row ends with its exact count at the model's sizes.

    >>> import symparams
    >>> print(align(symparams.model("nanochat", depth=20)).splitlines()[1])
    N &= 2 D^{2} L \\left(e + 2\\right) + 2 D V \\\\
    """
    from .report.context import short_paths
    from .report.math import number_latex

    bd = spec.breakdown()
    short = short_paths(bd.rows)

    def row(label: str, form: Expr, count: int | None, copies: Expr = sympy.Integer(1)) -> str:
        line = f"{label} &= {latex(form)}"
        if values and count is not None and form.free_symbols:
            line += f" = {number_latex(count)}"
        if copies != 1:
            line += r" && \times " + latex(copies)
        return line

    rows = [row("N", spec.closed_form, spec.total)]
    for r in bd.rows:
        rows.append(row(_label(short[r.path]), r.formula, r.count, r.copies_formula))
    for sym, rel in spec.relations:
        if sym in spec.env:
            rows.append(row(latex(sym), rel, None))
    return "\n".join([rf"\begin{{{environment}}}"] + [x + r" \\" for x in rows[:-1]] + [rows[-1],
                                                                                         rf"\end{{{environment}}}"])


def standalone(body: str, title: str = "") -> str:
    """``body`` in a minimal article that pdflatex compiles with amsmath alone."""
    from .report.math import escape_latex

    head = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}"]
    if title:
        head.append(r"\section*{" + escape_latex(title) + "}")
    return "\n".join(head + [body, r"\end{document}"]) + "\n"


def spec_latex(spec) -> str:
    """A model for Jupyter's LaTeX display: its closed form, exact total and rounded figure."""
    from .format import human
    from .report.math import number_latex

    rounded = human(spec.total)
    unit = rounded[-1] if rounded[-1] in "KMBT" else ""
    figure = (rounded[:-1] + r"\,\mathrm{" + unit + "}") if unit else rounded
    active = ""
    if spec.active_total != spec.total:
        active = rf" \\ A &= {latex(spec.active_form)} = {number_latex(spec.active_total)}"
    return (rf"$$\begin{{aligned}} N &= {latex(spec.closed_form)} \\ &= {number_latex(spec.total)} "
            rf"\approx {figure}{active} \end{{aligned}}$$")
