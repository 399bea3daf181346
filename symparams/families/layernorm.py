"""Shared pieces of the LayerNorm-era Hugging Face families (GPT-2, OPT, GPT-NeoX, GPT-J, BLOOM, Falcon, phi).

These seven families differ in a handful of switches (biases, one or two norms per
block, learned positions, a tied head with or without a bias) but read their
config fields the same way and name their parameters in the same style. What
they share lives here so each family module is only its own table of fields,
defaults and structure.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ..components import Block, Linear, Model, Module, Norm
from ..config import Config
from ..spec import Constraint, Spec
from ..symbols import D, V

__all__ = ["alias_int", "refuse_nulls", "layer_norm", "lm_head", "block", "model", "spec", "group_of"]


def alias_int(cfg: Config, names: Sequence[str], default: int | None) -> int | None:
    """A whole-number field that transformers accepts under several names (``n_embd``/``hidden_size``).

    transformers silently lets one alias win; a file giving two different values is
    almost certainly a mistake, so it is refused rather than resolved by a rule the
    user cannot see.
    """
    cfg.read.update(names)
    present = [n for n in names if cfg.has(n)]
    values = {n: cfg.int(n) for n in present}
    if len(set(values.values())) > 1:
        shown = ", ".join(f"{n}={v}" for n, v in values.items())
        raise cfg.error(present[0], f"conflicting values for the same size ({shown})")
    return next(iter(values.values())) if values else default


def refuse_nulls(cfg: Config, nullable: Iterable[str] = ()) -> None:
    """Refuse ``null`` in every field the family read, except those transformers derives from null.

    The accessors treat ``null`` like a missing field, which is right for the
    fields transformers fills in itself (``n_inner: null`` means 4*D). For the
    others transformers rejects the config or builds nothing sensible, so a count
    would describe a model that does not exist.
    """
    allowed = set(nullable)
    for name in sorted(cfg.read - allowed):
        if name in cfg.data and cfg.data[name] is None:
            raise cfg.error(name, "is null, which transformers does not accept here (leave it out for the default)")


def layer_norm(name: str, affine: bool = True) -> Norm:
    """``nn.LayerNorm(D)``: a weight and a bias of D each (none with ``elementwise_affine=False``)."""
    return Norm(name, D, kind="layer", weight=affine, bias=affine)


def lm_head(tied: bool, bias: bool = False, name: str = "lm_head") -> Linear:
    """The output projection D -> V; tied, it stores only its bias (GPT-J, phi keep one)."""
    return Linear(name, D, V, bias=bias, tied=tied, group="head")


def block(name: str, parts: Iterable[Module], label: str) -> Block:
    return Block(name, tuple(parts), label=label)


def model(name: str, parts: Iterable[Module], label: str) -> Model:
    return Model(name, tuple(parts), label=label)


def spec(
    cfg: Config,
    family: str,
    tree: Model,
    values: Mapping,
    relations: Mapping = (),
    constraints: Iterable[Constraint] = (),
    nullable: Iterable[str] = (),
) -> Spec:
    """The Spec of a config whose fields have all been read (so stray nulls can be refused here).

    It is named after the family, width and depth; a preset or file name replaces that.
    """
    from ..symbols import L

    refuse_nulls(cfg, nullable)
    values = dict(values)
    name = f"{family} (D={values[D]}, L={values[L]})"
    return Spec(
        name=name,
        family=family,
        tree=tree,
        values=tuple(values.items()),
        relations=tuple(dict(relations).items()),
        constraints=tuple(constraints),
    )


def group_of(name: str, table: Mapping[str, str]) -> str:
    """The tree group of a transformers parameter name, from its innermost known module name.

    Reading from the innermost module outwards lets a norm inside attention (phi's
    ``self_attn.q_layernorm``) count as a norm, while names used in several places
    (GPT-2's ``c_proj`` in both attention and MLP) are left out of the table and
    resolved by the enclosing module. Unknown names fall in "other", which no tree
    of these families uses, so a verification shows them as a mismatch.
    """
    for part in reversed(name.split(".")):
        if part in table:
            return table[part]
    return "other"
