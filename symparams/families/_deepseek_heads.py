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

import sympy

from ..config import DERIVED, Config
from ..spec import Spec
from ..symbols import D, H, d_h
from . import decoder

__all__ = ["read_sizes", "floored"]


def read_sizes(cfg: Config) -> tuple[decoder.Sizes, bool]:
    """:func:`.decoder.read_sizes`, and whether d_h is D // H floored (H does not divide D, no head_dim)."""
    width, heads = cfg.get("hidden_size"), cfg.get("num_attention_heads")
    if cfg.get("head_dim") is not DERIVED or width % heads == 0:
        return decoder.read_sizes(cfg), False
    shadow = Config({**cfg.data, "head_dim": width // heads}, cfg.source, cfg.fields)
    sizes = decoder.read_sizes(shadow)
    cfg.read |= shadow.read
    note = (f"head_dim not given: hidden_size // num_attention_heads = {width} // {heads} = {width // heads} "
            "(floored, as transformers floors it)")
    return replace(sizes, notes=sizes.notes + (note,)), True


def floored(spec: Spec) -> Spec:
    """``spec`` with d_h the relation floor(D/H) instead of a value (for a head size transformers floors)."""
    return replace(spec, values=tuple((s, v) for s, v in spec.values if s is not d_h),
                   relations=spec.relations + ((d_h, sympy.floor(D / H)),))
