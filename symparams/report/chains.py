"""One equation chain, written out: its sides as text and as LaTeX rows, broken the same way.

Every format breaks a chain where the text rendering breaks it (a line longer than
:data:`WIDTH`), so the terminal, Markdown and LaTeX versions of a document read alike.
"""

from __future__ import annotations

import re

from .document import Chain
from .math import Form, form_latex, form_text, value_latex, value_text

__all__ = ["WIDTH", "LINE", "text_sides", "fits_one_line", "latex_rows", "latex_entry", "align_lines", "latex_side",
           "tex_width"]

# Width of a terminal line, and the line a chain must fit to stay on one row in text and Markdown.
WIDTH = 100
# Characters of :func:`tex_width` one display line holds at 10pt on a 455pt text width (about 4pt each).
LINE = 108


def text_sides(chain: Chain) -> list[str]:
    """The sides after the label, deduplicated: '= a', '= b', ..., '≈ r'."""
    exact, rounded = value_text(chain.value, chain.style)
    sides: list[str] = []
    for form in chain.sides:
        t = form_text(form)
        if (not sides or sides[-1] != "= " + t) and t != exact:
            sides.append("= " + t)
    if exact:
        sides.append("= " + exact)
    if rounded:
        sides.append("≈ " + rounded)
    return sides


def fits_one_line(chain: Chain, width: int = WIDTH) -> bool:
    """Whether a chain fits on one line of ``width`` characters of its text rendering."""
    return len(form_text(chain.label)) + 1 + len(" ".join(text_sides(chain))) + 2 <= width


def tex_width(tex: str) -> int:
    """Roughly how many characters of text ``tex`` sets as: commands and braces dropped, ``\\times`` as ``×``."""
    for cmd, shown in ((r"\left", ""), (r"\right", ""), (r"\bigl", ""), (r"\bigr", ""), (r"\mathrm", ""),
                       (r"\times", " x "), (r"\cdot", "x"), (r"\approx", " ~ "), (r"\frac", ""), (r"\,", ""),
                       ("{,}", ","), ("{", ""), ("}", "")):
        tex = tex.replace(cmd, shown)
    return len(tex)


# Characters of a continued row's \qquad indent, which a row cut from a side's head must leave room for.
_INDENT = 8


def _groups(tex: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost ``\\left( ... \\right)`` outside every brace (not in a ``\\frac``).

    ``end`` is where the group's ``\\right`` begins.
    """
    out: list[tuple[int, int]] = []
    stack: list[tuple[int, int]] = []
    brace, i = 0, 0
    while i < len(tex):
        if tex.startswith(r"\left", i):
            stack.append((i, brace))
            i += 5
        elif tex.startswith(r"\right", i):
            start, level = stack.pop()
            if not stack and level == 0:
                out.append((start, i))
            i += 6
        else:
            brace += {"{": 1, "}": -1}.get(tex[i], 0)
        i += 1
    return out


def _top_terms(inner: str) -> list[str]:
    """``inner`` cut before each ``+`` or ``-`` between terms that is outside every group and brace."""
    cuts, depth = [0], 0
    for i, ch in enumerate(inner):
        if inner.startswith(r"\left", i) or ch == "{":
            depth += 1
        elif inner.startswith(r"\right", i) or ch == "}":
            depth -= 1
        elif depth == 0 and ch in "+-" and i > 0 and inner[i - 1] == " " and inner[i + 1:i + 2] == " ":
            cuts.append(i)
    return [inner[a:b].strip() for a, b in zip(cuts, cuts[1:] + [len(inner)])]


def _braced(tex: str, i: int) -> int:
    """The index just past the brace group that opens at ``tex[i]``."""
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return j + 1
    return len(tex)


def _unfrac(tex: str) -> str:
    """A piece that is one fraction, ``[+ ]\\frac{a}{b}``, as ``[+ ]\\left(a\\right) / b``, whose ``a`` can be cut."""
    sign = tex[:2] if tex[:2] in ("+ ", "- ") else ""
    body = tex[len(sign):]
    if not body.startswith(r"\frac{"):
        return tex
    mid = _braced(body, 5)
    if body[mid:mid + 1] != "{" or _braced(body, mid) != len(body):
        return tex
    den = body[mid + 1:-1]
    den = den if den.replace("{,}", "").isalnum() else r"\left(" + den + r"\right)"
    return sign + r"\left(" + body[6:mid - 1] + r"\right) / " + den


def _split_group(tex: str, budget: int, depth: int = 0) -> list[str]:
    """A piece too wide for a row, cut inside its widest parentheses: ``\\bigl(`` on the first row, ``\\bigr)`` on the last.

    A fraction is first written as ``(numerator) / denominator``; parentheses that hold a
    single product are opened in turn, so the cut falls between terms of the innermost sum.
    """
    whole, tex = tex, _unfrac(tex)
    groups = _groups(tex)
    if not groups or depth > 4:
        return [whole]
    start, end = max(groups, key=lambda g: g[1] - g[0])
    if tex[start + 5:start + 6] != "(" or tex[end + 6:end + 7] != ")":
        return [whole]
    head, inner, tail = tex[:start], tex[start + 6:end], tex[end + 7:]
    before: list[str] = []
    if tex_width(head) + _INDENT > budget:  # a numerator too wide on its own is cut too, before the widest group opens
        before = _split_group(head, budget - _INDENT, depth + 1)
        head = before.pop()
    terms = _top_terms(inner)
    if len(terms) == 1:
        parts = _split_group(inner, budget, depth + 1)
        if len(parts) == 1:
            return [whole] if not before else [*before, head + r"\bigl(" + inner + r"\bigr)" + tail]
        return [*before, head + r"\bigl(" + parts[0], *parts[1:-1], *_closed(parts[-1] + r"\bigr)", tail, budget, depth)]
    rows: list[str] = list(before)
    if head.strip() and tex_width(head + terms[0]) + 2 > budget:  # a wide numerator keeps a row of its own
        rows.append(head.rstrip())
        head = ""
    line = opened = head + r"\bigl("
    for term in terms:
        if line != opened:
            if tex_width(line + " " + term) > budget:
                rows.append(line)
                line = term
                continue
            line += " "
        line += term
    rows += _closed(line + r"\bigr)", tail, budget, depth)
    return rows if len(rows) > 1 else [whole]


def _closed(last: str, tail: str, budget: int, depth: int) -> list[str]:
    """The last row of a cut group and what follows it (`` / (denominator)``), itself cut when too wide."""
    if not tail.strip() or tex_width(last + tail) + _INDENT <= budget:
        return [last + tail]
    rest = _split_group(tail.strip(), budget - _INDENT, depth + 1)
    if tail.startswith(" ") and tex_width(last + tail) > tex_width(last + " " + rest[0]) and \
            tex_width(last + " " + rest[0]) + _INDENT <= budget:
        return [last + " " + rest[0], *rest[1:]]
    return [last, *rest]


def latex_side(form: Form, budget: int | None = None) -> list[str]:
    """One side in LaTeX as display rows of about ``budget`` text characters each.

    A sum too long for one row is cut between its terms (each further row starting
    ``\\quad +``); a term still too long is cut inside its widest parentheses, which
    become ``\\bigl( ... \\bigr)`` across the rows (``\\qquad``). Without a budget, one row.
    """
    if budget is None:
        return [form_latex(form)]
    expr = form.expr
    pieces: list[str] = []
    if expr.is_Add and len(form_text(form)) > budget:
        terms = list(expr.args) if form.keep_order else expr.as_ordered_terms()
        line, width = "", 0
        for term in terms:
            part = Form(term, form.numbers, form.keep_order)
            tex, size = form_latex(part), len(form_text(part)) + 3
            signed = tex if tex.startswith("-") else "+ " + tex
            if not line:
                line, width = tex, size
            elif width + size > budget:
                pieces.append(line)
                line, width = signed, size
            else:
                line, width = line + " " + signed, width + size
        pieces.append(line)
    else:
        pieces = [form_latex(form)]
    rows: list[str] = []
    for i, piece in enumerate(pieces):
        cut = _split_group(piece, budget) if tex_width(piece) > budget else [piece]
        rows += ([cut[0]] if i == 0 else [r"\quad " + cut[0]]) + [r"\qquad " + r for r in cut[1:]]
    return rows


def latex_rows(chain: Chain, width: int = WIDTH, budget: int | None = None) -> list[str]:
    """One chain as rows of an ``aligned`` environment (without the final ``\\\\``).

    A chain longer than ``width`` text characters gets one row per side; with a
    ``budget``, a side longer than that is cut between its terms onto further rows.
    """
    label, rows = latex_entry(chain, width, budget)
    return [f"{label} &{rows[0]}"] + [f"&{r}" for r in rows[1:]]


def align_lines(entries: list[tuple[str, list[str]]], line: int = LINE) -> list[list[str]]:
    """Each ``(label, right-hand rows)`` as rows of one ``align``: ``label &row``, then ``&row``.

    An align is as wide as its widest label plus its widest right-hand row, whichever
    equations they come from. While the two overrun ``line`` characters, the widest label
    still on the left moves to a row of its own, its equation indented under it.
    """
    labels = [tex_width(label) for label, _ in entries]
    rights = [max(tex_width(r) for r in rows) for _, rows in entries]
    moved: set[int] = set()

    def fits() -> bool:
        left = max((w for i, w in enumerate(labels) if i not in moved), default=0)
        right = max(max(labels[i], rights[i] + 4) if i in moved else rights[i] for i in range(len(entries)))
        return left + right <= line

    for i in sorted(range(len(entries)), key=lambda i: -labels[i]):
        if not entries or fits():
            break
        moved.add(i)
    out = []
    for i, (label, rows) in enumerate(entries):
        if i not in moved:
            out.append([f"{label} &{rows[0]}"] + [f"&{r}" for r in rows[1:]])
            continue
        head = _label_rows(label, line)
        out.append([f"&{head[0]}"] + [rf"&\quad {r}" for r in head[1:]] + [rf"&\qquad {r}" for r in rows])
    return out


# Printed characters (see :func:`_printed_width`) a label on a row of its own holds: fitted to the widest
# labels of the shipped documents, which print within the margin (81), and one that ran 37 pt past it (95).
_LABEL_LINE = 86
_SUBSCRIPT = re.compile(r"_\{((?:[^{}]|\{[^{}]*\})*)\}")


def _printed_width(tex: str) -> float:
    r"""Roughly how wide ``tex`` prints, in characters: a fraction as its wider part (numerator over
    denominator, not beside it), script-size subscripts at 0.7 of a character, ``\_`` as one."""
    def width(piece: str) -> float:
        piece = piece.replace(r"\_", "_")
        subscripts = sum(tex_width(m) for m in _SUBSCRIPT.findall(piece))
        return tex_width(_SUBSCRIPT.sub("", piece)) + 0.7 * subscripts

    total, i = 0.0, 0
    while i < len(tex):
        at = tex.find(r"\frac{", i)
        if at < 0:
            return total + width(tex[i:])
        mid = _braced(tex, at + 5)
        end = _braced(tex, mid)
        total += width(tex[i:at]) + max(width(tex[at + 6:mid - 1]), width(tex[mid + 1:end - 1]))
        i = end
    return total


def _label_rows(label: str, line: int) -> list[str]:
    """A label on rows of its own: one, or where even that overruns the line as printed, cut as a side is
    cut, each fraction of its sum first written as ``(numerator) / denominator``."""
    if _printed_width(label) <= _LABEL_LINE * line / LINE:
        return [label]
    terms = _top_terms(label)
    written = " ".join(_unfrac(t) for t in terms)
    rows = _split_group(written, line - _INDENT)
    return rows if len(rows) > 1 else [label]


def latex_entry(chain: Chain, width: int = WIDTH, budget: int | None = None) -> tuple[str, list[str]]:
    """One chain as its LaTeX label and right-hand rows, cut as :func:`latex_rows` cuts them."""
    exact, rounded = value_latex(chain.value, chain.style)
    sides: list[list[str]] = []
    for form in chain.sides:
        pieces = latex_side(form, budget)
        t = " ".join(pieces)
        if (not sides or " ".join(sides[-1]) != t) and t != exact:
            sides.append(pieces)
    rows = [["= " + pieces[0]] + pieces[1:] for pieces in sides]
    if exact:
        rows.append(["= " + exact])
    if rounded:
        rows.append([r"\approx " + rounded])
    label = form_latex(chain.label)
    flat = [r for side in rows for r in side]
    if fits_one_line(chain, width) and len(flat) == len(rows):
        return label, [" ".join(flat)]
    return label, flat
