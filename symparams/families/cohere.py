"""Cohere Command R (model_type ``cohere``): a parallel block under one bias-free LayerNorm, a tied head.

transformers' ``CohereForCausalLM``: each block normalises its input once
(``input_layernorm``, ``CohereLayerNorm(D)``: a LayerNorm with a weight and no bias) and
feeds it to attention and to the SwiGLU MLP side by side, adding both to the residual
(Cohere's parallel block: the same weights as a sequential one, one norm fewer). With
``use_qk_norm`` (Command R+), ``q_norm`` and ``k_norm`` are ``CohereLayerNorm((heads,
head_dim))``: one weight per head and channel, H*d_h and H_kv*d_h. The LM head is tied to
the embedding, and ``logit_scale`` multiplies the logits without a weight. Missing or null
``num_key_value_heads`` means H (MHA); ``head_dim`` is not a field of the config class,
but the attention reads one a config carries (``getattr(config, "head_dim", D // H)``),
and fails on a null one, which is refused.

c4ai-command-r-v01 has 34,980,831,232 parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, REFUSE, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block, Module, Norm
    from ..components.decoder_attention import DecoderAttention
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "cohere_fields", "cohere_norm", "parallel_block"]


def cohere_fields(*extra: Field) -> tuple[Field, ...]:
    """The fields CohereConfig and Cohere2Config share, with their defaults (Command R's sizes)."""
    return (
        Field("vocab_size", 256000),
        Field("hidden_size", 8192),
        Field("intermediate_size", 22528),
        Field("num_hidden_layers", 40),
        Field("num_attention_heads", 64),
        Field("num_key_value_heads", DERIVED, null=DERIVED),
        Field("head_dim", DERIVED, null=REFUSE, sized=True),
        Field("hidden_act", "silu", kind="str"),
        Field("max_position_embeddings", 8192),
        Field("tie_word_embeddings", True, kind="bool"),
        Field("attention_bias", False, kind="bool"),
        *extra,
    )


# transformers 5.x CohereConfig (use_qk_norm is ``bool | None``: null is false)
FIELDS = Fields(*cohere_fields(Field("use_qk_norm", False, null=DEFAULT, kind="bool")), groups=LLAMA_GROUPS)


def cohere_norm(name: str) -> Norm:
    """``CohereLayerNorm(D)``: mean-centred like a LayerNorm, with a weight and no bias."""
    from ..components import Norm
    from ..symbols import D

    return Norm(name, D, kind="layer", weight=True, written_out=True)


def per_head_norms() -> tuple[Norm, ...]:
    """``CohereLayerNorm((heads, head_dim))`` over the queries and keys: a weight per head and channel, each head's
    vector normalised on its own."""
    from ..components import Norm
    from ..symbols import H, H_kv, d_h

    return tuple(Norm(name, n * d_h, kind="layer", weight=True, group="attention", written_out=True, vectors=n,
                      width=d_h)
                 for name, n in (("q_norm", H), ("k_norm", H_kv)))


def parallel_block(attn: DecoderAttention, mlp: tuple[Module, ...], extra: tuple[Module, ...] = (),
                   label: str = "parallel block") -> Block:
    """input_layernorm, then attention (and its extras) and the MLP side by side on the same input."""
    from dataclasses import replace

    from ..components import Block

    return Block("layer", (cohere_norm("input_layernorm"), replace(attn, input_shared=True), *extra, *mlp), label=label)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, 0, sizes.vocab)
    return reading("cohere", sizes, attention_bias=cfg.get("attention_bias"), qk_norm=cfg.get("use_qk_norm"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from .decoder import gated_mlp

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["attention_bias"]
    qk = per_head_norms() if shape["qk_norm"] else ()
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)

    def block(w: Expr | None) -> Block:
        attn = layers.attention(w, qkv_bias=bias, out_bias=bias)
        return parallel_block(attn, mlp, qk, "parallel block: attention and MLP on one LayerNorm")

    stack = layers.layer_stack(block, layers.uniform_layers(sizes.layers, None))
    tree = layers.decoder_model("cohere", "Cohere Command R decoder", stack, cohere_norm("norm"), sizes.tied)
    return layers.layered_spec("cohere", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="cohere",
    summary="Cohere Command R: parallel attention and SwiGLU under one bias-free LayerNorm, optional q/k LayerNorm",
    model_types=("cohere",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
)
