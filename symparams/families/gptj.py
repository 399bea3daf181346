"""GPT-J (``model_type: gptj``), as transformers' ``GPTJForCausalLM`` builds it.

Structure: token embedding ``wte`` (V x D), rotary positions (no weights); L
*parallel* blocks: one LayerNorm ``ln_1`` feeds both attention and the MLP, whose
outputs are added to the residual together. Attention has no biases at all
(q_proj, k_proj, v_proj, out_proj: D -> D); the MLP (fc_in D -> F, fc_out F -> D)
has biases, and so does the LM head D -> V: the one head of these families with a
bias while having none in attention. Untied by default; tied, the head keeps its
V biases.

``n_inner: null`` means F = 4*D (kept as the relation F = 4*D); ``rotary_dim`` only
sets how many dimensions rotate.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .activations import activation
from .registry import Family
from .layernorm import alias_int, block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE"]

DEFAULTS = {
    "vocab_size": 50400,
    "n_embd": 4096,
    "n_layer": 28,
    "n_head": 16,
    "activation_function": "gelu_new",
    "tie_word_embeddings": False,
}

ALIASES = {
    "n_embd": ("n_embd", "hidden_size"),
    "n_layer": ("n_layer", "num_hidden_layers"),
    "n_head": ("n_head", "num_attention_heads"),
}

GROUPS = {
    "wte": "embedding",
    "ln_1": "norm", "ln_f": "norm",
    "attn": "attention", "mlp": "mlp",
    "lm_head": "head",
}

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ("n_inner",)


def _size(cfg: Config, field: str) -> int:
    return alias_int(cfg, ALIASES[field], DEFAULTS[field])


def from_config(cfg: Config) -> Spec:
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(_size(cfg, "n_embd")),
        L: Integer(_size(cfg, "n_layer")),
        H: Integer(_size(cfg, "n_head")),
    }
    relations = {H_kv: H, d_h: D / H}
    inner = cfg.optional_int("n_inner")
    if inner is None:
        relations[F] = 4 * D
    else:
        values[F] = Integer(inner)
    return spec(
        cfg,
        "gptj",
        tree(
            tied=cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"]),
            activation=activation(cfg, "activation_function", DEFAULTS["activation_function"]),
        ),
        values,
        relations,
        [Divides(H, D, "GPT-J needs n_embd divisible by n_head")],
        NULLABLE,
    )


def tree(tied: bool = False, activation: str = "gelu_new"):
    """GPT-J's module tree in symbols."""
    layer = block(
        "h",
        (
            layer_norm("ln_1"),
            Attention("attn", D, H, H_kv, d_h, qkv_bias=False, out_bias=False,
                      names=("q_proj", "k_proj", "v_proj", "out_proj")),
            MLP("mlp", D, F, gated=False, bias=True, activation=activation, names=("fc_in", "fc_out")),
        ),
        "Block(parallel: 1 LayerNorm, attention + MLP)",
    )
    return model(
        "gptj",
        (
            Embedding("wte", V, D),
            Repeat("blocks", L, layer),
            layer_norm("ln_f"),
            lm_head(tied, bias=True),
        ),
        "GPT-J",
    )


def hf_group(param_name: str) -> str:
    """The tree group of a ``GPTJForCausalLM`` parameter name."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="gptj",
    summary="GPT-J: parallel block with one LayerNorm, rotary, a head with a bias",
    model_types=("gptj",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context="n_positions",
    default_context=2048,
)
