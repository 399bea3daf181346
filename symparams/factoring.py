"""``sympy.factor`` of a model's formulas, without its cost where the answer can be proven cheaply.

Displayed formulas are factored (``spec.pretty``), and SymPy's multivariate factoring
(square-free parts, Wang's algorithm, many polynomial GCDs) is most of a count's time.
Yet almost every formula of a model is a whole number times a monomial times one
irreducible polynomial: ``L*(D*E + 3*D*E_s*F_e + ...)``. That shape is proven here
in a few integer operations, and the result built exactly as ``sympy.factor`` builds
it, so the printed text is the same; anything else goes to ``sympy.factor``.

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
from typing import Dict, Tuple

import sympy
from sympy.core.mul import _keep_coeff
from sympy.polys.polyutils import _sort_gens

__all__ = ["factor"]

Poly = Dict[Tuple[int, ...], int]

# How deep the coprimality proof may recurse, and how many points it tries for a non-divisor.
DEPTH = 3
POINTS = 4


def factor(expr: sympy.Expr) -> sympy.Expr:
    """``sympy.factor(expr)``, taken from a cheap proof when one exists."""
    found = _fast(expr)
    return sympy.factor(expr) if found is None else found


def _fast(expr: sympy.Expr) -> sympy.Expr | None:
    if not isinstance(expr, sympy.Add):
        return expr if _monomial(expr) else None
    gens = _sort_gens(list(expr.free_symbols))
    if not gens or not all(isinstance(g, sympy.Symbol) for g in gens):
        return None
    poly = _to_poly(expr, {g: i for i, g in enumerate(gens)})
    if poly is None or len(poly) < 2:
        return None
    content = math.gcd(*poly.values())
    low = tuple(min(e[i] for e in poly) for i in range(len(gens)))
    q = {tuple(a - b for a, b in zip(e, low)): c // content for e, c in poly.items()}
    if q[max(q)] < 0:
        content = -content
        q = {e: -c for e, c in q.items()}
    if not _irreducible(q, DEPTH):
        return None
    rest = sympy.Add(*(_term(c, e, gens) for e, c in q.items()))
    factors = [g**k for g, k in zip(gens, low) if k] + [rest]
    return _keep_coeff(sympy.Integer(content), sympy.Mul(*factors))


def _monomial(expr: sympy.Expr) -> bool:
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
