"""phi-1, phi-1.5 and phi-2 (``model_type: phi``), as transformers' ``PhiForCausalLM`` builds it.

Structure: token embedding ``embed_tokens`` (V x D), partial rotary positions (no
weights); L *parallel* blocks: one LayerNorm ``input_layernorm`` feeds attention
and the MLP. Everything is biased: q_proj (D -> H*d_h), k_proj and v_proj
(D -> H_kv*d_h), dense (H*d_h -> D), fc1 (D -> F), fc2 (F -> D), and the LM head
D -> V, which keeps its V biases even when tied. A final LayerNorm
``final_layernorm``; untied by default.

Options read here: ``num_key_value_heads`` (GQA; H when absent), ``head_dim``
(D/H when absent; transformers reads it if a config has one), and
``qk_layernorm``, which adds LayerNorms over the query and key heads. Those are
sized D/H by transformers even when ``head_dim`` differs, so they are sized so
here, and D/H must then be whole. ``partial_rotary_factor`` only sets how many
dimensions rotate.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Norm, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .activations import activation
from .registry import Family
from .layernorm import block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE"]

DEFAULTS = {
    "vocab_size": 51200,
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 24,
    "num_attention_heads": 32,
    "hidden_act": "gelu_new",
    "qk_layernorm": False,
    "tie_word_embeddings": False,
}

GROUPS = {
    "embed_tokens": "embedding",
    "input_layernorm": "norm", "final_layernorm": "norm",
    "q_layernorm": "norm", "k_layernorm": "norm",
    "self_attn": "attention", "mlp": "mlp",
    "lm_head": "head",
}

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ("num_key_value_heads",)


def from_config(cfg: Config) -> Spec:
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(cfg.int("hidden_size", DEFAULTS["hidden_size"])),
        L: Integer(cfg.int("num_hidden_layers", DEFAULTS["num_hidden_layers"])),
        H: Integer(cfg.int("num_attention_heads", DEFAULTS["num_attention_heads"])),
        F: Integer(cfg.int("intermediate_size", DEFAULTS["intermediate_size"])),
    }
    relations = {}
    constraints = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    kv_heads = cfg.optional_int("num_key_value_heads")
    if kv_heads is None:
        relations[H_kv] = H
    else:
        values[H_kv] = Integer(kv_heads)
    head_dim = cfg.optional_int("head_dim")
    qk_norm = cfg.bool("qk_layernorm", DEFAULTS["qk_layernorm"])
    if head_dim is None:
        relations[d_h] = D / H
    else:
        values[d_h] = Integer(head_dim)
    if head_dim is None or qk_norm:
        why = "the query/key LayerNorms are D/H wide" if head_dim is not None else "the head dimension is D/H"
        constraints.insert(0, Divides(H, D, why))
    return spec(
        cfg,
        "phi",
        tree(
            tied=cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"]),
            qk_layernorm=qk_norm,
            activation=activation(cfg, "hidden_act", DEFAULTS["hidden_act"]),
        ),
        values,
        relations,
        constraints,
        NULLABLE,
    )


def tree(tied: bool = False, qk_layernorm: bool = False, activation: str = "gelu_new"):
    """phi's module tree in symbols."""
    head_norms = (
        (
            Norm("q_layernorm", D / H, kind="layer", weight=True, bias=True),
            Norm("k_layernorm", D / H, kind="layer", weight=True, bias=True),
        )
        if qk_layernorm
        else ()
    )
    layer = block(
        "layer",
        (
            layer_norm("input_layernorm"),
            Attention("self_attn", D, H, H_kv, d_h, qkv_bias=True, out_bias=True,
                      names=("q_proj", "k_proj", "v_proj", "dense")),
            *head_norms,
            MLP("mlp", D, F, gated=False, bias=True, activation=activation, names=("fc1", "fc2")),
        ),
        "Block(parallel: 1 LayerNorm, attention + MLP)",
    )
    return model(
        "phi",
        (
            Embedding("embed_tokens", V, D),
            Repeat("layers", L, layer),
            layer_norm("final_layernorm"),
            lm_head(tied, bias=True),
        ),
        "phi",
    )


def hf_group(param_name: str) -> str:
    """The tree group of a ``PhiForCausalLM`` parameter name (its q/k LayerNorms count as norms)."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="phi",
    summary="phi-1/1.5/2: parallel block, partial rotary, biased head",
    model_types=("phi",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context="max_position_embeddings",
    default_context=2048,
)
