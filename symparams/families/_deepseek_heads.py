"""Head sizes as transformers' ``getattr(config, "head_dim", hidden_size // num_attention_heads)`` makes them.

Shared by this group's Llama-like families (OLMo, OLMo 2/3, OLMoE, Granite, Granite MoE,
GLM-4.5), whose attention reads ``head_dim`` that way: a config.json may carry one, and
without it the head size is D // H, *floored*. GLM-4.5's own defaults (D = 4096,
H = 96) build heads of 42. :func:`.decoder.read_sizes` refuses a width the heads do not
divide; here such a width is read as transformers reads it, with d_h kept in closed forms
as the relation d_h = floor(D/H), so that ``--set D=...`` still moves the head size.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DERIVED, Config
from . import decoder_sizes
from .registry import Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["read_sizes", "floored", "floored_reading"]


def read_sizes(cfg: Config) -> tuple[decoder_sizes.Sizes, bool]:
    """:func:`.decoder.read_sizes`, and whether d_h is D // H floored (H does not divide D, no head_dim)."""
    width, heads = cfg.get("hidden_size"), cfg.get("num_attention_heads")
    if cfg.get("head_dim") is not DERIVED or width % heads == 0:
        return decoder_sizes.read_sizes(cfg), False
    shadow = Config({**cfg.data, "head_dim": width // heads}, cfg.source, cfg.fields)
    sizes = decoder_sizes.read_sizes(shadow)
    cfg.read |= shadow.read
    note = (f"head_dim not given: hidden_size // num_attention_heads = {width} // {heads} = {width // heads} "
            "(floored, as transformers floors it)")
    return replace(sizes, notes=sizes.notes + (note,)), True


def floored(spec: Spec) -> Spec:
    """``spec`` with d_h the relation floor(D/H) instead of a value (for a head size transformers floors)."""
    import sympy

    from ..symbols import D, H, d_h

    return replace(spec, values=tuple((s, v) for s, v in spec.values if s is not d_h),
                   relations=spec.relations + ((d_h, sympy.floor(D / H)),))


def floored_reading(r: Reading, floor: bool) -> Reading:
    """A decoder's reading with the shape saying whether d_h is floor(D/H), and no value of d_h where it is."""
    if not floor:
        return replace(r, shape=(*r.shape, ("floored", False)))
    return replace(r, shape=(*r.shape, ("floored", True)), values=tuple((n, v) for n, v in r.values if n != "d_h"))
