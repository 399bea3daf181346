"""Factoring a formula as the tree writes it gives exactly what ``sympy.factor`` gives.

A closed form is composed, not expanded (``L*(3*D*E*F_e + ...) + 2*D*V``); SymPy factors
it from the same polynomial as its expansion, so ``symparams.factoring`` expands it on
integers and proves the factorization there. Every answer is compared with SymPy's.
"""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from test_factoring import formulas, same_as_sympy

import symparams
from symparams import factoring


@settings(max_examples=80, deadline=None)
@given(formulas(3))
def test_a_cheap_factoring_of_an_unexpanded_formula_is_sympys(expr):
    """Sums of products of sums, with layer counts and numbers of either sign, as SymPy factors them."""
    same_as_sympy(expr)
    assert factoring.factor(expr) == sympy.factor(expr)


def test_a_large_closed_form_is_factored_cheaply():
    """DeepSeek-V3.2's closed form, linear in D, is proven irreducible without SymPy's multivariate factoring."""
    assert same_as_sympy(symparams.model("deepseek-v3.2").closed_form)
