"""The rules a config's reading checked that a value set later must keep too.

A family reads a config and refuses what transformers refuses. Some of those checks refuse
sizes that no config could build, whatever else it states: transformers' rotary embedding
turns a head's dimensions in pairs, so a head it rotates whole is even above 4; some
classes want heads that divide the width even where the file states the head size. A value
set afterwards (``--set``, :meth:`~symparams.spec.Spec.with_values`, a sweep's grid) meets
them as the Spec's constraints, which every reading (Spec, the compiled sweeps, the shape
forms) keeps.

Checks against another number the file states are not carried over: a padding id, or a
Mamba-2 head size, that a new vocabulary or width would leave outside the model follows the
size in a re-sized file (a new tokenizer's padding id, heads of the new width), so the Spec
counts the model of the new size rather than refusing the stale number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config

if TYPE_CHECKING:
    from ..spec import Constraint, Spec

__all__ = ["later_rules"]


def later_rules(cfg: Config, spec: Spec) -> tuple[Constraint, ...]:
    """Every rule of :mod:`.later` that ``cfg``'s reading checked and that binds ``spec``'s symbols."""
    return _rotary(cfg, spec) + _width(cfg, spec)


def _rotary(cfg: Config, spec: Spec) -> tuple[Constraint, ...]:
    """Each head size the reading checked as rotated whole, where it is the Spec's ``d_h`` or ``d_rope``, stays
    even above 4. A stated ``head_dim`` that transformers validates while the layers use D/H (DBRX's, SmolLM3's)
    is no symbol of the count, so it gives no rule."""
    from ..spec import EvenAbove
    from ..symbols import d_h, d_rope

    own, env = dict(spec.values), spec.env
    rules: dict = {}
    for field, size, held in cfg.checked.rotary:
        sym = d_rope if field == "qk_rope_head_dim" or (field == "rope" and d_rope in env) else d_h
        if sym in env and env[sym] == size and (held or sym in own):
            rules[sym] = EvenAbove(sym, 4, "transformers' rotary embedding turns a head's dimensions in pairs")
    return tuple(rules.values())


def _width(cfg: Config, spec: Spec) -> tuple[Constraint, ...]:
    """Heads that divide the width, where the class refuses others even with a stated head_dim (Gemma 2 and 3,
    Llama, Arcee, DeepSeek-V2) and no rule of the Spec says it already."""
    from ..spec import Divides
    from ..symbols import D, H

    rule = Divides(H, D, "transformers requires hidden_size to be a multiple of num_attention_heads")
    if not cfg.checked.heads_divide_width or H not in spec.env or D not in spec.env or any(
            isinstance(c, Divides) and (c.small, c.big) == (H, D) for c in spec.constraints):
        return ()
    return (rule,)
