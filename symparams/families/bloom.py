"""BLOOM (``model_type: bloom``), as transformers' ``BloomForCausalLM`` builds it.

Structure: token embedding ``word_embeddings`` (V x D) followed by an *embedding
LayerNorm* ``word_embeddings_layernorm`` (2D), which BLOOM added for training
stability; ALiBi positions (no weights); L blocks of LayerNorm -> attention
(fused ``query_key_value``, split here into q, k, v, and ``dense``) -> LayerNorm ->
MLP, every linear layer biased; a final LayerNorm ``ln_f``; an LM head D -> V
without bias, tied by default.

The MLP width is fixed by the code at F = 4*D (the relation F = 4*D), whatever
the config says: BLOOM configs carry ``n_inner: null``, which transformers
ignores. ``n_embed`` is the older name of ``hidden_size``.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .registry import Family
from .layernorm import alias_int, block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE"]

DEFAULTS = {
    "vocab_size": 250880,
    "hidden_size": 64,
    "n_layer": 2,
    "n_head": 8,
    "tie_word_embeddings": True,
}

ALIASES = {
    "hidden_size": ("hidden_size", "n_embed"),
    "n_layer": ("n_layer", "num_hidden_layers"),
    "n_head": ("n_head", "num_attention_heads"),
}

GROUPS = {
    "word_embeddings": "embedding",
    "word_embeddings_layernorm": "norm", "input_layernorm": "norm",
    "post_attention_layernorm": "norm", "ln_f": "norm",
    "self_attention": "attention", "mlp": "mlp",
    "lm_head": "head",
}

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ("n_embed",)


def _size(cfg: Config, field: str) -> int:
    return alias_int(cfg, ALIASES[field], DEFAULTS[field])


def from_config(cfg: Config) -> Spec:
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(_size(cfg, "hidden_size")),
        L: Integer(_size(cfg, "n_layer")),
        H: Integer(_size(cfg, "n_head")),
    }
    return spec(
        cfg,
        "bloom",
        tree(tied=cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"])),
        values,
        {H_kv: H, d_h: D / H, F: 4 * D},
        [Divides(H, D, "BLOOM needs hidden_size divisible by n_head")],
        NULLABLE,
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


def hf_group(param_name: str) -> str:
    """The tree group of a ``BloomForCausalLM`` parameter name."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="bloom",
    summary="BLOOM: ALiBi, LayerNorm on the embeddings, tied head",
    model_types=("bloom",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context=None,
)
