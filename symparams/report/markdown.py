"""Markdown for GitHub: math in ``$...$`` and ``$$...$$``, tables as pipe tables, bars as text.

Display math is one block per chain (an ``aligned`` environment when it spans
rows), broken exactly where the text rendering breaks it, so the formats read alike.
"""

from __future__ import annotations

from fractions import Fraction

from ..format import grouped, share
from .document import (Bars, Bullets, Chain, Chains, Code, Context, Details, Document, Heading, Math, Para, Rounded,
                       Table, Values)
from .math import Form, latex, qualifier_latex, value_latex
from .text import _bars, one_line

__all__ = ["render", "chain_lines", "inline"]

_MD_SPECIALS = str.maketrans({"*": r"\*", "_": r"\_", "|": r"\|", "<": "&lt;", ">": "&gt;", "$": r"\$"})


def _code(s: str) -> str:
    fence = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def inline(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append(f"${latex(p.form)}$")
        elif isinstance(p, Code):
            out.append(_code(p.text))
        elif isinstance(p, Values):
            out.append("$" + qualifier_latex(p.where).replace(r",\,", r",\ ") + "$")
        else:
            out.append(str(p).translate(_MD_SPECIALS))
    return "".join(out)


def _cell(c) -> str:
    if isinstance(c, bool):
        return "yes" if c else "no"
    if isinstance(c, int):
        return grouped(c)
    if isinstance(c, Fraction):
        return share(c)
    if isinstance(c, Rounded):
        return c.text()
    if isinstance(c, (Math, Code, Values)):
        return inline((c,))
    if hasattr(c, "is_Integer"):
        return f"${latex(Form(c))}$"
    return str(c).translate(_MD_SPECIALS)


def chain_lines(chain: Chain) -> list[str]:
    """One chain as rows of an ``aligned`` environment (without the final ``\\\\``)."""
    exact, rounded = value_latex(chain.value, chain.style)
    sides: list[str] = []
    for form in chain.sides:
        t = latex(form)
        if (not sides or sides[-1] != "= " + t) and t != exact:
            sides.append("= " + t)
    if exact:
        sides.append("= " + exact)
    if rounded:
        sides.append(r"\approx " + rounded)
    label = latex(chain.label)
    if one_line(chain):
        return [f"{label} &" + " ".join(sides)]
    return [f"{label} &{sides[0]}"] + [f"&{s}" for s in sides[1:]]


def _chains(c: Chains) -> list[str]:
    """One display per chain: GitHub's math is most reliable with short blocks, each row on its own line."""
    lines: list[str] = []
    for chain in c.chains:
        rows = chain_lines(chain)
        if len(rows) == 1:
            lines += ["$$", rows[0].replace(" &", " ", 1), "$$", ""]
        else:
            lines += ["$$", r"\begin{aligned}"] + [row + r" \\" for row in rows[:-1]] + [rows[-1], r"\end{aligned}",
                                                                                        "$$", ""]
    return lines[:-1]


def _table(t: Table) -> list[str]:
    align = t.align or "l" * len(t.header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [f"*{t.title}*", "", "| " + " | ".join(h.translate(_MD_SPECIALS) for h in t.header) + " |",
             "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    return lines


def _blocks(blocks) -> list[str]:
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            lines += ["#" * b.level + " " + b.text.translate(_MD_SPECIALS), ""]
        elif isinstance(b, Para):
            lines += [inline(b.parts), ""]
        elif isinstance(b, Bullets):
            lines += ["- " + inline(item) for item in b.items] + [""]
        elif isinstance(b, Chains):
            lines += _chains(b) + [""]
        elif isinstance(b, Context):
            lines += ["*At $" + qualifier_latex(b.where) + "$:*", ""]
        elif isinstance(b, Table):
            lines += _table(b) + [""]
        elif isinstance(b, Bars):
            lines += ["```text"] + _bars(b, "") + ["```", ""]
        elif isinstance(b, Details):
            lines += ["<details>", f"<summary>{b.summary}</summary>", ""] + _blocks(b.blocks) + ["</details>", ""]
        else:  # pragma: no cover - a new block type without a Markdown rendering
            raise TypeError(f"cannot render {type(b).__name__} as Markdown")
    return lines


def render(doc: Document) -> str:
    """The document as GitHub Markdown."""
    lines = ["# " + doc.title.translate(_MD_SPECIALS), ""] + _blocks(doc.blocks)
    return "\n".join(lines).rstrip() + "\n"
