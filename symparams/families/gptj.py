"""GPT-J (``model_type: gptj``), as transformers' ``GPTJForCausalLM`` builds it.

Structure: token embedding ``wte`` (V x D), rotary positions (no weights); L
*parallel* blocks: one LayerNorm ``ln_1`` feeds both attention and the MLP, whose
outputs are added to the residual together. Attention has no biases at all
(q_proj, k_proj, v_proj, out_proj: D -> D); the MLP (fc_in D -> F, fc_out F -> D)
has biases, and so does the LM head D -> V: the one head of these families with a
bias while having none in attention. Untied by default; tied, the head keeps its
V biases.

``n_inner`` missing or null means F = 4*D (kept as the relation F = 4*D);
``rotary_dim`` only sets how many dimensions rotate, but transformers refuses it
null, as it refuses a null ``n_positions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree"]

# transformers 5.x GPTJConfig, with its ``attribute_map`` aliases.
FIELDS = Fields(
    Field("vocab_size", 50400),
    Field("n_positions", 2048, aliases=("max_position_embeddings",)),
    Field("n_embd", 4096, aliases=("hidden_size",)),
    Field("n_layer", 28, aliases=("num_hidden_layers",)),
    Field("n_head", 16, aliases=("num_attention_heads",)),
    Field("rotary_dim", 64),
    Field("n_inner", DERIVED, null=DERIVED),
    Field("activation_function", "gelu_new", kind="str"),
    Field("tie_word_embeddings", False, kind="bool"),
    groups={
        "wte": "embedding",
        "ln_1": "norm", "ln_f": "norm",
        "attn": "attention", "mlp": "mlp",
        "lm_head": "head",
    },
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    values = {name: cfg.get(field) for name, field in (("V", "vocab_size"), ("D", "n_embd"), ("L", "n_layer"),
                                                        ("H", "n_head"))}
    cfg.get("n_positions")
    cfg.get("rotary_dim")
    inner = cfg.get("n_inner")
    if inner is not DERIVED:
        values["F"] = inner
    shape = (("tied", cfg.get("tie_word_embeddings")), ("activation", activation(cfg, "activation_function")),
             ("inner", inner is not DERIVED))
    return Reading(shape, tuple(values.items()), f"gptj (D={values['D']}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from .layernorm import mha_spec

    shape = dict(r.shape)
    return mha_spec("gptj", tree(tied=shape["tied"], activation=shape["activation"]), r, "GPT-J needs n_embd divisible by n_head")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(tied: bool = False, activation: str = "gelu_new"):
    """GPT-J's module tree in symbols."""
    from ..components import MLP, Attention, Embedding, Repeat
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import block, layer_norm, lm_head, model

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


FAMILY = Family(
    name="gptj",
    rotary="none",
    summary="GPT-J: parallel block with one LayerNorm, rotary, a head with a bias",
    model_types=("gptj",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="n_positions",
    default_context=2048,
    refused="nulls other than n_inner (n_positions and rotary_dim included); a width the heads do not divide",
)
