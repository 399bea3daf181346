"""EXAONE 4.0 (model_type ``exaone4``): post-norms, q/k RMSNorm, local and global attention.

transformers' ``Exaone4ForCausalLM``: no pre-norms; ``post_attention_layernorm`` and
``post_feedforward_layernorm`` (RMSNorm of D) normalise the outputs of attention and MLP
before the residual adds them; q/k RMSNorm(head_dim) over each head; q/k/v/o and the
SwiGLU MLP without biases; a final norm and an LM head (untied by default).

Layers are windowed (``sliding_window``, 4,096) as ``layer_types`` lists them, or, without
it, all but every ``sliding_window_pattern``-th (4 by default; L_s = L - floor(L/4)); a
null window with layers listed as sliding builds a model that cannot run (counted, as full
attention, with a note). Where
the config leaves ``layer_types`` out, transformers needs that pattern to be a whole number
(the released "LLLG" fails on ``%``) and a window to be set (a null one makes the pattern 0
and the modulo fails): both are refused then, as transformers cannot build them.
``head_dim`` is D // H unless a config names one; a null one fails and is refused.
Where a window is set, only the windowed layers take rotary positions; the full ones none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field, Fields
from ._gemma_family import GEMMA_GROUPS
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import reading, sizes_of
from .layer_kinds import every_pth_full, layers_of, read_layers, read_pattern, read_window
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x Exaone4Config
FIELDS = Fields(
    Field("vocab_size", 102400),
    Field("hidden_size", 4096),
    Field("intermediate_size", 16384),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", 32),
    Field("head_dim", DERIVED, null=REFUSE, sized=True),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 2048),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("sliding_window", 4096, null=DERIVED),
    Field("sliding_window_pattern", 4, null=DERIVED, kind="any", types=("str", "int")),
    groups=GEMMA_GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, None, sizes.vocab)
    window, _ = read_window(cfg)
    if window is None and not cfg.has("layer_types"):
        cfg.get("sliding_window_pattern")
        raise cfg.error("sliding_window", "is null and no layer_types are given: transformers then takes the "
                        "pattern as 0 and cannot lay the layers out (give layer_types)")
    pattern = read_pattern(cfg)
    kinds = read_layers(cfg, sizes.layers, window, every_pth_full(pattern) if pattern else None)
    return reading("exaone4", sizes, kinds, full_nope=window is not None)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from ..components import Block
    from . import _gemma_layers as layers
    from .decoder import gated_mlp, rms_norm

    shape = dict(r.shape)
    sizes, kinds = sizes_of(r), layers_of(shape["layers"], dict(r.values))
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)

    def block(w: Expr | None) -> Block:
        attn = replace(layers.attention(w, qk_norm=True), nope=w is None and shape["full_nope"])
        parts = (attn, rms_norm("post_attention_layernorm"), *mlp, rms_norm("post_feedforward_layernorm"))
        return Block("layer", parts, label=layers.window_label("post-norm decoder block", w))

    tree = layers.decoder_model("exaone4", "EXAONE 4.0 decoder", layers.layer_stack(block, kinds),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("exaone4", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="exaone4",
    layer_lists="filled",
    summary="EXAONE 4.0: post-norms, q/k RMSNorm, three sliding-window layers per global one",
    model_types=("exaone4",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="no layer_types with a null sliding_window or a sliding_window_pattern that is not a whole number "
            "(transformers cannot lay the layers out)",
)
