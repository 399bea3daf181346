"""Nemotron (model_type ``nemotron``): LayerNorm1P with biases and a plain squared-ReLU MLP.

transformers' ``NemotronForCausalLM`` (Nemotron-4, Minitron): ``NemotronLayerNorm1P(D)``
before attention and before the MLP and at the end, an ``nn.LayerNorm`` with a weight
(applied as 1 + weight) and a bias; GQA with an explicit ``head_dim`` (D // H when it is
missing or null) and biases on q/k/v/o when ``attention_bias``; a plain MLP ``up_proj``
D -> F and ``down_proj`` F -> D (``relu2``) with biases when ``mlp_bias``; an untied head.
Half the head is rotary (``partial_rotary_factor`` 0.5), which has no weights.
``num_key_value_heads`` has no usable default: missing or null, the attention divides by
None, so a config must give it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, MISSING, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .registry import Family, Reading
from .rope import is_number, partial_rotary_factor, plain_share, rotary_table_width

if TYPE_CHECKING:
    from ..components import Norm
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x NemotronConfig
FIELDS = Fields(
    Field("vocab_size", 256000),
    Field("hidden_size", 6144),
    Field("intermediate_size", 24576),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 48),
    Field("num_key_value_heads", MISSING),
    Field("head_dim", DERIVED, null=DERIVED),
    Field("hidden_act", "relu2", kind="str"),
    Field("max_position_embeddings", 4096),
    Field("partial_rotary_factor", 0.5, kind="number"),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("mlp_bias", False, kind="bool"),
    groups=LLAMA_GROUPS,
)


def layer_norm_1p(name: str) -> Norm:
    """``NemotronLayerNorm1P(D)``: LayerNorm scaled by (1 + weight), with a bias: 2D."""
    from ..components import Norm
    from ..symbols import D

    return Norm(name, D, kind="layer", weight=True, bias=True, offset=True)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg)
    cfg.get("partial_rotary_factor")  # weightless, but its class refuses a null
    share = partial_rotary_factor(cfg, 0.5, strict=False)
    check_padding(cfg, None, sizes.vocab)
    return reading("nemotron", sizes, attention_bias=cfg.get("attention_bias"), mlp_bias=cfg.get("mlp_bias"),
                   rotary_share=plain_share(share if is_number(share) else 1))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from ..components import MLP
    from ..symbols import D, F
    from . import _gemma_layers as layers

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["attention_bias"]
    attn = replace(layers.attention(None, qkv_bias=bias, out_bias=bias), rotary_concat=True,
                   rotary_dim=rotary_table_width(shape["rotary_share"]))
    mlp = layers.mlp_with_activation(
        MLP("mlp", D, F, gated=False, bias=shape["mlp_bias"], activation=sizes.activation,
            names=("up_proj", "down_proj")), sizes.activation)
    block = layers.pre_norm_block(attn, mlp, layer_norm_1p, label="pre-LayerNorm1P decoder block")
    tree = layers.decoder_model("nemotron", "Nemotron decoder",
                                layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None)),
                                layer_norm_1p("norm"), sizes.tied)
    return layers.layered_spec("nemotron", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="nemotron",
    rope_head="always",
    rope_share=True,
    rope_share_default=0.5,
    summary="Nemotron-4 / Minitron: LayerNorm1P with biases, GQA, a plain squared-ReLU MLP",
    model_types=("nemotron",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a config without num_key_value_heads (transformers cannot build it)",
)
