"""``sympy.factor`` of a model's formulas, without its cost where the answer can be proven cheaply.

Displayed formulas are factored (``spec.pretty``), and SymPy's multivariate factoring
(square-free parts, Wang's algorithm, many polynomial GCDs) is most of a count's time.
Yet almost every formula of a model is a whole number times a monomial times one
irreducible polynomial: ``L*(D*E + 3*D*E_s*F_e + ...)``. That shape is proven here
in a few integer operations, and the result built exactly as ``sympy.factor`` builds
it, so the printed text is the same; anything else goes to ``sympy.factor``. A sum with
symbols in denominators (``D*H_kv/H``, where the head width is D/H) is first put over one
denominator, as ``sympy.factor`` puts it, and each side is proven the same way; a rounding,
clamp or piecewise term (``floor(L/p)``, a batch of one's ``Min(1, B - 1)``, a sparse kernel's
attended keys) is one more variable, as it is to ``sympy.factor``.

The proof: the polynomial q left once the integer and monomial contents are taken out
is irreducible if it has degree one in some symbol x, ``q = a*x + b``, and a and b
have no common factor. Any common factor divides q, so it is neither a number nor a
symbol; so a and b are coprime when either is a single term, or when one of them,
its own contents taken out, is itself irreducible (by the same proof) and does not
divide the other, which an integer point where the quotient is not whole shows
(by Gauss's lemma a primitive divisor divides at every integer point).
"""

from __future__ import annotations

import math
import random
from typing import Callable, Dict, Tuple

import sympy
from sympy.core.mul import _keep_coeff
from sympy.polys.polyutils import _sort_gens

__all__ = ["factor", "pretty", "share_pivots", "content_form", "is_monomial"]

Poly = Dict[Tuple[int, ...], int]

# How deep the coprimality proof may recurse, and how many points it tries for a non-divisor.
DEPTH = 3
POINTS = 4


def factor(expr: sympy.Expr) -> sympy.Expr:
    """``sympy.factor(expr)``, taken from a cheap proof when one exists."""
    found = _fast(expr) if not expr.has(*OPAQUE) else _through_opaque(expr)
    return sympy.factor(expr) if found is None else found


# Functions sympy.factor takes as generators of its polynomial ring, each a variable of its own.
OPAQUE = (sympy.Piecewise, sympy.floor, sympy.ceiling, sympy.Min, sympy.Max)


def _through_opaque(expr: sympy.Expr) -> sympy.Expr | None:
    """:func:`_fast` with each outermost rounding, clamp or piecewise term (a kernel's attended keys, a layer
    pattern's ``floor(L/p)``) stood in for by a symbol, and put back."""
    plain = _stood_in(expr)
    if plain is None:
        return None
    found = _fast(plain[0])
    return None if found is None else _put_back(found, plain[1])


def _stood_in(expr: sympy.Expr, expanded: bool = False) -> tuple[sympy.Expr, dict[sympy.Symbol, sympy.Expr]] | None:
    """``expr`` with each outermost term of an ``OPAQUE`` kind replaced by a symbol of the same name, which sorts
    where SymPy sorts that generator, and the terms by their symbols.

    A term that expanding changes (SymPy expands inside it) is left to SymPy, or with ``expanded`` (for a caller
    that expands ``expr`` whole first) stood in for as expanded; so is a name taken twice.
    """
    stand_ins: dict[sympy.Expr, sympy.Symbol] = {}
    back: dict[sympy.Symbol, sympy.Expr] = {}
    for atom in _outermost(expr):
        grown = atom.expand()
        if grown != atom and not (expanded and isinstance(grown, OPAQUE)):
            return None
        stand_ins[atom] = sympy.Symbol(str(grown))
        back[stand_ins[atom]] = grown
    names = [s.name for s in stand_ins.values()] + [s.name for s in expr.free_symbols]  # type: ignore[attr-defined]
    if len(set(names)) != len(names):
        return None
    plain = expr.xreplace(stand_ins)
    if any(isinstance(a, sympy.Piecewise) and _degree(plain, s) > 1 for a, s in stand_ins.items()):
        return None  # expanding multiplies a Piecewise into itself, piece by piece: left to SymPy
    return plain, back


def _degree(expr: sympy.Expr, s: sympy.Symbol) -> int:
    """A bound on the degree in ``s`` of ``expr`` expanded (``s`` stands for a term, never inside a function)."""
    if expr == s:
        return 1
    if isinstance(expr, sympy.Add):
        return max(_degree(a, s) for a in expr.args)
    if isinstance(expr, sympy.Mul):
        return sum(_degree(a, s) for a in expr.args)
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 0:
        return int(expr.exp) * _degree(expr.base, s)
    return 2 if s in expr.free_symbols else 0


def _outermost(expr: sympy.Expr) -> set[sympy.Expr]:
    if isinstance(expr, OPAQUE):
        return {expr}
    return set().union(*(_outermost(a) for a in expr.args)) if expr.args else set()


def _put_back(expr: sympy.Expr, back: dict[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``expr.xreplace(back)``, but a whole number before a sum stays outside it (``2*(F + Min(1, B - 1))``), as
    ``sympy.factor`` leaves it, where rebuilding the product would spread it over the sum."""
    if expr in back:
        return back[expr]  # type: ignore[index]
    if not expr.args or not expr.free_symbols & set(back):
        return expr
    args = [_put_back(a, back) for a in expr.args]
    if isinstance(expr, sympy.Mul):
        coeff, rest = (args[0], args[1:]) if args[0].is_Number else (sympy.S.One, args)
        return _keep_coeff(coeff, sympy.Mul(*rest), sign=True)
    return expr.func(*args)


def _fast(expr: sympy.Expr) -> sympy.Expr | None:
    """An expanded sum, or one written as the tree composed it (``L*(...) + 2*D*V``): SymPy factors
    either from the same polynomial, so the unexpanded one is expanded on integers first."""
    if not isinstance(expr, sympy.Add):
        if is_monomial(expr):
            return expr
        if not isinstance(expr, sympy.Mul):
            return None
        if any(_is_reciprocal(a) for a in expr.args):
            return _ratio(expr)
    gens = _sort_gens(list(expr.free_symbols))
    if not gens or not all(isinstance(g, sympy.Symbol) for g in gens):
        return None
    index = {g: i for i, g in enumerate(gens)}
    poly = _to_poly(expr, index) if isinstance(expr, sympy.Add) else None
    if poly is None:
        poly = _expanded(expr, index)
    if poly is None and isinstance(expr, sympy.Add) and any(_is_reciprocal(p) for p in expr.atoms(sympy.Pow)):
        return _over_common_denominator(expr)
    if poly is None or len(poly) < 2:
        return None
    return _factored(poly, gens)


def _over_common_denominator(expr: sympy.Add) -> sympy.Expr | None:
    """A sum with symbols in denominators (``D*H_kv/H + ...`` where d_h = D/H): ``sympy.factor`` puts it over
    one denominator with ``together`` and factors both sides, which :func:`_ratio` does where it can prove it."""
    whole = sympy.together(expr)
    if not isinstance(whole, sympy.Mul) or not any(_is_reciprocal(a) for a in whole.args):
        return None
    return _ratio(whole)


def _is_reciprocal(arg: sympy.Expr) -> bool:
    return isinstance(arg, sympy.Pow) and arg.exp.is_Integer and arg.exp < 0


def _ratio(expr: sympy.Mul) -> sympy.Expr | None:
    """``sympy.factor`` of an integer polynomial over another sharing no factor (what ``cancel``
    leaves), when both are proven: SymPy factors each side and divides the contents."""
    top = sympy.Mul(*(a for a in expr.args if not _is_reciprocal(a)))
    bottom = sympy.Mul(*(a.base ** -a.exp for a in expr.args if _is_reciprocal(a)))
    sides = []
    for side in (top, bottom):
        gens = _sort_gens(list(side.free_symbols))
        if not gens:
            if not side.is_Integer or side == 0:
                return None
            sides.append((int(side), sympy.S.One))
            continue
        if not all(isinstance(g, sympy.Symbol) for g in gens):
            return None
        poly = _expanded(side, {g: i for i, g in enumerate(gens)})
        if poly is None:
            return None
        if len(poly) == 1:
            ((e, c),) = poly.items()
            sides.append((c, _term(1, e, gens)))
        else:
            found = _split(poly, gens)
            if found is None:
                return None
            sides.append(found)
    (cn, rn), (cd, rd) = sides
    shared = set(sympy.Mul.make_args(rn)) & set(sympy.Mul.make_args(rd))
    if any(f.free_symbols for f in shared) or _monomial_symbols(rn) & _monomial_symbols(rd):
        return None
    return _keep_coeff(sympy.Rational(cn, cd), rn / rd)


def _monomial_symbols(expr: sympy.Expr) -> set:
    return {f.as_base_exp()[0] for f in sympy.Mul.make_args(expr) if not isinstance(f, sympy.Add)} - {sympy.S.One}


def _factored(poly: Poly, gens) -> sympy.Expr | None:
    """``sympy.factor`` of ``poly`` (two terms or more, over ``gens`` in SymPy's order) when proven cheaply."""
    found = _split(poly, gens)
    return None if found is None else _keep_coeff(sympy.Integer(found[0]), found[1])


def _split(poly: Poly, gens) -> tuple[int, sympy.Expr] | None:
    """(content, monomial times irreducible sum) of ``poly`` as sympy.factor finds them, when proven."""
    content = math.gcd(*poly.values())
    low = tuple(min(e[i] for e in poly) for i in range(len(gens)))
    q = {tuple(a - b for a, b in zip(e, low)): c // content for e, c in poly.items()}
    if q[max(q)] < 0:
        content = -content
        q = {e: -c for e, c in q.items()}
    if not _irreducible(q, DEPTH):
        return None
    rest = sympy.Add(*(_term(c, e, gens) for e, c in q.items()))
    return content, sympy.Mul(*([g**k for g, k in zip(gens, low) if k] + [rest]))


def pretty(expr: sympy.Expr, pivot: Callable[[sympy.Symbol], bool]) -> sympy.Expr | None:
    """``collect(expand(expr), pivots, func=factor)`` (pivots: the symbols ``pivot`` picks, by name), or
    ``factor(expand(expr))`` without pivots, computed on integer polynomials; None unless ``expr`` is one.

    This is what ``sympy.collect`` does with plain symbols as patterns: each term goes under the
    first pivot (in name order) it holds, at the power it holds it; the rest of the term is its
    coefficient; terms holding no pivot are collected under 1; each group's sum is factored.
    """
    if expr.has(*OPAQUE):
        plain = _stood_in(expr, expanded=True)
        found = None if plain is None else pretty(plain[0], pivot)
        return None if found is None or plain is None else _put_back(found, plain[1])
    symbols = expr.free_symbols
    if not symbols or not all(isinstance(g, sympy.Symbol) for g in symbols):
        return None
    gens = _sort_gens(list(symbols))
    poly = _expanded(expr, {g: i for i, g in enumerate(gens)})
    if poly is None:
        return None
    present = [i for i in range(len(gens)) if any(e[i] for e in poly)]
    if not present:
        return sympy.Integer(poly.get((0,) * len(gens), 0))
    pivots = sorted((i for i in present if pivot(gens[i])), key=lambda i: str(gens[i]))
    if not pivots:
        return _factor_poly(poly, gens)
    groups: dict[tuple[int, int] | None, Poly] = {}
    for e, c in poly.items():
        at = next((i for i in pivots if e[i]), None)
        key = None if at is None else (at, e[at])
        rest = e if at is None else e[:at] + (0,) + e[at + 1:]
        groups.setdefault(key, {})[rest] = c
    return sympy.Add(*((1 if key is None else gens[key[0]] ** key[1]) * _factor_poly(group, gens)
                       for key, group in groups.items()))


def share_pivots(expr: sympy.Expr, pivot: Callable[[sympy.Symbol], bool]) -> sympy.Expr:
    """``expr`` (a sum collected under its pivots, each coefficient factored) with the pivots whose
    coefficients are multiples of one polynomial written once: ``D*L*(F + 2) - D*L_s*(F + 2)``
    reads ``D*(L - L_s)*(F + 2)``, as the ``L - L_s`` copies of a layer are.

    A factored coefficient is a number times factors in a canonical order (a lone sum takes its sign
    in: ``-D - F``), so multiples of one polynomial differ only in that number and sign, and equal
    expressions find them.
    """
    if not isinstance(expr, sympy.Add):
        return expr
    shared: dict[sympy.Expr, list[sympy.Expr]] = {}
    rest = []
    for term in expr.args:
        number, body = term.as_coeff_Mul()
        factors = sympy.Mul.make_args(body)
        found = [f for f in factors if isinstance(f, sympy.Symbol) and pivot(f)]
        if len(found) == 1:
            other = sympy.Mul(*(f for f in factors if f is not found[0]))
            if isinstance(other, sympy.Add) and other.could_extract_minus_sign():
                number, other = -number, -other
            if other.free_symbols and not any(pivot(s) for s in other.free_symbols):
                shared.setdefault(other, []).append(number * found[0])
                continue
        rest.append(term)
    return sympy.Add(*rest, *(sympy.Mul(*_signed_content(sympy.Add(*layers)), other) for other, layers in shared.items()))


def _signed_content(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """(c, p) with ``expr = c*p``, p's whole-number content 1 and its sign taken out: ``-2*L - 2*L_s`` is -2, L + L_s."""
    content, rest = expr.as_content_primitive()
    return (-content, -rest) if rest.could_extract_minus_sign() else (content, rest)


def content_form(expr: sympy.Expr) -> sympy.Expr | None:
    """``sympy.factor_terms(sympy.expand(expr))`` for an integer polynomial of two terms or more, else None:
    the whole-number and monomial contents taken out of the sum (with -1 when every term is negative)."""
    symbols = expr.free_symbols
    if not symbols or not all(isinstance(g, sympy.Symbol) for g in symbols):
        return None
    gens = _sort_gens(list(symbols))
    poly = _expanded(expr, {g: i for i, g in enumerate(gens)})
    if poly is None or len(poly) < 2:
        return None
    content = math.gcd(*poly.values())
    if all(c < 0 for c in poly.values()):
        content = -content
    low = tuple(min(e[i] for e in poly) for i in range(len(gens)))
    rest = sympy.Add(*(_term(c // content, tuple(a - b for a, b in zip(e, low)), gens) for e, c in poly.items()))
    return _keep_coeff(sympy.Integer(content), sympy.Mul(*(g**k for g, k in zip(gens, low) if k), rest), sign=True)


def _factor_poly(poly: Poly, gens) -> sympy.Expr:
    if len(poly) == 1:
        ((e, c),) = poly.items()
        return _term(c, e, gens)
    found = _factored(poly, gens)
    return sympy.factor(sympy.Add(*(_term(c, e, gens) for e, c in poly.items()))) if found is None else found


# Above this many terms an expansion is left to SymPy (no model's formula comes near).
MAX_TERMS = 4096


def _expanded(expr: sympy.Expr, index: dict) -> Poly | None:
    """``expr`` expanded into {exponents: integer coefficient} (zeros dropped), or None unless it is an
    integer polynomial in the symbols of ``index``."""
    width = len(index)
    if expr.is_Integer:
        return {(0,) * width: int(expr)} if expr else {}
    if isinstance(expr, sympy.Symbol):
        at = index[expr]
        return {tuple(int(i == at) for i in range(width)): 1}
    if isinstance(expr, sympy.Add):
        out: Poly = {}
        for arg in expr.args:
            part = _expanded(arg, index)
            if part is None:
                return None
            for e, c in part.items():
                out[e] = out.get(e, 0) + c
        out = {e: c for e, c in out.items() if c}
        return out if len(out) <= MAX_TERMS else None
    if isinstance(expr, sympy.Mul):
        acc: Poly | None = {(0,) * width: 1}
        for arg in expr.args:
            part = _expanded(arg, index)
            acc = None if part is None or acc is None else _times(acc, part)
            if acc is None:
                return None
        return acc
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and 0 < expr.exp <= 16:
        base = _expanded(expr.base, index)
        acc = {(0,) * width: 1}
        for _ in range(int(expr.exp)):
            acc = None if base is None or acc is None else _times(acc, base)
        return acc
    return None


def _times(a: Poly, b: Poly) -> Poly | None:
    if len(a) * len(b) > MAX_TERMS * 4:
        return None
    out: Poly = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(x + y for x, y in zip(ea, eb))
            out[e] = out.get(e, 0) + ca * cb
    out = {e: c for e, c in out.items() if c}
    return out if len(out) <= MAX_TERMS else None


def is_monomial(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is a whole number times powers of symbols, which ``sympy.factor`` returns as it is."""
    coeff, rest = expr.as_coeff_Mul()
    if not coeff.is_Integer:
        return False
    for factor_ in sympy.Mul.make_args(rest):
        base, k = factor_.as_base_exp()
        if not (factor_ is sympy.S.One or (isinstance(base, sympy.Symbol) and k.is_Integer and k > 0)):
            return False
    return True


def _to_poly(expr: sympy.Expr, index: dict) -> Poly | None:
    """``expr`` as {exponents: integer coefficient}, or None unless it is a polynomial over the integers."""
    out: Poly = {}
    width = len(index)
    for term in expr.args:
        coeff, rest = term.as_coeff_Mul()
        if not coeff.is_Integer:
            return None
        exps = [0] * width
        for factor_ in sympy.Mul.make_args(rest):
            if factor_ is sympy.S.One:
                continue
            base, k = factor_.as_base_exp()
            if base not in index or not (k.is_Integer and k > 0):
                return None
            exps[index[base]] += int(k)
        key = tuple(exps)
        out[key] = out.get(key, 0) + int(coeff)
    return {e: c for e, c in out.items() if c}


def _term(c: int, e: tuple[int, ...], gens) -> sympy.Expr:
    return sympy.Mul(sympy.Integer(c), *(g**k for g, k in zip(gens, e) if k))


def _primitive(p: Poly) -> Poly:
    """``p`` without its integer content and its monomial content (sign kept)."""
    content = math.gcd(*p.values())
    width = len(next(iter(p)))
    low = tuple(min(e[i] for e in p) for i in range(width))
    return {tuple(a - b for a, b in zip(e, low)): c // content for e, c in p.items()}


def _irreducible(q: Poly, depth: int) -> bool:
    """Whether ``q`` (primitive, no monomial factor, two terms or more) is proven irreducible."""
    width = len(next(iter(q)))
    for x in range(width):
        if max(e[x] for e in q) != 1:
            continue
        a = {e[:x] + (0,) + e[x + 1:]: c for e, c in q.items() if e[x] == 1}
        b = {e: c for e, c in q.items() if e[x] == 0}
        if b and _coprime(a, b, depth):
            return True
    return False


def _coprime(a: Poly, b: Poly, depth: int) -> bool:
    """Whether ``a`` and ``b``, whose common factors divide a primitive, monomial-free q, are proven coprime."""
    if len(a) == 1 or len(b) == 1:
        return True
    if depth == 0:
        return False
    for p, other in ((a, b), (b, a)):
        core = _primitive(p)
        if len(core) == 1:
            return True
        if _irreducible(core, depth - 1) and not _divides(core, other):
            return True
    return False


def _divides(p: Poly, other: Poly) -> bool:
    """False when some integer point shows ``p`` does not divide ``other``; True when none was found."""
    width = len(next(iter(p)))
    rng = random.Random(len(p) * 1_000_003 + len(other))
    for _ in range(POINTS):
        point = [rng.randrange(2, 1 << 20) for _ in range(width)]
        at_p = _evaluate(p, point)
        if at_p != 0 and _evaluate(other, point) % at_p != 0:
            return False
    return True


def _evaluate(p: Poly, point: list[int]) -> int:
    return sum(c * math.prod(v**k for v, k in zip(point, e) if k) for e, c in p.items())
