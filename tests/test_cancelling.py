"""The cheap ``cancel`` gives exactly what ``sympy.cancel`` gives.

``symparams.cancelling`` skips sympy.cancel's signsimp and factor_terms passes for
integer polynomials; every answer here is compared with ``sympy.cancel`` itself,
structurally and as printed text, over random fractions that share factors (numbers,
monomials, sums) and over an elasticity of a real model.
"""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams import cancelling

SYMBOLS = sympy.symbols("D E F H L V", positive=True, integer=True) + sympy.symbols("x y")


@st.composite
def polynomials(draw) -> sympy.Expr:
    """A sparse polynomial in a few SYMBOLS, integer coefficients of either sign (a rational one now and then)."""
    used = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True))
    terms = []
    for _ in range(draw(st.integers(1, 4))):
        coeff = draw(st.integers(-6, 6).filter(bool))
        terms.append(coeff * sympy.Mul(*(s ** draw(st.integers(0, 2)) for s in used)))
    if draw(st.integers(0, 9)) == 0:
        terms.append(sympy.Rational(1, draw(st.integers(2, 5))) * used[0])
    return sympy.Add(*terms)


def same_as_sympy(num: sympy.Expr, den: sympy.Expr) -> bool:
    """Whether the cheap path answered; when it did, its answer is sympy.cancel's, to the printed character."""
    fast = cancelling._fast(num, den)
    if fast is None:
        return False
    slow = sympy.cancel(num / den)
    assert fast == slow and str(fast) == str(slow), (num, den, fast, slow)
    return True


@settings(max_examples=80, deadline=None)
@given(polynomials(), polynomials(), polynomials(), st.booleans())
def test_a_cheap_cancel_is_sympys(a, b, common, expand):
    num, den = a * common, b * common
    if expand:
        num, den = sympy.expand(num), sympy.expand(den)
    if den != 0:
        same_as_sympy(num, den)
        assert cancelling.cancel(num, den) == sympy.cancel(num / den)


@settings(max_examples=80, deadline=None)
@given(polynomials(), polynomials(), polynomials(), polynomials(), st.sampled_from(SYMBOLS), st.sampled_from(SYMBOLS),
       st.booleans())
def test_sides_that_are_fractions_themselves_cancel_as_sympy_cancels_them(a, b, c, d, x, y, common):
    """A side with a symbol's reciprocal in it (2*D*H_kv/H, where d_h = D/H) is cleared first, as SymPy does."""
    num, den = a + b / x, c + d / (x * y if common else y)
    if common:
        num, den = num * (a + 1), den * (a + 1)
    if sympy.cancel(den) == 0:
        return
    whole = all(r.is_Integer for r in (num / den).atoms(sympy.Rational))
    assert same_as_sympy(num, den) or not whole


def test_an_elasticity_of_a_real_model_is_answered_cheaply():
    """x dN/dx / N of DeepSeek-V3's closed form: integer polynomials, so no sympy.cancel is run."""
    form = symparams.model("deepseek-v3").closed_form
    for x in sorted(form.free_symbols, key=str)[:3]:
        assert same_as_sympy(x * sympy.diff(form, x), form)


def test_an_elasticity_along_d_h_equals_d_over_h_is_answered_cheaply():
    """Jamba's form along its relations holds 8*D*H_kv/H: a fraction on each side, still no sympy.cancel."""
    from symparams.analysis import along_relations

    spec = symparams.model("jamba-v0.1")
    form = along_relations(spec, spec.closed_form, ())
    assert any(isinstance(a, sympy.Pow) and a.exp.is_negative for a in form.atoms(sympy.Pow))
    for x in sorted(form.free_symbols, key=str)[:4]:
        assert same_as_sympy(x * sympy.diff(form, x), form)


def same_terms_as_sympy(expr: sympy.Expr) -> bool:
    """Whether the cheap factor_terms answered; when it did, its answer is sympy.factor_terms's, to the character."""
    fast = cancelling._fast_terms(expr)
    if fast is None:
        return False
    slow = sympy.factor_terms(expr)
    assert fast == slow and str(fast) == str(slow), (expr, fast, slow)
    return True


@settings(max_examples=80, deadline=None)
@given(polynomials(), polynomials(), polynomials(), st.integers(-12, 12).filter(bool))
def test_contents_taken_out_of_a_cancelled_fraction_are_sympys_factor_terms(a, b, common, k):
    """What cancel leaves (an expanded polynomial over another, or over a monomial or number) read as factor_terms reads it."""
    den = sympy.expand(b * common)
    if den != 0:
        same_terms_as_sympy(cancelling.cancel(sympy.expand(k * a * common), den))
        same_terms_as_sympy(sympy.expand(k * a))


def test_an_elasticity_of_a_real_model_has_its_contents_taken_out_cheaply():
    form = symparams.model("deepseek-v3").closed_form
    x = sorted(form.free_symbols, key=str)[0]
    assert same_terms_as_sympy(cancelling.cancel(x * sympy.diff(form, x), form))
