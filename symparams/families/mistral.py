"""Mistral (model_type ``mistral``): Mistral-7B and its relatives.

The Llama layout without any biases. transformers' defaults differ from Llama's: a
missing ``num_key_value_heads`` is 8 (not H), the MLP is 14,336 wide, and ``head_dim``
falls back to D / H.

Every layer attends through ``sliding_window`` = W tokens (``MistralAttention`` passes
the config's window to every layer, and the model builds a sliding mask whenever it is
set). A missing window is MistralConfig's 4,096, so a config that leaves it out is
windowed; a null one is full attention. The window changes no weight, only the KV cache
(``StaticCache`` holds min(T, W) tokens per layer) and the causal attention FLOPs; the
closed forms gain W only where there is one. A config that lists ``layer_types`` (which
MistralConfig keeps with a warning) decides which layers' caches transformers windows:
those are the windowed layers here (L_s of them), with a note, since the mask still
windows the others' attention.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field
from ._layered_config import check_padding
from .decoder_sizes import decoder_fields, read_sizes, reading, sizes_of
from .layer_kinds import ALL, Layers, layers_of, read_layers, read_window
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Attention, Model, Module
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "read_kinds", "windowed_decoder"]

# transformers 5.x MistralConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, kv_null=REFUSE, max_position_embeddings=4096 * 32,
    attention_bias=None, mlp_bias=None, extra=(Field("sliding_window", 4096, null=DERIVED),),
)

LISTED = ("layer_types lists the layers: transformers' cache windows those marked sliding_attention (counted "
          "so here), while its sliding mask limits every layer's attention to W tokens")


def read_kinds(cfg: Config, layers_: int) -> tuple[Layers, tuple[str, ...]]:
    """Which layers are windowed, as Mistral and Mixtral run: all of them when a window is set.

    A ``layer_types`` list, which neither config class defines but both keep, is what the
    cache follows, so it decides here too (with a note); without a window its sliding
    layers are read as full attention (transformers' cache cannot hold them). Every layer
    is handed the window's mask (``masked``), even where the list marks none sliding.
    """
    window, _ = read_window(cfg)
    kinds = replace(read_layers(cfg, layers_, window, ALL if window is not None else None), masked=True)
    notes = (LISTED,) if window is not None and cfg.has("layer_types") else ()
    return kinds, notes


def windowed_decoder(name: str, label: str, mlp: Module, tied: bool, kinds: Layers,
                     qkv_bias: bool = False, one_mask: bool = False) -> Model:
    """:func:`decoder.pre_norm_decoder`'s tree, with each layer's window where it has one.

    A layer without a window keeps the plain attention module, so a config without a
    window gives the same tree (and closed forms, free of W and L_s) as before.
    ``one_mask``: the model hands every layer its one sliding mask (Mistral's and Mixtral's),
    so a layer ``layer_types`` calls full is still given the window's mask (``mask_window``).
    """
    from ..symbols import W
    from . import _gemma_layers as layers
    from . import decoder

    def block(w: Expr | None):
        attn: Attention
        if w is None and one_mask and kinds.window is not None:
            attn = replace(layers.attention(None, qkv_bias=qkv_bias), mask_window=W)
        else:
            attn = decoder.attention(qkv_bias=qkv_bias) if w is None else layers.attention(w, qkv_bias=qkv_bias)
        return layers.pre_norm_block(attn, (mlp,), decoder.rms_norm,
                                     label=layers.window_label("pre-norm decoder block", w))

    return layers.decoder_model(name, label, layers.layer_stack(block, kinds), decoder.rms_norm("norm"), tied)


def read(cfg: Config) -> Reading:
    """The config's sizes and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg, floor_head_dim=True, rope="always")
    kinds, notes = read_kinds(cfg, sizes.layers)
    check_padding(cfg, None, sizes.vocab)
    return reading("mistral", sizes, kinds, notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from . import decoder

    sizes, kinds = sizes_of(r), layers_of(dict(r.shape)["layers"], dict(r.values))
    tree = windowed_decoder("mistral", "Mistral decoder", decoder.gated_mlp(sizes.activation), sizes.tied, kinds,
                            one_mask=True)
    return layers.layered_spec("mistral", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="mistral",
    summary="Mistral: the Llama layout without biases, every layer windowed; a missing num_key_value_heads is 8",
    model_types=("mistral",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null num_key_value_heads (typed int by transformers) or size; odd rotary heads above 4; key/value "
            "heads that do not divide the heads; a sliding_window below 1",
)
