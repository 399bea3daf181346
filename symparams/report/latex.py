"""A complete LaTeX document for pdflatex, needing nothing beyond amsmath.

Text is escaped character by character (model names come from users' files);
chains are ``align*`` environments broken where the text rendering breaks them;
the bar chart becomes a table whose bars are ``\\rule``s of exact proportion.
"""

from __future__ import annotations

from fractions import Fraction

from ..format import grouped, share
from .chains import latex_rows
from .document import (Bars, Bullets, Chains, Context, Details, Document, Heading, Math, Para, Rounded, Table, Values,
                       Verbatim)
from .math import Form, escape_latex, form_latex, qualifier_latex
from .render import Renderer, register_format

__all__ = ["LatexRenderer", "PREAMBLE", "BAR_CM"]

BAR_CM = 6

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage{amsmath}
\setlength{\textwidth}{16.5cm}
\setlength{\oddsidemargin}{-0.25cm}
\setlength{\evensidemargin}{-0.25cm}
\setlength{\textheight}{23cm}
\setlength{\topmargin}{-1cm}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\allowdisplaybreaks
\sloppy
"""

_SECTIONS = {2: r"\section*", 3: r"\subsection*", 4: r"\subsubsection*"}


def _bar(s: Fraction) -> str:
    cm = Fraction(s) * BAR_CM
    return r"\rule{" + f"{float(cm):.3f}" + r"cm}{1.2ex}" if cm > 0 else ""


@register_format
class LatexRenderer(Renderer):
    """The document as a complete LaTeX file."""

    name = "tex"
    extensions = (".tex",)
    summary = "tex (pdflatex)"

    def render(self, doc: Document) -> str:
        head = [PREAMBLE.rstrip(), r"\title{" + escape_latex(doc.title) + "}", r"\date{}", r"\begin{document}",
                r"\maketitle"]
        return "\n".join(head + self.parts(doc.parts) + ["", r"\end{document}"]) + "\n"

    # inlines
    def _print_str(self, s: str) -> str:
        return escape_latex(s)

    def _print_Math(self, m: Math) -> str:
        return f"${form_latex(m.form)}$"

    def _print_Verbatim(self, v: Verbatim) -> str:
        return r"\texttt{" + escape_latex(v.text) + "}"

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
        return ["", _SECTIONS.get(h.level, r"\paragraph*") + "{" + escape_latex(h.text) + "}"]

    def _print_Para(self, p: Para) -> list[str]:
        return ["", self.inline(p.parts)]

    def _print_Bullets(self, b: Bullets) -> list[str]:
        return ["", r"\begin{itemize}"] + [r"\item " + self.inline(item) for item in b.items] + [r"\end{itemize}"]

    def _print_Chains(self, c: Chains) -> list[str]:
        rows = [row for chain in c.chains for row in latex_rows(chain)]
        return [r"\begin{align*}"] + [row + r" \\" for row in rows[:-1]] + [rows[-1], r"\end{align*}"]

    def _print_Context(self, c: Context) -> list[str]:
        return ["", r"\emph{At $" + qualifier_latex(c.where) + "$:}"]

    def _print_Table(self, t: Table) -> list[str]:
        align = t.align or "l" * len(t.header)
        lines = [r"\begin{center}", r"\small", escape_latex(t.title) + r"\\[0.5ex]",
                 r"\begin{tabular}{" + align + "}", r"\hline"]
        lines.append(" & ".join(escape_latex(h) for h in t.header) + r" \\ \hline")
        lines += [" & ".join(self.cell(c) for c in row) + r" \\" for row in t.rows]
        return lines + [r"\hline", r"\end{tabular}", r"\end{center}"]

    def _print_Bars(self, b: Bars) -> list[str]:
        lines = [r"\begin{center}", r"\small", escape_latex(b.title) + r"\\[0.5ex]", r"\begin{tabular}{lrrl}",
                 r"\hline", r"kind & parameters & share & \\ \hline"]
        lines += [f"{escape_latex(label)} & {grouped(n)} & {escape_latex(share(s))} & {_bar(s)}" + r" \\"
                  for label, n, s in b.rows]
        return lines + [r"\hline", r"\end{tabular}", r"\end{center}"]

    def _print_Details(self, d: Details) -> list[str]:
        return ["", r"\paragraph*{" + escape_latex(d.summary) + ".}"] + self.parts(d.parts)
