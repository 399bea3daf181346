"""Sensitivity, crossovers and inverse sizing: calculus and algebra on closed forms.

Everything here is exact until a root is irrational: derivatives and elasticities
evaluate to Rationals at a model's point; crossovers are solved by SymPy; inverse
sizing finds the continuous root, then checks the whole-number sizes around it
with exact counts, because only those are models one can build.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Sequence

import sympy
from sympy import Expr, Rational, Symbol

from .errors import SymparamsError
from .spec import Spec

__all__ = ["Sensitivity", "sensitivity", "crossover", "Sizing", "size_for_budget"]


@dataclass(frozen=True)
class Sensitivity:
    """dN/dx and the elasticity (x/N) dN/dx of a closed form N at one point."""

    symbol: Symbol
    derivative: Expr
    elasticity: Expr
    derivative_value: Rational
    elasticity_value: Rational

    def to_json(self) -> dict:
        return {
            "symbol": self.symbol.name,
            "derivative": str(self.derivative),
            "elasticity": str(self.elasticity),
            "derivative_value": _num(self.derivative_value),
            "elasticity_value": float(self.elasticity_value),
            "elasticity_exact": str(self.elasticity_value),
        }


def _num(x: Rational) -> int | str:
    return int(x) if x.is_Integer else str(x)


def sensitivity(spec: Spec, form: Expr | None = None) -> list[Sensitivity]:
    """Partial derivative and elasticity of ``form`` (default: total parameters) in every symbol.

    Elasticities say which knob matters most: 1.0 means "1% more x, 1% more N".
    """
    form = spec.closed_form if form is None else form
    point = spec.env
    at = form.xreplace(point)
    out = []
    for x in sorted(form.free_symbols, key=lambda s: s.name):
        d = sympy.diff(form, x)
        el = sympy.factor(sympy.cancel(x * d / form))
        out.append(Sensitivity(x, sympy.factor(d), el, d.xreplace(point), (x * d).xreplace(point) / at))
    return out


def crossover(lhs: Expr, rhs: Expr, unknown: Symbol) -> list[Expr]:
    """The positive values of ``unknown`` where ``lhs == rhs`` (e.g. embeddings = layers)."""
    sols = sympy.solve(sympy.Eq(lhs, rhs), unknown)
    return [s for s in sols if s.is_positive is not False]


@dataclass(frozen=True)
class Sizing:
    """The answer to "which size reaches this budget?": a root and buildable neighbours."""

    budget: int
    root: float
    below: tuple[int, int] | None
    above: tuple[int, int] | None

    @property
    def nearest(self) -> tuple[int, int]:
        options = [o for o in (self.below, self.above) if o]
        return min(options, key=lambda o: (abs(o[1] - self.budget), o[0]))

    def to_json(self) -> dict:
        def side(o):
            return None if o is None else {"size": o[0], "params": o[1]}

        return {"budget": self.budget, "root": self.root, "below": side(self.below),
                "above": side(self.above), "nearest": side(self.nearest)}


def _positive_roots(poly: sympy.Poly) -> list:
    """The positive real roots of ``poly``; exact isolating intervals where mpmath's search fails.

    mpmath's polyroots does not converge for very large budgets (N = 10^60), so the
    roots are then bracketed exactly and the bracket's midpoint is used.
    """
    from mpmath.libmp.libhyper import NoConvergence

    try:
        return [r for r in poly.nroots(n=30) if r.is_real and r > 0]
    except NoConvergence:
        return [(a + b) / 2 for (a, b), _ in poly.intervals(eps=sympy.Rational(1, 2)) if b > 0]


def size_for_budget(
    build: Callable[[int], Spec],
    budget: int,
    ladder: Callable[[Symbol], dict[Symbol, Expr]],
    limit: int = 10_000,
) -> Sizing:
    """The knob value n whose model ``build(n)`` has the parameter count nearest ``budget``.

    ``ladder(n)`` maps the model's symbols to expressions in n (nanochat: L = n,
    D = 64n); the closed form along it is solved for N(n) = budget, then the whole
    n around the root are built and counted exactly (sizes the family refuses, such
    as nanochat's odd depths with H not dividing D, are stepped over).
    """
    if budget <= 0:
        raise SymparamsError(f"parameter budget must be positive, got {budget}")
    n = sympy.Symbol("n", positive=True)
    probe = build(2)
    form = probe.closed_form.xreplace(ladder(n))
    rest = {s: v for s, v in probe.env.items() if s in form.free_symbols}
    curve = sympy.expand(form.xreplace(rest))
    if curve.free_symbols - {n}:
        missing = ", ".join(str(s) for s in curve.free_symbols - {n})
        raise SymparamsError(f"cannot size along this ladder: {missing} do not follow n")
    roots = _positive_roots(sympy.Poly(curve - budget, n))
    root = float(max(roots)) if roots else 0.0

    def valid(size: int) -> tuple[int, int] | None:
        try:
            return size, build(size).total
        except SymparamsError:
            return None

    below = above = None
    for size in range(max(int(root), 1), 0, -1):
        if (got := valid(size)) and got[1] <= budget:
            below = got
            break
    for size in range(max(int(root), 1), limit):
        if (got := valid(size)) and got[1] >= budget:
            above = got
            break
    return Sizing(budget, root, below, above)
