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

from sympy import Expr

from ..components import Block
from ..config import DERIVED, Config, Field, Fields
from ..spec import Spec
from . import _gemma_layers as layers
from .cohere import cohere_fields, cohere_norm, parallel_block
from .decoder import LLAMA_GROUPS, gated_mlp
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x Cohere2Config
FIELDS = Fields(
    *cohere_fields(Field("sliding_window", 4096, null=DERIVED),
                   Field("sliding_window_pattern", 4, null=DERIVED, kind="any")),
    groups=LLAMA_GROUPS,
)


def from_config(cfg: Config) -> Spec:
    sizes = layers.read_sizes(cfg)
    layers.check_padding(cfg, 0, sizes.vocab)
    bias = cfg.get("attention_bias")
    pattern = layers.read_pattern(cfg)
    window, notes = layers.read_window(cfg, needed=True)
    rule = layers.every_pth_full(pattern) if pattern is not None and window is not None else None
    kinds = layers.read_layers(cfg, sizes.layers, window, rule)
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)

    def block(w: Expr | None) -> Block:
        attn = layers.attention(w, qkv_bias=bias, out_bias=bias)
        where = "sliding window" if w is not None else "full attention"
        return parallel_block(attn, mlp, label=f"parallel block: attention ({where}) and MLP on one LayerNorm")

    tree = layers.decoder_model("cohere2", "Cohere 2 decoder", layers.layer_stack(block, kinds),
                                cohere_norm("norm"), sizes.tied)
    return layers.layered_spec("cohere2", tree, sizes, kinds, notes=notes)


FAMILY = Family(
    name="cohere2",
    layer_lists="filled",
    summary="Cohere Command R7B / Command A: Command R's parallel block, three sliding-window layers per full one",
    model_types=("cohere2",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
)
