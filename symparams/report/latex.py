"""A complete LaTeX document for pdflatex, set as a paper would set it.

Packages: amsmath (displays), booktabs (table rules), tabularx (tables at the text
width, text and formula columns wrapping) and geometry (margins), all in TeX Live's
base and recommended sets; Latin Modern in T1 encoding where it is installed, so that
names copied out of the PDF keep their underscores. Large figures are grouped by
symparams itself with ``{,}`` in math and ``,`` in text, as the text and Markdown outputs group them,
rather than by siunitx's ``\\num{}``: one grouping in every format, and no package
beyond those. Text is escaped character by character (model names come from users'
files). Chains are ``align*`` displays, broken where the text is, and long sums cut
between their terms; a result a paper would cite (the total, the closed form) gets
one equation number. The bar chart becomes a table whose bars are ``\\rule``s of
exact proportion.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..format import LATEX_FONTS, grouped, share
from ..symbols import SYMBOLS
from .chains import LINE, _braced, align_lines, latex_entry, tex_width
from .document import Bars, Bullets, Chains, Context, Details, Document, Heading, Math, Para, Rounded, Table, Values, Verbatim
from .math import Form, escape_latex, form_latex, form_text, qualifier_latex
from .render import Renderer, register_format

__all__ = ["LatexRenderer", "PREAMBLE", "BAR_CM", "ROW_WIDTH", "SIDE_BUDGET"]

BAR_CM = 5

# How much of a chain one display row holds, in characters of its text rendering, at 10pt
# on the text width below: a longer chain gets a row per side, a longer side is cut.
ROW_WIDTH = 76
SIDE_BUDGET = 66

PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
""" + LATEX_FONTS + r"""
\usepackage[margin=2.5cm]{geometry}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{tabularx}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\allowdisplaybreaks
\sloppy
\raggedright
"""

_SECTIONS = {2: r"\section*", 3: r"\subsection*", 4: r"\subsubsection*"}
# Characters an equation number takes from a display line.
_NUMBER = 8
# Text characters in a numerator past which a table cell writes a fraction as (a)/b, so the line can break.
_WIDE_FRACTION = 30
# Characters of a table's cells (each with its column gap) that fit the text width at \small.
_SMALL_LINE = 100
# A table column wraps (tabularx X) when it holds formulas, or prose (with spaces) longer than this.
_WRAP = 24


def _bar(s: Fraction) -> str:
    cm = Fraction(s) * BAR_CM
    return r"\rule{" + f"{float(cm):.3f}" + r"cm}{1.2ex}" if cm > 0 else ""


def _wraps(cells: list[object]) -> bool:
    """Whether a column should wrap: it holds long formulas, or prose long enough to need it (names cannot wrap)."""
    return any((isinstance(c, Math) and len(form_text(c.form)) > _WRAP // 2)
               or (isinstance(c, str) and " " in c and len(c) > _WRAP) for c in cells)


def _header(text: str, align: str, widest: int) -> str:
    """A column heading: a symbol's name typeset as the symbol; words wider than the column stacked in two lines."""
    sym = SYMBOLS.get(text)
    if sym is not None:
        return f"${form_latex(sym)}$"
    words = text.split()
    if len(words) < 2 or len(text) <= widest:
        return escape_latex(text)
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    lines = (escape_latex(" ".join(words[:cut])), escape_latex(" ".join(words[cut:])))
    return r"\begin{tabular}[b]{@{}" + align + r"@{}}" + lines[0] + r"\\ " + lines[1] + r"\end{tabular}"


def _unfracs(tex: str) -> str:
    """Each wide ``\\frac{a}{b}`` outside every brace as ``(a)/b``: a fraction is one box a line cannot break."""
    out, i, depth = [], 0, 0
    while i < len(tex):
        if depth == 0 and tex.startswith(r"\frac{", i):
            mid = _braced(tex, i + 5)
            end = _braced(tex, mid) if tex[mid:mid + 1] == "{" else mid
            num, den = tex[i + 6:mid - 1], tex[mid + 1:end - 1]
            if end > mid and tex_width(num) > _WIDE_FRACTION:
                den = den if den.replace("{,}", "").isalnum() else "(" + den + ")"
                out.append("(" + num + ")/" + den)
                i = end
                continue
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        out.append(tex[i])
        i += 1
    return "".join(out)


def _breakable(tex: str) -> str:
    """Inline math that may break inside its parentheses (``\\left( \\right)`` would hold it on one line)."""
    return _unfracs(tex).replace(r"\left(", "(").replace(r"\right)", ")")


def _paths(text: str) -> str:
    """Escaped text whose dotted module paths may break after a dot or an underscore (one would overrun the line)."""
    return re.sub(r"\.(?=[A-Za-z])", r".\\allowbreak{}", escape_latex(text)).replace(r"\_", r"\_\allowbreak{}")


def _weights(cells: list[list[str]], wrap: list[bool]) -> list[str]:
    """tabularx ``\\hsize`` factors for the wrapping columns, by their longest cell, summing to their count.

    Equal X columns would leave a long formula beside short prose cramped; the factors
    stay within [0.5, 1.5] so no column gets too narrow for its words.
    """
    longest = [max((tex_width(r[i]) for r in cells), default=1) for i, w in enumerate(wrap) if w]
    total = sum(longest) or 1
    factors = [min(1.5, max(0.5, len(longest) * n / total)) for n in longest]
    scale = len(longest) / (sum(factors) or 1)
    return [f"{f * scale:.2f}" for f in factors]


@register_format
class LatexRenderer(Renderer):
    """The document as a complete LaTeX file."""

    name = "tex"
    extensions = (".tex",)
    summary = "tex (pdflatex)"

    def render(self, doc: Document) -> str:
        head = [PREAMBLE.rstrip(), r"\begin{document}", r"\begin{center}",
                r"{\Large\bfseries " + escape_latex(doc.title) + r"\par}", r"\end{center}"]
        return "\n".join(head + self.parts(doc.parts) + ["", r"\end{document}"]) + "\n"

    # inlines
    def _print_str(self, s: str) -> str:
        return escape_latex(s)

    def _print_Math(self, m: Math) -> str:
        return f"${form_latex(m.form)}$"

    def _print_Verbatim(self, v: Verbatim) -> str:
        """Code set as typed: straight quotes, so a command copied from the PDF runs in a shell."""
        code = _paths(v.text).replace("'", r"\textquotesingle{}").replace("`", r"\textasciigrave{}")
        return r"\texttt{" + code + "}"

    def _print_Values(self, v: Values) -> str:
        return "$" + qualifier_latex(v.where).replace(r",\,", r",\ ") + "$"

    # cells
    def _cell_bool(self, b: bool) -> str:
        return "yes" if b else "no"

    def _cell_int(self, n: int) -> str:
        return grouped(n)

    def _cell_Fraction(self, f: Fraction) -> str:
        return escape_latex(share(f))

    def _cell_Rounded(self, r: Rounded) -> str:
        return r.text()

    def _cell_Basic(self, x) -> str:
        return f"${form_latex(Form(x))}$"

    # parts
    def _print_Heading(self, h: Heading) -> list[str]:
        return ["", _SECTIONS.get(h.level, r"\paragraph*") + "{" + _paths(h.text) + "}"]

    def _print_Para(self, p: Para) -> list[str]:
        return ["", self.inline(p.parts)]

    def _print_Bullets(self, b: Bullets) -> list[str]:
        return ["", r"\begin{itemize}"] + [r"\item " + self.inline(item) for item in b.items] + [r"\end{itemize}"]

    def _print_Chains(self, c: Chains) -> list[str]:
        rows = []
        entries = [latex_entry(chain, ROW_WIDTH, SIDE_BUDGET) for chain in c.chains]
        for mine in align_lines(entries, LINE - (_NUMBER if c.numbered else 0)):
            rows += [r + r" \notag" for r in mine[:-1]] + mine[-1:] if c.numbered else mine
        env = "align" if c.numbered else "align*"
        return [rf"\begin{{{env}}}"] + [row + r" \\" for row in rows[:-1]] + [rows[-1], rf"\end{{{env}}}"]

    def _print_Context(self, c: Context) -> list[str]:
        return ["", r"\emph{At $" + qualifier_latex(c.where) + "$:}"]

    def _print_Table(self, t: Table) -> list[str]:
        """A booktabs table at its natural width, or at the text width with its text and formula columns wrapping."""
        align = t.align or "l" * len(t.header)
        wrap = [_wraps([row[i] for row in t.rows]) for i in range(len(t.header))]
        body = [[self.cell(c) for c in row] for row in t.rows]
        hsize = iter(_weights(body, wrap))
        spec = "".join(r">{\raggedright\arraybackslash\hsize=" + next(hsize) + r"\hsize}X" if w else a
                       for a, w in zip(align, wrap))
        begin, end = ((r"\begin{tabularx}{\linewidth}{" + spec + "}", r"\end{tabularx}") if any(wrap)
                      else (r"\begin{tabular}{" + spec + "}", r"\end{tabular}"))
        header = [h if w else _header(h, a, max((len(r[i]) for r in body), default=0))
                  for i, (h, a, w) in enumerate(zip(t.header, align, wrap))]
        # A table that cannot wrap and would overrun the text width at \small is set a size smaller, closer.
        natural = sum(max([tex_width(r[i]) for r in body] + [min(len(header[i]), 8)]) + 3 for i in range(len(header)))
        size = r"\footnotesize\setlength{\tabcolsep}{3pt}" if not any(wrap) and natural > _SMALL_LINE else r"\small"
        lines = ["", r"\begin{center}\begin{minipage}{\linewidth}\centering", size,
                 r"\textbf{" + escape_latex(t.title) + r"}\\[0.5ex]", begin,
                 r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
        for cells in body:
            lines.append(" & ".join(_breakable(c) if w else c for c, w in zip(cells, wrap)) + r" \\")
        return lines + [r"\bottomrule", end, r"\end{minipage}\end{center}"]

    def _print_Bars(self, b: Bars) -> list[str]:
        lines = ["", r"\begin{center}\begin{minipage}{\linewidth}\centering", r"\small",
                 r"\textbf{" + escape_latex(b.title) + r"}\\[0.5ex]",
                 r"\begin{tabular}{lrrl}", r"\toprule", r"kind & parameters & share & \\", r"\midrule"]
        lines += [f"{escape_latex(label)} & {grouped(n)} & {escape_latex(share(s))} & {_bar(s)}" + r" \\"
                  for label, n, s in b.rows]
        return lines + [r"\bottomrule", r"\end{tabular}", r"\end{minipage}\end{center}"]

    def _print_Details(self, d: Details) -> list[str]:
        return ["", r"\paragraph*{" + _paths(d.summary) + ".}"] + self.parts(d.parts)
