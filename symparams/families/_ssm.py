"""What the state-space and hybrid families share when they build: layer kinds, the Mamba rank, the Spec.

Hybrids (Jamba, Bamba, Nemotron-H, Zamba2) stack layers of several kinds. Every
reading of a tree is a sum over its layers, so a hybrid's tree holds one ``Repeat``
per kind whose count is a symbol: L_s state-space layers, L_a attention layers,
L_d dense-MLP layers, and the last kind present takes what is left of L (Jamba's
attention layers are L - L_s). The closed form stays a polynomial in the paper's
symbols, and the counts' values come from the config's layer pattern. Configs are
read and checked in :mod:`._ssm_config`, with no SymPy.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from sympy import Expr, Integer, Symbol, ceiling, expand

from ..components import Composite, Module, Repeat
from ..spec import AtMost, Constraint, Divides, Spec
from ..symbols import SYMBOLS, D, H, H_kv, L

__all__ = ["AUTO_RANK", "by_symbol", "kinds", "ssm_spec", "attention_rules"]

# Mamba's time_step_rank "auto": ceil(D / 16), a relation that follows D.
AUTO_RANK = ceiling(D / 16)


def by_symbol(values: Iterable[tuple[str, int]]) -> dict[Symbol, int]:
    """A Reading's values keyed by their symbols, in its order."""
    return {SYMBOLS[n]: v for n, v in values}


def kinds(parts: Sequence[tuple[str, Symbol, int, Module]], total: Expr = L,
          first: str | None = None) -> tuple[list[Module], dict[Symbol, int]]:
    """One ``Repeat`` per kind of layer present, counted by a symbol; the last present kind takes the rest.

    ``parts`` lists (name, count symbol, count, layer) in a fixed order. Kinds with no
    layer are left out; if one kind is left it is simply ``total`` (L) layers. Returns
    the Repeats and the values of the count symbols used. The Repeat named ``first``
    (the attention layers) leads the tree when present, so that readings which look at
    "a block" (per-block shares, KV-head variants) find the layer with attention.
    """
    present = [p for p in parts if p[2] > 0]
    repeats: list[Module] = []
    values: dict[Symbol, int] = {}
    for i, (name, sym, n, layer) in enumerate(present):
        if i == len(present) - 1:
            count = total - sum((s for _, s, _, _ in present[:-1]), Integer(0))
        else:
            count, values[sym] = sym, n
        repeats.append(Repeat(name, count, layer))
    repeats.sort(key=lambda r: r.name != first)
    return repeats, values


def _rests(tree: Composite) -> list[Expr]:
    """The layer counts of the tree's kinds that take the rest of L from two or more others (L - L_a - L_s)."""
    out = []
    for node in tree.children():
        count = getattr(node, "count", None)
        if isinstance(count, Expr) and count.has(L) and len(count.free_symbols) > 2:
            out.append(count)
    return out


def ssm_spec(family: str, tree: Composite, values: Mapping[Symbol, int], relations: Mapping[Symbol, Expr] = {},
             constraints: Iterable[Constraint] = (), kept: Iterable[Symbol] = (), notes: Iterable[str] = (),
             counts: Iterable[Symbol] = ()) -> Spec:
    """The Spec: sizes as free symbols with values, derived ones as relations kept in closed forms.

    A symbol given both a value and a relation keeps only the relation (its value
    follows the others). Each layer-count symbol in ``counts`` must not exceed L.
    """
    relations = dict(relations)
    vals = {s: v for s, v in values.items() if s not in relations}
    rules = list(constraints) + [AtMost(c, L, "layers of one kind are at most all layers") for c in counts]
    for rest in _rests(tree):  # the last kind present takes L minus the others, which must not be negative
        rules.append(AtMost(expand(L - rest), L, "the layers of these kinds are among the L layers"))
    width = values.get(D)
    layers = values.get(L)
    return Spec(
        name=f"{family} (D={width}, L={layers})",
        family=family,
        tree=tree,  # type: ignore[arg-type]
        values=tuple((s, Integer(v)) for s, v in vals.items()),
        relations=tuple(relations.items()),
        constraints=tuple(rules),
        notes=tuple(notes),
        kept=tuple(kept),
    )


def attention_rules(head_dim_derived: bool) -> list[Constraint]:
    """What GQA attention needs: H_kv divides H, and H divides D when d_h = D/H."""
    rules: list[Constraint] = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    if head_dim_derived:
        rules.append(Divides(H, D, "head_dim is hidden_size / num_attention_heads"))
    return rules
