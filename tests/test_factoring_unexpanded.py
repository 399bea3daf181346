"""Factoring a formula as the tree writes it, or a cancelled fraction, gives exactly what ``sympy.factor`` gives.

A closed form is composed, not expanded (``L*(3*D*E*F_e + ...) + 2*D*V``); SymPy factors
it from the same polynomial as its expansion, so ``symparams.factoring`` expands it on
integers and proves the factorization there. An elasticity is a cancelled fraction; each
side is proven the same way. Every answer is compared with SymPy's.
"""

from __future__ import annotations

import sympy
import test_cancelling as cancelled
from hypothesis import given, settings
from hypothesis import strategies as st
from test_factoring import formulas, same_as_sympy

import symparams
from symparams import cancelling, factoring


def same_ratio_as_sympy(expr: sympy.Expr) -> bool:
    """Whether the cheap path answered a fraction; when it did, its answer is sympy.factor's, to the character."""
    return same_as_sympy(expr, zero=sympy.cancel)


@settings(max_examples=80, deadline=None)
@given(formulas(3))
def test_a_cheap_factoring_of_an_unexpanded_formula_is_sympys(expr):
    """Sums of products of sums, with layer counts and numbers of either sign, as SymPy factors them."""
    same_as_sympy(expr)
    assert factoring.factor(expr) == sympy.factor(expr)


def test_a_large_closed_form_is_factored_cheaply():
    """DeepSeek-V3.2's closed form, linear in D, is proven irreducible without SymPy's multivariate factoring."""
    assert same_as_sympy(symparams.model("deepseek-v3.2").closed_form)


@settings(max_examples=80, deadline=None)
@given(cancelled.polynomials(), cancelled.polynomials(), cancelled.polynomials(), st.integers(-12, 12).filter(bool))
def test_a_cheap_factoring_of_a_cancelled_fraction_is_sympys(a, b, common, k):
    """What cancel leaves (a polynomial over another, sharing symbols but no factor) factored as SymPy does."""
    den = sympy.expand(b * common)
    if den != 0:
        expr = cancelling.cancel(sympy.expand(k * a * common), den)
        same_ratio_as_sympy(expr)
        assert factoring.factor(expr) == sympy.factor(expr)


def test_an_elasticity_of_a_small_model_is_factored_cheaply():
    """Llama-2-7B's elasticities (few symbols, so factored, not only their contents taken out) skip sympy.factor."""
    form = symparams.model("llama-2-7b").closed_form
    for x in sorted(form.free_symbols, key=str):
        assert same_ratio_as_sympy(cancelling.cancel(x * sympy.diff(form, x), form))


def test_a_negative_side_keeps_its_sign_outside_the_sum():
    """SymPy writes -(a + b)/c, not (-a - b)/c: the content -1 is taken out of each side."""
    a, b, c = sympy.symbols("a b c", positive=True, integer=True)
    for expr in ((-a - b) / c, c / (-a - b), (a - b) / (b - a * c), (-2 * a - 2 * b) / (3 + c)):
        assert same_ratio_as_sympy(expr)
