"""phi-1, phi-1.5 and phi-2 (``model_type: phi``), as transformers' ``PhiForCausalLM`` builds it.

Structure: token embedding ``embed_tokens`` (V x D), partial rotary positions (no
weights); L *parallel* blocks: one LayerNorm ``input_layernorm`` feeds attention
and the MLP. Everything is biased: q_proj (D -> H*d_h), k_proj and v_proj
(D -> H_kv*d_h), dense (H*d_h -> D), fc1 (D -> F), fc2 (F -> D), and the LM head
D -> V, which keeps its V biases even when tied. A final LayerNorm
``final_layernorm``; untied by default.

Options read here: ``num_key_value_heads`` (GQA; H when missing or null),
``head_dim`` (D/H when missing, rounded down where H does not divide D, as
transformers does; it reads one a config gives, and fails on a null one), and
``qk_layernorm``, which adds LayerNorms over the query and key heads. Those are sized D/H by transformers even when ``head_dim``
differs, so they are sized so here, and D/H must then be whole.
``partial_rotary_factor`` only sets how many dimensions rotate (but transformers
refuses it null).
"""

from __future__ import annotations

from decimal import Decimal

from sympy import Integer

from ..components import MLP, Attention, Embedding, Norm, Repeat
from ..config import DERIVED, Config, Field, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .activations import activation
from .decoder import check_rope_head_dim
from .layernorm import block, layer_norm, lm_head, model, spec
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config", "tree"]

PARTIAL_ROTARY = Decimal("0.5")  # PhiConfig's default share of each head that rotates

# transformers 5.x PhiConfig (head_dim is not declared, but the model reads one a config gives).
FIELDS = Fields(
    Field("vocab_size", 51200),
    Field("hidden_size", 2048),
    Field("intermediate_size", 8192),
    Field("num_hidden_layers", 24),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", DERIVED, null=DERIVED),
    Field("head_dim", DERIVED),
    Field("hidden_act", "gelu_new", kind="str"),
    Field("max_position_embeddings", 2048),
    Field("partial_rotary_factor", None, kind="number"),
    Field("qk_layernorm", False, kind="bool"),
    Field("tie_word_embeddings", False, kind="bool"),
    groups={
        "embed_tokens": "embedding",
        "input_layernorm": "norm", "final_layernorm": "norm",
        "q_layernorm": "norm", "k_layernorm": "norm",
        "self_attn": "attention", "mlp": "mlp",
        "lm_head": "head",
    },
)


def from_config(cfg: Config) -> Spec:
    values = {
        V: Integer(cfg.get("vocab_size")),
        D: Integer(cfg.get("hidden_size")),
        L: Integer(cfg.get("num_hidden_layers")),
        H: Integer(cfg.get("num_attention_heads")),
        F: Integer(cfg.get("intermediate_size")),
    }
    cfg.get("max_position_embeddings")
    cfg.get("partial_rotary_factor")
    relations = {}
    constraints = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    kv_heads = cfg.get("num_key_value_heads")
    if kv_heads is DERIVED:
        relations[H_kv] = H
    else:
        values[H_kv] = Integer(kv_heads)
    head_dim = cfg.get("head_dim")
    qk_norm = cfg.get("qk_layernorm")
    width, heads = int(values[D]), int(values[H])
    notes = []
    if head_dim is not DERIVED:
        values[d_h] = Integer(head_dim)
        check_rope_head_dim(cfg, head_dim, partial_default=PARTIAL_ROTARY)
    elif width % heads and not qk_norm:  # transformers rounds D // H down, as its config reads it
        values[d_h] = Integer(width // heads)
        notes.append(f"head_dim not given: hidden_size // num_attention_heads = {width // heads}, "
                     "rounded down as transformers does")
    else:
        relations[d_h] = D / H
    if (head_dim is DERIVED and not width % heads) or qk_norm:
        why = "the query/key LayerNorms are D/H wide" if qk_norm else "the head dimension is D/H"
        constraints.insert(0, Divides(H, D, why))
    return spec(
        "phi",
        tree(tied=cfg.get("tie_word_embeddings"), qk_layernorm=qk_norm, activation=activation(cfg, "hidden_act")),
        values,
        relations,
        constraints,
        notes,
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


FAMILY = Family(
    name="phi",
    rope_share=True,
    summary="phi-1/1.5/2: parallel block, partial rotary, biased head",
    model_types=("phi",),
    fields=FIELDS,
    build=from_config,
    context="max_position_embeddings",
    default_context=2048,
    refused="a null head_dim or qk_layernorm; q/k LayerNorms when the heads do not divide the width",
)
