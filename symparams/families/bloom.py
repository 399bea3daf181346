"""BLOOM (``model_type: bloom``), as transformers' ``BloomForCausalLM`` builds it.

Structure: token embedding ``word_embeddings`` (V x D) followed by an *embedding
LayerNorm* ``word_embeddings_layernorm`` (2D), which BLOOM added for training
stability; ALiBi positions (no weights); L blocks of LayerNorm -> attention
(fused ``query_key_value``, split here into q, k, v, and ``dense``) -> LayerNorm ->
MLP, every linear layer biased; a final LayerNorm ``ln_f``; an LM head D -> V
without bias, tied by default.

The MLP width is fixed by the code at F = 4*D (the relation F = 4*D), whatever
the config says: BLOOM configs carry ``n_inner: null``, which transformers
ignores. ``n_embed`` is the older name of ``hidden_size``, a keyword BloomConfig
pops: a null there means "not given".
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Field, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .layernorm import block, layer_norm, lm_head, model, spec
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config", "tree"]

# transformers 5.x BloomConfig, with its ``attribute_map`` aliases and the popped ``n_embed``.
FIELDS = Fields(
    Field("vocab_size", 250880),
    Field("hidden_size", 64, legacy=("n_embed",)),
    Field("n_layer", 2, aliases=("num_hidden_layers",)),
    Field("n_head", 8, aliases=("num_attention_heads",)),
    Field("apply_residual_connection_post_layernorm", False, kind="bool"),
    Field("tie_word_embeddings", True, kind="bool"),
    groups={
        "word_embeddings": "embedding",
        "word_embeddings_layernorm": "norm", "input_layernorm": "norm",
        "post_attention_layernorm": "norm", "ln_f": "norm",
        "self_attention": "attention", "mlp": "mlp",
        "lm_head": "head",
    },
)


def from_config(cfg: Config) -> Spec:
    values = {
        V: Integer(cfg.get("vocab_size")),
        D: Integer(cfg.get("hidden_size")),
        L: Integer(cfg.get("n_layer")),
        H: Integer(cfg.get("n_head")),
    }
    cfg.get("apply_residual_connection_post_layernorm")  # moves a residual, no weight
    return spec(
        "bloom",
        tree(tied=cfg.get("tie_word_embeddings")),
        values,
        {H_kv: H, d_h: D / H, F: 4 * D},
        [Divides(H, D, "BLOOM needs hidden_size divisible by n_head")],
    )


def tree(tied: bool = True):
    """BLOOM's module tree in symbols."""
    layer = block(
        "h",
        (
            layer_norm("input_layernorm"),
            Attention("self_attention", D, H, H_kv, d_h, qkv_bias=True, out_bias=True,
                      names=("query", "key", "value", "dense")),
            layer_norm("post_attention_layernorm"),
            MLP("mlp", D, F, gated=False, bias=True, activation="gelu",
                names=("dense_h_to_4h", "dense_4h_to_h")),
        ),
        "Block(LayerNorm, attention, LayerNorm, MLP)",
    )
    return model(
        "bloom",
        (
            Embedding("word_embeddings", V, D),
            layer_norm("word_embeddings_layernorm"),
            Repeat("blocks", L, layer),
            layer_norm("ln_f"),
            lm_head(tied),
        ),
        "BLOOM",
    )


FAMILY = Family(
    name="bloom",
    rotary="none",
    summary="BLOOM: ALiBi, LayerNorm on the embeddings, tied head",
    model_types=("bloom",),
    fields=FIELDS,
    build=from_config,
    context=None,
    refused="null sizes (a null n_embed means not given); a width the heads do not divide",
)
