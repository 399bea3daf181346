"""How numbers are written for people: exact with separators, rounded, shares.

Rounding happens only here, at the last moment, on exact integers and fractions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence, Union

__all__ = ["MD_SPECIALS", "LATEX_SPECIALS", "LATEX_FONTS", "human", "share", "figure", "fixed", "significant", "grouped",
           "whole", "json_number", "exact_cell", "table", "tree_table", "register_display", "display", "visible",
           "Formula", "Fixed", "Grid", "Facts", "Line", "Block", "render", "md_text", "latex_text"]

_UNITS = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))


def visible(text: str) -> str:
    """``text`` with every character a terminal or viewer would act on shown as its escape.

    Control characters (ESC starting a colour or a window-title sequence, newlines that
    would start a new Markdown block), bidirectional overrides and other invisible
    format characters come out as ``\\x1b``, ``\\n``, ``\\u202e``: a model's name or
    path can then reach any output without acting on the reader's terminal or document.
    Everything printable, Unicode included, is kept.

    >>> visible("a\\x1b]0;title\\x07b"), visible("π ≈ 3"), visible("x\\u202ey")
    ('a\\\\x1b]0;title\\\\x07b', 'π ≈ 3', 'x\\\\u202ey')
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def grouped(n: int | Fraction) -> str:
    """``560988160`` -> ``'560,988,160'``; an exact fraction keeps its denominator: ``'796,952/3'``."""
    n = whole(n)
    if isinstance(n, Fraction):
        return f"{n.numerator:,}/{n.denominator:,}"
    return f"{n:,}"


def whole(x: int | Fraction) -> int | Fraction:
    """``x`` as an int when it is whole, so an exact figure prints without a denominator."""
    return int(x) if isinstance(x, Fraction) and x.denominator == 1 else x


def json_number(x: int | Fraction) -> int | str:
    """An exact figure for JSON: an int, or a fraction written ``"p/q"`` (a float would round it)."""
    x = whole(x)
    return x if isinstance(x, int) else f"{x.numerator}/{x.denominator}"


def exact_cell(x: int | Fraction) -> int | Fraction:
    """An exact figure as a table cell: an int when whole, else the Fraction (shown ``796,952/3``)."""
    return whole(x)


def human(n: int | Fraction, digits: int = 3) -> str:
    """A rounded figure with a unit: 83,886,080 -> '83.9M', 560,988,160 -> '561M'.

    ``digits`` significant figures, rounded from the exact value first and the unit
    chosen after, so 999,999,999 is '1.00B', never '1000M'.

    >>> human(999_999_999), human(9_999_500), human(999_950), human(10**15 - 1)
    ('1.00B', '10.0M', '1.00M', '1.00e15')
    """
    value = Fraction(n)
    if abs(value) < 1000:
        return f"{int(value)}" if value.denominator == 1 else f"{float(value):.{digits}g}"
    sign, value = ("-" if value < 0 else ""), abs(value)
    exp = len(str(int(value))) - 1
    mantissa = round(value / Fraction(10) ** (exp - digits + 1))
    if mantissa >= 10**digits:
        mantissa, exp = mantissa // 10, exp + 1
    if exp >= 15:
        return _scientific(Fraction(mantissa) * Fraction(10) ** (exp - digits + 1) * (-1 if sign else 1), digits)
    size, unit = next((size, unit) for size, unit in _UNITS if exp >= len(str(size)) - 1)
    whole = exp - (len(str(size)) - 1) + 1
    places = max(digits - whole, 0)
    scaled = round(Fraction(mantissa) * Fraction(10) ** (exp - digits + 1) * 10**places / size)
    text = str(scaled).rjust(places + 1, "0")
    return f"{sign}{text[:-places]}.{text[-places:]}{unit}" if places else f"{sign}{text}{unit}"


def _scientific(value: Fraction, digits: int) -> str:
    """Beyond the largest unit: 2,560,000,000,393,216,000 -> '2.56e18', rounded exactly.

    A float would print digits that are not the model's (1e48 as 1000000000000000043...).
    """
    sign, value = ("-" if value < 0 else ""), abs(value)
    exp = len(str(int(value))) - 1
    mantissa = round(value / Fraction(10) ** (exp - digits + 1))
    if mantissa >= 10**digits:
        mantissa, exp = mantissa // 10, exp + 1
    text = str(mantissa)
    return f"{sign}{text[0]}{'.' + text[1:] if len(text) > 1 else ''}e{exp}"


def share(fraction: Fraction, places: int = 1) -> str:
    """An exact fraction as a percentage: Fraction(1, 8) -> '12.5%'."""
    scaled = round(Fraction(fraction) * 100 * 10**places)
    sign, scaled = ("-" if scaled < 0 else ""), abs(scaled)
    whole, part = divmod(scaled, 10**places)
    return f"{sign}{whole}.{part:0{places}d}%" if places else f"{sign}{whole}%"


def figure(x: Fraction, places: int) -> str:
    """``x`` with ``places`` decimals where those show it, else to four significant figures.

    Times and rates are exact fractions (hardware of 10^-60 FLOP/s and 10^50-wide models
    included), rounded here once, from the fraction: a float would overflow, print
    its binary noise as digits (1e60 as 999,999,999,999,999,881,...) or show 0.0 for a
    value that is not zero. The decimals are kept where they show two significant digits
    at least and the digits before the point are few enough to read (below 10^15).
    """
    if Fraction(10) ** (1 - places) <= abs(x) < 10**15:  # beyond, scientific notation, as human writes counts
        return fixed(x, places)
    return significant(x, 4)


def fixed(x: Fraction, places: int) -> str:
    """``format(x, f",.{places}f")``, rounded exactly (halves to even, as Python rounds)."""
    scaled = round(x * 10**places)
    sign, scaled = ("-" if scaled < 0 else ""), abs(scaled)
    whole, part = divmod(scaled, 10**places)
    return f"{sign}{whole:,}.{part:0{places}d}" if places else f"{sign}{whole:,}"


def significant(x: Fraction, digits: int) -> str:
    """``format(x, f",.{digits}g")``, rounded exactly from the fraction at any magnitude."""
    if x == 0:
        return "0"
    sign, x = ("-" if x < 0 else ""), abs(Fraction(x))
    exp = len(str(x.numerator)) - len(str(x.denominator))
    if x < Fraction(10) ** exp:
        exp -= 1
    mantissa = round(x / Fraction(10) ** (exp - digits + 1))
    if mantissa >= 10**digits:
        mantissa, exp = mantissa // 10, exp + 1
    if -4 <= exp < digits:
        places = digits - 1 - exp
        text = fixed(Fraction(mantissa, 10**places), places)
        return sign + (text.rstrip("0").rstrip(".") if places else text)
    text = str(mantissa).rstrip("0") or "0"
    return f"{sign}{text[0]}{'.' + text[1:] if len(text) > 1 else ''}e{exp:+03d}"


# (class name, format) -> renderer. The output layer registers renderers here (as pint
# registers its formatters), so the objects below it can show themselves in a notebook
# without importing any output code.
_DISPLAYS: dict[tuple[str, str], Callable[[Any], str]] = {}


def register_display(cls_name: str, fmt: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register the decorated function as the ``fmt`` ("latex", "markdown", "html") display of ``cls_name``."""
    def add(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        _DISPLAYS[(cls_name, fmt)] = fn
        return fn

    return add


def display(obj: Any, fmt: str) -> str | None:
    """``obj`` rendered by the first renderer registered for its class (or a base), else None."""
    for cls in type(obj).__mro__:
        fn = _DISPLAYS.get((cls.__name__, fmt))
        if fn is not None:
            return fn(obj)
    return None


def table(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] | None = None,
    align: str = "",
    rules: Iterable[int] = (),
    indent: str = "",
    min_widths: Sequence[int] = (),
) -> str:
    """An aligned plain-text table: the one writer of every table the tool prints.

    ``align`` has one letter per column, ``l`` or ``r`` (columns beyond it align left);
    columns are two spaces apart and as wide as their widest cell (or ``min_widths``).
    A rule of dashes follows the header, and precedes each body row whose index is in
    ``rules`` (``rules=[len(rows) - 1]`` sets a total apart). Lines carry no trailing
    spaces.

    >>> print(table([("wte", "83,886,080"), ("total", "560,988,160")], ("component", "count"), "lr", rules=[1]))
    component        count
    ---------  -----------
    wte         83,886,080
    ---------  -----------
    total      560,988,160
    """
    cells = ([tuple(header)] if header is not None else []) + [tuple(r) for r in rows]
    if not cells:
        return ""
    columns = max(len(c) for c in cells)
    cells = [c + ("",) * (columns - len(c)) for c in cells]
    widths = [max([len(c[i]) for c in cells] + [min_widths[i] if i < len(min_widths) else 0]) for i in range(columns)]
    right = [i < len(align) and align[i] == "r" for i in range(columns)]

    def line(cell: Sequence[str]) -> str:
        return (indent + "  ".join(x.rjust(w) if r else x.ljust(w) for x, w, r in zip(cell, widths, right))).rstrip()

    rule = (indent + "  ".join("-" * w for w in widths)).rstrip()
    before = set(rules)
    out = []
    if header is not None:
        out += [line(cells[0]), rule]
    for n, row in enumerate(cells[1:] if header is not None else cells):
        if n in before:
            out.append(rule)
        out.append(line(row))
    return "\n".join(out)


def tree_table(rows: Iterable[tuple[int, str, str, str, int, int, int]], tree: str, formula: str, total: int) -> str:
    """The breakdown table ``count`` prints, from plain rows: (depth, name, module, formula, count, copies, total).

    The last line is the model's own (its description ``tree``, closed ``formula`` and
    ``total``); each row's share is of that total.
    """
    cells = []
    for depth, name, module, form, count, copies, row_total in rows:
        each = f"{count:,}" if copies == 1 else f"{count:,} x {copies:,} = {row_total:,}"
        cells.append(("  " * (depth - 1) + name, module, form, each, share(Fraction(row_total, total))))
    cells.append(("total", tree, formula, f"{total:,}", "100.0%"))
    return table(cells, ("component", "module", "formula (per copy)", "count", "share"), "lllrr",
                 rules=[len(cells) - 1])


# ---- sheets: what table, flops, memory and sensitivity print, in every --format ----------


@dataclass(frozen=True)
class Formula:
    """A formula cell: its plain text (text, CSV) and its LaTeX (Markdown and tex math), made by the caller."""

    text: str
    latex: str


@dataclass(frozen=True)
class Fixed:
    """A float shown to ``places`` decimals; CSV carries every digit of it, as JSON does."""

    value: float
    places: int = 4

    def shown(self) -> str:
        return f"{self.value:,.{self.places}f}"


Cell = Union[str, int, Fraction, Formula, Fixed]


@dataclass(frozen=True)
class Grid:
    """A table: ``align`` one ``l``/``r`` per column; ``indent`` only shapes the text table."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    align: str = ""
    caption: str = ""
    indent: str = ""


@dataclass(frozen=True)
class Facts:
    """Single figures with their labels: ``label: value`` lines in text, a two-column table elsewhere."""

    items: tuple[tuple[str, Cell], ...]
    caption: str = ""

    def grid(self) -> Grid:
        return Grid(("quantity", "value"), tuple((k, v) for k, v in self.items), "ll", self.caption)


# A line of prose (a str, or a tuple of text and formulas): shown in text and Markdown, left out of CSV
# and tex, which carry the data only.
Line = Union[str, tuple[Union[str, Formula], ...]]
Block = Union[Line, Grid, Facts]

# Characters Markdown would read as markup, escaped where prose is written: emphasis,
# tables, raw HTML and entities, math, code spans, and the brackets of links and images
# (a model named ``![t](javascript:...)`` stays text). The backslash is escaped too, so a
# name's own backslash cannot undo the escape that follows it.
MD_SPECIALS = str.maketrans({"*": r"\*", "_": r"\_", "|": r"\|", "<": "&lt;", ">": "&gt;", "$": r"\$",
                             "&": "&amp;", "`": r"\`", "[": r"\[", "]": r"\]", "\\": "\\\\", "~": r"\~"})
# What LaTeX would read as commands in text mode, and the few non-ASCII signs prose uses.
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
    "≈": r"\ensuremath{\approx}", "∂": r"\ensuremath{\partial}", "ε": r"\ensuremath{\varepsilon}",
    "·": r"\ensuremath{\cdot}", "×": r"\ensuremath{\times}", "→": r"\ensuremath{\to}", "—": "---", "–": "--",
}


# Latin Modern in T1 encoding where it is installed (TeX Live's recommended fonts): an underscore,
# in typewriter text too, is then a character, so a name copied out of the PDF keeps it.
LATEX_FONTS = r"\IfFileExists{t1lmr.fd}{\usepackage[T1]{fontenc}\usepackage{lmodern}}{}"


def md_text(text: str) -> str:
    """``text`` inert in Markdown: control characters shown as escapes, markup characters escaped.

    >>> print(md_text("a|b_`c`"))
    a\\|b\\_\\`c\\`
    """
    return visible(text).translate(MD_SPECIALS)


def latex_text(text: str) -> str:
    """``text`` inert in LaTeX's text mode: specials escaped, anything outside printable ASCII as ``?``
    (pdflatex cannot set arbitrary Unicode, and a name comes from a user's file).

    >>> print(latex_text("a_b & $5 \\x1b"))
    a\\_b \\& \\$5 ?
    """
    return "".join(LATEX_SPECIALS.get(c) or (c if " " <= c <= "~" else "?") for c in text)


def render(blocks: Sequence[Block], fmt: str) -> str:
    """``blocks`` as text, Markdown, CSV or a LaTeX tabular fragment, each string escaped for its format."""
    return {"text": _text, "md": _markdown, "csv": _csv, "tex": _tex}[fmt](blocks)


def _plain(cell: Cell) -> str:
    if isinstance(cell, bool):  # pragma: no cover - no command puts a bool in a cell
        raise TypeError("a cell is text, an int, a Formula or a Fixed")
    if isinstance(cell, (int, Fraction)):
        return grouped(cell)
    if isinstance(cell, Formula):
        return cell.text
    if isinstance(cell, Fixed):
        return cell.shown()
    return cell


def _line(line: Line, fmt: str) -> str:
    parts = (line,) if isinstance(line, str) else line
    if fmt == "md":
        return "".join(_md_cell(p) if isinstance(p, Formula) else md_text(p) for p in parts)
    return visible("".join(_plain(p) for p in parts))


def _text(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if not isinstance(b, (Grid, Facts)):
            out.append(_line(b, "text"))
            continue
        if b.caption:
            out.append(visible(b.caption) + ":")
        if isinstance(b, Facts):
            out += [visible(f"{k}: {_plain(v)}") for k, v in b.items]
            continue
        rows = [tuple(visible(_plain(c)) for c in r) for r in b.rows]
        out.append(table(rows, tuple(map(visible, b.header)), b.align, indent=b.indent))
    return "\n".join(out) + "\n"


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, Formula):
        return "$" + visible(cell.latex).replace("|", r"\vert ") + "$"
    return md_text(_plain(cell))


def _markdown(blocks: Sequence[Block]) -> str:
    parts: list[str] = []
    for b in blocks:
        if not isinstance(b, (Grid, Facts)):
            if b:
                parts.append(_line(b, "md"))
            continue
        g = b.grid() if isinstance(b, Facts) else b
        lines = [f"**{md_text(g.caption)}**", ""] if g.caption else []
        lines.append("| " + " | ".join(md_text(h) for h in g.header) + " |")
        lines.append("|" + "|".join("---:" if g.align[i:i + 1] == "r" else "---" for i in range(len(g.header))) + "|")
        lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in g.rows]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _csv_cell(cell: Cell) -> str | int:
    if isinstance(cell, Fixed):
        return repr(cell.value)
    if isinstance(cell, int):
        return cell
    if isinstance(cell, Fraction):
        return f"{cell.numerator}/{cell.denominator}"
    return visible(_plain(cell))


def _csv(blocks: Sequence[Block]) -> str:
    """One CSV table per grid (RFC 4180 quoting, header first), a blank line between tables."""
    import csv
    import io

    parts = []
    for b in blocks:
        if not isinstance(b, (Grid, Facts)):
            continue
        g = b.grid() if isinstance(b, Facts) else b
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([visible(h) for h in g.header])
        writer.writerows([_csv_cell(c) for c in r] for r in g.rows)
        parts.append(out.getvalue())
    return "\n".join(parts)


# Widths at 10pt, a little generous, of what a column holds: the columns that do not wrap are
# measured this way, and the wrapping ones share the rest of the line.
_GAP_PT = 12
_FORMULA_MIN_PT = 90
# A column wraps (a ragged-right paragraph column) when it holds formulas, or prose with spaces longer than this.
_WRAP_FORMULA = 12
_WRAP_PROSE = 24


def _pt(text: str) -> float:
    """The width of ``text`` in points at 10pt, estimated a little above Computer Modern's."""
    return sum(5.0 if c.isdigit() else 2.8 if c in ",.:;'()[]!|" else 3.4 if c == " " else 7.5 if c.isupper()
               else 5.2 for c in text)


def _tex_number(text: str) -> str:
    return text.replace(",", "{,}").replace("-", "$-$", 1) if text.startswith("-") else text.replace(",", "{,}")


def _tex_cell(cell: Cell, wraps: bool = False) -> str:
    """A cell in LaTeX; in a wrapping column, text may also break after any character but a letter or digit."""
    if isinstance(cell, Formula):
        return f"${cell.latex}$"
    if isinstance(cell, (int, Fraction, Fixed)):
        return _tex_number(_plain(cell))
    if not wraps:
        return latex_text(cell)
    return r"\hspace{0pt}" + "".join(latex_text(c) + (r"\allowbreak{}" if not (c.isalnum() or c == " ") else "")
                                      for c in cell)


def _wraps(column: list[Cell]) -> bool:
    return any((isinstance(c, Formula) and len(c.text) > _WRAP_FORMULA)
               or (isinstance(c, str) and len(c) > _WRAP_PROSE) for c in column)


def _least(column: list[Cell], header: str) -> float:
    """The narrowest a wrapping column can be: its longest word, or room for a formula's terms."""
    words = [w for c in [header, *column] if isinstance(c, str) for w in re.split(r"[^A-Za-z0-9]+", c)]
    least = max((_pt(w) for w in words), default=0.0)
    return max(least, _FORMULA_MIN_PT) if any(isinstance(c, Formula) for c in column) else least


def _tex_grid(g: Grid) -> str:
    """A booktabs tabular; columns of long formulas or prose wrap, sharing what the other columns leave of the line."""
    n = len(g.header)
    columns = [[r[i] for r in g.rows] for i in range(n)]
    wrap = [_wraps(c) for c in columns]
    natural = [max([_pt(_plain(x)) for x in c] + [_pt(h)]) for c, h in zip(columns, g.header)]
    least = [_least(c, h) if w else 0.0 for c, h, w in zip(columns, g.header, wrap)]
    taken = sum(x for x, w in zip(natural, wrap) if not w) + _GAP_PT * n + sum(least)
    wide = sum(x for x, w in zip(natural, wrap) if w) or 1.0
    spec = "".join(rf"p{{\dimexpr{m:.0f}pt+(\linewidth-{taken:.0f}pt)*{round(1000 * x / wide)}/1000\relax}}"
                   if w else (g.align[i:i + 1] or "l") for i, (x, m, w) in enumerate(zip(natural, least, wrap)))
    end = r" \tabularnewline" if any(wrap) else r" \\"

    def row(cells: Sequence[str]) -> str:
        return " & ".join((r"\raggedright " + c) if w else c for c, w in zip(cells, wrap)) + end

    lines = [r"\noindent", rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    if g.caption:
        lines += [rf"\multicolumn{{{n}}}{{l}}{{{latex_text(g.caption)}}}" + end, r"\midrule"]
    lines += [row([latex_text(h) for h in g.header]), r"\midrule"]
    lines += [row([_tex_cell(c, w) for c, w in zip(r, wrap)]) for r in g.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _tex(blocks: Sequence[Block]) -> str:
    """Every grid as a booktabs tabular (prose is left out: a fragment to put in a table of one's own)."""
    grids = [b.grid() if isinstance(b, Facts) else b for b in blocks if isinstance(b, (Grid, Facts))]
    return "\n\n".join(_tex_grid(g) for g in grids) + "\n"
