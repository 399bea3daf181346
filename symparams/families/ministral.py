"""Ministral (model_type ``ministral``): Mistral's decoder with sliding-window layers listed per layer.

transformers' ``MinistralForCausalLM``: Llama's block (RMSNorm pre-norms, GQA without
biases, SwiGLU, an untied head) where layer i attends through ``sliding_window`` (4,096)
tokens when ``layer_types[i]`` is ``sliding_attention``; without ``layer_types`` every layer
is windowed. A null window builds a model that cannot run (the sliding mask is made for
every model): it is counted, as full attention, with a note. ``head_dim`` has no usable default: the
config class leaves it None and the attention fails on it, so a config must give it.
Missing ``num_key_value_heads`` is 8; a null one is refused by the strict config class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, MISSING, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .layer_kinds import ALL, layers_of, read_layers, read_window
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x MinistralConfig
FIELDS = Fields(
    Field("vocab_size", 32000),
    Field("hidden_size", 4096),
    Field("intermediate_size", 14336),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", 8),
    Field("head_dim", MISSING),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 4096 * 32),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("sliding_window", 4096, null=DERIVED),
    groups=LLAMA_GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, None, sizes.vocab)
    window, notes = read_window(cfg, needed=True)
    kinds = read_layers(cfg, sizes.layers, window, ALL if window is not None else None)
    return reading("ministral", sizes, kinds, notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from .decoder import gated_mlp, rms_norm

    sizes, kinds = sizes_of(r), layers_of(dict(r.shape)["layers"], dict(r.values))
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)

    def block(w: Expr | None):
        return layers.pre_norm_block(layers.attention(w), mlp, rms_norm,
                                     label=layers.window_label("pre-norm decoder block", w))

    tree = layers.decoder_model("ministral", "Ministral decoder", layers.layer_stack(block, kinds),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("ministral", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="ministral",
    rope_head_unset=True,
    layer_lists="filled",
    summary="Ministral: Mistral's decoder with sliding-window layers listed per layer",
    model_types=("ministral",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a config without head_dim (transformers cannot build it)",
)
