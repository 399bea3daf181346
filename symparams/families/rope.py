"""What transformers' RoPE validation refuses: a fully rotary head of odd size above 4.

Every config class with rotary embeddings validates them when it is made: a head whose
rotary part is its whole odd size cannot be rotated in pairs, so the config is refused
(tiny test models of at most 4 dimensions pass). The head size it reads is the config
object's ``head_dim`` attribute, which a family's class may always hold (its default, or
D // H worked out in ``__post_init__``), or hold only when a config.json states it.
A family says which (``Family.rope_head``), and the registry checks every model it reads.

Gemma 3 and OLMo 3 keep rope parameters per layer kind instead: each kind their layers
use is validated with its own ``partial_rotary_factor`` (:func:`check_layer_kinds`).

The same validation refuses rope parameters missing a key their type requires, in
every config class, rotary or not (:func:`check_rope_keys`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Iterable

from ..config import Config
from ..spec import Spec
from ..symbols import d_h

__all__ = ["partial_rotary_factor", "check_rope_head_dim", "check_spec", "check_layer_kinds", "check_rope_keys",
           "REQUIRED_KEYS", "ROTARY"]


def partial_rotary_factor(cfg: Config, default: Any = 1) -> Any:
    """The share of each head that rotates, where a config states it (top level, or in its rope parameters)."""
    return _first_factor((cfg.data, cfg.data.get("rope_parameters"), cfg.data.get("rope_scaling")), default)


def _first_factor(holders: Iterable[Any], default: Any) -> Any:
    for holder in holders:
        if isinstance(holder, dict):
            value = holder.get("partial_rotary_factor")
            if isinstance(value, bool):
                continue
            if isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite()) or (
                    isinstance(value, float) and math.isfinite(value)):
                return value
    return default


def check_rope_head_dim(cfg: Config, head_dim: int, field: str = "head_dim", partial_default: Any = 1) -> None:
    """Refuse what transformers' RoPE validation refuses: a fully rotary head of odd size above 4.

    (A partly rotary head rounds its odd rotary part up and fits; tiny test models of at
    most 4 dimensions are let through by transformers, so they are here.)
    """
    _refuse_odd(cfg, head_dim, partial_rotary_factor(cfg, partial_default), field)


def _refuse_odd(cfg: Config, head_dim: int, partial: Any, field: str, where: str = "") -> None:
    if head_dim > 4 and head_dim % 2 and int(head_dim * partial) == head_dim:
        raise cfg.error(field, f"makes heads of odd size {head_dim} (head_dim); transformers' rotary embedding "
                               f"needs an even rotary dimension and refuses it{where}")


def check_spec(cfg: Config, spec: Spec, how: str | None) -> None:
    """Refuse ``spec`` where transformers' RoPE validation refuses its config.

    ``how`` is Family.rope_head: "always" (the class holds the head size the family reads),
    "given" (only a head_dim the config.json states, as written), or None (no rotary
    embedding, or the family checks it itself).
    """
    if how is None:
        return
    if how not in ("always", "given"):
        raise ValueError(f"Family.rope_head is 'always', 'given' or None, not {how!r}")
    if how == "given":
        size = cfg.data.get("head_dim")
        if type(size) is not int:
            return
    else:
        value = spec.env.get(d_h)
        if value is None or not value.is_Integer:
            return
        size = int(value)
    check_rope_head_dim(cfg, size, "head_dim" if cfg.has("head_dim") else "num_attention_heads")


def check_layer_kinds(cfg: Config, kinds: Iterable[str]) -> None:
    """Refuse a stated odd head_dim where a layer kind the model uses rotates all of it (Gemma 3, OLMo 3), and
    rope parameters of a kind it uses that lack a key their rope_type requires.

    Their config classes always nest ``rope_parameters`` by layer kind, filling in a missing
    kind with defaults and merging a legacy ``rope_scaling`` into the full-attention one, and
    validate each kind the layers use with that kind's own ``partial_rotary_factor``. A
    top-level factor, or one in un-nested parameters, reaches none of them.
    """
    size = cfg.data.get("head_dim")
    nested = cfg.data.get("rope_parameters")
    legacy = cfg.data.get("rope_scaling")
    for kind in sorted(set(kinds)):
        own = nested.get(kind) if isinstance(nested, dict) else None
        holders = (legacy, own) if kind == "full_attention" else (own,)
        entry, name = (own if isinstance(own, dict) else {}), "rope_parameters"
        if kind == "full_attention" and isinstance(legacy, dict) and legacy:
            entry, name = {**entry, **legacy}, "rope_scaling"
        if entry:
            _refuse_missing(cfg, name, entry, filled=True, where=f" for its {kind} layers")
        if type(size) is int:
            _refuse_odd(cfg, size, _first_factor(holders, 1), "head_dim", f" for its {kind} layers")


# transformers 5.x RotaryEmbeddingConfigMixin._validate_<type>_rope_parameters: the keys each type requires
# beyond rope_type (always set before validation).
REQUIRED_KEYS = {
    "linear": ("factor",), "dynamic": ("factor",),
    "yarn": ("factor", "original_max_position_embeddings"),
    "longrope": ("short_factor", "long_factor", "original_max_position_embeddings"),
    "llama3": ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor", "rope_theta"),
    "proportional": ("rope_theta",),
}
# What a class that keeps rope parameters fills in before it validates them.
FILLED_KEYS = ("rope_theta", "original_max_position_embeddings")
# How a config class keeps rope parameters (Family.rotary).
ROTARY = ("flat", "by-layer-kind", "none")


def check_rope_keys(cfg: Config, rotary: str) -> None:
    """Refuse rope parameters that lack a key their ``rope_type`` requires, as transformers does.

    Every config class validates ``rope_scaling`` (which wins) or ``rope_parameters``
    when it is made, even one without rotary embeddings; a missing required key is an
    error there, not a default. ``rotary`` is Family.rotary: a class that keeps flat
    rope parameters ("flat") first fills in ``rope_theta`` and the original context, so
    only the others can be missing; one without them ("none") validates what the file
    states. Parameters kept by layer kind ("by-layer-kind", and any nested in a file) are
    the families' own to read.
    """
    if rotary not in ROTARY:
        raise ValueError(f"Family.rotary is one of {ROTARY}, not {rotary!r}")
    if rotary == "by-layer-kind":
        return
    name = "rope_scaling" if cfg.data.get("rope_scaling") else "rope_parameters"
    params = cfg.data.get(name)
    if not isinstance(params, dict) or not params:
        return
    if any(isinstance(v, dict) or v is None for v in params.values()):
        return
    _refuse_missing(cfg, name, params, filled=rotary == "flat")


def _refuse_missing(cfg: Config, name: str, params: dict, filled: bool, where: str = "") -> None:
    rope_type = params.get("rope_type", params.get("type", "default"))
    if not isinstance(rope_type, str):
        return
    required = REQUIRED_KEYS.get(rope_type, ())
    missing = [k for k in required if k not in params and not (filled and k in FILLED_KEYS)]
    if missing:
        raise cfg.error(name, f"rope_type {rope_type!r} needs {', '.join(missing)}{where}, which transformers "
                              "requires and refuses the file without")
