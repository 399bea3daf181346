"""OPT (``model_type: opt``), as transformers' ``OPTForCausalLM`` builds it.

Structure: token embedding ``embed_tokens`` (V x D) and learned positions
``embed_positions`` with P + 2 rows (OPT offsets position ids by 2, a leftover of
fairseq's padding convention, so the table is two rows longer than
``max_position_embeddings``); L blocks of LayerNorm -> attention (q, k, v,
out_proj) -> LayerNorm -> MLP (fc1 D -> F, fc2 F -> D), linear biases switched by
``enable_bias``; a final LayerNorm; an LM head D -> V without bias, tied by default.

Shape-relevant switches read here: ``layer_norm_elementwise_affine: false`` makes
every LayerNorm parameter-free; ``do_layer_norm_before: false`` (OPT-350m's
post-norm layout) or ``_remove_final_layer_norm: true`` drops the final LayerNorm.
``word_embed_proj_dim`` different from ``hidden_size`` (OPT-350m's 512-wide
embeddings with projections in and out) is refused: it needs a width symbol the
vocabulary does not have.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, P, V, d_h
from .activations import activation
from .registry import Family
from .layernorm import block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE", "POSITION_OFFSET"]

POSITION_OFFSET = 2

DEFAULTS = {
    "vocab_size": 50272,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "ffn_dim": 3072,
    "max_position_embeddings": 2048,
    "num_attention_heads": 12,
    "do_layer_norm_before": True,
    "_remove_final_layer_norm": False,
    "enable_bias": True,
    "layer_norm_elementwise_affine": True,
    "activation_function": "relu",
    "tie_word_embeddings": True,
}

GROUPS = {
    "embed_tokens": "embedding", "embed_positions": "embedding",
    "self_attn_layer_norm": "norm", "final_layer_norm": "norm",
    "self_attn": "attention", "fc1": "mlp", "fc2": "mlp",
    "lm_head": "head",
}

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ("word_embed_proj_dim",)


def from_config(cfg: Config) -> Spec:
    width = cfg.int("hidden_size", DEFAULTS["hidden_size"])
    projected = cfg.optional_int("word_embed_proj_dim")
    if projected is not None and projected != width:
        raise cfg.error(
            "word_embed_proj_dim",
            f"{projected} differs from hidden_size {width}; embedding projections are not supported",
        )
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(width),
        L: Integer(cfg.int("num_hidden_layers", DEFAULTS["num_hidden_layers"])),
        H: Integer(cfg.int("num_attention_heads", DEFAULTS["num_attention_heads"])),
        F: Integer(cfg.int("ffn_dim", DEFAULTS["ffn_dim"])),
        P: Integer(cfg.int("max_position_embeddings", DEFAULTS["max_position_embeddings"])),
    }
    final_norm = cfg.bool("do_layer_norm_before", DEFAULTS["do_layer_norm_before"]) and not cfg.bool(
        "_remove_final_layer_norm", DEFAULTS["_remove_final_layer_norm"]
    )
    return spec(
        cfg,
        "opt",
        tree(
            tied=cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"]),
            bias=cfg.bool("enable_bias", DEFAULTS["enable_bias"]),
            affine=cfg.bool("layer_norm_elementwise_affine", DEFAULTS["layer_norm_elementwise_affine"]),
            final_norm=final_norm,
            activation=activation(cfg, "activation_function", DEFAULTS["activation_function"]),
        ),
        values,
        {H_kv: H, d_h: D / H},
        [Divides(H, D, "OPT needs hidden_size divisible by num_attention_heads")],
        NULLABLE,
    )


def tree(tied: bool = True, bias: bool = True, affine: bool = True, final_norm: bool = True, activation: str = "relu"):
    """OPT's module tree in symbols."""
    layer = block(
        "layer",
        (
            layer_norm("self_attn_layer_norm", affine),
            Attention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias,
                      names=("q_proj", "k_proj", "v_proj", "out_proj")),
            layer_norm("final_layer_norm", affine),
            MLP("mlp", D, F, gated=False, bias=bias, activation=activation, names=("fc1", "fc2")),
        ),
        "Block(LayerNorm, attention, LayerNorm, MLP)",
    )
    parts = [
        Embedding("embed_tokens", V, D),
        Embedding("embed_positions", P + POSITION_OFFSET, D),
        Repeat("layers", L, layer),
    ]
    if final_norm:
        parts.append(layer_norm("final_layer_norm", affine))
    parts.append(lm_head(tied))
    return model("opt", parts, "OPT")


def hf_group(param_name: str) -> str:
    """The tree group of an ``OPTForCausalLM`` parameter name (fc1/fc2 sit directly in the layer)."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="opt",
    summary="OPT: learned positions offset by 2, LayerNorm, ReLU MLP",
    model_types=("opt",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context="max_position_embeddings",
    default_context=2048,
)
