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

from sympy import Expr

from ..components import Block, Norm
from ..config import DEFAULT, DERIVED, REFUSE, Config, Field, Fields
from ..spec import Spec
from ..symbols import D
from . import _gemma_layers as layers
from .decoder import LLAMA_GROUPS, gated_mlp
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config", "cohere_fields", "cohere_norm", "parallel_block"]


def cohere_fields(*extra: Field) -> tuple[Field, ...]:
    """The fields CohereConfig and Cohere2Config share, with their defaults (Command R's sizes)."""
    return (
        Field("vocab_size", 256000),
        Field("hidden_size", 8192),
        Field("intermediate_size", 22528),
        Field("num_hidden_layers", 40),
        Field("num_attention_heads", 64),
        Field("num_key_value_heads", DERIVED, null=DERIVED),
        Field("head_dim", DERIVED, null=REFUSE),
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
    return Norm(name, D, kind="layer", weight=True)


def parallel_block(attn, mlp: tuple, extra: tuple = (), label: str = "parallel block") -> Block:
    """input_layernorm, then attention (and its extras) and the MLP side by side on the same input."""
    return Block("layer", (cohere_norm("input_layernorm"), attn, *extra, *mlp), label=label)


def from_config(cfg: Config) -> Spec:
    sizes = layers.read_sizes(cfg)
    layers.check_padding(cfg, 0, sizes.vocab)
    bias = cfg.get("attention_bias")
    qk = layers.per_head_norms() if cfg.get("use_qk_norm") else ()
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)

    def block(w: Expr | None) -> Block:
        attn = layers.attention(w, qkv_bias=bias, out_bias=bias)
        return parallel_block(attn, mlp, qk, "parallel block: attention and MLP on one LayerNorm")

    stack = layers.layer_stack(block, layers.uniform_layers(sizes.layers, None))
    tree = layers.decoder_model("cohere", "Cohere Command R decoder", stack, cohere_norm("norm"), sizes.tied)
    return layers.layered_spec("cohere", tree, sizes)


FAMILY = Family(
    name="cohere",
    summary="Cohere Command R: parallel attention and SwiGLU under one bias-free LayerNorm, optional q/k LayerNorm",
    model_types=("cohere",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
)
