"""Formulas in documents: references to readings, and printers that substitute numbers.

A derivation is a chain of equal expressions: ``N[attn] = N[attn.q] + ... = 4·D^2 =
1,638,400 + ... = 6,553,600``. Every side is a SymPy expression; references such as
``N[attn.q]`` are plain symbols registered here with how to write them, so one
expression prints as a formula *and*, with numbers in place of its symbols, as the
substitution line. The two can never drift apart because they are one object.

Text output is meant to be read back: ``·`` and ``×`` mean multiplication, ``^`` a
power, and numbers carry thousands separators, so a test can parse every side of a
chain with :mod:`symparams.parse` and check it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import sympy
from sympy import Expr, Symbol
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ..format import latex_text
from ..symbols import LATEX_NAMES as SYMBOL_NAMES
from ..symbols import field_latex

__all__ = ["value_text", "value_latex", "Ref", "ref", "named", "Form", "form_text", "form_latex", "qualifier_text",
           "qualifier_latex", "number_text", "number_latex", "escape_latex"]


@dataclass(frozen=True)
class Ref:
    """What a reference symbol stands for: a reading of a component, perhaps of a variant.

    ``path`` is the short component path (``attn.q``; empty for the whole model),
    ``reading`` is ``params`` (written N) or ``active`` (written A), ``where`` the
    symbol values of the variant (``H_kv=1``), empty for the model itself.
    """

    path: str = ""
    reading: str = "params"
    where: tuple[tuple[str, Expr], ...] = ()

    @property
    def letter(self) -> str:
        return "A" if self.reading == "active" else "N"

    def text_label(self) -> str:
        """``N[attn.q]``, ``A``, ``N[attn]{H_kv=1}``: the reference as text (and its symbol's name)."""
        out = self.letter + (f"[{self.path}]" if self.path else "")
        return out + (f"{{{qualifier_text(self.where)}}}" if self.where else "")

    def latex_label(self) -> str:
        """``N_{\\mathrm{attn.q}}``, with the variant's values as an evaluation bar."""
        out = self.letter
        if self.path:
            out += r"_{\mathrm{" + escape_latex(self.path) + "}}"
        if self.where:
            out = r"\left." + out + r"\right|_{" + qualifier_latex(self.where) + "}"
        return out


_REFS: dict[str, Ref] = {}
_NAMED: dict[str, str] = {}


def ref(path: str = "", reading: str = "params", where: Mapping[str, Expr] | None = None) -> Symbol:
    """The symbol standing for ``reading`` of component ``path`` (of the variant ``where``)."""
    items = tuple(sorted((k, sympy.sympify(v)) for k, v in (where or {}).items()))
    r = Ref(path, reading, items)
    name = r.text_label()
    _REFS[name] = r
    return Symbol(name)


def named(text_name: str, latex_name: str) -> Symbol:
    """A named quantity of a document (``N_rule``), written ``latex_name`` in LaTeX."""
    _NAMED[text_name] = latex_name
    return Symbol(text_name)


def number_text(value: Expr) -> str:
    """An exact number with separators: 1280 -> '1,280', 8/3 -> '8/3'."""
    value = sympy.sympify(value)
    if value.is_Integer:
        return f"{int(value):,}"
    if value.is_Rational:
        return f"{int(value.p):,}/{int(value.q):,}"
    return str(value)


def number_latex(value: Expr) -> str:
    value = sympy.sympify(value)
    if value.is_Integer:
        return f"{int(value):,}".replace(",", "{,}")
    if value.is_Rational:
        sign = "-" if value < 0 else ""
        return sign + r"\frac{" + number_latex(abs(value.p)) + "}{" + number_latex(value.q) + "}"
    return sympy.latex(value)


def qualifier_text(where: tuple[tuple[str, Expr], ...]) -> str:
    return "; ".join(f"{k}={number_text(v)}" for k, v in where)


def qualifier_latex(where: tuple[tuple[str, Expr], ...]) -> str:
    from .. import symbols

    parts = []
    for k, v in where:
        sym = symbols.SYMBOLS.get(k)
        name = SYMBOL_NAMES.get(sym, k) if sym is not None else escape_latex(k)
        parts.append(f"{name}={number_latex(v)}")
    return r",\,".join(parts)


def escape_latex(s: str) -> str:
    """Text made safe for LaTeX: specials escaped, anything outside printable ASCII replaced.

    pdflatex with amsmath only cannot typeset arbitrary Unicode, and a model name
    comes from a user's file; a ``?`` is better than a document that does not compile.
    """
    return latex_text(s)


@dataclass(frozen=True)
class Form:
    """One side of a chain: an expression, printed as is or with numbers for its symbols.

    ``keep_order`` prints sums and products in the order they were built (a
    walk of the tree: q, k, v, o) instead of SymPy's canonical order.
    """

    expr: Expr
    numbers: tuple[tuple[Symbol, Expr], ...] = ()
    keep_order: bool = False

    @property
    def substituted(self) -> bool:
        return bool(self.numbers)


class _Text(StrPrinter):
    def __init__(self, numbers: Mapping[Symbol, Expr], order: str | None):
        super().__init__({"order": order} if order else {})
        self.numbers = numbers

    def _print_Symbol(self, expr):  # noqa: N802 - SymPy's printer protocol
        if expr in self.numbers:
            value = sympy.sympify(self.numbers[expr])
            return number_text(value) if value.is_Integer else f"({number_text(value)})"
        return expr.name

    def _print_Integer(self, expr):  # noqa: N802
        return number_text(expr)

    def _print_Rational(self, expr):  # noqa: N802
        return number_text(expr)


# Placeholder sizes of the golden rule that are no symbol of a model: the output width of a
# layer, typeset as its input width d_in is (d_{\mathrm{in}}).
PLACEHOLDER_NAMES = {sympy.Symbol("d_out", positive=True, integer=True): r"d_{\mathrm{out}}"}


class _Latex(LatexPrinter):
    def __init__(self, numbers: Mapping[Symbol, Expr], order: str | None, mul: str | None):
        settings: dict[str, object] = {"symbol_names": {**SYMBOL_NAMES, **PLACEHOLDER_NAMES}}
        if order:
            settings["order"] = order
        if mul:
            settings["mul_symbol"] = mul
        super().__init__(settings)
        self.numbers = numbers

    def _print_Symbol(self, expr, style="plain"):  # noqa: N802
        if expr in self.numbers:
            value = sympy.sympify(self.numbers[expr])
            return number_latex(value) if value.is_Integer else r"\left(" + number_latex(value) + r"\right)"
        if expr.name in _REFS:
            return _REFS[expr.name].latex_label()
        if expr.name in _NAMED:
            return _NAMED[expr.name]
        if expr not in PLACEHOLDER_NAMES and field_latex(expr) is not None:
            return field_latex(expr)
        return super()._print_Symbol(expr, style)

    def _print_Integer(self, expr):  # noqa: N802
        return number_latex(expr)


def _text_symbols(s: str, product: str) -> str:
    return s.replace("**", "^").replace("*", product)


def _has_refs(expr: Expr) -> bool:
    return any(s.name in _REFS or s.name in _NAMED for s in expr.free_symbols)


@functools.lru_cache(maxsize=4096)
def form_text(form: Form | Expr) -> str:
    """A side as terminal text: ``2·D^2·L·(e + 2)``, or ``2 × 1,280^2 × 20 × (4 + 2)``.

    Kept per side: a chain is printed once to see whether it fits a line and again to write it.
    """
    form = form if isinstance(form, Form) else Form(form)
    order = "none" if form.keep_order else None
    printed = _Text(dict(form.numbers), order).doprint(form.expr)
    numeric = form.substituted or not form.expr.free_symbols
    return _text_symbols(printed, " × " if numeric else "·")


@functools.lru_cache(maxsize=4096)
def form_latex(form: Form | Expr) -> str:
    """A side as LaTeX math: juxtaposition for symbols, ``\\times`` between numbers."""
    form = form if isinstance(form, Form) else Form(form)
    order = "none" if form.keep_order else None
    numeric = form.substituted or not form.expr.free_symbols
    mul = "times" if numeric else ("dot" if _has_refs(form.expr) else None)
    return _Latex(dict(form.numbers), order, mul).doprint(form.expr)


def _value_parts(value: Expr, style: str) -> tuple[str, str]:
    """(exact, rounded) renderings of a chain's value; either may be empty."""
    from ..format import human, share

    value = sympy.sympify(value)
    frac = Fraction(int(value.p), int(value.q))
    if style == "percent":
        exact = (frac * 1000).denominator == 1
        return (share(frac), "") if exact else ("", share(frac))
    if value.is_Integer:
        n = int(value)
        rounded = human(n) if abs(n) >= 10_000 else ""
        return number_text(value), rounded
    return "", decimal(frac)


def decimal(x: Fraction, digits: int = 4) -> str:
    """A rounded decimal of an exact fraction, for figures that are not counts (ratios, elasticities)."""
    from ..format import human

    return human(x) if abs(x) >= 1000 else f"{float(x):.{digits}g}"


def value_text(value: Expr, style: str) -> tuple[str, str]:
    return _value_parts(value, style)


def value_latex(value: Expr, style: str) -> tuple[str, str]:
    exact, rounded = _value_parts(value, style)
    return _latex_figure(exact), _latex_figure(rounded)


def _latex_figure(s: str) -> str:
    if not s:
        return s
    s = s.replace(",", "{,}").replace("%", r"\%")
    for unit in "KMBT":
        if s.endswith(unit):
            return s[:-1] + r"\,\mathrm{" + unit + "}"
    return s
