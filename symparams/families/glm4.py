"""GLM-4-0414 (model_type ``glm4``): GLM's decoder with a norm after attention and after the MLP as well.

transformers' ``Glm4ForCausalLM`` (5.x) is :mod:`.glm` with four RMSNorms of D per block:
``input_layernorm`` -> attention -> ``post_self_attn_layernorm``, then
``post_attention_layernorm`` -> MLP -> ``post_mlp_layernorm``. Defaults, biases and the
fused ``gate_up_proj`` are GLM's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from . import glm
from .decoder_sizes import LLAMA_GROUPS, sizes_of
from .glm import attention, fused_mlp, glm_fields
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x Glm4Config
FIELDS = glm_fields(groups={**LLAMA_GROUPS, "post_self_attn_layernorm": "norm", "post_mlp_layernorm": "norm"})


def read(cfg: Config) -> Reading:
    """The config's sizes and attention bias, checked, with no tree built."""
    return glm.read(cfg, "glm4")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Embedding, Linear, Model, Repeat
    from ..symbols import D, L, V
    from . import decoder

    sizes = sizes_of(r)
    rms = decoder.rms_norm
    block = Block("layer", (rms("input_layernorm"), attention(dict(r.shape)), rms("post_self_attn_layernorm"),
                            rms("post_attention_layernorm"), fused_mlp(sizes.activation), rms("post_mlp_layernorm")),
                  label="sandwich-norm decoder block")
    tree = Model("glm4", (Embedding("embed_tokens", V, D), Repeat("layers", L, block), rms("norm"),
                          Linear("lm_head", D, V, tied=sizes.tied, group="head")), label="GLM-4-0414 decoder")
    return decoder.decoder_spec("glm4", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="glm4",
    rope_head="always",
    rope_share=True,
    rope_share_default=0.5,
    summary="GLM-4-0414: GLM's decoder with four norms per block",
    model_types=("glm4",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim or num_key_value_heads (transformers cannot build them)",
)
