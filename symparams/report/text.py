"""Plain text for a terminal: underlined headings, aligned tables, chains one per line.

The layout is also a contract with the tests: a chain is ``label = side = ... =
value ≈ rounded`` on one line, or with each further side on its own line starting
``= `` or ``≈ ``; a line ``At S=v; ...:`` evaluates what follows, up to the next
heading, at those values. That is what makes every number checkable.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

from ..format import grouped, share, visible
from .chains import WIDTH, fits_one_line, text_sides
from .document import (
    Bars,
    Bullets,
    Chain,
    Chains,
    Context,
    Details,
    Document,
    Heading,
    Math,
    Para,
    Rounded,
    Table,
    Values,
    Verbatim,
)
from .math import Form, form_text, number_text, qualifier_text
from .render import Renderer, register_format

__all__ = ["TextRenderer", "values_text", "bar_lines", "BAR"]

BAR = "█"


def values_text(where) -> str:
    """``D=512, H=4, L=8`` (no spaces around '=': in text, ' = ' marks a chain)."""
    return ", ".join(f"{k}={number_text(v)}" for k, v in where)


def bar_lines(b: Bars, indent: str = "", width: int = 40) -> list[str]:
    """A bar chart of shares in characters: label, count, share, and a bar of ``width`` for 100%."""
    rows = [(label, grouped(n), share(s), BAR * max(1, round(s * width)) if s > 0 else "") for label, n, s in b.rows]
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [indent + b.title + ":"]
    for label, n, s, bar in rows:
        lines.append(f"{indent}  {label.ljust(w[0])}  {n.rjust(w[1])}  {s.rjust(w[2])}  {bar}".rstrip())
    return lines


@register_format
class TextRenderer(Renderer):
    """The document as terminal text."""

    name = "text"
    extensions = (".txt", ".text")
    summary = "text (terminal)"

    def __init__(self) -> None:
        self.indent = ""

    def render(self, doc: Document) -> str:
        lines = [doc.title, "#" * len(doc.title)] + self.parts(doc.parts)
        # A name or path may hold control characters (an escape sequence, a newline): shown, never sent.
        return "\n".join(visible(line) for line in lines).strip() + "\n"

    # inlines
    def _print_str(self, s: str) -> str:
        return s.replace(" = ", "=")  # in text, " = " marks a chain and nothing else

    def _print_Math(self, m: Math) -> str:
        return form_text(m.form)

    def _print_Verbatim(self, v: Verbatim) -> str:
        return v.text

    def _print_Values(self, v: Values) -> str:
        return values_text(v.where)

    # cells: counts with separators, shares as percentages
    def _cell_str(self, s: str) -> str:
        return s

    def _cell_bool(self, b: bool) -> str:
        return "yes" if b else "no"

    def _cell_int(self, n: int) -> str:
        return grouped(n)

    def _cell_Fraction(self, f: Fraction) -> str:
        return share(f)

    def _cell_Rounded(self, r: Rounded) -> str:
        return r.text()

    def _cell_Basic(self, x) -> str:
        return form_text(Form(x))

    # parts
    def _print_Heading(self, h: Heading) -> list[str]:
        if h.level <= 3:
            return ["", self.indent + h.text, self.indent + ("=" if h.level == 2 else "-") * len(h.text)]
        return ["", self.indent + "▸ " + h.text]

    def _print_Para(self, p: Para) -> list[str]:
        if not p.wrap:
            return ["", self.indent + self.inline(p.parts)]
        return [""] + textwrap.wrap(self.inline(p.parts), WIDTH, initial_indent=self.indent,
                                    subsequent_indent=self.indent, break_on_hyphens=False)

    def _print_Bullets(self, b: Bullets) -> list[str]:
        lines = [""]
        for item in b.items:
            lines += textwrap.wrap(self.inline(item), WIDTH, initial_indent=self.indent + "  - ",
                                   subsequent_indent=self.indent + "    ", break_on_hyphens=False)
        return lines

    def _chain(self, chain: Chain, indent: str) -> list[str]:
        label = form_text(chain.label)
        sides = text_sides(chain)
        if fits_one_line(chain):
            return [f"{indent}{label} " + " ".join(sides)]
        pad = indent + " " * (len(label) + 1)
        return [f"{indent}{label} {sides[0]}"] + [pad + s for s in sides[1:]]

    def _print_Chains(self, c: Chains) -> list[str]:
        return [""] + [line for chain in c.chains for line in self._chain(chain, self.indent + "  ")]

    def _print_Context(self, c: Context) -> list[str]:
        return ["", f"{self.indent}At {qualifier_text(c.where)}:"]

    def _print_Table(self, t: Table) -> list[str]:
        cells = [tuple(t.header)] + [tuple(self.cell(c) for c in row) for row in t.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(t.header))]
        align = t.align or "l" * len(t.header)
        lines = ["", self.indent + t.title + ":"]
        for n, row in enumerate(cells):
            parts = [x.rjust(w) if a == "r" else x.ljust(w) for x, w, a in zip(row, widths, align)]
            lines.append((self.indent + "  " + "  ".join(parts)).rstrip())
            if n == 0:
                lines.append(self.indent + "  " + "  ".join("-" * w for w in widths))
        return lines

    def _print_Bars(self, b: Bars) -> list[str]:
        return [""] + bar_lines(b, self.indent)

    def _print_Details(self, d: Details) -> list[str]:
        outer = self.indent
        lines = ["", outer + d.summary + ":"]
        self.indent = outer + "    "
        try:
            return lines + self.parts(d.parts)
        finally:
            self.indent = outer
