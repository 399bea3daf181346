"""GLM-4-0414 (model_type ``glm4``): GLM's decoder with a norm after attention and after the MLP as well.

transformers' ``Glm4ForCausalLM`` (5.x) is :mod:`.glm` with four RMSNorms of D per block:
``input_layernorm`` -> attention -> ``post_self_attn_layernorm``, then
``post_attention_layernorm`` -> MLP -> ``post_mlp_layernorm``. Defaults, biases and the
fused ``gate_up_proj`` are GLM's.
"""

from __future__ import annotations

from ..components import Block, Embedding, Linear, Model, Repeat
from ..config import Config
from ..spec import Spec
from ..symbols import D, L, V
from . import decoder
from ._deepseek_vocab import check_padding
from .decoder import LLAMA_GROUPS
from .glm import fused_mlp, glm_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x Glm4Config
FIELDS = glm_fields(groups={**LLAMA_GROUPS, "post_self_attn_layernorm": "norm", "post_mlp_layernorm": "norm"})


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    rms = decoder.rms_norm
    attn = decoder.attention(qkv_bias=cfg.get("attention_bias"), out_bias=False)
    block = Block("layer", (rms("input_layernorm"), attn, rms("post_self_attn_layernorm"),
                            rms("post_attention_layernorm"), fused_mlp(), rms("post_mlp_layernorm")),
                  label="sandwich-norm decoder block")
    tree = Model("glm4", (Embedding("embed_tokens", V, D), Repeat("layers", L, block), rms("norm"),
                          Linear("lm_head", D, V, tied=sizes.tied, group="head")), label="GLM-4-0414 decoder")
    return decoder.decoder_spec("glm4", tree, sizes)


FAMILY = Family(
    name="glm4",
    rope_share=True,
    summary="GLM-4-0414: GLM's decoder with four norms per block",
    model_types=("glm4",),
    fields=FIELDS,
    build=from_config,
    refused="a null head_dim or num_key_value_heads (transformers cannot build them)",
)
