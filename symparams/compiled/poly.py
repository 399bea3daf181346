"""Integer polynomials: exact fractions, cheap equal forms, and Python text with no division.

Why a printer of our own: ``lambdify`` would turn ``D/H`` into float division.
Here every expression is first brought to ``numerator / denominator`` with
integer coefficients (:func:`fraction`), so what is printed is only whole-number
literals, variable names, ``+``, ``*`` and ``**`` with a positive whole exponent.
The text is built from SymPy expressions of a model's own tree, never from user
text, and is checked against that small alphabet before it is compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Callable, Mapping

import sympy
from sympy import Expr, Integer, Symbol

from ..cancelling import cancel
from ..errors import SymparamsError
from ..factoring import content_form, factor

__all__ = ["var", "terms", "fraction", "sign", "nested", "forms", "collect", "best_form", "to_text", "make", "Code", "code"]

_SAFE_TEXT = re.compile(r"[A-Za-z0-9_ +\-*/%()\[\]=<>,:\n]*\Z")


def var(name: str) -> Symbol:
    """An internal variable (integer-valued; its sign is tracked separately, see :func:`sign`)."""
    return Symbol(name, integer=True)


def terms(poly: Expr) -> list[tuple[Integer, tuple[Symbol, ...]]]:
    """(coefficient, variables) of each monomial of an expanded polynomial."""
    out = []
    for term in sympy.Add.make_args(poly):
        coeff, rest = term.as_coeff_Mul()
        out.append((coeff, tuple(sorted(rest.free_symbols, key=str))))
    return out


def _require_integral(expr: Expr) -> None:
    for node in sympy.preorder_traversal(expr):
        if node.is_Symbol or node.is_Integer or node.is_Add or node.is_Mul:
            continue
        if node.is_Pow and node.exp.is_Integer and node.exp > 0:
            continue
        raise SymparamsError(f"cannot compile {expr}: {node} is not whole-number arithmetic")


def is_integral(expr: Expr) -> bool:
    """Only integers, symbols, +, * and positive whole powers."""
    try:
        _require_integral(expr)
    except SymparamsError:
        return False
    return True


def fraction(expr: Expr) -> tuple[Expr, Expr]:
    """``expr`` as ``(numerator, denominator)``: expanded polynomials with integer coefficients.

    The pair has no common integer content and the denominator's leading
    coefficient is positive, so equal quotients give equal pairs (checks are
    deduplicated by that key).
    """
    num, den = sympy.fraction(cancel(*sympy.fraction(sympy.together(expr))))
    num, den = sympy.expand(num), sympy.expand(den)
    coeffs = [c for c, _ in terms(num) + terms(den)]
    scale = sympy.ilcm(1, 1, *[sympy.Rational(c).q for c in coeffs])
    num, den = sympy.expand(num * scale), sympy.expand(den * scale)
    content = sympy.igcd(0, 0, *[int(c) for c, _ in terms(num) + terms(den)]) or 1
    num, den = sympy.expand(num / content), sympy.expand(den / content)
    lead = sympy.Poly(den, *sorted(den.free_symbols, key=str)).LC() if den.free_symbols else den
    if lead < 0:
        num, den = -num, -den
    _require_integral(num)
    _require_integral(den)
    return num, den


def sign(poly: Expr, facts: Mapping[Symbol, str]) -> str:
    """``'pos'`` or ``'nonneg'`` when provable from the variables' signs (``facts``), else ``''``."""
    if poly == 0:
        return ""
    strict = False
    for coeff, names in terms(poly):
        if coeff < 0 or any(facts.get(v, "") not in ("pos", "nonneg") for v in names):
            return ""
        strict = strict or all(facts.get(v) == "pos" for v in names)
    return "pos" if strict else "nonneg"


def _degree(term: Expr, x: Symbol) -> int:
    """The degree of ``x`` in one term: read off its powers when it is a monomial, else by SymPy."""
    powers = term.as_powers_dict()
    if all(b.is_Symbol or b.is_Number for b in powers):
        return int(powers.get(x, 0))
    return int(sympy.degree(term, x))


def nested(poly: Expr) -> Expr:
    """A greedy multivariate Horner form with common factors pulled out.

    2*D**2*L*e + 4*D**2*L + 2*D*V becomes 2*D*(D*L*(e + 2) + V): six array
    operations instead of eleven. Built unevaluated so SymPy does not distribute
    the coefficients back.
    """
    poly = sympy.expand(poly)
    parts = sympy.Add.make_args(poly)
    if len(parts) == 1:
        return poly
    pairs = [p.as_coeff_Mul() for p in parts]
    content = sympy.igcd(*[int(c) for c, _ in pairs]) if all(c.is_Integer for c, _ in pairs) else 1
    if all(c < 0 for c, _ in pairs):
        content = -content
    symbols = sorted(poly.free_symbols, key=str)
    common = [s ** min(_degree(m, s) for _, m in pairs) for s in symbols]
    common = [c for c in common if c != 1]
    if content != 1 or common:
        factor = sympy.Mul(*common) * content
        inner = nested(sympy.expand(poly / factor))
        return sympy.Mul(*([Integer(content)] if content != 1 else []), *common, inner, evaluate=False)
    count = {s: sum(1 for _, m in pairs if m.has(s)) for s in symbols}
    x = max(symbols, key=lambda s: (count[s], max(_degree(m, s) for _, m in pairs), str(s)))
    if count[x] < 2:
        return poly
    with_x = sympy.Add(*[p for p in parts if p.has(x)])
    rest = sympy.expand(poly - with_x)
    head = sympy.Mul(x, nested(sympy.expand(with_x / x)), evaluate=False)
    return sympy.Add(head, nested(rest), evaluate=False) if rest != 0 else head


def ops(expr: Expr) -> int:
    """Array operations a printed form costs (a square counts as one)."""
    if not expr.args:
        return 0
    if expr.is_Pow:
        own = 1 if int(expr.exp) <= 2 else int(expr.exp) - 1
    else:
        own = len(expr.args) - 1
    return own + sum(ops(a) for a in expr.args)


# Past this many terms, factoring and nesting cost seconds to save microseconds: such a
# polynomial (a size defined by a degree-4 expression of four others) runs expanded.
FORM_TERMS = 40
# Past this many terms, multivariate factoring (square-free parts, many GCDs) costs seconds per
# collected coefficient; such forms are collected with their common factors taken out instead.
FACTOR_TERMS = 12


def collect(poly: Expr, x: Symbol, func: Callable[[Expr], Expr]) -> Expr:
    """``sympy.collect(poly, x, func=func)`` of an expanded polynomial: its terms grouped by x's power.

    SymPy's collect matches each term's powers against patterns, most of a compile's
    time; a monomial's power of a symbol is read off directly.
    """
    groups: dict[int, list[Expr]] = {}
    for term in sympy.Add.make_args(poly):
        k = _degree(term, x)
        groups.setdefault(k, []).append(term / x**k if k else term)
    return sympy.Add(*[x**k * func(sympy.Add(*rest)) for k, rest in groups.items()])


def _contents(expr: Expr) -> Expr:
    """``sympy.factor_terms`` of an expanded sum, read off its integer polynomial where it is one."""
    found = content_form(expr)
    return sympy.factor_terms(expr) if found is None else found


def forms(poly: Expr) -> tuple[Expr, ...]:
    """A few equal forms of ``poly``, cheapest (by operation count) first.

    Expanded, factored, nested (:func:`nested`) and collected on each variable.
    The cheapest form for arrays of one shape is not the cheapest for another:
    for a broadcast grid the collected form keeps most products small, while
    for flat arrays the nested form does fewer passes; the vectorised evaluator
    picks per call (see :mod:`.vector`).
    """
    poly = sympy.expand(poly)
    found = [poly]
    if len(poly.args) > FORM_TERMS:
        return (poly,)
    if poly.free_symbols and not poly.is_Symbol and poly.is_Add:
        small = len(poly.args) <= FACTOR_TERMS
        tidy = factor if small else _contents

        def collected(x: Expr) -> Callable[[], Expr]:
            return lambda: collect(poly, x, tidy)

        makers: list[Callable[[], Expr]] = [lambda: nested(poly), lambda: tidy(poly)]
        makers += [collected(x) for x in sorted(poly.free_symbols, key=str)]
        for make_form in makers:
            try:
                form = make_form()
            except (sympy.PolynomialError, ValueError, TypeError):
                continue
            if is_integral(form) and form not in found and sympy.expand(form - poly) == 0:
                found.append(form)
    by_ops = sorted(found, key=ops)
    return tuple(c for _, tied in groupby(by_ops, key=ops) for c in sorted(tied, key=lambda c: len(str(c))))


def best_form(poly: Expr) -> Expr:
    """The form of ``poly`` with the fewest operations (what a single evaluation runs)."""
    return forms(poly)[0]


def _factor_order(arg: Expr) -> int:
    """Products are printed sums first, coefficient last: NumPy then reuses the temporaries."""
    return 0 if arg.is_Add else 1 if arg.is_Pow else 3 if arg.is_Number else 2


def to_text(expr: Expr, names: Mapping[str, str] | None = None) -> str:
    """Python text for an integer expression; ``names`` renames variables (``v_D`` -> ``D``)."""
    if expr.is_Integer:
        value = int(expr)
        return str(value) if value >= 0 else f"({value})"
    if expr.is_Symbol:
        return names.get(expr.name, expr.name) if names else expr.name
    if expr.is_Pow:
        base = to_text(expr.base, names)
        return f"{base if expr.base.is_Symbol else '(' + base + ')'}**{int(expr.exp)}"
    if expr.is_Mul:
        args = sorted(expr.args, key=_factor_order)
        return "*".join(f"({to_text(a, names)})" if a.is_Add else to_text(a, names) for a in args)
    if expr.is_Add:
        return " + ".join(to_text(a, names) for a in expr.args)
    raise SymparamsError(f"cannot compile {expr}")


def make(source: str, namespace: Mapping[str, Any] | None = None) -> Callable:
    """Compile the function ``_f`` defined by printer text (checked against its alphabet first)."""
    if not _SAFE_TEXT.match(source):
        raise SymparamsError("internal error: compiled text outside the printer's alphabet")
    scope: dict[str, Any] = {"__builtins__": {}, **(namespace or {})}
    exec(compile(source, "<symparams.compiled>", "exec"), scope)  # noqa: S102 - printer text only
    return scope["_f"]


@dataclass(frozen=True)
class Code:
    """One integer expression: its forms, and its cheapest form as Python text."""

    expr: Expr
    names: tuple[str, ...]
    text: str
    forms: tuple[Expr, ...] = field(compare=False, repr=False)

    @property
    def symbol(self) -> str | None:
        """The variable's name when the expression is a single variable (no work to do)."""
        return self.names[0] if self.expr.is_Symbol else None

    @property
    def one(self) -> bool:
        return self.expr == 1


def code(poly: Expr) -> Code:
    """``poly`` ready to evaluate: its equal forms, the cheapest printed."""
    found = forms(poly)
    names = tuple(sorted(str(s) for s in found[0].free_symbols))
    return Code(found[0], names, to_text(found[0]), found)
