"""The crossover's shortcut never hides a root sympy.solve would show.

A derivation shows the width where the parts outside the blocks weigh as much as the
blocks only when sympy.solve gives exactly one root that SymPy knows is positive.
``no_sure_root`` skips the solve when a point proves no such root exists (Descartes' rule
of signs on the coefficients there); every time it does, SymPy's own answer is computed
here and must hold no root known positive.
"""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams import symbols
from symparams.analysis import crossover, no_sure_root

SIZES = sympy.symbols("D E F H L V", positive=True, integer=True)
D = SIZES[0]
OTHERS = SIZES[1:]


@st.composite
def polynomials(draw) -> sympy.Expr:
    """A small polynomial in some of the sizes other than D: coefficients all positive, or of either sign."""
    used = draw(st.lists(st.sampled_from(OTHERS), min_size=1, max_size=3, unique=True))
    low = draw(st.sampled_from((1, -4)))
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        coeff = draw(st.integers(low, 6).filter(bool))
        terms.append(coeff * sympy.Mul(*(s ** draw(st.integers(0, 2)) for s in used)))
    return sympy.Add(*terms)


def shown(lhs: sympy.Expr, rhs: sympy.Expr) -> list[sympy.Expr]:
    """What the derivation would show: SymPy's roots known positive."""
    return [x for x in crossover(lhs, rhs, D) if x.is_positive]


@settings(max_examples=60, deadline=None)
@given(polynomials(), polynomials(), polynomials(), st.booleans())
def test_a_witness_means_sympy_shows_no_root(a, b, c, shared):
    """lhs - rhs = a D - b: the root b/a, with c on both sides (cancelled) or as D's cofactor on one."""
    lhs, rhs = (sympy.expand(a * D + c), sympy.expand(b + c)) if shared else (sympy.expand(a * D), sympy.expand(b + c * D))
    if no_sure_root(lhs, rhs, D):
        assert shown(lhs, rhs) == [], (lhs, rhs)


@settings(max_examples=30, deadline=None)
@given(polynomials(), polynomials(), polynomials(), st.integers(0, 1))
def test_a_witness_for_a_quadratic_means_sympy_shows_no_root(a, b, c, low):
    """a D^2 + b D + c = 0 (or D times it): roots with square roots, known positive only if so everywhere."""
    lhs, rhs = sympy.expand(D**low * (a * D**2 + b * D)), sympy.expand(-c * D**low)
    if no_sure_root(lhs, rhs, D):
        assert shown(lhs, rhs) == [], (lhs, rhs)


def test_a_root_known_positive_is_left_to_sympy():
    """The guide's model has its crossover width at every size (its document shows it); so has this linear one."""
    E, F, H, L, V = OTHERS
    lhs, rhs = (2 * V + 1) * D, 5 * H + L
    assert not no_sure_root(lhs, rhs, D)
    assert shown(lhs, rhs) == [(5 * H + L) / (2 * V + 1)]
    form = sympy.expand(symparams.model("nanochat", depth=20).closed_form)
    terms = sympy.Add.make_args(form)
    outside = sympy.Add(*(t for t in terms if not t.has(symbols.L)))
    inside = sympy.Add(*(t for t in terms if t.has(symbols.L)))
    assert not no_sure_root(outside, inside, symbols.D)
    assert len([x for x in crossover(outside, inside, symbols.D) if x.is_positive]) == 1


def test_a_sign_that_changes_with_the_sizes_is_proven_cheaply():
    """The hybrids' shape: the root L*H/(2V + 1 - 3L) is negative once L is large, so solving is skipped."""
    E, F, H, L, V = OTHERS
    lhs, rhs = (2 * V + 1) * D, sympy.expand(L * (3 * D + H))
    assert no_sure_root(lhs, rhs, D)
    assert shown(lhs, rhs) == []
