"""LaTeX for closed forms, with the project's symbol names (H_{\\mathrm{kv}}, d_h).

:func:`latex` writes one expression with the names each symbol carries
(:data:`symparams.symbols.LATEX_NAMES`); :func:`align` writes a model's closed form
and every component's formula as one display, ready for a paper; :func:`standalone`
wraps a body in a document that pdflatex compiles. The derivation documents'
renderer lives in :mod:`symparams.report.latex`; this module uses the report's
escaping and number printing, never the other way round.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from .format import LATEX_FONTS
from .symbols import LATEX_NAMES, latex_names

__all__ = ["latex", "SYMBOL_NAMES", "align", "standalone", "spec_latex", "ROW_BUDGET"]

SYMBOL_NAMES = LATEX_NAMES

# Text characters one row of the align holds (label, formula and count) before a formula is cut between its terms.
ROW_BUDGET = 84
# Characters an equation number takes from a display line.
NUMBER = 8


def latex(expr: Expr) -> str:
    """``expr`` as LaTeX math (no surrounding dollars).

    >>> from symparams.symbols import D, V, H_kv
    >>> latex(2*D*V + H_kv)
    '2 D V + H_{\\\\mathrm{kv}}'
    """
    return sympy.latex(expr, symbol_names=latex_names(expr))


def _label(path: str, letter: str = "N") -> str:
    from .report.math import escape_latex

    return letter + (r"_{\mathrm{" + escape_latex(path) + "}}" if path else "")


def align(spec, values: bool = False, environment: str = "align") -> str:
    """The closed form and every component's formula as one LaTeX ``align`` environment.

    Rows are the total N (and, for a mixture of experts, the parameters A one token
    passes through), then each node of the tree per copy, with ``(\\times L)`` where
    the block repeats, then the derived sizes (d_h = D/H, ...). With ``values``, each
    row ends with its exact count at the model's sizes. In ``align`` only the results,
    N and A, are numbered; a formula too long for a row is cut between its terms.

    >>> import symparams
    >>> print(align(symparams.model("nanochat", depth=20)).splitlines()[1])
    N &= 2 D^{2} L \\left(e + 2\\right) + 2 D V \\\\
    """
    from .report.chains import LINE, align_lines, latex_side, tex_width
    from .report.context import short_paths
    from .report.math import Form, number_latex

    numbered = environment == "align"
    bd = spec.breakdown()
    short = short_paths(bd.rows)

    def rows(label: str, form: Expr, count: int | None, copies: Expr = sympy.Integer(1),
             result: bool = False) -> tuple[str, list[str], bool]:
        suffix = ""
        if values and count is not None and sympy.sympify(form).free_symbols:
            suffix += f" = {number_latex(count)}"
        if copies != 1:
            suffix += r" \qquad (\times " + latex(copies) + ")"
        budget = ROW_BUDGET - tex_width(label) - tex_width(suffix)
        pieces = latex_side(Form(sympy.sympify(form)), max(budget, ROW_BUDGET // 2))
        pieces[-1] += suffix
        return label, ["= " + pieces[0], *pieces[1:]], result

    entries = [rows("N", spec.closed_form, spec.total, result=True)]
    if spec.active_total != spec.total:
        entries.append(rows("A", spec.active_form, spec.active_total, result=True))
    for r in bd.rows:
        entries.append(rows(_label(short[r.path]), r.formula, r.count, r.copies_formula))
    for sym, rel in spec.relations:
        if sym in spec.env:
            entries.append(rows(latex(sym), rel, None))
    lines: list[str] = []
    placed = align_lines([(label, right) for label, right, _ in entries], LINE - (NUMBER if numbered else 0))
    for out, (_, _, result) in zip(placed, entries):
        if numbered:
            out = [r + r" \notag" for r in out[:-1]] + [out[-1] + ("" if result else r" \notag")]
        lines += out
    return "\n".join([rf"\begin{{{environment}}}"] + [x + r" \\" for x in lines[:-1]] + [lines[-1],
                                                                                          rf"\end{{{environment}}}"])


STANDALONE_PREAMBLE = (r"\documentclass[10pt,a4paper]{article}", LATEX_FONTS, r"\usepackage[margin=2.5cm]{geometry}",
                       r"\usepackage{amsmath}", r"\allowdisplaybreaks")


def standalone(body: str, title: str = "") -> str:
    """``body`` in a minimal article that pdflatex compiles (amsmath and geometry).

    Displays may break across pages (``\\allowdisplaybreaks``), so a long align
    starts under its title instead of leaving a blank page before it.
    """
    from .report.math import escape_latex

    head = [*STANDALONE_PREAMBLE, r"\begin{document}"]
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
