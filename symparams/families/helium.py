"""Helium (model_type ``helium``): Kyutai's Llama-shaped decoder with a D x D output projection.

transformers' ``HeliumForCausalLM``: RMSNorm pre-norms, q/k/v of H*d_h and H_kv*d_h with
biases when ``attention_bias``, ``o_proj`` = ``nn.Linear(D, D)`` without a bias, a SwiGLU
MLP with biases when ``mlp_bias``, an untied head. ``head_dim`` defaults to 128, not
D // H: a config whose heads do not fill D (H*d_h != D) builds an ``o_proj`` that cannot
take the attention's output, and is refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import Norm
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x HeliumConfig: strict types, so no field takes null
FIELDS = Fields(
    Field("vocab_size", 48000),
    Field("hidden_size", 2560),
    Field("intermediate_size", 7040),
    Field("num_hidden_layers", 24),
    Field("num_attention_heads", 20),
    Field("num_key_value_heads", 20),
    Field("head_dim", 128),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 4096),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("mlp_bias", False, kind="bool"),
    groups=LLAMA_GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg)
    if sizes.heads * sizes.head_dim != sizes.width:
        raise cfg.error("head_dim", f"{sizes.heads} heads of {sizes.head_dim} do not fill hidden_size {sizes.width}: "
                        "Helium's o_proj is hidden_size x hidden_size and cannot take them")
    check_padding(cfg, 3, sizes.vocab)
    return reading("helium", sizes, attention_bias=cfg.get("attention_bias"), mlp_bias=cfg.get("mlp_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..spec import AtMost
    from ..symbols import D, H, d_h
    from . import _gemma_layers as layers
    from .decoder import gated_mlp
    from .decoder import rms_norm as llama_norm

    def rms_norm(name: str) -> Norm:  # the weight cast to fp32 multiplies the fp32 vector before the cast back
        return replace(llama_norm(name), weight_fp32=True, weight_copied=True)

    shape, sizes = dict(r.shape), sizes_of(r)
    attn = replace(layers.attention(None, qkv_bias=shape["attention_bias"]), tables_per_layer=True)  # interleaved
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation, bias=shape["mlp_bias"]), sizes.activation)
    block = layers.pre_norm_block(attn, mlp, rms_norm)
    tree = layers.decoder_model("helium", "Helium decoder",
                                layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None)),
                                rms_norm("norm"), sizes.tied)
    spec = layers.layered_spec("helium", tree, sizes)
    why = "Helium's o_proj is hidden_size x hidden_size: the heads must fill the width"
    return replace(spec, constraints=(*spec.constraints, AtMost(H * d_h, D, why), AtMost(D, H * d_h, why)))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="helium",
    summary="Helium: Llama's layout with an explicit head_dim and a D x D output projection",
    model_types=("helium",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="head_dim with num_attention_heads * head_dim != hidden_size (o_proj cannot take it)",
)
