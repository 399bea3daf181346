"""GPT-NeoX and Pythia (``model_type: gpt_neox``), as transformers' ``GPTNeoXForCausalLM`` builds it.

Structure: token embedding ``embed_in`` (V x D), rotary positions (no weights);
L blocks with two LayerNorms (``input_layernorm`` before attention,
``post_attention_layernorm`` before the MLP), attention with a fused
``query_key_value`` (split here into q, k, v) and output ``dense``, biased when
``attention_bias`` (the default), and an MLP D -> F -> D that always has biases; a
final LayerNorm; an untied LM head D -> V without bias (tied only if the config
says so).

``use_parallel_residual`` changes how the two branches are added, not the
weights: a parallel NeoX block still has both norms. ``rotary_pct`` only sets how
many dimensions rotate.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .activations import activation
from .registry import Family
from .layernorm import block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE"]

DEFAULTS = {
    "vocab_size": 50432,
    "hidden_size": 6144,
    "num_hidden_layers": 44,
    "num_attention_heads": 64,
    "intermediate_size": 24576,
    "hidden_act": "gelu",
    "attention_bias": True,
    "use_parallel_residual": True,
    "tie_word_embeddings": False,
}

GROUPS = {
    "embed_in": "embedding",
    "input_layernorm": "norm", "post_attention_layernorm": "norm", "final_layer_norm": "norm",
    "attention": "attention", "mlp": "mlp",
    "lm_head": "head", "embed_out": "head",
}

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ()


def from_config(cfg: Config) -> Spec:
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(cfg.int("hidden_size", DEFAULTS["hidden_size"])),
        L: Integer(cfg.int("num_hidden_layers", DEFAULTS["num_hidden_layers"])),
        H: Integer(cfg.int("num_attention_heads", DEFAULTS["num_attention_heads"])),
        F: Integer(cfg.int("intermediate_size", DEFAULTS["intermediate_size"])),
    }
    parallel = cfg.bool("use_parallel_residual", DEFAULTS["use_parallel_residual"])
    return spec(
        cfg,
        "gpt_neox",
        tree(
            tied=cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"]),
            attention_bias=cfg.bool("attention_bias", DEFAULTS["attention_bias"]),
            parallel=parallel,
            activation=activation(cfg, "hidden_act", DEFAULTS["hidden_act"]),
        ),
        values,
        {H_kv: H, d_h: D / H},
        [Divides(H, D, "GPT-NeoX needs hidden_size divisible by num_attention_heads")],
        NULLABLE,
    )


def tree(tied: bool = False, attention_bias: bool = True, parallel: bool = True, activation: str = "gelu"):
    """GPT-NeoX's module tree in symbols."""
    layout = "parallel residual" if parallel else "sequential"
    layer = block(
        "layer",
        (
            layer_norm("input_layernorm"),
            layer_norm("post_attention_layernorm"),
            Attention("attention", D, H, H_kv, d_h, qkv_bias=attention_bias, out_bias=attention_bias,
                      names=("query", "key", "value", "dense")),
            MLP("mlp", D, F, gated=False, bias=True, activation=activation,
                names=("dense_h_to_4h", "dense_4h_to_h")),
        ),
        f"Block({layout}: 2 LayerNorms, attention, MLP)",
    )
    return model(
        "gpt_neox",
        (
            Embedding("embed_in", V, D),
            Repeat("layers", L, layer),
            layer_norm("final_layer_norm"),
            lm_head(tied),
        ),
        "GPT-NeoX",
    )


def hf_group(param_name: str) -> str:
    """The tree group of a ``GPTNeoXForCausalLM`` parameter name (``embed_out`` is the older head name)."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="gpt_neox",
    summary="GPT-NeoX / Pythia: parallel attention and MLP, rotary, untied head",
    model_types=("gpt_neox",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context="max_position_embeddings",
    default_context=2048,
)
