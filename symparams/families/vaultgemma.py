"""VaultGemma (model_type ``vaultgemma``): Gemma 2's layout with two RMSNorms per block.

transformers' ``VaultGemmaDecoderLayer`` keeps ``input_layernorm`` before attention and
``pre_feedforward_layernorm`` before the MLP, and drops Gemma 2's two post-norms; the
rest (GeGLU, explicit head_dim, tied head, alternating sliding and full attention by
``layer_types`` or every second layer) is Gemma 2's, with Gemma2Config's defaults.
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

# transformers 5.x VaultGemmaConfig (no use_bidirectional_attention field)
FIELDS = gemma.gemma_fields(vocab_size=256000, max_position_embeddings=8192, sliding_window=4096,
                            softcaps=(50.0, 30.0))


def read(cfg: Config) -> Reading:
    return gemma.read(cfg, "vaultgemma", every_pth_full(2))


def from_config(cfg: Config) -> Spec:
    return gemma.build(read(cfg), "vaultgemma", "VaultGemma decoder", post_norms=False, qk_norm=False)


FAMILY = Family(
    name="vaultgemma",
    layer_lists="filled",
    summary="VaultGemma: Gemma 2's layout with pre-norms only (two RMSNorms per block)",
    model_types=("vaultgemma",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
)
