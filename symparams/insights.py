"""The hand-worked guide's insights, as facts computed from models rather than remembered.

"MLP is 2x attention", "doubling depth leaves embeddings unchanged", "MQA saves 45%
of attention", "a bias costs D per linear layer": each is a claim about a family of
models, true at some sizes and false at others. Here each one is a function that
builds the model and its variant and reads their counts, so a derivation states
the fact for the model it describes, and a test can hold the guide to account
(its bias shortcut, for one, undercounts: the MLP's up-projection has e*D outputs,
not D).

>>> import symparams
>>> from symparams import insights
>>> d20 = symparams.model("nanochat", depth=20)
>>> insights.mlp_to_attention(d20).value
Fraction(2, 1)
>>> mqa = insights.kv_heads(d20, 1)
>>> mqa.attention, mqa.saving, mqa.total
(3604480, Fraction(9, 20), 502005760)
>>> cost = insights.bias_cost(d20)
>>> cost.exact, cost.shortcut
(230400, 153600)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy import Expr

from .breakdown import Breakdown, Row
from .components import Module
from .errors import SymparamsError
from .factoring import factor as factored
from .format import grouped, human, share
from .spec import Spec, apply_overrides, pretty
from .symbols import INFO, D, L

__all__ = [
    "Variant", "variant", "layer_rows", "per_block", "Split", "split", "Ratio", "mlp_to_attention",
    "Doubling", "doubling", "doubled", "deeper", "KVHeads", "kv_heads", "with_biases", "BiasCost", "bias_cost",
    "GUIDE_KV_HEADS", "GUIDE_EXPANSIONS", "GUIDE_VOCABS", "guide_insights",
]

# The variations the guide asks its reader to try (its "Next steps").
GUIDE_KV_HEADS = (2, 4)
GUIDE_EXPANSIONS = (2, 8)
GUIDE_VOCABS = (32_768, 131_072, 262_144)


@dataclass(frozen=True)
class Variant:
    """A model with some symbols set to other values, or the reason it cannot be built."""

    base: Spec
    where: tuple[tuple[str, Expr], ...]
    spec: Spec | None
    refused: str = ""

    @property
    def ok(self) -> bool:
        return self.spec is not None

    @property
    def total(self) -> int:
        return self._spec().total

    def _spec(self) -> Spec:
        if self.spec is None:
            raise SymparamsError(self.refused)
        return self.spec


def variant(spec: Spec, /, **where: object) -> Variant:
    """``spec`` with symbols set by name; a variant the model's constraints refuse is kept, with why."""
    items = tuple((k, sympy.Integer(v) if isinstance(v, int) else sympy.sympify(v)) for k, v in where.items())
    try:
        other = apply_overrides(spec, dict(items))
        other.env  # noqa: B018 - validates now
        other.total  # noqa: B018
    except SymparamsError as err:
        return Variant(spec, items, None, str(err))
    return Variant(spec, items, other)


def _is_layers(node: Module) -> bool:
    return sympy.sympify(node.multiplier()) == L


def layer_rows(bd: Breakdown) -> tuple[Row, ...]:
    """The top-level rows that repeat a block L times: the model's layers.

    Other repeats (nanochat-2026's value embeddings on ceiling(L/2) layers) are
    not blocks; they count as layers only when nothing repeats exactly L times.
    """
    rows = tuple(r for r in bd.top() if _is_layers(r.node))
    return rows or tuple(r for r in bd.top() if r.node.multiplier() != 1)


def _leaf_totals(spec: Spec, node: Module, copies: int = 1) -> dict[str, int]:
    """Parameters per group of every leaf under ``node`` (times ``copies``), without forming any formula."""
    out: dict[str, int] = {}
    for _, times, leaf in node.walk():
        if not leaf.children():
            out[leaf.group] = out.get(leaf.group, 0) + spec.count(leaf) * int(spec.value(times)) * copies
    return out


def _layers(spec: Spec) -> list[Module]:
    exact = [c for c in spec.tree.children() if _is_layers(c)]
    return exact or [c for c in spec.tree.children() if c.multiplier() != 1]


def per_block(spec: Spec) -> dict[str, int]:
    """Parameters of one block, per group (attention, mlp, norm, ...), from its leaves."""
    layers = _layers(spec)
    if not layers:
        raise SymparamsError(f"{spec.name} has no repeated block")
    return _leaf_totals(spec, layers[0].children()[0])


@dataclass(frozen=True)
class Split:
    """Parameters inside the repeated blocks versus outside them (embeddings, head, final norm)."""

    layers: int
    outside: int

    @property
    def total(self) -> int:
        return self.layers + self.outside

    @property
    def layers_share(self) -> Fraction:
        return Fraction(self.layers, self.total)

    @property
    def outside_share(self) -> Fraction:
        return Fraction(self.outside, self.total)


def split(spec: Spec) -> Split:
    """The guide's "embeddings 29.9% / layers 70.1%" for any model."""
    inside = sum(spec.count(r) for r in _layers(spec))
    return Split(inside, spec.total - inside)


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator`` exactly, and the same ratio in closed form."""

    numerator: int
    denominator: int
    formula: Expr

    @property
    def value(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


def _first(spec: Spec, group: str) -> Module | None:
    """The first layer (a node with parts) of ``group`` in the tree: its attention, its MLP."""
    for _, _, node in spec.tree.walk():
        if node.group == group and node.children():
            return node
    return None


def mlp_to_attention(spec: Spec) -> Ratio:
    """MLP parameters per block over attention parameters per block (2 for nanochat at e = 4)."""
    attn, mlp = _first(spec, "attention"), _first(spec, "mlp")
    if attn is None or mlp is None:
        raise SymparamsError(f"{spec.name} has no attention and MLP to compare")
    form = factored(sympy.cancel(spec.formula(mlp) / spec.formula(attn)))
    return Ratio(spec.count(mlp), spec.count(attn), form)


@dataclass(frozen=True)
class Doubling:
    """What doubling one symbol does to the embeddings, one block, the layers and the total."""

    symbol: str
    before: Spec
    after: Variant

    def ratio(self, what: str) -> Fraction:
        """``what`` is ``outside`` (embeddings, head), ``block``, ``layers`` or ``total``."""
        return Fraction(_reading(self.after._spec(), what), _reading(self.before, what))


def _reading(spec: Spec, what: str) -> int:
    if what == "total":
        return spec.total
    parts = split(spec)
    if what == "outside":
        return parts.outside
    if what == "layers":
        return parts.layers
    if what == "block":
        return sum(per_block(spec).values())
    raise SymparamsError(f"unknown reading {what!r}")


def doubling(spec: Spec, symbol: str) -> Doubling:
    """``spec`` against the same model with ``symbol`` (L, D, V, ...) doubled; doubling L doubles every count of
    one kind of its layers with it (:func:`deeper`)."""
    return Doubling(symbol, spec, variant(spec, **doubled(spec, symbol)))


def doubled(spec: Spec, symbol: str) -> dict[str, int]:
    """The values that double ``symbol`` in ``spec``: itself, and for the depth L, :func:`deeper`'s."""
    return deeper(spec, 2) if symbol == "L" else {symbol: 2 * int(spec.env[_symbol(symbol)])}


def deeper(spec: Spec, factor: int) -> dict[str, int]:
    """The values that make ``spec`` ``factor`` times as deep: L, and each count of the layers of one kind among them
    that the config sets (L_s, L_d, ...: a symbol whose ``symbols.INFO`` says ``of_depth``), so that a deeper hybrid
    keeps its mix of layer kinds rather than growing only the kind no symbol counts. A count that a relation defines
    (Gemma 2's L - floor(L/2) sliding layers) follows L by itself."""
    derived = {s for s, _ in spec.relations}
    out = {"L": factor * int(spec.env[L])}
    for s, value in spec.env.items():
        info = INFO.get(s.name)
        if info is not None and info.of_depth and s not in derived:
            out[s.name] = factor * int(value)
    return out


def _symbol(name: str):
    from .symbols import symbol

    return symbol(name)


@dataclass(frozen=True)
class KVHeads:
    """The model with ``kv_heads`` key/value heads: attention per block, its saving, the total."""

    kv_heads: int
    base_attention: int
    variant: Variant

    @property
    def attention(self) -> int:
        return per_block(self.variant._spec())["attention"]

    @property
    def saving(self) -> Fraction:
        """The share of the model's attention parameters this variant saves (negative: costs)."""
        return 1 - Fraction(self.attention, self.base_attention)

    @property
    def total(self) -> int:
        return self.variant.total


def kv_heads(spec: Spec, n: int) -> KVHeads:
    """GQA with ``n`` key/value heads (n = 1 is MQA), or why this model cannot have them."""
    return KVHeads(n, per_block(spec)["attention"], variant(spec, H_kv=n))


def with_biases(spec: Spec) -> Spec:
    """``spec`` with a bias on every linear layer inside its repeated blocks.

    Each node says what it becomes with biases (:meth:`Module.with_bias`).
    """
    parts = tuple(c.with_bias() if c.multiplier() != 1 else c for c in spec.tree.children())
    return dataclasses.replace(spec, tree=dataclasses.replace(spec.tree, parts=parts), name=spec.name + " with biases")


@dataclass(frozen=True)
class BiasCost:
    """Biases on every linear layer of the blocks: exact cost against the "D per layer" shortcut.

    ``wider`` lists the layers whose bias is not D wide (name, width formula, width):
    they are why the shortcut is wrong. ``biased`` names the layers that have a bias
    already and ``bare`` those the rebuilt model leaves without one: the shortcut
    counts D for each of them, yet they cost nothing.
    """

    exact: int
    exact_formula: Expr
    linear_layers: int
    shortcut: int
    shortcut_formula: Expr
    wider: tuple[tuple[str, Expr, int], ...]
    biased: tuple[str, ...] = ()
    bare: tuple[str, ...] = ()

    @property
    def difference(self) -> int:
        return self.exact - self.shortcut


def bias_cost(spec: Spec) -> BiasCost:
    """What biases on every linear layer in the blocks cost, exactly and by the guide's shortcut."""
    biased = with_biases(spec)
    exact = biased.total - spec.total
    form = factored(sympy.expand(biased.closed_form - spec.closed_form))
    bd = spec.breakdown()
    layers = layer_rows(bd)
    if not layers:
        raise SymparamsError(f"{spec.name} has no repeated block")
    rebuilt = {r.path: r.node for r in biased.breakdown().rows}
    counts: list[tuple[int, Expr]] = []  # (linear layers per block, blocks) of each stack
    outs: dict[str, tuple[Row, Expr]] = {}  # each layer once, by its path in its block (stacks share names)
    for block in layers:  # every stack of blocks: dense and MoE layers, attention and state-space layers
        linears = [r for r in bd.rows if r.path.startswith(block.path + ".") and r.is_leaf and r.node.matmul() != 0]
        per_block = sum(r.copies for r in linears) // (int(spec.value(block.node.multiplier())) * block.copies)
        counts.append((per_block, block.node.multiplier()))
        for r in linears:
            outs.setdefault(r.path[len(block.path) + 1:], (r, sympy.sympify(rebuilt[r.path].params() - r.node.params())))
    n = counts[0][0]
    if len({c for c, _ in counts}) == 1:  # stacks alike in their linear layers: n per block over all of them
        shortcut_form: Expr = n * D * sympy.Add(*(blocks for _, blocks in counts))
    else:
        shortcut_form = sympy.Add(*(c * D * blocks for c, blocks in counts))
    wider = tuple((path, pretty(spec.substitute(out)), int(spec.value(out)))
                  for path, (r, out) in outs.items() if spec.value(out) not in (0, spec.env[D]))
    free = [(path, r) for path, (r, out) in outs.items() if spec.value(out) == 0]
    biased_already = tuple(path for path, r in free if getattr(r.node, "bias", False))
    bare = tuple(path for path, r in free if not getattr(r.node, "bias", False))
    return BiasCost(exact, form, n, int(spec.value(shortcut_form)), shortcut_form, wider, biased_already, bare)


def _outside(spec: Spec, brief: bool = False) -> str:
    """What lies outside the blocks, as a sentence names it: the embeddings and head (and final norm), or, where towers
    stand beside the decoder (a vision encoder and its projector), all of those."""
    from .components.tower import Tower

    if any(isinstance(c, Tower) for c in spec.tree.children()):
        return "outside the decoder's blocks (embeddings, head and towers)"
    return "embeddings and head" if brief else "embeddings, head and final norm"


def guide_insights(spec: Spec) -> list[str]:
    """The guide's insights for ``spec``, one sentence each, every figure computed.

    >>> import symparams
    >>> print(guide_insights(symparams.model("nanochat", depth=20))[0])
    MLP per block / attention per block = 13,107,200 / 6,553,600 = 2 (formula: e/2).
    """
    out = []
    try:
        r = mlp_to_attention(spec)
        out.append(f"MLP per block / attention per block = {grouped(r.numerator)} / {grouped(r.denominator)}"
                   f" = {_fraction(r.value)} (formula: {r.formula}).")
    except SymparamsError:
        pass
    for name in ("L", "D"):
        d = doubling(spec, name)
        name = " and ".join(doubled(spec, name))
        if d.after.ok:
            out.append(f"Doubling {name}: {_outside(spec, brief=True)} x{_fraction(d.ratio('outside'))},"
                       f" one block x{_fraction(d.ratio('block'))}, total x{_fraction(d.ratio('total'))}.")
        else:
            out.append(f"Doubling {name} is refused: {d.after.refused}.")
    parts = split(spec)
    out.append(f"Layers {grouped(parts.layers)} ({share(parts.layers_share)}); {_outside(spec)}"
               f" {grouped(parts.outside)} ({share(parts.outside_share)}).")
    names = {s.name for s in spec.symbols} | {s.name for s, _ in spec.relations}
    if "H_kv" in names:
        for n in sorted({1, *GUIDE_KV_HEADS}):
            kv = kv_heads(spec, n)
            if kv.variant.ok:
                out.append(f"H_kv = {n}: attention {grouped(kv.attention)} per block ({share(kv.saving)} saved),"
                           f" total {grouped(kv.total)} ({human(kv.total)}).")
            else:
                out.append(f"H_kv = {n} is refused: {kv.variant.refused}.")
    if "e" in names:
        for e in GUIDE_EXPANSIONS:
            v = variant(spec, e=e)
            out.append(f"e = {e}: total {grouped(v.total)} ({human(v.total)})." if v.ok else f"e = {e} is refused: {v.refused}.")
    if "V" in names:
        for vocab in GUIDE_VOCABS:
            v = variant(spec, V=vocab)
            if v.ok:
                p = split(v._spec())
                out.append(f"V = {grouped(vocab)}: total {grouped(v.total)} ({human(v.total)}),"
                           f" {_outside(spec, brief=True)} {share(p.outside_share)}.")
    try:
        b = bias_cost(spec)
        out.append(f"Biases on all {b.linear_layers} linear layers of every block: exactly {grouped(b.exact)}"
                   f" ({b.exact_formula}); the shortcut {b.shortcut_formula} says {grouped(b.shortcut)}.")
    except SymparamsError:
        pass
    return out


def _fraction(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"

