"""GPT-2 (``model_type: gpt2``), as transformers' ``GPT2LMHeadModel`` builds it.

Structure: token embedding ``wte`` (V x D) and learned positions ``wpe`` (P x D);
L pre-norm blocks of LayerNorm ``ln_1`` -> attention -> LayerNorm ``ln_2`` -> MLP,
every linear layer with a bias; a final LayerNorm ``ln_f``; an LM head D -> V
without bias, tied to ``wte`` unless ``tie_word_embeddings`` is false.

transformers stores q, k and v as one fused ``c_attn`` (D -> 3D); the tree splits
it into three D -> D projections so the breakdown reads as attention is taught.
The counts are the same.

Sizes: ``n_inner: null`` (the usual case) means F = 4*D, kept as the relation
F = 4*D so the closed form reads 12*D^2 per block. ``add_cross_attention: true``
adds encoder-decoder layers and is refused.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, P, V, d_h
from .activations import activation
from .registry import Family
from .layernorm import alias_int, block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE"]

# transformers' GPT2Config defaults, by the config's own field names.
DEFAULTS = {
    "vocab_size": 50257,
    "n_positions": 1024,
    "n_embd": 768,
    "n_layer": 12,
    "n_head": 12,
    "activation_function": "gelu_new",
    "tie_word_embeddings": True,
}

# Aliases transformers' ``attribute_map`` accepts for the same field.
ALIASES = {
    "n_positions": ("n_positions", "max_position_embeddings"),
    "n_embd": ("n_embd", "hidden_size"),
    "n_layer": ("n_layer", "num_hidden_layers"),
    "n_head": ("n_head", "num_attention_heads"),
}

GROUPS = {
    "wte": "embedding", "wpe": "embedding",
    "ln_1": "norm", "ln_2": "norm", "ln_f": "norm",
    "attn": "attention", "mlp": "mlp",
    "lm_head": "head",
}

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ("n_inner",)


def _size(cfg: Config, field: str) -> int:
    return alias_int(cfg, ALIASES[field], DEFAULTS[field])


def from_config(cfg: Config) -> Spec:
    cfg.refuse("add_cross_attention", [False], "adds cross-attention layers, which a causal LM config does not use")
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(_size(cfg, "n_embd")),
        L: Integer(_size(cfg, "n_layer")),
        H: Integer(_size(cfg, "n_head")),
        P: Integer(_size(cfg, "n_positions")),
    }
    relations = {H_kv: H, d_h: D / H}
    inner = cfg.optional_int("n_inner")
    if inner is None:
        relations[F] = 4 * D
    else:
        values[F] = Integer(inner)
    tied = cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"])
    act = activation(cfg, "activation_function", DEFAULTS["activation_function"])
    return spec(
        cfg,
        "gpt2",
        tree(tied, act),
        values,
        relations,
        [Divides(H, D, "GPT-2 needs n_embd divisible by n_head")],
        NULLABLE,
    )


def tree(tied: bool = True, activation: str = "gelu_new"):
    """GPT-2's module tree in symbols (tied head by default, as the released models)."""
    layer = block(
        "h",
        (
            layer_norm("ln_1"),
            Attention("attn", D, H, H_kv, d_h, qkv_bias=True, out_bias=True, names=("q", "k", "v", "c_proj")),
            layer_norm("ln_2"),
            MLP("mlp", D, F, gated=False, bias=True, activation=activation, names=("c_fc", "c_proj")),
        ),
        "Block(LayerNorm, attention, LayerNorm, MLP)",
    )
    return model(
        "gpt2",
        (
            Embedding("wte", V, D),
            Embedding("wpe", P, D),
            Repeat("blocks", L, layer),
            layer_norm("ln_f"),
            lm_head(tied),
        ),
        "GPT-2",
    )


def hf_group(param_name: str) -> str:
    """The tree group of a ``GPT2LMHeadModel`` parameter name."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="gpt2",
    summary="GPT-2: learned positions, LayerNorm, GELU MLP, tied head",
    model_types=("gpt2",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context="n_positions",
    default_context=1024,
)
