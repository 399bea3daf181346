"""Shared pieces of the LayerNorm-era Hugging Face families (GPT-2, OPT, GPT-NeoX, GPT-J, BLOOM, Falcon, phi).

These seven families differ in a handful of switches (biases, one or two norms per
block, learned positions, a tied head with or without a bias) but build their trees
from the same parts. Their config fields are each family's own :class:`~symparams.config.Fields`
table, read through ``cfg.get``; what they share in structure lives here, and the readings
they build from (plain data, no SymPy) are made by :mod:`._layernorm_config`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from ..components import Block, Linear, Model, Module, Norm
from ..spec import Constraint, Spec
from ..symbols import D, L, V

if TYPE_CHECKING:
    from .registry import Reading

__all__ = ["layer_norm", "lm_head", "block", "model", "spec", "values_of", "mha_spec"]


def layer_norm(name: str, affine: bool = True) -> Norm:
    """``nn.LayerNorm(D)``: a weight and a bias of D each (none with ``elementwise_affine=False``)."""
    return Norm(name, D, kind="layer", weight=affine, bias=affine)


def lm_head(tied: bool, bias: bool = False, name: str = "lm_head", width=D) -> Linear:
    """The output projection width -> V; tied, it stores only its bias (GPT-J, phi keep one)."""
    return Linear(name, width, V, bias=bias, tied=tied, group="head")


def block(name: str, parts: Iterable[Module], label: str) -> Block:
    return Block(name, tuple(parts), label=label)


def model(name: str, parts: Iterable[Module], label: str) -> Model:
    return Model(name, tuple(parts), label=label)


def spec(
    family: str,
    tree: Model,
    values: Mapping,
    relations: Mapping | None = None,
    constraints: Iterable[Constraint] = (),
    notes: Iterable[str] = (),
) -> Spec:
    """The Spec of a LayerNorm family's tree, named after the family, width and depth.

    A preset or file name replaces that name.
    """
    values = dict(values)
    return Spec(
        name=f"{family} (D={values[D]}, L={values[L]})",
        family=family,
        tree=tree,
        values=tuple(values.items()),
        relations=tuple(dict(relations or {}).items()),
        constraints=tuple(constraints),
        notes=tuple(notes),
    )


def values_of(r: Reading) -> dict:
    """The symbols' values of a Reading, as a Spec holds them, in the Reading's order."""
    from sympy import Integer

    from ..symbols import SYMBOLS

    return {SYMBOLS[n]: Integer(v) for n, v in r.values}


def mha_spec(family: str, tree: Model, r: Reading, why: str, constraints: Iterable[Constraint] = ()) -> Spec:
    """The Spec of a multi-head LayerNorm model from its reading: H_kv = H and d_h = D/H, H dividing D
    (``why`` says so in the family's words), and F = 4D where the config gives no F; ``constraints``
    follow that one. H_kv must divide H, as in every family: a variant that sets H_kv (GQA) keeps that rule."""
    from ..spec import Divides
    from ..symbols import F, H, H_kv, d_h

    values = values_of(r)
    relations = {H_kv: H, d_h: D / H}
    if F not in values:
        relations[F] = 4 * D
    return spec(family, tree, values, relations,
                [Divides(H, D, why), Divides(H_kv, H, "each key/value head serves H/H_kv query heads"), *constraints])
