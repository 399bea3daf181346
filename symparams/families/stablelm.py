"""StableLM (model_type ``stablelm``): LayerNorms with biases, partial rotary, optional q/k norms per head.

transformers' ``StableLmForCausalLM``: ``nn.LayerNorm(D)`` (weight and bias) before
attention and before the MLP (``post_attention_layernorm``, absent under
``use_parallel_residual``, where attention and MLP share the first norm) and at the end;
q/k/v with biases when ``use_qkv_bias``; ``o_proj`` D x D without one; with
``qk_layernorm``, one bias-free LayerNorm(d_h) per query head and per key/value head
(``StableLmLayerNormPerHead``: H*d_h and H_kv*d_h); a SwiGLU MLP without biases; an untied
head. The head size is always D // H (a config's ``head_dim`` changes no weight), and
the rotary part of it (``partial_rotary_factor``, 0.25) has no weights. H must divide D:
``o_proj`` takes D inputs, so heads that do not fill D cannot run.

stablelm-2-1_6b has 1,644,515,328 parameters; stablelm-3b-4e1t 2,795,443,200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .registry import Family, Reading
from .rope import is_number, partial_rotary_factor, plain_share, rotary_table_width

if TYPE_CHECKING:
    from ..components import Norm
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x StableLmConfig: strict types, so no field takes null
FIELDS = Fields(
    Field("vocab_size", 50304),
    Field("hidden_size", 2560),
    Field("intermediate_size", 6912),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", 32),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 4096),
    Field("partial_rotary_factor", 0.25, kind="number"),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("use_qkv_bias", False, kind="bool"),
    Field("qk_layernorm", False, kind="bool"),
    Field("use_parallel_residual", False, kind="bool"),
    groups=LLAMA_GROUPS,
)


def layer_norm(name: str) -> Norm:
    from ..components import Norm
    from ..symbols import D

    return Norm(name, D, kind="layer", weight=True, bias=True)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg)
    cfg.get("partial_rotary_factor")  # weightless, but its class refuses a null
    if sizes.width % sizes.heads:
        raise cfg.error("num_attention_heads", f"{sizes.heads} does not divide hidden_size {sizes.width}: StableLM's "
                        "o_proj is hidden_size x hidden_size and cannot take heads of hidden_size // heads")
    check_padding(cfg, None, sizes.vocab)
    share = partial_rotary_factor(cfg, 0.25, strict=False)
    return reading("stablelm", sizes, qkv_bias=cfg.get("use_qkv_bias"), qk_layernorm=cfg.get("qk_layernorm"),
                   parallel_residual=cfg.get("use_parallel_residual"),
                   rotary_share=plain_share(share if is_number(share) else 1))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from ..components import Block
    from . import _gemma_layers as layers
    from .decoder import gated_mlp

    shape, sizes = dict(r.shape), sizes_of(r)
    attn = replace(layers.attention(None, qkv_bias=shape["qkv_bias"]), rotary_concat=True,
                   rotary_dim=rotary_table_width(shape["rotary_share"]), input_shared=shape["parallel_residual"])
    qk = layers.per_head_norms(("q_layernorm", "k_layernorm")) if shape["qk_layernorm"] else ()
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)
    if shape["parallel_residual"]:
        block = Block("layer", (layer_norm("input_layernorm"), attn, *qk, *mlp), label="parallel-residual block")
    else:
        block = layers.pre_norm_block(attn, mlp, layer_norm, extra=qk, label="pre-LayerNorm decoder block")
    stack = layers.layer_stack(lambda w: block, layers.uniform_layers(sizes.layers, None))
    tree = layers.decoder_model("stablelm", "StableLM decoder", stack, layer_norm("norm"), sizes.tied)
    return layers.layered_spec("stablelm", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="stablelm",
    rope_head="given",
    rope_share=True,
    rope_share_default=0.25,
    summary="StableLM: LayerNorm with biases, partial rotary, optional q/k LayerNorm per head and parallel residual",
    model_types=("stablelm",),
    fields=FIELDS,
    build=from_config,
    read=read,
)
