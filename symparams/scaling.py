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
from typing import TYPE_CHECKING, Callable

import sympy
from sympy import Expr, Integer, Rational, Symbol

from .errors import SymparamsError
from .spec import Spec

if TYPE_CHECKING:  # pragma: no cover
    from .families import Family

__all__ = [
    "Law", "LAWS", "RULE", "Optimum", "optimal", "optimum_forms", "Fit", "fit_depth", "fit_width",
    "WidthRule", "width_rule", "DEFAULT_RATIO", "MAX_TARGET",
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

# No model symparams builds has a size beyond 10^50, nor a count beyond about 10^150; a
# target above this is refused before any search.
MAX_TARGET = 10**100


@dataclass(frozen=True)
class Fit:
    """The size of a family that best meets a parameter target, with its exact count.

    ``below`` and ``above`` are the buildable sizes either side of the target (no
    buildable size lies between them); ``rule`` says how the other sizes follow the knob.
    """

    knob: str
    target: int
    size: int
    params: int
    spec: Spec
    root: float | None
    below: tuple[int, int] | None
    above: tuple[int, int] | None
    rule: str = ""

    def to_json(self) -> dict:
        def side(o):
            return None if o is None else {self.knob: o[0], "params": o[1]}

        return {"by": self.knob, "target": self.target, self.knob: self.size, "params": self.params,
                "model": self.spec.name, "values": {**self.spec.int_values(), **self.spec.derived_values()},
                "rule": self.rule, "root": self.root, "below": side(self.below), "above": side(self.above)}


def _target(target: object) -> int:
    """A parameter target as a whole number: exact, positive, at least 1 and at most 10^100."""
    value = _positive(target, "parameter target")
    if value > MAX_TARGET:
        raise SymparamsError(f"a parameter target of {_brief(value)} is beyond any model (at most 10^100)")
    whole = int(sympy.floor(value + Rational(1, 2)))
    if whole < 1:
        raise SymparamsError(f"a parameter target of {value} is less than one parameter")
    return whole


def _brief(value: Rational) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"about 10^{len(str(int(value))) - 1}"


def fit_depth(ladder: "Family | Callable[[int], Spec]", target: object) -> Fit:
    """The depth whose exact parameter count is nearest ``target``.

    ``ladder`` is a depth-sized :class:`~symparams.families.Family`, or any builder from
    depth to Spec (``catalog.ladder(name)`` with overrides bound). The search is exact
    (see :func:`~symparams.analysis.size_for_budget`): the depths either side of the
    target are counted from their trees, and the nearer one is chosen.

    >>> from symparams.families import FAMILIES
    >>> fit_depth(FAMILIES.by_name["nanochat"], 560_000_000).size
    20
    """
    from .analysis import ladder_root, size_for_budget
    from .families import FAMILIES, Family

    if isinstance(ladder, Family):
        family: Family | None = ladder
        if ladder.ladder is None:
            raise SymparamsError(f"{ladder.name} is not sized by depth")
        build: Callable[[int], Spec] = ladder.at_depth
    elif callable(ladder):
        family, build = None, ladder
    else:
        raise SymparamsError(f"expected a family or a builder from depth to Spec, got {type(ladder).__name__}")
    budget = _target(target)
    sizing = size_for_budget(build, budget, knob="depth")
    size, params = sizing.nearest
    spec = build(size)
    family = family or FAMILIES.of(spec)
    symbolic = family.symbolic_ladder if family is not None else None
    root = ladder_root(build, symbolic, size, budget) if symbolic is not None else None
    rule = f"the depth ladder of {family.name}" if family is not None else "the given depth ladder"
    return Fit("depth", budget, size, params, spec, root, sizing.below, sizing.above, rule)


@dataclass(frozen=True)
class WidthRule:
    """How a model's other sizes follow its width D, in whole steps: the candidates of a width search.

    Step k builds D = k*p and, growing by whole heads, H = k*q with p/q the model's D/H
    (so the head size stays); holding the heads instead, D = k*H (d_h = D/H follows).
    H_kv follows H where it equals H (multi-head attention) and is held otherwise (GQA's
    key/value heads, as Llama-3 and Mistral keep 8 at every size). An explicit F follows
    D by the SwiGLU rule where that rule gives this model's F, else keeps its ratio to D;
    a relation such as F = 4*D follows by itself.
    """

    spec: Spec
    step: tuple[int, int]
    moves_heads: bool
    kv_follows: bool
    ffn: Callable[[int], int] | None
    description: str

    def width(self, k: int) -> int:
        return k * self.step[0]

    def values(self, k: int) -> dict[str, Integer]:
        width = self.width(k)
        out = {"D": Integer(width)}
        if self.moves_heads:
            out["H"] = Integer(k * self.step[1])
            if self.kv_follows:
                out["H_kv"] = out["H"]
        if self.ffn is not None:
            out["F"] = Integer(self.ffn(width))
        return out

    def __call__(self, k: int) -> Spec:
        if k < 1:
            raise SymparamsError("a width step must be positive")
        return replace(self.spec.with_values(**self.values(k)), name=f"{self.spec.name} at D={self.width(k)}")


def width_rule(spec: Spec, keep_heads: bool = False) -> WidthRule:
    """The rule by which ``spec``'s sizes follow its width (see :class:`WidthRule`)."""
    from .symbols import D, F, H, H_kv, d_h

    values = dict(spec.values)
    if D not in values:
        raise SymparamsError(f"{spec.name} has no free width D to size")
    env = spec.env
    width = int(env[D])
    notes = []
    relations = dict(spec.relations)
    moves_heads = kv_follows = False
    if H in values and not keep_heads:
        ratio = Rational(width, env[H])
        step = (int(ratio.p), int(ratio.q))
        moves_heads = True
        per_head = f"D/H = {ratio}" + (f", so d_h = {env[d_h]}" if relations.get(d_h) == D / H else "")
        notes.append(f"the width grows by whole heads ({per_head}, held)")
        if H_kv in values:
            kv_follows = env[H_kv] == env[H]
            notes.append("H_kv = H follows H" if kv_follows else f"H_kv = {env[H_kv]} held")
    elif H in values and relations.get(d_h) == D / H:
        step = (int(env[H]), 1)
        notes.append(f"H = {env[H]} held, so d_h = D/H follows D")
    else:
        step = (1, 1)
        notes.append("D steps by 1")
    ffn = None
    if F in values:
        ffn, text = _ffn_rule(width, int(env[F]))
        notes.append(text)
    elif F in relations:
        notes.append(f"F = {relations[F]} follows")
    return WidthRule(spec, step, moves_heads, kv_follows, ffn, "; ".join(notes))


def _ffn_rule(width: int, ffn: int) -> tuple[Callable[[int], int], str]:
    """F as a function of D: the SwiGLU sizing where it reproduces ``ffn``, else the model's ratio.

    Llama sizes its gated MLP as int(8D/3) rounded up to a multiple of ``multiple_of``
    (256 for Llama-2: 8*4096/3 -> 11,008). Where no multiple reproduces the model's F,
    F keeps the model's ratio F/D, rounded up to a multiple of the largest power of two
    (at most 256) dividing the model's F.
    """
    for power in range(12, -1, -1):
        multiple = 2**power
        if multiple * -(-(8 * width // 3) // multiple) == ffn:
            return (lambda d: multiple * -(-(8 * d // 3) // multiple),
                    f"F = 8D/3 rounded up to a multiple of {multiple} (the SwiGLU rule, which gives this model's F = {ffn:,})")
    ratio = Rational(ffn, width)
    multiple = min(256, ffn & -ffn)
    return (lambda d: multiple * -(-(int(ratio.p) * d) // (int(ratio.q) * multiple)),
            f"F keeps this model's ratio F/D = {ratio}, rounded up to a multiple of {multiple}")


def fit_width(spec: Spec, target: object, keep_heads: bool = False) -> Fit:
    """The width D whose exact parameter count is nearest ``target``, other sizes following by rule.

    Only widths the model's family could build are candidates (:func:`width_rule`): by
    default the width grows by whole heads at the model's head size, F follows D by the
    model's rule, and everything else is held. The search is exact and proposes the
    buildable widths either side of the target.
    """
    from .analysis import size_for_budget

    budget = _target(target)
    rule = width_rule(spec, keep_heads)
    sizing = size_for_budget(rule, budget, knob="width step")
    k, params = sizing.nearest

    def as_width(side: tuple[int, int] | None) -> tuple[int, int] | None:
        return None if side is None else (rule.width(side[0]), side[1])

    return Fit("width", budget, rule.width(k), params, rule(k), None, as_width(sizing.below),
               as_width(sizing.above), rule.description)
