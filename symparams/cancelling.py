"""``sympy.cancel(num/den)`` and ``sympy.factor_terms`` of a model's fractions, without most of their cost.

An elasticity is ``x * dN/dx / N`` in lowest terms. For integer polynomials in
symbols, ``sympy.cancel`` ends in ``PolyElement.cancel`` over the integers, whose
answer is canonical: numerator and denominator divided by their full greatest common
divisor (content included), the denominator's leading coefficient made positive. So
the ``signsimp`` and ``factor_terms`` passes it runs first on the whole fraction (most
of its time on a large model) cannot change the answer, and are skipped here; any
other input goes to ``sympy.cancel``. A side that is itself a fraction of such polynomials
(``2*D*H_kv/H`` where d_h = D/H) is first written as one polynomial over another, as
cancel's ``as_numer_denom`` does: the fraction is the same, so its lowest terms are too.

What cancel leaves, an expanded integer polynomial over another, is then read with
its contents taken out (``factor_terms``); :func:`symparams.factoring.content_form`
does that on integer polynomials, for the numerator and the denominator each.
"""

from __future__ import annotations

import sympy
from sympy.polys.domains import ZZ
from sympy.polys.polyerrors import PolynomialError
from sympy.polys.rings import sring

from .factoring import content_form, is_monomial

__all__ = ["cancel", "factor_terms"]


def cancel(num: sympy.Expr, den: sympy.Expr) -> sympy.Expr:
    """``sympy.cancel(num / den)``, from the integer polynomials directly where both are such."""
    found = _fast(num, den)
    return sympy.cancel(num / den) if found is None else found


def _fast(num: sympy.Expr, den: sympy.Expr) -> sympy.Expr | None:
    if not all(isinstance(s, sympy.Symbol) for s in num.free_symbols | den.free_symbols):
        return None
    if not (num.is_polynomial() and den.is_polynomial()):
        (n1, d1), (n2, d2) = num.as_numer_denom(), den.as_numer_denom()
        num, den = n1 * d2, d1 * n2
    try:
        ring, (f, g) = sring((num, den))
    except PolynomialError:
        return None
    if ring.domain != ZZ or not ring.ngens or not g or not all(isinstance(s, sympy.Symbol) for s in ring.symbols):
        return None
    if not f:
        return sympy.S.Zero
    p, q = f.cancel(g)
    return p.as_expr() / q.as_expr()


def factor_terms(expr: sympy.Expr) -> sympy.Expr:
    """``sympy.factor_terms(expr)``, taken from the integer polynomials where ``expr`` is a ratio of expanded ones."""
    found = _fast_terms(expr)
    return sympy.factor_terms(expr) if found is None else found


def _fast_terms(expr: sympy.Expr) -> sympy.Expr | None:
    if not all(isinstance(s, sympy.Symbol) for s in expr.free_symbols):
        return None
    num: list[sympy.Expr] = []
    den: list[sympy.Expr] = []
    for arg in sympy.Mul.make_args(expr):
        base, k = arg.as_base_exp()
        if arg.is_Number:
            if not arg.is_Integer:
                return None
            num.append(arg)
        elif isinstance(base, sympy.Symbol) and k.is_Integer:
            (num if k > 0 else den).append(arg if k > 0 else base**-k)
        elif isinstance(arg, sympy.Add) and _expanded(arg):
            num.append(arg)
        elif isinstance(base, sympy.Add) and k == -1 and _expanded(base):
            den.append(base)
        else:
            return None
    if sum(isinstance(a, sympy.Add) for a in num) > 1 or sum(isinstance(a, sympy.Add) for a in den) > 1:
        return None
    top, bottom = _contents(sympy.Mul(*num)), _contents(sympy.Mul(*den))
    if top is None or bottom is None:
        return None
    return top if bottom == 1 else top / bottom


def _expanded(poly: sympy.Add) -> bool:
    """Whether every term of ``poly`` is a whole number times powers of symbols, not every one negative
    (where factor_terms takes a -1 out of a side, the fraction is left to SymPy)."""
    terms = poly.args
    return all(is_monomial(t) for t in terms) and not all(t.as_coeff_Mul()[0] < 0 for t in terms)


def _contents(side: sympy.Expr) -> sympy.Expr | None:
    """A monomial as it is; a number times a monomial times one polynomial with its contents taken out."""
    if not isinstance(side, sympy.Mul) and not isinstance(side, sympy.Add):
        return side
    if not any(isinstance(a, sympy.Add) for a in sympy.Mul.make_args(side)):
        return side
    return content_form(sympy.expand(side))
