"""What the state-space and hybrid families share: reading Mamba sizes, counting layer kinds, the Spec.

Hybrids (Jamba, Bamba, Nemotron-H, Zamba2) stack layers of several kinds. Every
reading of a tree is a sum over its layers, so a hybrid's tree holds one ``Repeat``
per kind whose count is a symbol: L_s state-space layers, L_a attention layers,
L_d dense-MLP layers, and the last kind present takes what is left of L (Jamba's
attention layers are L - L_s). The closed form stays a polynomial in the paper's
symbols, and the counts' values come from the config's layer pattern.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

from sympy import Expr, Integer, Symbol, ceiling

from ..components import Composite, Module, Repeat
from ..config import Config, Fields
from ..spec import AtMost, Constraint, Divides, Spec
from ..symbols import D, H, H_kv, L

__all__ = [
    "dt_rank", "kinds", "ssm_spec", "attention_rules", "refuse_layer_types", "refuse_odd_rope", "mamba2_head",
    "layer_indices", "read_all", "chunk_length",
]


def dt_rank(cfg: Config, name: str, width: int, width_symbol: Symbol, digits: bool = True) -> tuple[int, Expr | None]:
    """Mamba's ``time_step_rank``: ``"auto"`` is ceil(D / 16) (a relation that follows D), else a number.

    transformers' Mamba and Mamba-2 run ``int()`` on the value, so there (``digits``) a
    string of digits ("48") counts as the number; Jamba uses it as it is, so a string
    other than "auto" fails there. Any other text is refused.
    """
    value = cfg.get(name)
    if value == "auto":
        return math.ceil(width / 16), ceiling(width_symbol / 16)
    if digits and isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0:
        return int(value), None
    if isinstance(value, str):
        raise cfg.error(name, f"{value!r} is neither \"auto\" nor a whole number")
    return cfg._int(name, value, 1), None


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


def refuse_layer_types(cfg: Config, *names: str) -> None:
    """Refuse layer-pattern fields that transformers cannot set on this family (a read-only property)."""
    for name in names:
        if cfg.given(name):
            raise cfg.error(name, f"is read-only in transformers' {cfg.model_type} config (it cannot build this file); "
                                  "leave it out")


def refuse_odd_rope(cfg: Config, head_dim: int, name: str = "head_dim") -> None:
    """transformers' RoPE check: an explicit head_dim above 4 must be even when the whole head is rotated."""
    partial = any(
        isinstance(cfg.data.get(key), dict) and "partial_rotary_factor" in cfg.data[key]
        for key in ("rope_parameters", "rope_scaling")
    ) or cfg.given("partial_rotary_factor")
    if head_dim > 4 and head_dim % 2 and not partial:
        raise cfg.error(name, f"{head_dim} is odd, and transformers' RoPE needs an even rotary dimension")


def mamba2_head(cfg: Config, heads_field: str, head_field: str, inner: int, width: str = "") -> None:
    """Check a Mamba-2 head size the way Bamba's and Falcon-H1's configs validate it.

    ``"auto"`` is width // heads, and heads must divide the width; an explicit head
    size times the heads must be the width. ``width`` says where the width comes from.
    """
    heads = cfg.get(heads_field)
    where = f" ({width})" if width else ""
    if inner % heads:
        raise cfg.error(heads_field, f"{heads} does not divide the mixer's width {inner}{where}")
    head = cfg.get(head_field)
    if head == "auto":
        return
    if isinstance(head, str):
        raise cfg.error(head_field, f"{head!r} is neither \"auto\" nor a whole number")
    head = cfg._int(head_field, head, 1)
    if head * heads != inner:
        raise cfg.error(head_field, f"{head} x {heads_field} {heads} is not the mixer's width {inner}{where}")


def layer_indices(cfg: Config, name: str, layers: int) -> set[int]:
    """The layers a list of indices names (Bamba's ``attn_layer_indices``); null or missing names none.

    transformers tests ``i in indices`` for i in 0..L-1, so repeats and indices outside
    the model change nothing; anything but a list of whole numbers is refused.
    """
    cfg.read.add(name)
    value = cfg.data.get(name)
    if value is None:
        return set()
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise cfg.error(name, "expected a list of layer numbers")
    return {i for i in value if 0 <= i < layers}


def read_all(cfg: Config, fields: Fields, unused: Iterable[str] = ()) -> None:
    """Read every field of the table, whatever this config's layers use.

    transformers' strict config classes check each field's type when the config is
    built, used or not, so a null, a non-finite number or a wrong type is refused
    wherever they refuse it. The fields in ``unused`` belong to layers this config does
    not have and are not declared strictly (transformers only fails on them while
    building such a layer): their null is accepted, a value is still checked.
    """
    skip = set(unused)
    for f in fields:
        if f.name in skip:
            cfg.read.update(f.names)
            if any(cfg.has(n) for n in f.names):
                cfg.get(f.name)
        else:
            cfg.get(f.name)


def chunk_length(cfg: Config, name: str) -> tuple[dict, tuple[str, ...]]:
    """Mamba-2's chunk length Q as a value, or none (and a note) where the config's is null.

    Q shapes no weight, so transformers builds a model whose ``mamba_chunk_size`` is null
    (its forward pass cannot run): the count stands, the scan's FLOPs cannot be read.
    """
    from ..config import DERIVED
    from ..symbols import Q

    value = cfg.get(name)
    if value is DERIVED:
        return {}, (f"{name} is null: the scan's chunk length Q, and so its FLOPs, are not known "
                    "(transformers builds this model but cannot run it)",)
    return {Q: value}, ()
