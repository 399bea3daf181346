"""Seed-OSS (model_type ``seed_oss``): Llama's layout with q/k/v biases apart from o's.

transformers' ``SeedOssForCausalLM``: RMSNorm pre-norms, GQA with an explicit
``head_dim`` (128; null means D // H) whose q/k/v carry biases when ``attention_bias``
(true by default) and whose o_proj carries one when ``attention_out_bias`` (false), a
SwiGLU MLP with biases when ``mlp_bias``, an untied head. ``num_key_value_heads``
missing is 8, null is H.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x SeedOssConfig
FIELDS = Fields(
    Field("vocab_size", 155136),
    Field("hidden_size", 4096),
    Field("intermediate_size", 27648),
    Field("num_hidden_layers", 64),
    Field("num_attention_heads", 80),
    Field("num_key_value_heads", 8, null=DERIVED),
    Field("head_dim", 128, null=DERIVED),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 524288),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", True, kind="bool"),
    Field("attention_out_bias", False, kind="bool"),
    Field("mlp_bias", False, kind="bool"),
    groups=LLAMA_GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, 1, sizes.vocab)
    return reading("seed_oss", sizes, attention_bias=cfg.get("attention_bias"),
                   attention_out_bias=cfg.get("attention_out_bias"), mlp_bias=cfg.get("mlp_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from .decoder import gated_mlp, rms_norm

    shape, sizes = dict(r.shape), sizes_of(r)
    attn = layers.attention(None, qkv_bias=shape["attention_bias"], out_bias=shape["attention_out_bias"])
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation, bias=shape["mlp_bias"]), sizes.activation)
    block = layers.pre_norm_block(attn, mlp, rms_norm)
    tree = layers.decoder_model("seed_oss", "Seed-OSS decoder",
                                layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None)),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("seed_oss", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="seed_oss",
    summary="Seed-OSS: Llama's layout with biases on q/k/v and a separate switch for o",
    model_types=("seed_oss",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
    read=read,
)
