"""Cohere Command R7B / Command A (model_type ``cohere2``): Command R's parallel block with sliding windows.

transformers' ``Cohere2ForCausalLM`` keeps Command R's layout (see :mod:`.cohere`: one
bias-free LayerNorm per block, attention and SwiGLU side by side, a tied head, no q/k
norm) and makes three of every four layers local: ``layer_types``, or without it every
``sliding_window_pattern``-th layer full (4 by default, L_s = L - floor(L/4)), the others
attending through ``sliding_window`` (4,096) tokens. ``sliding_window_pattern`` is read from
the keyword arguments, where (without ``layer_types``) null fails and is refused. A null
``sliding_window`` builds a model that cannot run (every forward pass makes the sliding
mask from it): it is counted, as full attention, with a note. ``head_dim`` is D // H
unless a config names one, which the model honours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .cohere import cohere_fields, cohere_norm, parallel_block
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .layer_kinds import every_pth_full, layers_of, read_layers, read_pattern, read_window
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x Cohere2Config
FIELDS = Fields(
    *cohere_fields(Field("sliding_window", 4096, null=DERIVED),
                   Field("sliding_window_pattern", 4, null=DERIVED, kind="any")),
    groups=LLAMA_GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, 0, sizes.vocab)
    bias = cfg.get("attention_bias")
    pattern = read_pattern(cfg)
    window, notes = read_window(cfg, needed=True)
    rule = every_pth_full(pattern) if pattern is not None and window is not None else None
    kinds = read_layers(cfg, sizes.layers, window, rule)
    return reading("cohere2", sizes, kinds, notes, attention_bias=bias)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from . import _gemma_layers as layers
    from .decoder import gated_mlp

    shape, sizes = dict(r.shape), sizes_of(r)
    bias, kinds = shape["attention_bias"], layers_of(shape["layers"], dict(r.values))
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)

    def block(w: Expr | None) -> Block:
        attn = replace(layers.attention(w, qkv_bias=bias, out_bias=bias), nope=w is None)  # RoPE on sliding layers only
        where = "sliding window" if w is not None else "full attention"
        return parallel_block(attn, mlp, label=f"parallel block: attention ({where}) and MLP on one LayerNorm")

    tree = layers.decoder_model("cohere2", "Cohere 2 decoder", layers.layer_stack(block, kinds),
                                cohere_norm("norm"), sizes.tied)
    return layers.layered_spec("cohere2", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="cohere2",
    layer_lists="filled",
    summary="Cohere Command R7B / Command A: Command R's parallel block, three sliding-window layers per full one",
    model_types=("cohere2",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
    read=read,
)
