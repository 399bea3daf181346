"""Arcee AFM (model_type ``arcee``): Llama's layout with a plain squared-ReLU MLP.

transformers' ``ArceeForCausalLM``: RMSNorm pre-norms, GQA with biases on q/k/v/o when
``attention_bias``, an MLP of ``up_proj`` D -> F and ``down_proj`` F -> D without a gate
(``relu2`` by default) with biases when ``mlp_bias``, an untied head. ``head_dim`` and
``num_key_value_heads`` missing or null are D // H and H; the config class insists that H
divide D even when head_dim is given.
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

# transformers 5.x ArceeConfig
FIELDS = Fields(
    Field("vocab_size", 32000),
    Field("hidden_size", 2560),
    Field("intermediate_size", 18432),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", DERIVED, null=DERIVED),
    Field("head_dim", DERIVED, null=DERIVED),
    Field("hidden_act", "relu2", kind="str"),
    Field("max_position_embeddings", 4096),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("mlp_bias", False, kind="bool"),
    groups=LLAMA_GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg, heads_divide_width=True)
    check_padding(cfg, None, sizes.vocab)
    return reading("arcee", sizes, attention_bias=cfg.get("attention_bias"), mlp_bias=cfg.get("mlp_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..symbols import D, F
    from . import _gemma_layers as layers
    from .decoder import rms_norm

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["attention_bias"]
    attn = layers.attention(None, qkv_bias=bias, out_bias=bias)
    mlp = layers.mlp_with_activation(
        MLP("mlp", D, F, gated=False, bias=shape["mlp_bias"], activation=sizes.activation,
            names=("up_proj", "down_proj")), sizes.activation)
    block = layers.pre_norm_block(attn, mlp, rms_norm)
    tree = layers.decoder_model("arcee", "Arcee decoder",
                                layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None)),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("arcee", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="arcee",
    summary="Arcee AFM: Llama's layout with a plain squared-ReLU MLP",
    model_types=("arcee",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
    read=read,
)
