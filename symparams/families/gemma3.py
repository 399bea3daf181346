"""Gemma 3 text (model_type ``gemma3_text``): Gemma 2's block with RMSNorm over each q and k head.

transformers' ``Gemma3ForCausalLM``: four RMSNorms of D per block (see
:mod:`._gemma_family`), ``q_norm`` and ``k_norm`` = ``Gemma3RMSNorm(head_dim)`` (d_h
weights each), and layers of sliding-window attention (``sliding_window`` 4,096 by
default; 512 in the released models) with every ``sliding_window_pattern``-th layer full
(6 by default: five local layers per global one, L_s = L - floor(L/6)) unless
``layer_types`` lists them. ``sliding_window_pattern`` is not a declared field: the
config reads it from the keyword arguments; without ``layer_types`` a null or fractional
one fails there (``% None``) and is refused, with ``layer_types`` it is never used.
Only the text model is read here; the multimodal ``gemma3``, which wraps it with a vision tower,
is read by :mod:`.gemma3_vlm`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field
from . import _gemma_family as gemma
from .layer_kinds import FULL, SLIDING, every_pth_full, read_pattern
from .registry import Family, Reading
from .rope import check_layer_kinds, refuse_unmerged_scaling

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read"]

# transformers 5.x Gemma3TextConfig
FIELDS = gemma.gemma_fields(
    vocab_size=262_208, max_position_embeddings=131_072, sliding_window=4096,
    extra=(gemma.BIDIRECTIONAL, Field("sliding_window_pattern", 6, null=DERIVED, kind="any")),
)


def read(cfg: Config) -> Reading:
    """The config read to plain data; the rope parameters of each layer kind it uses checked, as transformers does."""
    pattern = read_pattern(cfg)
    rule = every_pth_full(pattern) if pattern is not None else None
    found = gemma.read(cfg, "gemma3_text", rule, attn_softcap=False)
    if pattern is None:
        kinds = {FULL if kind == "attention" else kind for kind in cfg.data["layer_types"]}
    else:
        kinds = {SLIDING if (i + 1) % pattern else FULL for i in range(min(cfg.get("num_hidden_layers"), pattern))}
    refuse_unmerged_scaling(cfg)
    check_layer_kinds(cfg, kinds, {"full_attention": "rope_theta", "sliding_attention": "rope_local_base_freq"},
                      dict(found.values).get("d_h"))
    return found


def from_config(cfg: Config) -> Spec:
    return gemma.build(read(cfg), "gemma3_text", "Gemma 3 decoder", post_norms=True, qk_norm=True, rotary_by_kind=True)


FAMILY = Family(
    name="gemma3_text",
    rotary="by-layer-kind",
    layer_lists="filled",
    summary="Gemma 3 (text): Gemma 2's block with q/k RMSNorm, five sliding-window layers per full one",
    model_types=("gemma3_text",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="use_bidirectional_attention: true (an encoder, not a causal LM)",
)
