"""Sensitivity, crossovers and inverse sizing: calculus and algebra on closed forms.

Everything here is exact until a root is irrational: derivatives and elasticities
evaluate to Rationals at a model's point; crossovers are solved by SymPy; inverse
sizing finds the continuous root, then checks the whole-number sizes around it
with exact counts, because only those are models one can build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import sympy
from sympy import Expr, Rational, Symbol

from .cancelling import cancel, factor_terms
from .errors import SymparamsError
from .factoring import factor as factored
from .spec import Spec

__all__ = ["Sensitivity", "sensitivity", "along_relations", "followed", "held_symbols", "tidy", "crossover",
           "no_sure_root", "Sizing", "size_for_budget", "ladder_root"]


@dataclass(frozen=True)
class Sensitivity:
    """dN/dx and the elasticity (x/N) dN/dx of a closed form N at one point."""

    symbol: Symbol
    derivative: Expr
    elasticity: Expr
    derivative_value: Rational
    elasticity_value: Rational
    roundings: tuple[Expr, ...] = ()
    steps: tuple[Rational | None, Rational | None] | None = None

    @property
    def differentiable(self) -> bool:
        """Whether the derivative is a number here: not where the symbol enters through a rounding.

        ``ceiling(D/16)`` (Mamba's ``time_step_rank = "auto"``) or ``ceiling(L/2)`` steps by
        whole units, so the count has no derivative in D or L to give; :attr:`steps`, the
        exact one-unit changes N(x) - N(x-1) and N(x+1) - N(x), say how it moves instead.
        """
        return bool(self.derivative_value.is_Rational and self.elasticity_value.is_Rational)

    def to_json(self) -> dict:
        if not self.differentiable:
            down, up = self.steps or (None, None)
            return {"symbol": self.symbol.name, "derivative": None, "elasticity": None, "derivative_value": None,
                    "elasticity_value": None, "elasticity_exact": None, "differentiable": False,
                    "roundings": [str(r) for r in self.roundings],
                    "steps": {"down": None if down is None else _num(down), "up": None if up is None else _num(up)}}
        return {
            "symbol": self.symbol.name,
            "derivative": str(self.derivative),
            "elasticity": str(self.elasticity),
            "derivative_value": _num(self.derivative_value),
            "elasticity_value": float(self.elasticity_value),
            "elasticity_exact": str(self.elasticity_value),
            "differentiable": True,
        }


def _num(x: Rational) -> int | str:
    return int(x) if x.is_Integer else str(x)


def held_symbols(spec: Spec, hold: Iterable[str | Symbol] = ()) -> tuple[Symbol, ...]:
    """The symbols named in ``hold``, each checked to be one of ``spec``'s."""
    known = {s.name: s for s in (*spec.symbols, *(s for s, _ in spec.relations))}
    out = []
    for item in hold:
        name = item.name if isinstance(item, Symbol) else str(item)
        if name not in known:
            raise SymparamsError(f"--hold {name}: {spec.name} has no such symbol (it has: {', '.join(known)})")
        if known[name] not in out:
            out.append(known[name])
    return tuple(out)


def followed(spec: Spec, hold: Iterable[str | Symbol] = ()) -> tuple[tuple[Symbol, Expr], ...]:
    """The relations a derivative follows: every relation of ``spec`` whose symbol is not held."""
    held = set(held_symbols(spec, hold))
    return tuple((s, r) for s, r in spec.relations if s not in held)


def along_relations(spec: Spec, form: Expr, hold: Iterable[str | Symbol] = ()) -> Expr:
    """``form`` with the relations the count follows substituted, the ``kept`` ones too.

    A closed form may keep a derived symbol for reading (Llama's attention as 2*D*H*d_h,
    with d_h = D/H); the count moves d_h when D moves, so derivatives must too. A held
    symbol keeps its relation unsubstituted: its value is then fixed.
    """
    rel = dict(followed(spec, hold))
    for _ in range(len(rel) + 1):
        new = form.xreplace(rel)
        if new == form:
            return new
        form = new
    raise SymparamsError(f"{spec.name}: relations {rel} are circular")


# Factoring is for reading; past this size it costs far more than it gives (a
# polynomial of degree 63 takes minutes to factor), so larger forms stay expanded.
FACTOR_LIMIT = 400
# Multivariate factoring grows steeply with the number of symbols: a cubic ratio in 12
# symbols (a Zamba2 elasticity) ran for minutes. Past this many, only common factors are
# pulled out of each sum, which costs nothing.
FACTOR_SYMBOLS = 8


def tidy(expr: Expr) -> Expr:
    """``expr`` factored when small enough to read, else with its common factors pulled out, or as it is."""
    if sympy.count_ops(expr) > FACTOR_LIMIT:
        return expr
    if len(expr.free_symbols) > FACTOR_SYMBOLS:
        return factor_terms(expr)
    return factored(expr)


def sensitivity(spec: Spec, form: Expr | None = None, hold: Iterable[str | Symbol] = (),
                only: Iterable[str | Symbol] | None = None) -> list[Sensitivity]:
    """Derivative and elasticity of ``form`` (default: total parameters) in every symbol, along the relations.

    By default the derivative follows the model's relations, as the count does: with
    d_h = D/H, dN/dD includes the growth of d_h. ``hold`` names symbols held fixed: a
    derived one (``d_h``) keeps its value, which gives the partial derivative at fixed
    sizes; a free one is not varied (it gets no row). Elasticities say which knob matters
    most: 1.0 means "1% more x, 1% more N". ``only`` restricts the rows to the symbols named.
    """
    held = held_symbols(spec, hold)
    wanted = None if only is None else {s.name if isinstance(s, Symbol) else str(s) for s in only}
    form = along_relations(spec, spec.closed_form if form is None else form, held)
    point = spec.env
    at = form.xreplace(point)
    small = sympy.count_ops(form) <= FACTOR_LIMIT
    out = []
    for x in sorted(form.free_symbols - (set(held) & set(spec.symbols)), key=lambda s: s.name):
        if wanted is not None and x.name not in wanted:
            continue
        d = sympy.diff(form, x)
        el = tidy(cancel(x * d, form)) if small else x * d / form
        roundings = tuple(sorted((r for r in form.atoms(*ROUNDINGS) if r.has(x)), key=str))
        steps = _steps(form, point, x, at) if roundings else None
        out.append(Sensitivity(x, tidy(d), el, d.xreplace(point), (x * d).xreplace(point) / at, roundings, steps))
    return out


# Step functions: a size inside one changes the count by jumps, which no derivative describes.
ROUNDINGS = (sympy.floor, sympy.ceiling)


def _steps(form: Expr, point: Mapping[Symbol, Expr], x: Symbol, at: Expr) -> tuple[Rational | None, Rational | None]:
    """N(x) - N(x-1) and N(x+1) - N(x) of ``form`` at ``point``, exactly (None where a side is undefined)."""
    def value(v: Expr) -> Rational | None:
        got = form.xreplace({**point, x: v})
        return got if got.is_Rational else None

    lower, upper = value(point[x] - 1), value(point[x] + 1)
    return (None if lower is None else at - lower), (None if upper is None else upper - at)


def crossover(lhs: Expr, rhs: Expr, unknown: Symbol) -> list[Expr]:
    """The positive values of ``unknown`` where ``lhs == rhs`` (e.g. embeddings = layers)."""
    sols = sympy.solve(sympy.Eq(lhs, rhs), unknown)
    return [s for s in sols if s.is_positive is not False]


# Values tried for the other symbols by :func:`no_sure_root`: all small, then one large
# and the rest small, then one small and the rest large.
_SMALL, _LARGE = sympy.Integer(1), sympy.Integer(2**20)


def no_sure_root(lhs: Expr, rhs: Expr, unknown: Symbol) -> bool:
    """True when no root of ``lhs == rhs`` in ``unknown`` can be known positive: proven by one point.

    A root SymPy knows positive is a positive root at every value of the other symbols.
    Where ``lhs - rhs`` is a polynomial in ``unknown``, some positive whole values of the
    other symbols (allowed by their assumptions) whose coefficients show no change of sign
    (Descartes' rule: then no positive root) prove there is none, so sympy.solve, and the
    simplify it runs, are skipped: for a hybrid's large form they take a good part of a
    second. False means "not proven": the caller solves as before.
    """
    if unknown.is_positive is not True:
        return False
    diff = sympy.expand(lhs - rhs)
    if any(r.has(unknown) for r in diff.atoms(*ROUNDINGS)):
        return False
    coeffs: dict[int, list[Expr]] = {}
    for term in sympy.Add.make_args(diff):
        coeff, part = term.as_independent(unknown, as_Add=False)
        base, k = part.as_base_exp()
        if part == 1:
            k = sympy.Integer(0)
        elif base != unknown or not (k.is_Integer and k > 0):
            return False
        coeffs.setdefault(int(k), []).append(coeff)
    if set(coeffs) <= {0}:
        return False
    forms = [sympy.Add(*coeffs[k]) for k in sorted(coeffs)]
    others = sorted(set().union(*(f.free_symbols for f in forms)), key=lambda s: s.name)
    if not all(_admits(s, _SMALL) and _admits(s, _LARGE) for s in others):
        return False
    points = [dict.fromkeys(others, _SMALL)]
    for s in others:
        points.append({**dict.fromkeys(others, _SMALL), s: _LARGE})
        points.append({**dict.fromkeys(others, _LARGE), s: _SMALL})
    for point in points:
        values = [f.xreplace(point) for f in forms]
        if not all(v.is_Rational for v in values):
            continue
        signs = [v > 0 for v in values if v != 0]
        if signs and len(set(signs)) == 1:
            return True
    return False


def _admits(symbol: Symbol, value: Expr) -> bool:
    """Whether every assumption ``symbol`` carries holds of the number ``value``."""
    return all(getattr(value, f"is_{fact}") == holds for fact, holds in symbol.assumptions0.items())


@dataclass(frozen=True)
class Sizing:
    """The answer to "which size reaches this budget?": the buildable sizes either side, exactly.

    ``below`` is the largest buildable size whose count is at most the budget, ``above``
    the smallest whose count exceeds it: no buildable size lies between them. ``root``
    is the continuous solution of the closed form along a symbolic ladder, where one was
    given, for information only (the choice never reads it).
    """

    budget: int
    below: tuple[int, int] | None
    above: tuple[int, int] | None
    root: float | None = None

    @property
    def nearest(self) -> tuple[int, int]:
        options = [o for o in (self.below, self.above) if o]
        return min(options, key=lambda o: (abs(o[1] - self.budget), o[0]))

    def to_json(self) -> dict:
        def side(o):
            return None if o is None else {"size": o[0], "params": o[1]}

        return {"budget": self.budget, "root": self.root, "below": side(self.below),
                "above": side(self.above), "nearest": side(self.nearest)}


# A Spec refuses any value beyond 10^50, so no size search needs to look past 2^170;
# a run of this many sizes that cannot be built ends a search with an error.
MAX_SIZE = 2**170
WINDOW = 64


def size_for_budget(
    build: Callable[[int], Spec],
    budget: int,
    ladder: Callable[[Symbol], Mapping[Symbol, Expr]] | None = None,
    *,
    knob: str = "size",
    window: int = WINDOW,
    measure: Callable[[Spec], int] | None = None,
) -> Sizing:
    """The buildable sizes n either side of ``budget``: exact integer search, no floats.

    ``build(n)`` is the model at size n; it raises SymparamsError for a size the
    family cannot build (nanochat's depth 5: H = 3 does not divide D = 320), which is
    stepped over. Counts must grow with n, as every size knob's do. The search doubles
    n until the count passes the budget, then bisects, each probe counting the first
    buildable size at or above it exactly: O(log n) models built, whatever the budget.
    ``ladder(n)`` (the symbols along the knob, in closed form) only adds the
    continuous root for information. ``measure`` counts something other than the
    total (Kaplan's non-embedding parameters); it must grow with n too.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
        raise SymparamsError(f"parameter budget must be a positive whole number, got {budget!r}")
    counts: dict[int, int | None] = {}
    failure: list[str] = []

    def count(n: int) -> int | None:
        if n not in counts:
            try:
                spec = build(n)
                counts[n] = spec.total if measure is None else measure(spec)
            except SymparamsError as err:
                counts[n] = None
                failure[:] = [str(err)]
        return counts[n]

    def first(n: int) -> tuple[int, int]:
        """The first buildable size at or above n, with its count."""
        for m in range(n, n + window):
            got = count(m)
            if got is not None:
                return m, got
        raise SymparamsError(f"no buildable {knob} from {n:,} to {n + window - 1:,}"
                             + (f" ({failure[0]})" if failure else ""))

    lo, hi = 0, 1
    while first(hi)[1] <= budget:
        lo, hi = hi, 2 * hi
        if hi > MAX_SIZE:  # pragma: no cover - every Spec refuses such sizes first
            raise SymparamsError(f"no buildable {knob} reaches {budget:,} parameters")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if first(mid)[1] > budget:
            hi = mid
        else:
            lo = mid
    above = first(hi)
    below = None
    if lo:
        size, got = first(lo)
        if size != lo or got > budget:
            raise SymparamsError(f"the count does not grow with the {knob} near {lo:,}; cannot size by it")
        below = (lo, got)
    root = ladder_root(build, ladder, above[0], budget) if ladder is not None else None
    return Sizing(budget, below, above, root)


def ladder_root(build: Callable[[int], Spec], ladder, at: int, budget: int) -> float | None:
    """The positive real n where the closed form along ``ladder`` meets ``budget`` (None if it does not apply).

    Only the symbols that really follow the ladder at the size ``at`` are moved; values
    set by hand stay. Roots are isolated exactly (no iteration that may not converge).
    """
    n = sympy.Symbol("n", positive=True)
    spec = build(at)
    env = spec.env
    moves = {s: f for s, f in ladder(n).items() if s in env and f.xreplace({n: at}) == env[s]}
    form = spec.closed_form.xreplace(moves)
    curve = sympy.expand(form.xreplace({s: v for s, v in env.items() if s not in moves}))
    if curve.free_symbols - {n}:
        return None
    try:
        poly = sympy.Poly(curve - budget, n)
        if poly.degree() > 8:
            return None
        roots = [(a + b) / 2 for (a, b), _ in poly.intervals(eps=sympy.Rational(1, 10**6)) if b > 0]
    except (sympy.PolynomialError, ValueError):
        return None
    return float(max(roots)) if roots else None
