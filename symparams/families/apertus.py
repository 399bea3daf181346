"""Apertus (model_type ``apertus``): q/k RMSNorm, a plain MLP and xIELU, whose two scalars are learned.

transformers' ``ApertusForCausalLM``: ``attention_layernorm`` and ``feedforward_layernorm``
(RMSNorm of D) before attention and MLP, GQA with RMSNorm(head_dim) over each query and
key head (``q_norm``, ``k_norm``) and biases when ``attention_bias``, a plain MLP
``up_proj`` D -> F and ``down_proj`` F -> D without biases, an untied head. The default
activation, xIELU (``XIELUActivation``), learns two scalars per MLP (``alpha_p`` and
``alpha_n``): 2 parameters per layer, counted in the MLP. ``num_key_value_heads``
missing or null means H; ``head_dim`` is D // H unless a config names one, and a null one
fails in the attention and is refused.

Apertus-8B-2509 has 8,053,338,176 parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x ApertusConfig
FIELDS = Fields(
    Field("vocab_size", 131072),
    Field("hidden_size", 4096),
    Field("intermediate_size", 14336),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", DERIVED, null=DERIVED),
    Field("head_dim", DERIVED, null=REFUSE),
    Field("hidden_act", "xielu", kind="str"),
    Field("max_position_embeddings", 65536),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    groups={**LLAMA_GROUPS, "attention_layernorm": "norm", "feedforward_layernorm": "norm"},
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, 3, sizes.vocab)
    return reading("apertus", sizes, attention_bias=cfg.get("attention_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..symbols import D, F
    from . import _gemma_layers as layers
    from .decoder import rms_norm

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["attention_bias"]
    attn = layers.attention(None, qkv_bias=bias, out_bias=bias, qk_norm=True)
    mlp = layers.mlp_with_activation(
        MLP("mlp", D, F, gated=False, activation=sizes.activation, names=("up_proj", "down_proj")), sizes.activation)
    block = layers.pre_norm_block(attn, mlp, rms_norm, names=("attention_layernorm", "feedforward_layernorm"))
    tree = layers.decoder_model("apertus", "Apertus decoder",
                                layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None)),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("apertus", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="apertus",
    rope_default=(("rope_type", "llama3"), ("rope_theta", 12000000.0), ("factor", 8.0),
                  ("original_max_position_embeddings", 8192), ("low_freq_factor", 1.0), ("high_freq_factor", 4.0)),
    summary="Apertus: q/k RMSNorm and a plain MLP with xIELU, whose two learned scalars per layer are counted",
    model_types=("apertus",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
)
