"""Compute-optimal sizing: how big a model, and how many tokens, a compute budget buys.

The parametric loss of Hoffmann et al. (2022, Approach 3),
L(N, D_tok) = E + A/N^alpha + B/D_tok^beta, is minimised on the budget line
C = 6*N*D_tok by SymPy, once, in symbols; the result is the familiar
N* = G (C/6)^a, D_tok* = G^-1 (C/6)^b with a = beta/(alpha+beta),
b = alpha/(alpha+beta), G = (alpha*A / (beta*B))^(1/(alpha+beta)).

Fitted constants are kept as exact Rationals read from their published decimal
text, so a and b are exact fractions; N* and D_tok* are exact algebraic numbers,
and only their printed approximations are floats. They are kept unevaluated:
SymPy would otherwise try to factor the large integers inside each rational
power, which can take minutes for a budget such as 5.76e23. The ``tokens-per-param`` rule
(D_tok = R*N, R = 20 by default) has no loss, only the same budget line.

Inverse sizing turns N* (or any parameter budget) into a buildable model of a
family: the depth, or the width, whose exact count comes nearest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Mapping

import sympy
from sympy import Expr, Integer, Rational, Symbol

from .errors import SymparamsError
from .spec import Spec

__all__ = [
    "Law", "LAWS", "RULE", "Optimum", "optimal", "optimum_forms", "Fit", "fit_depth", "fit_width",
    "DEFAULT_RATIO", "LADDERS",
]

DEFAULT_RATIO = 20
RULE = "tokens-per-param"
DIGITS = 30

N_, D_tok, C_ = sympy.symbols("N D_tok C", positive=True)
E_, A_, B_, alpha_, beta_ = sympy.symbols("E A B alpha beta", positive=True)
R_ = sympy.Symbol("R", positive=True)


@dataclass(frozen=True)
class Law:
    """A fitted parametric loss L(N, D_tok) = E + A/N^alpha + B/D_tok^beta and its source."""

    name: str
    source: str
    E: Rational
    A: Rational
    B: Rational
    alpha: Rational
    beta: Rational

    @property
    def constants(self) -> dict[Symbol, Rational]:
        return {E_: self.E, A_: self.A, B_: self.B, alpha_: self.alpha, beta_: self.beta}

    @property
    def a(self) -> Rational:
        """The exponent of compute in N*: beta/(alpha+beta) (Chinchilla's a)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> Rational:
        """The exponent of compute in D_tok*: alpha/(alpha+beta)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> Expr:
        with sympy.evaluate(False):
            return (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))

    def loss(self, params: Expr, tokens: Expr) -> Expr:
        with sympy.evaluate(False):
            return self.E + self.A / params**self.alpha + self.B / tokens**self.beta


def _law(name: str, source: str, **consts: str) -> Law:
    return Law(name, source, **{k: Rational(v) for k, v in consts.items()})


LAWS: dict[str, Law] = {
    law.name: law
    for law in (
        _law("hoffmann", "Hoffmann et al. 2022, Approach 3", E="1.69", A="406.4", B="410.7", alpha="0.34", beta="0.28"),
        _law("epoch", "Besiroglu et al. 2024 (Chinchilla scaling: a replication attempt)",
             E="1.8172", A="482.01", B="2085.43", alpha="0.3478", beta="0.3658"),
    )
}


@lru_cache(maxsize=None)
def optimum_forms() -> tuple[Expr, Expr]:
    """(N*, D_tok*) in the symbols C, A, B, alpha, beta: SymPy's solution of dL/dN = 0 on C = 6 N D_tok."""
    on_budget = (E_ + A_ / N_**alpha_ + B_ / D_tok**beta_).subs(D_tok, C_ / (6 * N_))
    roots = sympy.solve(sympy.diff(on_budget, N_), N_)
    if len(roots) != 1:
        raise SymparamsError(f"expected one stationary point of the loss, SymPy found {len(roots)}")
    return roots[0], C_ / (6 * roots[0])


@lru_cache(maxsize=None)
def _rule_forms() -> tuple[Expr, Expr]:
    roots = sympy.solve(sympy.Eq(6 * N_ * (R_ * N_), C_), N_)
    return roots[0], R_ * roots[0]


@dataclass(frozen=True)
class Optimum:
    """The compute-optimal N and D_tok for one budget: exact forms, and their approximations."""

    law: str
    compute: Rational
    params_exact: Expr
    tokens_exact: Expr
    loss_exact: Expr | None
    ratio: Rational | None = None

    @staticmethod
    def _float(x: Expr) -> float:
        return float(sympy.N(x, DIGITS))

    @property
    def params(self) -> float:
        return self._float(self.params_exact)

    @property
    def tokens(self) -> float:
        return self._float(self.tokens_exact)

    @property
    def tokens_per_param(self) -> float:
        return self._float(self.tokens_exact / self.params_exact)

    @property
    def loss(self) -> float | None:
        return None if self.loss_exact is None else self._float(self.loss_exact)

    @property
    def params_budget(self) -> int:
        """N* rounded to the nearest whole parameter, exactly (for sizing a real model)."""
        return int(sympy.floor(self.params_exact + Rational(1, 2)))

    def formula(self) -> tuple[str, str]:
        """N* and D_tok* as 'G * (C/6)^a' with the law's numbers."""
        if self.law == RULE:
            r = str(self.ratio) if self.ratio.is_Integer else f"({self.ratio})"
            return f"sqrt(C/(6*{r}))", f"{r}*sqrt(C/(6*{r}))"
        law = LAWS[self.law]
        g = float(sympy.N(law.G, DIGITS))
        return f"{g:.6g} * (C/6)^({law.a})", f"{1 / g:.6g} * (C/6)^({law.b})"

    def to_json(self) -> dict:
        n_form, d_form = self.formula()
        out = {
            "law": self.law,
            "compute": _number(self.compute),
            "params": self.params,
            "tokens": self.tokens,
            "tokens_per_param": self.tokens_per_param,
            "params_formula": n_form,
            "tokens_formula": d_form,
        }
        if self.law == RULE:
            out["ratio"] = _number(self.ratio)
        else:
            law = LAWS[self.law]
            out["loss"] = self.loss
            out.update(a=float(law.a), a_exact=str(law.a), b=float(law.b), b_exact=str(law.b),
                       G=float(sympy.N(law.G, DIGITS)), source=law.source)
        return out


def _number(x: Rational) -> int | float:
    return int(x) if x.is_Integer else float(x)


def _positive(value: object, what: str) -> Rational:
    if isinstance(value, bool):
        raise SymparamsError(f"{what} must be a positive number, got {value!r}")
    if isinstance(value, str):
        from .parse import parse_number

        value = parse_number(value)
    elif isinstance(value, float):
        import math

        if not math.isfinite(value):
            raise SymparamsError(f"{what} must be a finite number, got {value!r}")
        value = Rational(repr(value))
    value = sympy.sympify(value) if not isinstance(value, sympy.Basic) else value
    if not value.is_Rational or value <= 0:
        raise SymparamsError(f"{what} must be a positive number, got {value}")
    return value


def optimal(compute: object, law: str = "hoffmann", ratio: object = None) -> Optimum:
    """The compute-optimal model size and token count for ``compute`` FLOPs.

    ``compute`` is exact: an int, a SymPy Rational or text such as ``"5.76e23"``.

    >>> opt = optimal("5.76e23", "hoffmann")
    >>> round(opt.tokens_per_param, 1)
    92.6
    """
    c = _positive(compute, "compute budget")
    if law == RULE:
        r = _positive(DEFAULT_RATIO if ratio is None else ratio, "tokens-per-parameter ratio")
        n, d = (f.xreplace({C_: c, R_: r}) for f in _rule_forms())
        return Optimum(RULE, c, n, d, None, r)
    if ratio is not None:
        raise SymparamsError(f"a ratio applies to the {RULE} rule only, not to the {law} law")
    try:
        chosen = LAWS[law]
    except KeyError:
        raise SymparamsError(f"unknown scaling law {law!r} (known: {', '.join([*LAWS, RULE])})") from None
    n_form, d_form = optimum_forms()
    point = {**chosen.constants, C_: c}
    with sympy.evaluate(False):
        n, d = n_form.xreplace(point), d_form.xreplace(point)
    return Optimum(law, c, n, d, chosen.loss(n, d))


# ---- inverse sizing ----------------------------------------------------------

# Depth-sized families: how each symbol of the closed form follows the depth n.
# nanochat: D = 64n and H = ceil(D/128), which is n/2 at the even depths it builds.
LADDERS: dict[str, Callable[[Symbol], dict[Symbol, Expr]]] = {}


def _nanochat_ladder(n: Symbol) -> dict[Symbol, Expr]:
    from .symbols import D, H, L

    return {L: n, D: 64 * n, H: n / 2}


LADDERS["nanochat"] = _nanochat_ladder


@dataclass(frozen=True)
class Fit:
    """The size of a family that best meets a parameter target, with its exact count."""

    knob: str
    target: int
    size: int
    params: int
    spec: Spec
    root: float | None
    below: tuple[int, int] | None
    above: tuple[int, int] | None

    def to_json(self) -> dict:
        def side(o):
            return None if o is None else {self.knob: o[0], "params": o[1]}

        return {"by": self.knob, "target": self.target, self.knob: self.size, "params": self.params,
                "model": self.spec.name, "root": self.root, "below": side(self.below), "above": side(self.above)}


def _target(target: object) -> int:
    value = _positive(target, "parameter target")
    if not value.is_Integer:
        value = sympy.floor(value + Rational(1, 2))
    return int(value)


def fit_depth(family: str, target: object, overrides: Mapping[str, Expr] | None = None) -> Fit:
    """The depth of ``family`` whose exact parameter count is nearest ``target``.

    The closed form along the family's depth ladder is solved for the root; the
    buildable depths around it are then counted exactly.

    >>> fit_depth("nanochat", 560_000_000).size
    20
    """
    from .analysis import size_for_budget
    from .catalog import depth_families, model

    overrides = dict(overrides or {})
    if family not in depth_families():
        raise SymparamsError(f"{family!r} is not sized by depth (depth-sized families: {', '.join(depth_families())})")
    if "D" in overrides or "L" in overrides:
        raise SymparamsError("sizing by depth sets L and D itself; do not --set them")
    budget = _target(target)

    def build(n: int) -> Spec:
        return model(family, depth=n, **overrides)

    ladder = LADDERS.get(family)
    if ladder is not None:
        sizing = size_for_budget(build, budget, ladder)
        size, params = sizing.nearest
        return Fit("depth", budget, size, params, build(size), sizing.root, sizing.below, sizing.above)
    below, above = _search(build, budget)
    size, params = min((o for o in (below, above) if o), key=lambda o: (abs(o[1] - budget), o[0]))
    return Fit("depth", budget, size, params, build(size), None, below, above)


def _search(build: Callable[[int], Spec], budget: int, limit: int = 10_000):
    """Exact search over a knob whose counts grow with it (for families without a ladder)."""
    below = above = None
    for n in range(1, limit):
        try:
            total = build(n).total
        except SymparamsError:
            continue
        if total <= budget:
            below = (n, total)
        else:
            above = (n, total)
            break
    if below is None and above is None:
        raise SymparamsError(f"no buildable size up to {limit}")
    return below, above


def fit_width(spec: Spec, target: object, step: int = 1, limit: int = 100_000) -> Fit:
    """The width D (other values held) whose exact parameter count is nearest ``target``.

    N(D) is solved from the closed form; whole widths around the root that the
    model's constraints accept (H divides D, ...) are counted exactly. Symbols tied
    to D by a relation (d_h = D/H, F = e*D) follow it; fixed values (an explicit
    intermediate_size) do not: ``--set F=8*D/3`` makes them.
    """
    from .symbols import D

    budget = _target(target)
    if D not in spec.symbols:
        raise SymparamsError(f"{spec.name} has no free width D to size")
    curve = spec.closed_form.xreplace({s: v for s, v in spec.env.items() if s != D})
    if curve.free_symbols - {D}:
        raise SymparamsError(f"{spec.name}: the count does not reduce to a function of D")
    try:
        roots = [r for r in sympy.Poly(sympy.expand(curve) - budget, D).nroots(n=30) if r.is_real and r > 0]
    except sympy.PolynomialError:
        raise SymparamsError(f"{spec.name}: the count is not a polynomial in D") from None
    if not roots:
        raise SymparamsError(f"{spec.name}: no width reaches {budget:,} parameters")
    root = max(roots)
    start = max(int(root) // step * step, step)

    def valid(width: int) -> tuple[int, int] | None:
        try:
            return width, spec.with_values(D=Integer(width)).total
        except SymparamsError:
            return None

    below = above = None
    for width in range(start, 0, -step):
        if (got := valid(width)) and got[1] <= budget:
            below = got
            break
        if start - width > limit:
            break
    for width in range(start, start + limit, step):
        if (got := valid(width)) and got[1] >= budget:
            above = got
            break
    options = [o for o in (below, above) if o]
    if not options:
        raise SymparamsError(f"{spec.name}: no buildable width near {float(root):.1f}")
    size, params = min(options, key=lambda o: (abs(o[1] - budget), o[0]))
    chosen = replace(spec.with_values(D=Integer(size)), name=f"{spec.name} at D={size}")
    return Fit("width", budget, size, params, chosen, float(root), below, above)
