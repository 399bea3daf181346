"""Plain text for a terminal: underlined headings, aligned tables, chains one per line.

The layout is also a contract with the tests: a chain is ``label = side = ... =
value ≈ rounded`` on one line, or with each further side on its own line starting
``= `` or ``≈ ``; a line ``At S=v; ...:`` evaluates what follows, up to the next
heading, at those values. That is what makes every number checkable.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

from ..format import grouped, share
from .document import (Bars, Bullets, Chain, Chains, Code, Context, Details, Document, Heading, Math, Para, Table,
                       Values)
from .math import Form, number_text, qualifier_text, text, value_text

__all__ = ["render", "chain_sides", "one_line", "values", "WIDTH", "BAR"]

WIDTH = 100
BAR = "█"


def _inline(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append(text(p.form))
        elif isinstance(p, Code):
            out.append(p.text)
        elif isinstance(p, Values):
            out.append(values(p.where))
        else:
            out.append(str(p).replace(" = ", "="))  # in text, " = " marks a chain and nothing else
    return "".join(out)


def values(where) -> str:
    """``D=512, H=4, L=8`` (no spaces around '=': in text, ' = ' marks a chain)."""
    return ", ".join(f"{k}={number_text(v)}" for k, v in where)


def one_line(chain: Chain) -> bool:
    """Whether a chain fits on one line; every format breaks the same chains."""
    return len(text(chain.label)) + 1 + len(" ".join(chain_sides(chain))) + 2 <= WIDTH


def cell(c) -> str:
    """A table cell as text: counts with separators, shares as percentages."""
    from .document import Rounded

    if isinstance(c, bool):
        return "yes" if c else "no"
    if isinstance(c, int):
        return grouped(c)
    if isinstance(c, Fraction):
        return share(c)
    if isinstance(c, Rounded):
        return c.text()
    if isinstance(c, (Math, Code)):
        return _inline((c,))
    if hasattr(c, "is_Integer"):
        return text(Form(c))
    return str(c)


def chain_sides(chain: Chain) -> list[str]:
    """The sides after the label, deduplicated: '= a', '= b', ..., '≈ r'."""
    exact, rounded = value_text(chain.value, chain.style)
    sides = []
    for form in chain.sides:
        t = text(form)
        if (not sides or sides[-1] != "= " + t) and t != exact:
            sides.append("= " + t)
    if exact:
        sides.append("= " + exact)
    if rounded:
        sides.append("≈ " + rounded)
    return sides


def _chain(chain: Chain, indent: str) -> list[str]:
    label = text(chain.label)
    sides = chain_sides(chain)
    if one_line(chain):
        return [f"{indent}{label} " + " ".join(sides)]
    pad = indent + " " * (len(label) + 1)
    return [f"{indent}{label} {sides[0]}"] + [pad + s for s in sides[1:]]


def _table(t: Table, indent: str) -> list[str]:
    cells = [tuple(t.header)] + [tuple(cell(c) for c in row) for row in t.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(t.header))]
    align = t.align or "l" * len(t.header)
    lines = [indent + t.title + ":"]
    for n, row in enumerate(cells):
        parts = [x.rjust(w) if a == "r" else x.ljust(w) for x, w, a in zip(row, widths, align)]
        lines.append((indent + "  " + "  ".join(parts)).rstrip())
        if n == 0:
            lines.append(indent + "  " + "  ".join("-" * w for w in widths))
    return lines


def _bars(b: Bars, indent: str, width: int = 40) -> list[str]:
    rows = [(label, grouped(n), share(s), BAR * max(1, round(s * width)) if s > 0 else "") for label, n, s in b.rows]
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [indent + b.title + ":"]
    for label, n, s, bar in rows:
        lines.append(f"{indent}  {label.ljust(w[0])}  {n.rjust(w[1])}  {s.rjust(w[2])}  {bar}".rstrip())
    return lines


def _blocks(blocks, indent: str = "") -> list[str]:
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            if b.level <= 3:
                lines += ["", indent + b.text, indent + ("=" if b.level == 2 else "-") * len(b.text)]
            else:
                lines += ["", indent + "▸ " + b.text]
        elif isinstance(b, Para) and not b.wrap:
            lines += ["", indent + _inline(b.parts)]
        elif isinstance(b, Para):
            lines += [""] + textwrap.wrap(_inline(b.parts), WIDTH, initial_indent=indent, subsequent_indent=indent,
                                         break_on_hyphens=False)
        elif isinstance(b, Bullets):
            lines.append("")
            for item in b.items:
                lines += textwrap.wrap(_inline(item), WIDTH, initial_indent=indent + "  - ",
                                       subsequent_indent=indent + "    ", break_on_hyphens=False)
        elif isinstance(b, Chains):
            lines.append("")
            for c in b.chains:
                lines += _chain(c, indent + "  ")
        elif isinstance(b, Context):
            lines += ["", f"{indent}At {qualifier_text(b.where)}:"]
        elif isinstance(b, Table):
            lines += [""] + _table(b, indent)
        elif isinstance(b, Bars):
            lines += [""] + _bars(b, indent)
        elif isinstance(b, Details):
            lines += ["", indent + b.summary + ":"] + _blocks(b.blocks, indent + "    ")
        else:  # pragma: no cover - a new block type without a text rendering
            raise TypeError(f"cannot render {type(b).__name__} as text")
    return lines


def render(doc: Document) -> str:
    """The document as terminal text."""
    lines = [doc.title, "#" * len(doc.title)] + _blocks(doc.blocks)
    return "\n".join(lines).strip() + "\n"
