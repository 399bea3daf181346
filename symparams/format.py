"""How numbers are written for people: exact with separators, rounded, shares.

Rounding happens only here, at the last moment, on exact integers and fractions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

__all__ = ["human", "share", "grouped", "table", "register_display", "display", "visible"]

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


def grouped(n: int) -> str:
    """``560988160`` -> ``'560,988,160'``."""
    return f"{n:,}"


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
