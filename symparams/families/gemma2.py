"""Gemma 2 (model_type ``gemma2``): four RMSNorms per block, sliding and full attention alternating.

transformers' ``Gemma2ForCausalLM`` (see :mod:`._gemma_family` for the block): layer i
attends through a window of ``sliding_window`` (4,096) tokens when ``layer_types[i]`` is
``sliding_attention``; without ``layer_types`` the even layers (0, 2, ...) are windowed,
so L_s = L - floor(L/2). Attention and final-logit soft-capping change no weights.
Defaults are Gemma2Config's (a 2B-like model: D = 2,304, 26 layers, 8 heads of 256, 4
key/value heads, a tied head).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from . import _gemma_family as gemma
from .layer_kinds import every_pth_full
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read"]

# transformers 5.x Gemma2Config
FIELDS = gemma.gemma_fields(vocab_size=256000, max_position_embeddings=8192, sliding_window=4096,
                            softcaps=(50.0, 30.0),
                            extra=(gemma.BIDIRECTIONAL,))


def read(cfg: Config) -> Reading:
    return gemma.read(cfg, "gemma2", every_pth_full(2))


def from_config(cfg: Config) -> Spec:
    return gemma.build(read(cfg), "gemma2", "Gemma 2 decoder", post_norms=True, qk_norm=False)


FAMILY = Family(
    name="gemma2",
    layer_lists="filled",
    summary="Gemma 2: GeGLU, four RMSNorms per block, sliding-window and full attention alternating",
    model_types=("gemma2",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="use_bidirectional_attention: true (an encoder, not a causal LM)",
)
