"""Markdown for GitHub: math in ``$...$`` and ``$$...$$``, tables as pipe tables, bars as text.

Display math is one block per chain (an ``aligned`` environment when it spans
rows), broken exactly where the text rendering breaks it, so the formats read alike.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..format import MD_SPECIALS, grouped, share, visible
from .chains import latex_rows
from .document import Bars, Bullets, Chains, Context, Details, Document, Heading, Math, Para, Rounded, Table, Values, Verbatim
from .math import Form, form_latex, qualifier_latex
from .render import Renderer, register_format
from .text import bar_lines

__all__ = ["MarkdownRenderer", "MD_SPECIALS", "code_span"]

def code_span(s: str) -> str:
    """``s`` as an inline code span: a fence longer than any backtick run inside it, control characters escaped.

    Inside a code span Markdown reads nothing as markup (HTML included) until a run of
    backticks as long as the fence; a longer fence makes that impossible.
    """
    s = visible(s)
    runs = [len(r) for r in re.findall("`+", s)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


@register_format
class MarkdownRenderer(Renderer):
    """The document as GitHub Markdown."""

    name = "md"
    extensions = (".md", ".markdown")
    summary = "md (GitHub Markdown)"

    def render(self, doc: Document) -> str:
        lines = ["# " + doc.title.translate(MD_SPECIALS), ""] + self.parts(doc.parts)
        return "\n".join(visible(line) for line in lines).rstrip() + "\n"

    # inlines
    def _print_str(self, s: str) -> str:
        return s.translate(MD_SPECIALS)

    def _print_Math(self, m: Math) -> str:
        return f"${form_latex(m.form)}$"

    def _print_Verbatim(self, v: Verbatim) -> str:
        return code_span(v.text)

    def _print_Values(self, v: Values) -> str:
        return "$" + qualifier_latex(v.where).replace(r",\,", r",\ ") + "$"

    # cells
    def _cell_bool(self, b: bool) -> str:
        return "yes" if b else "no"

    def _cell_int(self, n: int) -> str:
        return grouped(n)

    def _cell_Fraction(self, f: Fraction) -> str:
        return share(f)

    def _cell_Rounded(self, r: Rounded) -> str:
        return r.text()

    def _cell_Basic(self, x) -> str:
        return f"${form_latex(Form(x))}$"

    # parts
    def _print_Heading(self, h: Heading) -> list[str]:
        return ["#" * h.level + " " + h.text.translate(MD_SPECIALS), ""]

    def _print_Para(self, p: Para) -> list[str]:
        return [self.inline(p.parts), ""]

    def _print_Bullets(self, b: Bullets) -> list[str]:
        return ["- " + self.inline(item) for item in b.items] + [""]

    def _print_Chains(self, c: Chains) -> list[str]:
        """One display per chain: GitHub's math is most reliable with short blocks, each row on its own line."""
        lines: list[str] = []
        for chain in c.chains:
            rows = latex_rows(chain)
            if len(rows) == 1:
                lines += ["$$", rows[0].replace(" &", " ", 1), "$$", ""]
            else:
                lines += ["$$", r"\begin{aligned}"] + [row + r" \\" for row in rows[:-1]] + [
                    rows[-1], r"\end{aligned}", "$$", ""]
        return lines[:-1] + [""]

    def _print_Context(self, c: Context) -> list[str]:
        return ["*At $" + qualifier_latex(c.where) + "$:*", ""]

    def _print_Table(self, t: Table) -> list[str]:
        align = t.align or "l" * len(t.header)
        rule = ["---:" if a == "r" else "---" for a in align]
        lines = [f"*{t.title}*", "", "| " + " | ".join(h.translate(MD_SPECIALS) for h in t.header) + " |",
                 "|" + "|".join(rule) + "|"]
        lines += ["| " + " | ".join(self.cell(c) for c in row) + " |" for row in t.rows]
        return lines + [""]

    def _print_Bars(self, b: Bars) -> list[str]:
        return ["```text"] + bar_lines(b) + ["```", ""]

    def _print_Details(self, d: Details) -> list[str]:
        return ["<details>", f"<summary>{d.summary}</summary>", ""] + self.parts(d.parts) + ["</details>", ""]
