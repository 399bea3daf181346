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

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree"]

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


def read(cfg: Config) -> Reading:
    """The config's sizes and tying, checked, with no tree built."""
    values = {name: cfg.get(field) for name, field in (("V", "vocab_size"), ("D", "hidden_size"), ("L", "n_layer"),
                                                        ("H", "n_head"))}
    cfg.get("apply_residual_connection_post_layernorm")  # moves a residual, no weight
    return Reading((("tied", cfg.get("tie_word_embeddings")),), tuple(values.items()),
                   f"bloom (D={values['D']}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from .layernorm import mha_spec

    shape = dict(r.shape)
    return mha_spec("bloom", tree(tied=shape["tied"]), r, "BLOOM needs hidden_size divisible by n_head")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(tied: bool = True):
    """BLOOM's module tree in symbols."""
    from ..components import MLP, Attention, Embedding, Repeat
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import block, layer_norm, lm_head, model

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
    lacks=("max_position_embeddings",),
    rotary="none",
    summary="BLOOM: ALiBi, LayerNorm on the embeddings, tied head",
    model_types=("bloom",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context=None,
    refused="null sizes (a null n_embed means not given); a width the heads do not divide",
)
