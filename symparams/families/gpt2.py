"""GPT-2 (``model_type: gpt2``), as transformers' ``GPT2LMHeadModel`` builds it.

Structure: token embedding ``wte`` (V x D) and learned positions ``wpe`` (P x D);
L pre-norm blocks of LayerNorm ``ln_1`` -> attention -> LayerNorm ``ln_2`` -> MLP,
every linear layer with a bias; a final LayerNorm ``ln_f``; an LM head D -> V
without bias, tied to ``wte`` unless ``tie_word_embeddings`` is false.

transformers stores q, k and v as one fused ``c_attn`` (D -> 3D); the tree splits
it into three D -> D projections so the breakdown reads as attention is taught.
The counts are the same.

Sizes: ``n_inner`` missing or null (the usual case) means F = 4*D, kept as the
relation F = 4*D so the closed form reads 12*D^2 per block. ``add_cross_attention:
true`` adds encoder-decoder layers and is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree"]

# transformers 5.x GPT2Config: defaults, ``attribute_map`` aliases, and the one null it derives.
FIELDS = Fields(
    Field("vocab_size", 50257),
    Field("n_positions", 1024, aliases=("max_position_embeddings",)),
    Field("n_embd", 768, aliases=("hidden_size",)),
    Field("n_layer", 12, aliases=("num_hidden_layers",)),
    Field("n_head", 12, aliases=("num_attention_heads",)),
    Field("n_inner", DERIVED, null=DERIVED),
    Field("activation_function", "gelu_new", kind="str"),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("add_cross_attention", False, kind="bool"),
    groups={
        "wte": "embedding", "wpe": "embedding",
        "ln_1": "norm", "ln_2": "norm", "ln_f": "norm",
        "attn": "attention", "mlp": "mlp",
        "lm_head": "head",
    },
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    if cfg.get("add_cross_attention"):
        raise cfg.error("add_cross_attention", "true adds cross-attention layers, which a causal LM config does not use")
    values = {name: cfg.get(field) for name, field in (("V", "vocab_size"), ("D", "n_embd"), ("L", "n_layer"),
                                                        ("H", "n_head"), ("P", "n_positions"))}
    inner = cfg.get("n_inner")
    if inner is not DERIVED:
        values["F"] = inner
    shape = (("tied", cfg.get("tie_word_embeddings")), ("activation", activation(cfg, "activation_function")),
             ("inner", inner is not DERIVED))
    return Reading(shape, tuple(values.items()), f"gpt2 (D={values['D']}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from .layernorm import mha_spec

    shape = dict(r.shape)
    return mha_spec("gpt2", tree(shape["tied"], shape["activation"]), r, "GPT-2 needs n_embd divisible by n_head")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(tied: bool = True, activation: str = "gelu_new"):
    """GPT-2's module tree in symbols (tied head by default, as the released models)."""
    from ..components import MLP, Attention, Embedding, Repeat
    from ..symbols import D, F, H, H_kv, L, P, V, d_h
    from .layernorm import block, layer_norm, lm_head, model

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


FAMILY = Family(
    name="gpt2",
    rotary="none",
    summary="GPT-2: learned positions, LayerNorm, GELU MLP, tied head",
    model_types=("gpt2",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="n_positions",
    default_context=1024,
    refused="add_cross_attention (encoder-decoder layers); nulls other than n_inner; a width the heads do not "
            "divide",
)
