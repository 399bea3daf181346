"""FLOPs per token, under each published convention, read from the same module tree.

The conventions disagree because they count different things, not because one of
them is wrong; each is written here as a reading of the tree so that the
differences are visible in their closed forms:

* ``exact``: what eager attention executes. Every matmul costs 2*in*out per token
  (a tied LM head included, an embedding lookup free), plus the attention score and
  value matmuls, 2*T*H*d_h each per layer: every query meets all T keys and a mask
  then zeroes the later ones. ``causal`` counts what a kernel that skips the masked
  blocks executes instead: position i meets i + 1 keys, (T + 1)/2 on average, or at
  most the window where a layer has one;
* ``kaplan`` (Kaplan et al. 2020, Table 1): C_fwd = 2N + 2*L*T*d_attn, with N the
  non-embedding parameters (neither the embedding tables nor the de-embedding);
* ``chinchilla`` (Hoffmann et al. 2022, Appendix F): the matmuls, the embedding
  counted as a one-hot matmul (2*V*D), the score and value matmuls and the
  softmax (3*H*T per layer); its Q/K/V terms are read from the tree, so GQA and
  gated MLPs are counted as they are built;
* ``palm`` (PaLM Appendix B, nanoGPT and nanochat MFU): 6*N' + 12*L*H*d_h*T per
  training token, N' every parameter but the token and position tables; a tied
  head's matrix counts, as nanoGPT counts it, since it multiplies;
* ``6n``: 6N, N the parameters a token passes through.

Under mixture of experts every reading takes the active experts only. Backward
costs twice the forward in all five, so training is 3 x forward per token: each
matmul's backward is two matmuls of its size (the input's and the weight's
gradients). tests/test_flops_torch.py checks exact against PyTorch's
FlopCounterMode on eager forward passes of every family, and forward plus backward
at exactly 3 x forward.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Iterator

import sympy
from sympy import Expr, Integer, Symbol

from .components import Model, Module
from .errors import SymparamsError
from .format import json_number, whole
from .spec import Spec, exact, pretty
from .symbols import T

__all__ = [
    "Convention", "CONVENTIONS", "Flops", "flops", "flops_table", "components",
    "active_walk", "at_context", "flops_sensitivity", "Dominance", "dominance",
]


def active_walk(node: Module, times: Expr = Integer(1)) -> Iterator[tuple[Expr, Module]]:
    """``(copies a token uses, node)`` for every node, experts counted top-k times, not E."""
    return node.token_walk(times)


def _leaves(tree: Model) -> Iterator[tuple[Expr, Module]]:
    return ((n, m) for n, m in active_walk(tree) if not m.children())


def _sum(terms) -> Expr:
    return sympy.Add(*terms)


def _exact(tree: Model, seq: Expr, causal: bool) -> Expr:
    return 2 * tree.matmul() + tree.attention_flops(seq, causal)


def _kaplan(tree: Model, seq: Expr, causal: bool) -> Expr:
    non_embedding = _sum(n * m.active() for n, m in _leaves(tree) if m.group not in ("embedding", "head"))
    return 2 * non_embedding + tree.attention_flops(seq) / 2


def _chinchilla(tree: Model, seq: Expr, causal: bool) -> Expr:
    return 2 * tree.onehot() + 2 * tree.matmul() + tree.attention_flops(seq) + tree.softmax_flops(seq)


def palm_params(tree: Model) -> Expr:
    """N' of the PaLM/nanochat MFU formula: active parameters but the embedding tables, tied heads' matrices in."""
    return tree.palm()


def _palm(tree: Model, seq: Expr, causal: bool) -> Expr:
    return 2 * palm_params(tree) + tree.attention_flops(seq)


def _six_n(tree: Model, seq: Expr, causal: bool) -> Expr:
    return 2 * tree.active()


@dataclass(frozen=True)
class Convention:
    """A named way of counting FLOPs per token, with the source it comes from."""

    name: str
    source: str
    summary: str
    forward: Callable[[Model, Expr, bool], Expr]
    honours_causal: bool = False


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention("exact", "every matmul from the module tree",
                   "2*in*out per matmul + 2*T*H*d_h (QK^T) + 2*T*H*d_h (AV) per layer", _exact, True),
        Convention("kaplan", "Kaplan et al. 2020, Table 1", "2N + 2*L*T*d_attn, N non-embedding", _kaplan),
        Convention("chinchilla", "Hoffmann et al. 2022, Appendix F",
                   "embeddings + matmuls + logits + scores + softmax", _chinchilla),
        Convention("palm", "PaLM / nanoGPT / nanochat MFU", "6N' + 12*L*H*d_h*T per training token", _palm),
        Convention("6n", "the 6N rule", "6N, N the active parameters", _six_n),
    )
}


def _convention(name: str | Convention) -> Convention:
    if isinstance(name, Convention):
        return name
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise SymparamsError(f"unknown FLOPs convention {name!r} (known: {', '.join(CONVENTIONS)})") from None


def _seq(seq: object) -> Integer:
    if isinstance(seq, bool) or not isinstance(seq, (int, Integer)) or seq <= 0:
        raise SymparamsError(f"context length must be a positive whole number, got {seq!r}")
    return Integer(seq)


def at_context(spec: Spec, seq: int) -> Spec:
    """``spec`` with the context length T as one more free value, so T-dependent forms evaluate."""
    values = tuple((s, v) for s, v in spec.values if s != T) + ((T, _seq(seq)),)
    return replace(spec, values=values)


def per_token(value: Expr, what: str) -> int | Fraction:
    """An exact per-token figure: an int, or a Fraction where the average over T positions is not whole.

    A sequence's FLOPs are a whole number, but per token they are that over T: under
    ``causal`` with a window W < T, position i meets min(i + 1, W) keys, and the
    average (W(W + 1)/2 + (T - W)W)/T need not be whole. Rounding it would be wrong.
    """
    if value.is_Rational and not value.is_Integer:
        return Fraction(int(value.p), int(value.q))
    return exact(value, what)


@dataclass(frozen=True)
class Flops:
    """FLOPs per token of one model under one convention: closed forms and exact values.

    ``forward`` is an int, or an exact Fraction where a causal window makes the average
    over the sequence's positions fractional; ``forward_per_sequence`` is always whole.
    """

    model: str
    convention: Convention
    seq: int
    causal: bool
    forward_form: Expr
    forward: int | Fraction

    @property
    def train_form(self) -> Expr:
        return pretty(3 * self.forward_form)

    @property
    def train(self) -> int | Fraction:
        """Training FLOPs per token: forward plus a backward that costs twice as much."""
        return 3 * self.forward

    @property
    def forward_per_sequence(self) -> int:
        """Forward FLOPs of one sequence of ``seq`` tokens: always a whole number."""
        return int(self.forward * self.seq)

    def compute(self, tokens: int) -> int | Fraction:
        """Training compute C for a token budget: FLOPs per token x tokens (exact; whole for whole sequences)."""
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
            raise SymparamsError(f"token budget must be a positive whole number, got {tokens!r}")
        return whole(self.train * tokens)

    def to_json(self, tokens: int | None = None) -> dict:
        out = {
            "model": self.model,
            "convention": self.convention.name,
            "source": self.convention.source,
            "seq": self.seq,
            "causal": self.causal,
            "forward_per_token": json_number(self.forward),
            "train_per_token": json_number(self.train),
            "forward_per_sequence": self.forward_per_sequence,
            "train_per_sequence": 3 * self.forward_per_sequence,
            "formula": str(self.train_form),
            "forward_formula": str(self.forward_form),
        }
        if tokens is not None:
            out["tokens"] = tokens
            out["train_total"] = json_number(self.compute(tokens))
        return out


def flops(spec: Spec, seq: int, convention: str | Convention = "exact", causal: bool = False) -> Flops:
    """FLOPs per token of ``spec`` at context ``seq`` under ``convention``.

    >>> from symparams import model
    >>> flops(model("nanochat", depth=20), 2048, "palm").train
    3491758080
    """
    conv = _convention(convention)
    if causal and not conv.honours_causal:
        raise SymparamsError(f"causal masking applies to the exact convention only; {conv.name} fixes its own attention term")
    point = at_context(spec, seq)
    raw = conv.forward(spec.tree, T, causal)
    form = pretty(spec.substitute(raw))
    return Flops(spec.name, conv, int(seq), causal, form, per_token(point.value(raw), f"{spec.name}: {conv.name} FLOPs"))


def flops_table(spec: Spec, seq: int, causal: bool = False) -> list[Flops]:
    """Every convention side by side (``causal`` applied where a convention has the choice)."""
    return [flops(spec, seq, c, causal and c.honours_causal) for c in CONVENTIONS.values()]


def components(spec: Spec, seq: int, causal: bool = False) -> list[tuple[str, Expr, int | Fraction]]:
    """Exact forward FLOPs per token by group: ``(group, closed form, value)``.

    Rows are the tree's leaf groups (2 x their matmul weights) and the weight-free
    score and value matmuls; they add up to the ``exact`` convention.
    """
    point = at_context(spec, seq)
    sums: dict[str, Expr] = {}
    for n, m in _leaves(spec.tree):
        sums[m.group] = sums.get(m.group, Integer(0)) + 2 * n * m.matmul()
    sums["attention scores"] = spec.tree.attention_flops(T, causal)
    out = []
    for group, raw in sums.items():
        out.append((group, pretty(spec.substitute(raw)), per_token(point.value(raw), f"{spec.name}: {group} FLOPs")))
    return out


def flops_sensitivity(spec: Spec, seq: int, convention: str | Convention = "exact", causal: bool = False):
    """Derivatives and elasticities of training FLOPs per token in every symbol, T included."""
    from .analysis import sensitivity

    result = flops(spec, seq, convention, causal)
    return sensitivity(at_context(spec, seq), result.train_form)


@dataclass(frozen=True)
class Dominance:
    """Which term dominates, and the sizes at which the balance tips, solved symbolically.

    ``width_crossover``: the D at which the embedding tables and head hold as many
    parameters as the blocks. ``context_crossover``: the T at which the score and
    value matmuls cost as much as all the weight matmuls.
    """

    embedding_params: int
    layer_params: int
    attention_flops: int | Fraction
    mlp_flops: int | Fraction
    width_crossover: Expr | None
    width_crossover_value: Expr | None
    context_crossover: Expr | None
    context_crossover_value: Expr | None

    def to_json(self) -> dict:
        def num(x):
            return None if x is None else (int(x) if x.is_Integer else float(x))

        return {
            "embedding_params": self.embedding_params,
            "layer_params": self.layer_params,
            "attention_flops": json_number(self.attention_flops),
            "mlp_flops": json_number(self.mlp_flops),
            "width_crossover": None if self.width_crossover is None else str(self.width_crossover),
            "width_crossover_value": num(self.width_crossover_value),
            "context_crossover": None if self.context_crossover is None else str(self.context_crossover),
            "context_crossover_value": num(self.context_crossover_value),
        }


def _crossing(spec: Spec, lhs: Expr, rhs: Expr, unknown: Symbol, point: Spec) -> tuple[Expr | None, Expr | None]:
    from .analysis import crossover

    lhs, rhs = spec.substitute(lhs), spec.substitute(rhs)
    if not (lhs - rhs).has(unknown):
        return None, None
    try:
        roots = crossover(lhs, rhs, unknown)
    except (NotImplementedError, sympy.PolynomialError):
        return None, None
    env = {s: v for s, v in point.env.items() if s != unknown}
    for root in roots:
        value = root.xreplace(env)
        if value.is_positive:
            return sympy.factor(root), value
    return None, None


def dominance(spec: Spec, seq: int, causal: bool = False) -> Dominance:
    """Embeddings vs layers (parameters) and attention vs MLP (exact forward FLOPs)."""
    from .symbols import D

    point = at_context(spec, seq)
    embed = _sum(n * m.params() for _, n, m in spec.tree.walk() if not m.children() and m.group in ("embedding", "head"))
    layers = spec.tree.params() - embed
    groups = {g: v for g, _, v in components(spec, seq, causal)}
    scores = spec.tree.attention_flops(T, causal)
    width, width_value = _crossing(spec, embed, layers, D, point)
    context, context_value = _crossing(spec, scores, 2 * spec.tree.matmul(), T, point)
    return Dominance(
        exact(point.value(embed), "embedding parameters"),
        exact(point.value(layers), "layer parameters"),
        groups.get("attention", 0) + groups.get("attention scores", 0),
        groups.get("mlp", 0),
        width, width_value, context, context_value,
    )
