"""Arcee AFM (model_type ``arcee``): Llama's layout with a plain squared-ReLU MLP.

transformers' ``ArceeForCausalLM``: RMSNorm pre-norms, GQA with biases on q/k/v/o when
``attention_bias``, an MLP of ``up_proj`` D -> F and ``down_proj`` F -> D without a gate
(``relu2`` by default) with biases when ``mlp_bias``, an untied head. ``head_dim`` and
``num_key_value_heads`` missing or null are D // H and H; the config class insists that H
divide D even when head_dim is given.
"""

from __future__ import annotations

from ..components import MLP
from ..config import DERIVED, Config, Field, Fields
from ..spec import Spec
from ..symbols import D, F
from . import _gemma_layers as layers
from .decoder import LLAMA_GROUPS, rms_norm
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

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


def from_config(cfg: Config) -> Spec:
    sizes = layers.read_sizes(cfg, heads_divide_width=True)
    layers.check_padding(cfg, None, sizes.vocab)
    bias = cfg.get("attention_bias")
    attn = layers.attention(None, qkv_bias=bias, out_bias=bias)
    mlp = layers.mlp_with_activation(
        MLP("mlp", D, F, gated=False, bias=cfg.get("mlp_bias"), activation=sizes.activation,
            names=("up_proj", "down_proj")), sizes.activation)
    block = layers.pre_norm_block(attn, mlp, rms_norm)
    tree = layers.decoder_model("arcee", "Arcee decoder",
                                layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None)),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("arcee", tree, sizes)


FAMILY = Family(
    name="arcee",
    summary="Arcee AFM: Llama's layout with a plain squared-ReLU MLP",
    model_types=("arcee",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
)
