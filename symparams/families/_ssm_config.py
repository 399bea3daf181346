"""The config side of the state-space and hybrid families: their checks, and the sizes they read, without SymPy.

Reading is kept apart from building (:mod:`._ssm`) so that a config can be read and
checked with no tree built: a count whose shape is already known
(:mod:`symparams.shapes`) needs only these numbers. Layer layouts are read to plain
strings (one character per layer), which the shapes hold as they are.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from ..config import DEFAULT, DERIVED, Config, Field, Fields

__all__ = [
    "MAMBA2_FIELDS", "MAMBA2_ONLY", "read_dt_rank", "refuse_layer_types", "refuse_odd_rope", "mamba2_head",
    "layer_indices", "read_all", "read_chunk", "kind_counts",
]


# The Mamba-2 fields of BambaConfig and GraniteMoeHybridConfig (transformers 5.x), which share the mixer and its defaults.
MAMBA2_FIELDS = (
    Field("mamba_expand", 2),
    Field("mamba_n_heads", 128),
    Field("mamba_d_head", "auto", kind="any", types=("str", "int")),
    Field("mamba_n_groups", 1),
    Field("mamba_d_state", 256),
    Field("mamba_d_conv", 4),
    Field("mamba_chunk_size", 256, null=DERIVED),
    Field("mamba_conv_bias", True, kind="bool", null=DERIVED),
    Field("mamba_proj_bias", False, kind="bool", null=DEFAULT),
)
# Those only the Mamba-2 layers read; the classes declare them Optional, so a config without such layers may leave
# them null.
MAMBA2_ONLY = ("mamba_n_groups", "mamba_d_state", "mamba_d_conv", "mamba_chunk_size")


def read_dt_rank(cfg: Config, name: str, width: int, digits: bool = True) -> tuple[int, bool]:
    """Mamba's ``time_step_rank`` and whether it is ``"auto"`` (ceil(D / 16), a relation that follows D).

    transformers' Mamba and Mamba-2 run ``int()`` on the value, so there (``digits``) a
    string of digits ("48") counts as the number; Jamba uses it as it is, so a string
    other than "auto" fails there. Any other text is refused.
    """
    value = cfg.get(name)
    if value == "auto":
        return math.ceil(width / 16), True
    if digits and isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0:
        return int(value), False
    if isinstance(value, str):
        raise cfg.error(name, f"{value!r} is neither \"auto\" nor a whole number")
    return cfg._int(name, value, 1), False


def kind_counts(parts: Sequence[tuple[str, int]]) -> dict[str, int]:
    """The values of the layer-count symbols :func:`._ssm.kinds` uses for ``parts`` ((symbol name, count) by kind):
    every kind present but the last, which takes what is left of L."""
    present = [p for p in parts if p[1] > 0]
    return dict(present[:-1])


def refuse_layer_types(cfg: Config, *names: str) -> None:
    """Refuse layer-pattern fields that transformers cannot set on this family (a read-only property)."""
    for name in names:
        if cfg.given(name):
            raise cfg.error(name, f"is read-only in transformers' {cfg.model_type} config (it cannot build this file); "
                                  "leave it out")


def refuse_odd_rope(cfg: Config, head_dim: int, name: str = "head_dim") -> None:
    """transformers' RoPE check: an explicit head_dim above 4 must be even when the whole head is rotated.

    The error names the field the file states it in (Zamba2's ``attention_head_dim``, an alias).
    """
    from .rope import partial_rotary_factor, rotary_width, whole_rotary

    share = partial_rotary_factor(cfg, 1, strict=False)  # as transformers' validation reads it
    if share == 1:
        whole_rotary(cfg, name, head_dim)
    if head_dim > 4 and head_dim % 2 and rotary_width(head_dim, share) == head_dim:
        held = next((f for f in cfg.fields if name in f.names), None)
        stated = next((n for n in held.names if cfg.has(n)), name) if held is not None else name
        raise cfg.error(stated, f"{head_dim} is odd, and transformers' RoPE needs an even rotary dimension")


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


def read_chunk(cfg: Config, name: str) -> tuple[dict[str, int], tuple[str, ...]]:
    """Mamba-2's chunk length Q as a value (by symbol name), or none (and a note) where the config's is null.

    Q shapes no weight, so transformers builds a model whose ``mamba_chunk_size`` is null
    (its forward pass cannot run): the count stands, the scan's FLOPs cannot be read.
    """
    value = cfg.get(name)
    if value is DERIVED:
        return {}, (f"{name} is null: the scan's chunk length Q, and so its FLOPs, are not known "
                    "(transformers builds this model but cannot run it)",)
    return {"Q": value}, ()
