"""Inverse sizing: the buildable depth or width of a family nearest a parameter target.

The search is exact (:func:`~symparams.analysis.size_for_budget`): no floats, the sizes
either side of the target counted from their trees, and the nearer chosen. Widths step
by the family's rule (:class:`WidthRule`): whole heads at the model's head size, H_kv
and F following D, so only models the family could build are proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

import sympy
from sympy import Integer, Rational

from ..errors import SymparamsError
from ..spec import Spec
from .numbers import positive as _positive

if TYPE_CHECKING:  # pragma: no cover
    from ..families import Family

__all__ = ["Fit", "fit_depth", "fit_width", "WidthRule", "width_rule", "MAX_TARGET", "non_embedding", "MEASURES"]

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
    measure: str = "parameters"

    def to_json(self) -> dict:
        def side(o):
            return None if o is None else {self.knob: o[0], "params": o[1]}

        return {"by": self.knob, "target": self.target, self.knob: self.size, "params": self.params,
                "model": self.spec.name, "values": {**self.spec.int_values(), **self.spec.derived_values()},
                "rule": self.rule, "measure": self.measure, "root": self.root, "below": side(self.below),
                "above": side(self.above)}


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


def non_embedding(spec: Spec) -> int:
    """Parameters outside the embedding tables and the LM head (Kaplan's and DeepSeek's N)."""
    groups = spec.breakdown().groups()
    return spec.total - groups.get("embedding", 0) - groups.get("head", 0)


MEASURES: dict[str, Callable[[Spec], int] | None] = {"parameters": None, "non-embedding parameters": non_embedding}


def _measure(measure: str) -> Callable[[Spec], int] | None:
    try:
        return MEASURES[measure]
    except KeyError:
        raise SymparamsError(f"unknown measure {measure!r} (known: {', '.join(MEASURES)})") from None


def fit_depth(ladder: "Family | Callable[[int], Spec]", target: object, measure: str = "parameters") -> Fit:
    """The depth whose exact parameter count is nearest ``target``.

    ``ladder`` is a depth-sized :class:`~symparams.families.Family`, or any builder from
    depth to Spec (``catalog.ladder(name)`` with overrides bound). The search is exact
    (see :func:`~symparams.analysis.size_for_budget`): the depths either side of the
    target are counted from their trees, and the nearer one is chosen.

    >>> from symparams.families import FAMILIES
    >>> fit_depth(FAMILIES.by_name["nanochat"], 560_000_000).size
    20
    """
    from ..analysis import ladder_root, size_for_budget
    from ..families import FAMILIES, Family

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
    sizing = size_for_budget(build, budget, knob="depth", measure=_measure(measure))
    size, params = sizing.nearest
    spec = build(size)
    family = family or FAMILIES.of(spec)
    symbolic = family.symbolic_ladder if family is not None else None
    root = ladder_root(build, symbolic, size, budget) if symbolic is not None and measure == "parameters" else None
    rule = f"the depth ladder of {family.name}" if family is not None else "the given depth ladder"
    return Fit("depth", budget, size, params, spec, root, sizing.below, sizing.above, rule, measure)


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
    from ..symbols import D, F, H, H_kv, d_h

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


# Llama's ``multiple_of`` (256): the largest rounding taken for the SwiGLU rule.
SWIGLU_MAX_POWER = 8


def _ffn_rule(width: int, ffn: int) -> tuple[Callable[[int], int], str]:
    """F as a function of D: the SwiGLU sizing where it reproduces ``ffn``, else the model's ratio.

    Llama sizes its gated MLP as int(8D/3) rounded up to a multiple of ``multiple_of``
    (256 for Llama-2: 8*4096/3 -> 11,008). Only multiples up to Llama's 256 count as that
    rule: a larger one "reproduces" F = 3D or 4D by rounding alone (Qwen3-8B's 12,288 is
    8D/3 rounded up to 4,096, Pythia-410M's 4,096 is 8D/3 rounded up to 4,096), and would
    step F by thousands. Where no such multiple reproduces the model's F, F keeps the
    model's ratio F/D, rounded up to a multiple of the largest power of two (at most 256)
    dividing the model's F.
    """
    for power in range(SWIGLU_MAX_POWER, -1, -1):
        multiple = 2**power
        if multiple * -(-(8 * width // 3) // multiple) == ffn:
            return (lambda d, m=multiple: m * -(-(8 * d // 3) // m),
                    f"F = 8D/3 rounded up to a multiple of {multiple} (the SwiGLU rule, which gives this model's F = {ffn:,})")
    ratio = Rational(ffn, width)
    multiple = min(256, ffn & -ffn)
    return (lambda d: multiple * -(-(int(ratio.p) * d) // (int(ratio.q) * multiple)),
            f"F keeps this model's ratio F/D = {ratio}, rounded up to a multiple of {multiple}")


def fit_width(spec: Spec, target: object, keep_heads: bool = False, measure: str = "parameters") -> Fit:
    """The width D whose exact parameter count is nearest ``target``, other sizes following by rule.

    Only widths the model's family could build are candidates (:func:`width_rule`): by
    default the width grows by whole heads at the model's head size, F follows D by the
    model's rule, and everything else is held. The search is exact and proposes the
    buildable widths either side of the target.
    """
    from ..analysis import size_for_budget

    budget = _target(target)
    rule = width_rule(spec, keep_heads)
    sizing = size_for_budget(rule, budget, knob="width step", measure=_measure(measure))
    k, params = sizing.nearest

    def as_width(side: tuple[int, int] | None) -> tuple[int, int] | None:
        return None if side is None else (rule.width(side[0]), side[1])

    return Fit("width", budget, rule.width(k), params, rule(k), None, as_width(sizing.below),
               as_width(sizing.above), rule.description, measure)
