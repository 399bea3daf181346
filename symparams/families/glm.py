"""GLM-4 as first ported (model_type ``glm``, THUDM's glm-4-9b-*-hf): the Llama layout with a fused gate/up.

transformers' ``GlmForCausalLM`` (5.x): RMSNorms of D before attention and MLP and at the
end; attention with biases on q, k and v (``attention_bias``, true by default) and none on
o; an MLP whose gate and up projections are one ``gate_up_proj`` D -> 2F, then
``down_proj`` F -> D, no biases (the weights of a gated MLP's three matrices, in two).
``head_dim`` defaults to 128 whatever the width and ``num_key_value_heads`` to 2; a null
in either cannot build. ``partial_rotary_factor`` rotates part of each head and holds
no weights. GLM-4-0414 adds two norms per block (:mod:`.glm4`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import REFUSE, Config
from ._deepseek_vocab import check_padding, pad_field
from .decoder_sizes import decoder_fields, read_sizes, reading, sizes_of
from .registry import Family, Reading
from .rope import partial_rotary_factor, plain_share, rotary_table_width

if TYPE_CHECKING:
    from ..components import Module
    from ..components.decoder_attention import DecoderAttention
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "fused_mlp", "attention", "glm_fields"]


def glm_fields(**kwargs):
    """GlmConfig's and Glm4Config's table (the two share every default)."""
    return decoder_fields(
        vocab_size=151552, hidden_size=4096, intermediate_size=13696, num_hidden_layers=40,
        num_attention_heads=32, num_key_value_heads=2, kv_null=REFUSE, head_dim=128, head_dim_null=REFUSE,
        max_position_embeddings=131072, attention_bias=True, mlp_bias=None, extra=(pad_field(151329),), **kwargs,
    )


# transformers 5.x GlmConfig
FIELDS = glm_fields()


def fused_mlp(activation: str) -> Module:
    """``gate_up_proj`` D -> 2F and ``down_proj`` F -> D: a gated MLP with its gate and up in one matrix."""
    from ..components.fused_mlp import FusedMLP
    from ..symbols import D, F

    return FusedMLP("mlp", D, F, activation=activation)


def attention(shape: dict) -> DecoderAttention:
    """q, k, v (biased under ``attention_bias``) and o; the first int(d_h * partial_rotary_factor) channels of a head
    rotate, with tables each layer interleaves for itself, and the rotary code concatenates them with the rest (so q
    and k come out head-major)."""
    from ..components.decoder_attention import DecoderAttention
    from ..symbols import D, H, H_kv, d_h
    from .decoder import LLAMA_ATTENTION

    return DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=shape["attention_bias"], out_bias=False,
                            names=LLAMA_ATTENTION, rotary_dim=rotary_table_width(shape["rotary_share"]),
                            rotary_concat=True, tables_per_layer=True)


def read(cfg: Config, family: str = "glm") -> Reading:
    """The config's sizes and attention bias, checked, with no tree built (GLM-4 reads the same)."""
    sizes = read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    return reading(family, sizes, attention_bias=cfg.get("attention_bias"),
                   rotary_share=plain_share(partial_rotary_factor(cfg, 0.5)))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import decoder

    sizes = sizes_of(r)
    tree = decoder.pre_norm_decoder("glm", "GLM decoder", fused_mlp(sizes.activation), tied=sizes.tied,
                                    attn=attention(dict(r.shape)))
    return decoder.decoder_spec("glm", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="glm",
    rope_head="always",
    rope_share=True,
    rope_share_default=0.5,
    summary="GLM-4 (glm-4-9b-hf): the Llama layout, q/k/v biases, gate and up fused",
    model_types=("glm",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim or num_key_value_heads (transformers cannot build them)",
)
