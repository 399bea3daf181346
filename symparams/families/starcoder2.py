"""StarCoder2 (model_type ``starcoder2``): LayerNorms with biases, a plain GELU MLP, GQA with biases.

transformers' ``Starcoder2ForCausalLM``: ``nn.LayerNorm(D)`` (weight and bias) before
attention and before the MLP and at the end; q/k/v/o with biases when ``use_bias``
(true by default); a plain MLP ``c_fc`` D -> F and ``c_proj`` F -> D with the same
biases; a head tied to the embedding by default. Every layer attends through the same
``sliding_window`` when the config sets one (StarCoder2's 4,096), or to everything when
it is null (the default). ``head_dim`` is not a field of the config class, but the
attention reads one a config.json carries (``getattr(config, "head_dim", None) or D // H``),
so a given head_dim counts and a null one is D / H.

starcoder2-3b has 3,030,371,328 parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .layer_kinds import layers_of, uniform_layers
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block, Norm
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x Starcoder2Config
FIELDS = Fields(
    Field("vocab_size", 49152),
    Field("hidden_size", 3072),
    Field("intermediate_size", 12288),
    Field("num_hidden_layers", 30),
    Field("num_attention_heads", 24),
    Field("num_key_value_heads", 2),
    Field("head_dim", DERIVED, null=DERIVED),
    Field("hidden_act", "gelu_pytorch_tanh", kind="str"),
    Field("max_position_embeddings", 4096),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("use_bias", True, kind="bool"),
    Field("sliding_window", None, null=DEFAULT),
    groups={**LLAMA_GROUPS, "c_fc": "mlp", "c_proj": "mlp"},
)


def layer_norm(name: str) -> Norm:
    from ..components import Norm
    from ..symbols import D

    return Norm(name, D, kind="layer", weight=True, bias=True)


def read(cfg: Config) -> Reading:
    """The config's sizes, biases and window, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, None, sizes.vocab)
    bias = cfg.get("use_bias")
    kinds = uniform_layers(sizes.layers, cfg.get("sliding_window"))
    return reading("starcoder2", sizes, kinds, use_bias=bias)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Block
    from ..symbols import D, F
    from . import _gemma_layers as layers

    shape, sizes = dict(r.shape), sizes_of(r)
    bias, kinds = shape["use_bias"], layers_of(shape["layers"], dict(r.values))
    mlp = layers.mlp_with_activation(
        MLP("mlp", D, F, gated=False, bias=bias, activation=sizes.activation, names=("c_fc", "c_proj")),
        sizes.activation, name="act")

    def block(w: Expr | None) -> Block:
        attn = layers.attention(w, qkv_bias=bias, out_bias=bias)
        return Block("layer", (layer_norm("input_layernorm"), attn, layer_norm("post_attention_layernorm"), *mlp),
                     label="pre-LayerNorm decoder block" + (", sliding window" if w is not None else ""))

    tree = layers.decoder_model("starcoder2", "StarCoder2 decoder", layers.layer_stack(block, kinds),
                                layer_norm("norm"), sizes.tied)
    return layers.layered_spec("starcoder2", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="starcoder2",
    summary="StarCoder2: LayerNorm with biases, GQA and a plain GELU MLP with biases, an optional sliding window",
    model_types=("starcoder2",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
)
