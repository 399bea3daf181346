"""A complete LaTeX document for pdflatex, needing nothing beyond amsmath.

Text is escaped character by character (model names come from users' files);
chains are ``align*`` environments broken where the text rendering breaks them;
the bar chart becomes a table whose bars are ``\\rule``s of exact proportion.
"""

from __future__ import annotations

from fractions import Fraction

from ..format import grouped, share
from .document import (Bars, Bullets, Chains, Code, Context, Details, Document, Heading, Math, Para, Rounded, Table,
                       Values)
from .markdown import chain_lines
from .math import Form, escape_latex, latex, qualifier_latex

__all__ = ["render", "PREAMBLE", "BAR_CM"]

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


def _tt(s: str) -> str:
    return r"\texttt{" + escape_latex(s) + "}"


def _inline(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append(f"${latex(p.form)}$")
        elif isinstance(p, Code):
            out.append(_tt(p.text))
        elif isinstance(p, Values):
            out.append("$" + qualifier_latex(p.where).replace(r",\,", r",\ ") + "$")
        else:
            out.append(escape_latex(str(p)))
    return "".join(out)


def _cell(c) -> str:
    if isinstance(c, bool):
        return "yes" if c else "no"
    if isinstance(c, int):
        return grouped(c)
    if isinstance(c, Fraction):
        return escape_latex(share(c))
    if isinstance(c, Rounded):
        return c.text()
    if isinstance(c, (Math, Code, Values)):
        return _inline((c,))
    if hasattr(c, "is_Integer"):
        return f"${latex(Form(c))}$"
    return escape_latex(str(c))


def _table(t: Table) -> list[str]:
    align = t.align or "l" * len(t.header)
    lines = [r"\begin{center}", r"\small", escape_latex(t.title) + r"\\[0.5ex]",
             r"\begin{tabular}{" + align + "}", r"\hline"]
    lines.append(" & ".join(escape_latex(h) for h in t.header) + r" \\ \hline")
    lines += [" & ".join(_cell(c) for c in row) + r" \\" for row in t.rows]
    return lines + [r"\hline", r"\end{tabular}", r"\end{center}"]


def _bar(s: Fraction) -> str:
    cm = Fraction(s) * BAR_CM
    return r"\rule{" + f"{float(cm):.3f}" + r"cm}{1.2ex}" if cm > 0 else ""


def _bars(b: Bars) -> list[str]:
    lines = [r"\begin{center}", r"\small", escape_latex(b.title) + r"\\[0.5ex]", r"\begin{tabular}{lrrl}", r"\hline",
             r"kind & parameters & share & \\ \hline"]
    lines += [f"{escape_latex(label)} & {grouped(n)} & {escape_latex(share(s))} & {_bar(s)}" + r" \\"
              for label, n, s in b.rows]
    return lines + [r"\hline", r"\end{tabular}", r"\end{center}"]


def _chains(c: Chains) -> list[str]:
    rows = [row for chain in c.chains for row in chain_lines(chain)]
    return [r"\begin{align*}"] + [row + r" \\" for row in rows[:-1]] + [rows[-1], r"\end{align*}"]


def _blocks(blocks) -> list[str]:
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            cmd = _SECTIONS.get(b.level, r"\paragraph*")
            lines += ["", cmd + "{" + escape_latex(b.text) + "}"]
        elif isinstance(b, Para):
            lines += ["", _inline(b.parts)]
        elif isinstance(b, Bullets):
            lines += ["", r"\begin{itemize}"] + [r"\item " + _inline(item) for item in b.items] + [r"\end{itemize}"]
        elif isinstance(b, Chains):
            lines += _chains(b)
        elif isinstance(b, Context):
            lines += ["", r"\emph{At $" + qualifier_latex(b.where) + "$:}"]
        elif isinstance(b, Table):
            lines += _table(b)
        elif isinstance(b, Bars):
            lines += _bars(b)
        elif isinstance(b, Details):
            lines += ["", r"\paragraph*{" + escape_latex(b.summary) + ".}"] + _blocks(b.blocks)
        else:  # pragma: no cover - a new block type without a LaTeX rendering
            raise TypeError(f"cannot render {type(b).__name__} as LaTeX")
    return lines


def render(doc: Document) -> str:
    """The document as a complete LaTeX file."""
    head = [PREAMBLE.rstrip(), r"\title{" + escape_latex(doc.title) + "}", r"\date{}", r"\begin{document}",
            r"\maketitle"]
    return "\n".join(head + _blocks(doc.blocks) + ["", r"\end{document}"]) + "\n"
